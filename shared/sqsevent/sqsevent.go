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

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

// Starter starts the workflow of a case, idempotently: its first run (run
// "") or a later one (a dispute's), beginning with the wait the review's
// result calls for.
type Starter interface {
	StartReviewed(ctx context.Context, caseID, run string, first aftersales.StepResult) error
}

// RulesReview applies the merchant's rules to a submitted case and returns
// the step result (a case past review: its status and wait), idempotently.
type RulesReview interface {
	Review(ctx context.Context, caseID string) (aftersales.StepResult, error)
}

// Intake consumes the intake queue (functions/intake).
type Intake struct {
	Workflows Starter
	Rules     RulesReview
	Logger    *slog.Logger
}

// Handle reviews each message's case and starts its workflow at the wait
// the review calls for (issue 20: the review was the workflow's first
// state, a billed transition and a Lambda invocation of its own). Both are
// idempotent, so a redelivered message repeats neither: the review of a
// reviewed case returns its status, and the execution is named by the
// case. A failure of either leaves the message to be retried; the case
// stays submitted until its review is stored, which is what the sweeper
// looks for. A message that is not an intake message is logged and
// dropped rather than retried: no retry can fix it.
func (h *Intake) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var msg messages.Intake
		if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.CaseID == "" {
			h.Logger.ErrorContext(ctx, "intake message dropped: not {\"case_id\": ...}", "message_id", m.MessageId)
			continue
		}
		first, err := h.Rules.Review(ctx, msg.CaseID)
		if err != nil {
			h.Logger.WarnContext(ctx, "review failed; the message will be retried",
				"case_id", msg.CaseID, "message_id", m.MessageId, "err", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		if err := h.Workflows.StartReviewed(ctx, msg.CaseID, msg.Run, first); err != nil {
			h.Logger.WarnContext(ctx, "start workflow failed; the message will be retried",
				"case_id", msg.CaseID, "message_id", m.MessageId, "err", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		h.Logger.InfoContext(ctx, "workflow started", "case_id", msg.CaseID, "run", msg.Run)
	}
	return resp, nil
}
