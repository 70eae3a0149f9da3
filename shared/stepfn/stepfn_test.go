package stepfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/aftersales/aftersales/infra/local/sfnlocal"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/messages"
	"github.com/aftersales/aftersales/shared/stepfn"
)

// waitMachine hands its task token to the "collect" function and waits
// for it; the wait's result becomes the execution's output.
const waitMachine = `{"StartAt":"Wait","States":{
  "Wait":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters":{"FunctionName":"collect","Payload":{"token.$":"$$.Task.Token","case_id.$":"$.case_id"}},
    "TimeoutSeconds":3600,"End":true}}}`

// env is the adapter on the real SDK client, talking to the local Step
// Functions over HTTP.
type env struct {
	client *sfn.Client
	svc    *sfnlocal.Service
	wf     *stepfn.Workflows
	tokens chan string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	svc := sfnlocal.New(sfnlocal.Options{Clock: vclock.New(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)), SettleGrace: 50 * time.Millisecond})
	t.Cleanup(svc.Close)
	e := &env{svc: svc, tokens: make(chan string, 8)}
	svc.RegisterFunction("collect", func(_ context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var in struct{ Token string }
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		e.tokens <- in.Token
		return json.RawMessage(`{}`), nil
	})
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	e.client = newClient(srv)
	out, err := e.client.CreateStateMachine(t.Context(), &sfn.CreateStateMachineInput{Name: aws.String("case"),
		Definition: aws.String(waitMachine), RoleArn: aws.String("arn:aws:iam::123456789012:role/sfn")})
	if err != nil {
		t.Fatal(err)
	}
	e.wf = stepfn.New(e.client, *out.StateMachineArn)
	return e
}

func newClient(srv *httptest.Server) *sfn.Client {
	return sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), RetryMaxAttempts: 1})
}

// token waits for the running execution's task token.
func (e *env) token(t *testing.T) string {
	t.Helper()
	select {
	case tok := <-e.tokens:
		return tok
	case <-time.After(10 * time.Second):
		t.Fatal("no task token reached the function")
		return ""
	}
}

// executions lists the state machine's executions by status.
func (e *env) executions(t *testing.T) map[types.ExecutionStatus]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := e.svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	machines, err := e.client.ListStateMachines(t.Context(), &sfn.ListStateMachinesInput{})
	if err != nil || len(machines.StateMachines) != 1 {
		t.Fatalf("state machines %v, %v", machines, err)
	}
	out, err := e.client.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: machines.StateMachines[0].StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	n := map[types.ExecutionStatus]int{}
	for _, x := range out.Executions {
		n[x.Status]++
	}
	return n
}

