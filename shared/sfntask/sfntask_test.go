package sfntask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	lambdamsg "github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"

	fixtures "github.com/aftersales/aftersales/events"
)

// fakeUseCases plays Workflow and Refunds: it records each call as
// "Method arg arg..." and answers result, or err.
type fakeUseCases struct {
	result aftersales.StepResult
	err    error
	got    []string
}

func (f *fakeUseCases) record(method string, args ...any) error {
	f.got = append(f.got, strings.TrimSuffix(fmt.Sprintln(append([]any{method}, args...)...), "\n"))
	return f.err
}

func (f *fakeUseCases) Review(_ context.Context, caseID string) (aftersales.StepResult, error) {
	return f.result, f.record("Review", caseID)
}

func (f *fakeUseCases) Deadline(_ context.Context, caseID string, waitedIn aftersales.Status) (aftersales.StepResult, error) {
	return f.result, f.record("Deadline", caseID, waitedIn)
}

func (f *fakeUseCases) BeginWait(_ context.Context, caseID, token string, seconds int64) error {
	return f.record("BeginWait", caseID, token, seconds)
}

func (f *fakeUseCases) RecordFailure(_ context.Context, caseID, cause string) error {
	return f.record("RecordFailure", caseID, cause)
}

func (f *fakeUseCases) EndWait(_ context.Context, caseID, token string) error {
	return f.record("EndWait", caseID, token)
}

func (f *fakeUseCases) RequestRefund(_ context.Context, caseID, token string, seconds int64) error {
	return f.record("RequestRefund", caseID, token, seconds)
}

func newHandler(f *fakeUseCases) *Handler {
	return &Handler{Workflow: f, Refunds: f, Logger: slog.New(slog.DiscardHandler)}
}

// TestDispatch: each task calls its use case with the input's fields and
// returns the step result the state machine routes on.
func TestDispatch(t *testing.T) {
	waiting := aftersales.StepResult{CaseID: "as_1", Status: aftersales.StatusAwaitingReturn, WaitSeconds: 600}
	tests := []struct {
		name string
		in   messages.Task
		call string
		want messages.StepResult
	}{
		{"review", messages.Task{Task: "review", CaseID: "as_1"}, "Review as_1",
			messages.StepResult{CaseID: "as_1", Status: "awaiting_return", WaitSeconds: 600}},
		{"deadline", messages.Task{Task: "deadline", CaseID: "as_1", Status: "pending_review"}, "Deadline as_1 pending_review",
			messages.StepResult{CaseID: "as_1", Status: "awaiting_return", WaitSeconds: 600}},
		{"wait", messages.Task{Task: "wait", CaseID: "as_1", Token: "tok", WaitSeconds: 60}, "BeginWait as_1 tok 60",
			messages.StepResult{CaseID: "as_1"}},
		{"refund", messages.Task{Task: "refund", CaseID: "as_1", Token: "tok", WaitSeconds: 600}, "RequestRefund as_1 tok 600",
			messages.StepResult{CaseID: "as_1"}},
		{"review of a case that ends: the loop still gets a valid timeout", messages.Task{Task: "review", CaseID: "as_2"}, "Review as_2",
			messages.StepResult{CaseID: "as_2", Status: "closed", WaitSeconds: messages.NoWaitSeconds}},
		{"next in a waiting status begins its wait, token marked for the loop", messages.Task{Task: "next", CaseID: "as_1", Status: "awaiting_return", Token: "tok", WaitSeconds: 60},
			"BeginWait as_1 loop:tok 60", messages.StepResult{CaseID: "as_1"}},
		{"next in refunding requests the refund", messages.Task{Task: "next", CaseID: "as_1", Status: "refunding", Token: "tok", WaitSeconds: 600},
			"RequestRefund as_1 loop:tok 600", messages.StepResult{CaseID: "as_1"}},
		{"next in an ended status ends the run", messages.Task{Task: "next", CaseID: "as_1", Status: "completed", Token: "tok", WaitSeconds: 60},
			"EndWait as_1 loop:tok", messages.StepResult{CaseID: "as_1"}},
		{"fail names the caught error", messages.Task{Task: "fail", CaseID: "as_1", Error: json.RawMessage(`{"Error":"States.Timeout","Cause":"x"}`)},
			"RecordFailure as_1 workflow failed: States.Timeout", messages.StepResult{CaseID: "as_1"}},
		{"fail without an error", messages.Task{Task: "fail", CaseID: "as_1"}, "RecordFailure as_1 workflow failed", messages.StepResult{CaseID: "as_1"}},
		{"fail with an error that is not one", messages.Task{Task: "fail", CaseID: "as_1", Error: json.RawMessage(`"boom"`)},
			"RecordFailure as_1 workflow failed", messages.StepResult{CaseID: "as_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeUseCases{result: waiting}
			if tt.in.CaseID == "as_2" {
				f.result = aftersales.StepResult{CaseID: "as_2", Status: aftersales.StatusClosed}
			}
			got, err := newHandler(f).Handle(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.got) != 1 || f.got[0] != tt.call || *got != tt.want {
				t.Errorf("calls %q result %+v, want %q %+v", f.got, *got, tt.call, tt.want)
			}
		})
	}
}

