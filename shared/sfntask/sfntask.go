// Package sfntask is the entry point of the workflow's task states
// (functions/tasks): it decodes the task input the state machine sends,
// dispatches by task name to the workflow and refund use cases, and
// reports errors under the names the ASL Retry and Catch clauses match
// (`AfterSales.<Kind>`).
package sfntask

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	lambdamsg "github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

// Workflow runs the workflow's steps on a case: the rules review, the
// deadlines' default outcomes, the waits and the record of a failure.
type Workflow interface {
	Review(ctx context.Context, caseID string) (aftersales.StepResult, error)
	Deadline(ctx context.Context, caseID string, waitedIn aftersales.Status) (aftersales.StepResult, error)
	BeginWait(ctx context.Context, caseID, token string, seconds int64) error
	RecordFailure(ctx context.Context, caseID, cause string) error
	// EndWait hands the case back to the workflow waiting on token as it
	// is now (for a case whose status has no wait: the end of the run).
	EndWait(ctx context.Context, caseID, token string) error
}

// Refunds asks the payment route for a case's money and waits for it.
type Refunds interface {
	RequestRefund(ctx context.Context, caseID, token string, seconds int64) error
}

// Handler runs task states against the workflow and refund use cases.
type Handler struct {
	Workflow Workflow
	Refunds  Refunds
	Logger   *slog.Logger
}

// Handle is the Lambda handler. Waits return nothing useful (the state
// machine waits for the task token); other tasks return the step result.
func (h *Handler) Handle(ctx context.Context, in messages.Task) (*messages.StepResult, error) {
	log := h.Logger.With("case_id", in.CaseID, "task", in.Task)
	res, err := h.run(ctx, in)
	if err != nil {
		kind := aftersales.KindOf(err)
		log.ErrorContext(ctx, "task failed", "kind", kind.String(), "err", err.Error())
		// Lambda reports an InvokeResponse_Error's Type as the errorType the
		// state machine matches; any other error would be reported under its
		// Go type name.
		return nil, lambdamsg.InvokeResponse_Error{Type: ErrorName(kind), Message: err.Error()}
	}
	log.InfoContext(ctx, "task done", "status", res.Status)
	return res, nil
}

// ErrorName is the name a task error of kind k has in the state machine.
func ErrorName(k aftersales.Kind) string { return "AfterSales." + k.String() }

func (h *Handler) run(ctx context.Context, in messages.Task) (*messages.StepResult, error) {
	if in.CaseID == "" {
		return nil, aftersales.E(aftersales.KindInvalid, "task", "case_id is required")
	}
	var (
		res aftersales.StepResult
		err error
	)
	switch in.Task {
	case "review":
		res, err = h.Workflow.Review(ctx, in.CaseID)
		res.WaitSeconds = max(res.WaitSeconds, messages.NoWaitSeconds)
	case "deadline":
		res, err = h.Workflow.Deadline(ctx, in.CaseID, aftersales.Status(in.Status))
		res.WaitSeconds = max(res.WaitSeconds, messages.NoWaitSeconds)
	case "next":
		err = h.next(ctx, in)
		res = aftersales.StepResult{CaseID: in.CaseID}
	case "wait":
		err = h.Workflow.BeginWait(ctx, in.CaseID, in.Token, in.WaitSeconds)
		res = aftersales.StepResult{CaseID: in.CaseID}
	case "refund":
		err = h.Refunds.RequestRefund(ctx, in.CaseID, in.Token, in.WaitSeconds)
		res = aftersales.StepResult{CaseID: in.CaseID}
	case "fail":
		err = h.Workflow.RecordFailure(ctx, in.CaseID, failureNote(in.Error))
		res = aftersales.StepResult{CaseID: in.CaseID}
	default:
		return nil, aftersales.E(aftersales.KindInvalid, "task", fmt.Sprintf("unknown task %q", in.Task))
	}
	if err != nil {
		return nil, err
	}
	r := messages.StepResultOf(res)
	return &r, nil
}

// failureNote keeps the error name of a Catch result for the timeline.
// next is the task of the wait loop (state Await): it begins the wait the
// case's status is in, as the state machine's former Choice routed to one
// wait state per status; "wait" and "refund" remain for executions that
// started on that definition. A case that was handed back submitted is
// reviewed first; one without a wait ends the run.
func (h *Handler) next(ctx context.Context, in messages.Task) error {
	token := messages.LoopToken(in.Token)
	status := aftersales.Status(in.Status)
	if status == aftersales.StatusRefunding {
		return h.Refunds.RequestRefund(ctx, in.CaseID, token, in.WaitSeconds)
	}
	if _, waiting := aftersales.WaitOf(status); waiting {
		return h.Workflow.BeginWait(ctx, in.CaseID, token, in.WaitSeconds)
	}
	if status == aftersales.StatusSubmitted {
		if _, err := h.Workflow.Review(ctx, in.CaseID); err != nil {
			return err
		}
	}
	return h.Workflow.EndWait(ctx, in.CaseID, token)
}

func failureNote(raw json.RawMessage) string {
	var e struct{ Error, Cause string }
	if json.Unmarshal(raw, &e) != nil || e.Error == "" {
		return "workflow failed"
	}
	return "workflow failed: " + e.Error
}