// TestStartIsOncePerCase: a case's workflow is started once however often
// Start is called (a redelivered intake message, the sweeper), while it
// runs and after it has ended.
func TestStartIsOncePerCase(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		if err := e.wf.Start(t.Context(), "as_1"); err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
	}
	if n := e.executions(t); n[types.ExecutionStatusRunning] != 1 || len(n) != 1 {
		t.Fatalf("executions %v, want one running", n)
	}
	if err := e.wf.CompleteWait(t.Context(), e.token(t), aftersales.StepResult{CaseID: "as_1", Status: aftersales.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
	if err := e.wf.Start(t.Context(), "as_1"); err != nil {
		t.Fatalf("start after the end: %v, want done already", err)
	}
	if n := e.executions(t); n[types.ExecutionStatusSucceeded] != 1 || len(n) != 1 {
		t.Fatalf("executions %v, want the one, succeeded", n)
	}
}

// TestStartRunAfterTheEnd: a later run of an ended case's workflow (a
// dispute of a completed case) is a second execution, itself started once.
func TestStartRunAfterTheEnd(t *testing.T) {
	e := newEnv(t)
	if err := e.wf.Start(t.Context(), "as_4"); err != nil {
		t.Fatal(err)
	}
	if err := e.wf.CompleteWait(t.Context(), e.token(t), aftersales.StepResult{CaseID: "as_4", Status: aftersales.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := e.wf.StartRun(t.Context(), "as_4", "dispute"); err != nil {
			t.Fatalf("start run %d: %v", i, err)
		}
	}
	if n := e.executions(t); n[types.ExecutionStatusSucceeded] != 1 || n[types.ExecutionStatusRunning] != 1 {
		t.Fatalf("executions %v, want the first succeeded and the dispute run running", n)
	}
}

// TestCompleteWait: the wait's result reaches the workflow in the task
// result's wire format, and a token that can no longer be completed is
// ErrWaitGone (a conflict), not a failure to retry.
func TestCompleteWait(t *testing.T) {
	e := newEnv(t)
	if err := e.wf.Start(t.Context(), "as_2"); err != nil {
		t.Fatal(err)
	}
	tok := e.token(t)
	if err := e.wf.CompleteWait(t.Context(), tok, aftersales.StepResult{CaseID: "as_2", Status: aftersales.StatusAwaitingReturn, WaitSeconds: 604800}); err != nil {
		t.Fatal(err)
	}
	e.executions(t)
	out, err := e.client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{
		ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:case:as_2")})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatalf("output %q: %v", aws.ToString(out.Output), err)
	}
	if got["case_id"] != "as_2" || got["status"] != "awaiting_return" || got["wait_seconds"] != float64(604800) {
		t.Fatalf("workflow got %v", got)
	}

	tests := []struct{ name, token string }{
		{"completed already", tok},
		{"not a token", "nonsense"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := e.wf.CompleteWait(t.Context(), tc.token, aftersales.StepResult{CaseID: "as_2", Status: aftersales.StatusCompleted})
			var ae *aftersales.Error
			if !errors.Is(err, aftersales.ErrWaitGone) || !errors.As(err, &ae) || ae.Kind != aftersales.KindConflict {
				t.Fatalf("got %v, want ErrWaitGone as a conflict", err)
			}
		})
	}
}

// TestServiceTroubleIsTransient: throttling and server errors are marked
// transient, for the caller's retry with backoff.
func TestServiceTroubleIsTransient(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"throttled", http.StatusBadRequest, `{"__type":"ThrottlingException","message":"Rate exceeded"}`},
		{"server error", http.StatusInternalServerError, `{"__type":"InternalServerError","message":"boom"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			wf := stepfn.New(newClient(srv), "arn:aws:states:us-east-1:123456789012:stateMachine:case")
			calls := map[string]error{
				"start":    wf.Start(t.Context(), "as_3"),
				"complete": wf.CompleteWait(t.Context(), "tok", aftersales.StepResult{CaseID: "as_3", Status: aftersales.StatusCompleted}),
			}
			for name, err := range calls {
				var ae *aftersales.Error
				if !errors.As(err, &ae) || ae.Kind != aftersales.KindTransient {
					t.Errorf("%s: got %v, want a transient error", name, err)
				}
			}
		})
	}
}

// TestThrottlingIsRetried: with the functions' retryer (awsenv.Retryer), a
// StartExecution or SendTaskSuccess answered ThrottlingException by the
// account's token bucket is retried with back-off until the bucket has a
// token; only a throttle outlasting every attempt reaches the caller, as a
// transient error (its queue message is retried, never dead-lettered for
// it alone).
func TestThrottlingIsRetried(t *testing.T) {
	for _, tc := range []struct {
		name      string
		throttled int // calls refused before the bucket has a token again
		wantErr   bool
	}{
		{name: "a few throttles are absorbed", throttled: 5},
		{name: "throttled on every attempt", throttled: awsenv.RetryMaxAttempts, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var refused atomic.Int64
			var calls atomic.Int64
			svc := sfnlocal.New(sfnlocal.Options{Clock: vclock.New(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)), SettleGrace: 50 * time.Millisecond,
				Throttle: func(op string) bool {
					if op != "StartExecution" && op != "SendTaskSuccess" {
						return true
					}
					calls.Add(1)
					return refused.Add(1) > int64(tc.throttled)
				}})
			t.Cleanup(svc.Close)
			tokens := make(chan string, 1)
			svc.RegisterFunction("collect", func(_ context.Context, payload json.RawMessage) (json.RawMessage, error) {
				var in struct{ Token string }
				_ = json.Unmarshal(payload, &in)
				tokens <- in.Token
				return json.RawMessage(`{}`), nil
			})
			srv := httptest.NewServer(svc.Handler())
			t.Cleanup(srv.Close)
			ac := awsenv.Local("us-east-1")
			// The retryer as deployed, with its back-off shortened so the
			// test does not wait seconds for it.
			ac.Retryer = func() aws.Retryer { return retry.AddWithMaxBackoffDelay(awsenv.Retryer(), time.Millisecond) }
			client := awsenv.SFN(ac, srv.URL)
			m, err := svc.CreateStateMachine("case", waitMachine, nil)
			if err != nil {
				t.Fatal(err)
			}
			wf := stepfn.New(client, m.ARN)
			err = wf.Start(t.Context(), "as_1")
			if tc.wantErr {
				if aftersales.KindOf(err) != aftersales.KindTransient || calls.Load() != awsenv.RetryMaxAttempts {
					t.Fatalf("throttled on all %d attempts: %v after %d calls, want a transient error after %d", tc.throttled, err, calls.Load(), awsenv.RetryMaxAttempts)
				}
				return
			}
			if err != nil || calls.Load() != int64(tc.throttled)+1 {
				t.Fatalf("start: %v after %d calls, want success on call %d", err, calls.Load(), tc.throttled+1)
			}
			refused.Store(0)
			calls.Store(0)
			var tok string
			select {
			case tok = <-tokens:
			case <-time.After(10 * time.Second):
				t.Fatal("no task token")
			}
			if err := wf.CompleteWait(t.Context(), tok, aftersales.StepResult{CaseID: "as_1", Status: aftersales.StatusCompleted}); err != nil || calls.Load() != int64(tc.throttled)+1 {
				t.Fatalf("complete: %v after %d calls", err, calls.Load())
			}
		})
	}
}

// TestCompleteWaitOfTheLoop: a wait of the wait loop (its token marked by
// messages.LoopToken) ends with AfterSales.Next and the next wait when the
// case waits again, with success when it needs no more waiting; an
// unmarked token (an execution of the former definition) always gets
// SendTaskSuccess.
func TestCompleteWaitOfTheLoop(t *testing.T) {
	for _, tc := range []struct {
		name       string
		loop       bool
		status     aftersales.Status
		wantStatus string // the execution's status
		wantError  string // the execution's error (the machine has no Catch)
	}{
		{name: "loop, case completed: success", loop: true, status: aftersales.StatusCompleted, wantStatus: "SUCCEEDED"},
		{name: "loop, case waits again: Next", loop: true, status: aftersales.StatusAwaitingReturn, wantStatus: "FAILED", wantError: messages.Next},
		{name: "loop, case back to submitted: Next", loop: true, status: aftersales.StatusSubmitted, wantStatus: "FAILED", wantError: messages.Next},
		{name: "former definition, case completed: success", status: aftersales.StatusCompleted, wantStatus: "SUCCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.wf.Start(t.Context(), "as_3"); err != nil {
				t.Fatal(err)
			}
			tok := e.token(t)
			if tc.loop {
				tok = messages.LoopToken(tok)
			}
			if err := e.wf.CompleteWait(t.Context(), tok, aftersales.StepResult{CaseID: "as_3", Status: tc.status}); err != nil {
				t.Fatal(err)
			}
			e.executions(t)
			out, err := e.client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{
				ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:case:as_3")})
			if err != nil {
				t.Fatal(err)
			}
			if string(out.Status) != tc.wantStatus || aws.ToString(out.Error) != tc.wantError {
				t.Fatalf("execution %s error %q, want %s %q", out.Status, aws.ToString(out.Error), tc.wantStatus, tc.wantError)
			}
			if tc.wantError != "" && !strings.Contains(aws.ToString(out.Cause), `"wait_seconds":60`) {
				t.Errorf("cause %s: the loop's next wait needs a positive timeout", aws.ToString(out.Cause))
			}
		})
	}
}
