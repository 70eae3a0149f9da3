// Package sqsevent is the entry point of the queue consumers: it turns an
// SQS batch into per-message work and reports partial batch failures, so
// one bad message is retried (and, after five receives, dead-lettered)
// without redoing the rest of its batch.
package sqsevent

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/messages"
)

// Starter starts the workflow of a case, idempotently: its first run (run
// "") or a later one (a dispute's).
type Starter interface {
	StartRun(ctx context.Context, caseID, run string) error
}

// Intake consumes the intake queue (functions/intake).
type Intake struct {
	Workflows Starter
	Logger    *slog.Logger
}

// Handle starts one workflow per message. A message that is not an intake
// message is logged and dropped rather than retried: no retry can fix it.
func (h *Intake) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var msg messages.Intake
		if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.CaseID == "" {
			h.Logger.ErrorContext(ctx, "intake message dropped: not {\"case_id\": ...}", "message_id", m.MessageId)
			continue
		}
		if err := h.Workflows.StartRun(ctx, msg.CaseID, msg.Run); err != nil {
			h.Logger.WarnContext(ctx, "start workflow failed; the message will be retried",
				"case_id", msg.CaseID, "message_id", m.MessageId, "err", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		h.Logger.InfoContext(ctx, "workflow started", "case_id", msg.CaseID, "run", msg.Run)
	}
	return resp, nil
}
