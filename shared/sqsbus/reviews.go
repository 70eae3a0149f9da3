package sqsbus

import (
	"context"
	"encoding/json"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

var _ aftersales.ReviewQueue = (*Reviews)(nil)

// Reviews sends batch review items, ten per SendMessageBatch call.
type Reviews struct{ Queue *Queue }

// EnqueueReviews queues one message per item.
func (r Reviews) EnqueueReviews(ctx context.Context, items []aftersales.ReviewItem) error {
	bodies := make([][]byte, len(items))
	for i, it := range items {
		b, err := json.Marshal(messages.ReviewItemOf(it))
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	return r.Queue.SendBatch(ctx, bodies)
}
