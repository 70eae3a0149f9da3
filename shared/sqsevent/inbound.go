package sqsevent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

// Notices records verified provider notifications against their refunds.
type Notices interface {
	RefundNotified(ctx context.Context, n aftersales.RefundNotice) error
}

// Parcels applies verified courier pushes to their cases (issue 15).
type Parcels interface {
	ParcelNotified(ctx context.Context, n aftersales.ParcelNotice) error
}

// Inbound consumes the inbound queue (functions/inbound): verified provider
// notifications that complete refunds, and courier pushes that move
// returns.
type Inbound struct {
	Notices Notices
	Parcels Parcels
	Logger  *slog.Logger
}

// Handle records each notification. Duplicates and notifications about
// refunds that are already final change nothing. A notification about an
// unknown refund is retried and, after the queue's five receives, parked in
// its dead-letter queue (with an alarm) for a person to look at: it may
// belong to a refund made outside this system.
func (h *Inbound) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var pm messages.ParcelMessage
		if err := json.Unmarshal([]byte(m.Body), &pm); err == nil && pm.Parcel != nil && h.Parcels != nil {
			if err := h.Parcels.ParcelNotified(ctx, pm.Parcel.Notice()); err != nil {
				h.Logger.WarnContext(ctx, "courier push failed; it will be retried", "case_id", pm.Parcel.CaseID,
					"message_id", m.MessageId, "err", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				continue
			}
			h.Logger.InfoContext(ctx, "courier push taken", "case_id", pm.Parcel.CaseID, "number", pm.Parcel.Number, "phase", pm.Parcel.Phase)
			continue
		}
		var msg messages.Notice
		if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.OutRefundNo == "" {
			h.Logger.ErrorContext(ctx, "inbound message dropped: not a refund notice", "message_id", m.MessageId)
			continue
		}
		err := h.Notices.RefundNotified(ctx, msg.RefundNotice())
		switch {
		case err == nil:
			h.Logger.InfoContext(ctx, "refund notice taken", "out_refund_no", msg.OutRefundNo, "state", msg.State,
				"notification_id", msg.NotificationID)
			continue
		case errors.Is(err, aftersales.ErrNotFound):
			h.Logger.WarnContext(ctx, "refund notice for an unknown refund: parked", "out_refund_no", msg.OutRefundNo,
				"channel", msg.Channel, "notification_id", msg.NotificationID, "receive_count", m.Attributes["ApproximateReceiveCount"])
		default:
			h.Logger.WarnContext(ctx, "refund notice failed; it will be retried", "out_refund_no", msg.OutRefundNo,
				"message_id", m.MessageId, "err", err.Error())
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	return resp, nil
}
