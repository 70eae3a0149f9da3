package sqsevent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/usecase/verify"
)

// Checker checks the evidence file stored at an object key.
type Checker interface {
	ObjectCreated(ctx context.Context, key string) (verify.Outcome, error)
}

// Evidence consumes the evidence queue (functions/evidence): S3 event
// notifications of the evidence bucket, filtered by the bucket to
// s3:ObjectCreated:* under evidence/, each message one S3 event (the real
// notification JSON, {"Records": [...]}).
type Evidence struct {
	Checker Checker
	Logger  *slog.Logger
}

// Handle checks each object a message names. S3's test event (sent when
// the notification is configured), other events and keys that are no
// evidence are dropped; a transient failure is retried, and after the
// queue's receives dead-lettered (with an alarm).
func (h *Evidence) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var s3ev events.S3Event
		if err := json.Unmarshal([]byte(m.Body), &s3ev); err != nil || len(s3ev.Records) == 0 {
			// s3:TestEvent has no Records; neither has anything else.
			h.Logger.InfoContext(ctx, "evidence message dropped: not an S3 event", "message_id", m.MessageId)
			continue
		}
		failed := false
		for _, r := range s3ev.Records {
			if r.EventSource != "aws:s3" || !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				h.Logger.InfoContext(ctx, "evidence record dropped: not an object creation", "event", r.EventName, "message_id", m.MessageId)
				continue
			}
			key := r.S3.Object.URLDecodedKey
			out, err := h.Checker.ObjectCreated(ctx, key)
			switch {
			case errors.Is(err, verify.ErrNotEvidence):
				h.Logger.InfoContext(ctx, "evidence event ignored: no attached evidence file", "key", key, "err", err.Error())
			case err != nil:
				h.Logger.WarnContext(ctx, "evidence check failed; it will be retried", "key", key, "message_id", m.MessageId, "err", err.Error())
				failed = true
			default:
				// The key and the verdict only: a view URL is never logged.
				h.Logger.InfoContext(ctx, "evidence checked", "case_id", out.CaseID, "evidence_id", out.EvidenceID,
					"status", out.Result.Status, "reused_from", out.Result.ReusedFrom, "requested_evidence", out.Requested, "skipped", out.Skipped)
			}
		}
		if failed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}
