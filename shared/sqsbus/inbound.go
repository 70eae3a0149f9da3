package sqsbus

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// NoticeMessage is the body of an inbound queue message: a provider's
// refund notification, verified by the webhook that received it.
type NoticeMessage struct {
	Channel          string    `json:"channel"`
	NotificationID   string    `json:"notification_id"`
	OutRefundNo      string    `json:"out_refund_no"`
	State            string    `json:"state"`
	ProviderRefundID string    `json:"provider_refund_id,omitempty"`
	Account          string    `json:"account,omitempty"`
	ArrivedAt        time.Time `json:"arrived_at,omitzero"`
}

// NoticeMessageOf is the message for n.
func NoticeMessageOf(n aftersales.RefundNotice) NoticeMessage {
	return NoticeMessage{
		Channel: string(n.Channel), NotificationID: n.NotificationID, OutRefundNo: n.OutRefundNo,
		State: string(n.State), ProviderRefundID: n.ProviderRefundID, Account: n.Account, ArrivedAt: n.ArrivedAt,
	}
}

// Notice is the notification m carries.
func (m NoticeMessage) Notice() aftersales.RefundNotice {
	return aftersales.RefundNotice{
		Channel: aftersales.PaymentChannel(m.Channel), NotificationID: m.NotificationID, OutRefundNo: m.OutRefundNo,
		RefundResult: aftersales.RefundResult{State: aftersales.RefundState(m.State),
			ProviderRefundID: m.ProviderRefundID, Account: m.Account, ArrivedAt: m.ArrivedAt},
	}
}

// Inbound sends verified provider notifications to the inbound queue.
type Inbound struct{ Queue *Queue }

// EnqueueNotice queues n for the inbound consumer.
func (q Inbound) EnqueueNotice(ctx context.Context, n aftersales.RefundNotice) error {
	b, err := json.Marshal(NoticeMessageOf(n))
	if err != nil {
		return err
	}
	return q.Queue.Send(ctx, b, nil)
}
