// Package stepfn is the Step Functions adapter: it starts case workflows
// (one execution per case, named by the case id) and completes their waits
// with SendTaskSuccess.
package stepfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

var _ aftersales.Waits = (*Workflows)(nil)

// Workflows talks to the case state machine.
type Workflows struct {
	client  *sfn.Client
	machine string // state machine ARN
}

// New returns the adapter for the state machine machineARN.
func New(client *sfn.Client, machineARN string) *Workflows {
	return &Workflows{client: client, machine: machineARN}
}

// Start starts the workflow of a case. The execution is named by the case id,
// so a repeated start (a redelivered intake message, the sweeper) cannot
// create a second one: the service returns the running execution for the same
// input, and ExecutionAlreadyExists once it has ended, which counts as done.
func (w *Workflows) Start(ctx context.Context, caseID string) error {
	return w.StartRun(ctx, caseID, "")
}

// StartRun starts a later run of a case's workflow, named "<case id>-<run>"
// (a completed case reopened by a dispute: the first execution's name
// stays taken for 90 days). The same name makes repeats harmless as in
// Start; run "" is the first execution.
func (w *Workflows) StartRun(ctx context.Context, caseID, run string) error {
	return w.StartReviewed(ctx, caseID, run, aftersales.StepResult{CaseID: caseID, Status: aftersales.StatusSubmitted})
}

// StartReviewed is StartRun for a case whose rules review (or, for a later
// run, whose status) first gave first: the execution begins with the wait
// first calls for, saving the review state's transition (issue 20).
func (w *Workflows) StartReviewed(ctx context.Context, caseID, run string, first aftersales.StepResult) error {
	in := messages.StepResultOf(first)
	in.CaseID, in.WaitSeconds = caseID, max(in.WaitSeconds, messages.NoWaitSeconds)
	input, err := json.Marshal(in)
	if err != nil {
		return err
	}
	name := caseID
	if run != "" {
		name += "-" + run
	}
	_, err = w.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(w.machine), Name: aws.String(name), Input: aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	switch {
	case err == nil, errors.As(err, &exists):
		return nil
	default:
		return classify("stepfn.start", err)
	}
}

// CompleteWait resumes the workflow waiting on token. A wait of the loop
// (messages.LoopToken) after which the case waits again is ended with the
// error AfterSales.Next, its cause the next wait's StepResult (length at
// least messages.NoWaitSeconds), which the state machine catches back to
// its wait state; the last one with success, which ends the execution:
// no Choice after a wait and no final state to bill (docs/WORKFLOW.md).
func (w *Workflows) CompleteWait(ctx context.Context, token string, r aftersales.StepResult) error {
	res := messages.StepResultOf(r)
	token, loop := strings.CutPrefix(token, messages.LoopPrefix)
	_, waiting := aftersales.WaitOf(r.Status)
	if loop {
		res.WaitSeconds = max(res.WaitSeconds, messages.NoWaitSeconds)
	}
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if loop && (waiting || r.Status == aftersales.StatusSubmitted) {
		_, err = w.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token),
			Error: aws.String(messages.Next), Cause: aws.String(string(out))})
	} else {
		_, err = w.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(out))})
	}
	var (
		gone    *types.TaskDoesNotExist
		timeout *types.TaskTimedOut
		invalid *types.InvalidToken
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &gone), errors.As(err, &timeout), errors.As(err, &invalid):
		return &aftersales.Error{Kind: aftersales.KindConflict, Op: "stepfn.complete", Msg: aftersales.ErrWaitGone.Msg,
			Err: fmt.Errorf("%w: %v", aftersales.ErrWaitGone, err)}
	default:
		return classify("stepfn.complete", err)
	}
}

// classify marks Step Functions failures as transient: throttling and
// service errors are what a retry with backoff is for.
func classify(op string, err error) error {
	return &aftersales.Error{Kind: aftersales.KindTransient, Op: op, Err: err}
}