// TestErrorNames: a failed task is reported under AfterSales.<Kind>, the
// names the ASL's Retry and Catch clauses match; input the handler cannot
// run is Invalid, so it is not retried.
func TestErrorNames(t *testing.T) {
	tests := []struct {
		name   string
		in     messages.Task
		err    error
		want   string
		called bool
	}{
		{"an unknown task", messages.Task{Task: "teleport", CaseID: "as_1"}, nil, "AfterSales.Invalid", false},
		{"no case id", messages.Task{Task: "review"}, nil, "AfterSales.Invalid", false},
		{"transient", messages.Task{Task: "review", CaseID: "as_1"}, aftersales.E(aftersales.KindTransient, "op", "throttled"), "AfterSales.Transient", true},
		{"conflict", messages.Task{Task: "wait", CaseID: "as_1"}, aftersales.ErrWaitGone, "AfterSales.Conflict", true},
		{"not found", messages.Task{Task: "deadline", CaseID: "as_1"}, aftersales.ErrNotFound, "AfterSales.NotFound", true},
		{"unclassified", messages.Task{Task: "refund", CaseID: "as_1"}, errors.New("nil map"), "AfterSales.Internal", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeUseCases{err: tt.err}
			got, err := newHandler(f).Handle(context.Background(), tt.in)
			var ie lambdamsg.InvokeResponse_Error
			if got != nil || !errors.As(err, &ie) || ie.Type != tt.want {
				t.Fatalf("result %+v error %#v, want %s", got, err, tt.want)
			}
			if called := len(f.got) == 1; called != tt.called {
				t.Errorf("calls %q, want called=%v", f.got, tt.called)
			}
		})
	}
}

// TestReplayFixtures decodes every payload of events/tasks as Lambda would
// and checks the call it makes.
func TestReplayFixtures(t *testing.T) {
	type replay struct {
		call    string
		errName string
	}
	tests := map[string]replay{
		"tasks/review.json":   {call: "Review as_1"},
		"tasks/deadline.json": {call: "Deadline as_1 pending_review"},
		"tasks/wait.json":     {call: "BeginWait as_1 AQCEAAAAKgAAAAMAAAAAAAAAAfake-token 432000"},
		"tasks/refund.json":   {call: "RequestRefund as_1 AQCEAAAAKgAAAAMAAAAAAAAAAfake-refund-token 600"},
		"tasks/fail.json":     {call: "RecordFailure as_1 workflow failed: AfterSales.Internal"},
		"tasks/unknown.json":  {errName: "AfterSales.Invalid"},
	}
	fixtures.Each(t, "tasks", tests, func(t *testing.T, name string, tt replay) {
		var in messages.Task
		fixtures.Load(t, name, func(k string) (string, bool) { return "as_1", k == "case_id" }, &in)
		f := &fakeUseCases{result: aftersales.StepResult{CaseID: "as_1", Status: aftersales.StatusPendingReview}}
		_, err := newHandler(f).Handle(context.Background(), in)
		var ie lambdamsg.InvokeResponse_Error
		switch {
		case tt.errName != "" && (!errors.As(err, &ie) || ie.Type != tt.errName):
			t.Errorf("error %v, want %s", err, tt.errName)
		case tt.errName == "" && err != nil:
			t.Errorf("error %v", err)
		}
		var want []string
		if tt.call != "" {
			want = []string{tt.call}
		}
		if !reflect.DeepEqual(f.got, want) {
			t.Errorf("calls %q, want %q", f.got, want)
		}
	})
}

// TestNextReviewsASubmittedCase: a wait handed back "submitted" is
// reviewed, then the case goes back to the loop as it is after the review.
func TestNextReviewsASubmittedCase(t *testing.T) {
	f := &fakeUseCases{}
	if _, err := newHandler(f).Handle(context.Background(), messages.Task{Task: "next", CaseID: "as_1", Status: "submitted", Token: "tok", WaitSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Review as_1", "EndWait as_1 loop:tok"}; !reflect.DeepEqual(f.got, want) {
		t.Errorf("calls %q, want %q", f.got, want)
	}
}
