package sqsevent

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

// Reviews consumes the batch review queue (functions/reviews): each message
// is one case decided exactly as a single staff decision would be.
type Reviews struct {
	Reviewer Reviewer
	Logger   *slog.Logger
}

// Reviewer decides one case of a batch review job and records the outcome
// on the job.
type Reviewer interface {
	ReviewOne(ctx context.Context, item aftersales.ReviewItem) error
}

// Handle decides each case of the batch; only transient failures are
// retried (the others are the item's recorded result).
func (h *Reviews) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var msg messages.ReviewItem
		if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.JobID == "" || msg.CaseID == "" {
			h.Logger.ErrorContext(ctx, "review message dropped: not {\"job_id\", \"case_id\"}", "message_id", m.MessageId)
			continue
		}
		err := h.Reviewer.ReviewOne(ctx, msg.Item())
		if err != nil {
			h.Logger.WarnContext(ctx, "review item failed; it will be retried", "job_id", msg.JobID,
				"case_id", msg.CaseID, "err", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}
