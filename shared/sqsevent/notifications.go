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

// Notifier tells what one case change says (notify.Service).
type Notifier interface {
	Notify(ctx context.Context, a aftersales.Announcement) error
}

// Notifications consumes the notifications queue (functions/notifier).
type Notifications struct {
	Notifier Notifier
	Logger   *slog.Logger
}

// Handle notifies each announcement. A failure is retried by the queue
// (the inbox entry and the sends already made are not repeated), and after
// maxReceiveCount receives the message is dead-lettered; an announcement
// of a timeline entry that does not exist is dropped, since no retry can
// make it appear.
func (h *Notifications) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var msg messages.Announcement
		if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || !msg.Valid() {
			h.Logger.ErrorContext(ctx, "notification message dropped: not {\"case_id\", \"seq\"} nor {\"order_id\"}", "message_id", m.MessageId)
			continue
		}
		err := h.Notifier.Notify(ctx, msg.Announcement())
		// Only the announcement's own case change missing is final: a
		// joined error of several notices is retried whatever it holds.
		var final *aftersales.Error
		switch {
		case err == nil:
		case errors.As(err, &final) && error(final) == err && final.Kind == aftersales.KindNotFound:
			h.Logger.ErrorContext(ctx, "notification abandoned: no such case change or order", "case_id", msg.CaseID, "seq", msg.Seq,
				"order_id", msg.OrderID, "err", err.Error())
		default:
			h.Logger.WarnContext(ctx, "notification failed; it will be retried", "case_id", msg.CaseID, "seq", msg.Seq,
				"message_id", m.MessageId, "err", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}
