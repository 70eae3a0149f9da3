package sqsbus

import (
	"context"
	"encoding/json"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

// Inbound sends verified provider notifications (refunds, courier pushes)
// to the inbound queue.
type Inbound struct{ Queue *Queue }

// EnqueueNotice queues n for the inbound consumer.
func (q Inbound) EnqueueNotice(ctx context.Context, n aftersales.RefundNotice) error {
	b, err := json.Marshal(messages.NoticeOf(n))
	if err != nil {
		return err
	}
	return q.Queue.Send(ctx, b, nil)
}

// EnqueueParcel queues a verified courier push for the inbound consumer.
func (q Inbound) EnqueueParcel(ctx context.Context, n aftersales.ParcelNotice) error {
	b, err := json.Marshal(messages.ParcelOf(n))
	if err != nil {
		return err
	}
	return q.Queue.Send(ctx, b, nil)
}
