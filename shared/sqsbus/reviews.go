package sqsbus

import (
	"context"
	"encoding/json"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.ReviewQueue = (*Reviews)(nil)

// ReviewMessage is the body of a batch review queue message: one case of a
// batch job.
type ReviewMessage struct {
	JobID  string `json:"job_id"`
	CaseID string `json:"case_id"`
}

// Reviews sends batch review items, ten per SendMessageBatch call.
type Reviews struct{ Queue *Queue }

// EnqueueReviews queues one message per item.
func (r Reviews) EnqueueReviews(ctx context.Context, items []aftersales.ReviewItem) error {
	bodies := make([][]byte, len(items))
	for i, it := range items {
		b, err := json.Marshal(ReviewMessage{JobID: it.JobID, CaseID: it.CaseID})
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	return r.Queue.SendBatch(ctx, bodies)
}
