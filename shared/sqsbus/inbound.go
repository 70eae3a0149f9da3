package sqsbus

import (
	"context"
	"encoding/json"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

// Inbound sends verified provider notifications to the inbound queue.
type Inbound struct{ Queue *Queue }

// EnqueueNotice queues n for the inbound consumer.
func (q Inbound) EnqueueNotice(ctx context.Context, n aftersales.RefundNotice) error {
	b, err := json.Marshal(messages.NoticeOf(n))
	if err != nil {
		return err
	}
	return q.Queue.Send(ctx, b, nil)
}
