package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// sdkEnv is a service behind an httptest server with the real SDK client.
type sdkEnv struct {
	clock  *vclock.Clock
	svc    *Service
	client *sfn.Client
	url    string
	tokens chan string
}

func newSDKEnv(t *testing.T) *sdkEnv {
	t.Helper()
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	client := sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:   srv.Client(),
	})
	env := &sdkEnv{clock: c, svc: s, client: client, url: srv.URL, tokens: make(chan string, 16)}
	s.RegisterFunction("collect-token", func(_ context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var in struct{ Token string }
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		env.tokens <- in.Token
		return json.RawMessage(`{}`), nil
	})
	return env
}

func (env *sdkEnv) create(t *testing.T, name, def string) string {
	t.Helper()
	out, err := env.client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::123456789012:role/sfn"),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	return *out.StateMachineArn
}

func (env *sdkEnv) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func (env *sdkEnv) describe(t *testing.T, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	env.idle(t)
	out, err := env.client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	return out
}

func (env *sdkEnv) token(t *testing.T) string {
	t.Helper()
	env.idle(t)
	select {
	case tok := <-env.tokens:
		return tok
	default:
		t.Fatal("no task token was handed to the function")
		return ""
	}
}

const tokenMachine = `{"StartAt":"Approve","States":{
  "Approve":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
    "HeartbeatSeconds":10,"TimeoutSeconds":3600,
    "Parameters":{"FunctionName":"collect-token","Payload":{"Token.$":"$$.Task.Token","case.$":"$.case"}},
    "ResultPath":"$.decision","Next":"Done"},
  "Done":{"Type":"Succeed"}}}`

func TestSDKStartDescribeAndHistory(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	arn := env.create(t, "refund", `{"StartAt":"Hold","States":{
		"Hold":{"Type":"Wait","Seconds":172800,"Next":"Decide"},
		"Decide":{"Type":"Choice","Choices":[{"Variable":"$.amount","NumericLessThan":5000,"Next":"Approve"}],"Default":"Reject"},
		"Approve":{"Type":"Pass","Result":"approved","ResultPath":"$.outcome","End":true},
		"Reject":{"Type":"Fail","Error":"AfterSales.TooExpensive","Cause":"needs review"}}}`)
	start, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("case-1"), Input: aws.String(`{"amount":1999}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(*start.ExecutionArn, ":execution:refund:case-1") || !start.StartDate.Equal(conformanceStart) {
		t.Fatalf("StartExecution = %s at %v", *start.ExecutionArn, start.StartDate)
	}
	if d := env.describe(t, *start.ExecutionArn); d.Status != types.ExecutionStatusRunning || d.StopDate != nil {
		t.Fatalf("before the wait elapsed: status %s stop %v", d.Status, d.StopDate)
	}
	env.clock.Advance(48 * time.Hour)
	d := env.describe(t, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusSucceeded || *d.Output != `{"amount":1999,"outcome":"approved"}` {
		t.Fatalf("after 48h: status %s output %v", d.Status, aws.ToString(d.Output))
	}
	if !d.StopDate.Equal(conformanceStart.Add(48*time.Hour)) || *d.Input != `{"amount":1999}` || *d.Name != "case-1" || *d.StateMachineArn != arn {
		t.Fatalf("describe = %+v", d)
	}

	// Page through the history two events at a time with the SDK's
	// paginator, which exercises nextToken.
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(env.client, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 2})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Events...)
	}
	var typesSeen []string
	for i, ev := range events {
		typesSeen = append(typesSeen, string(ev.Type))
		if ev.Id != int64(i+1) {
			t.Errorf("event %d has id %d", i, ev.Id)
		}
	}
	want := []string{"ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if strings.Join(typesSeen, ",") != strings.Join(want, ",") {
		t.Fatalf("history %v, want %v", typesSeen, want)
	}
	if got := events[1].StateEnteredEventDetails; got == nil || *got.Name != "Hold" || *got.Input != `{"amount":1999}` {
		t.Errorf("WaitStateEntered details = %+v", got)
	}
	if !events[2].Timestamp.Equal(conformanceStart.Add(48 * time.Hour)) {
		t.Errorf("WaitStateExited at %v, want 48h after start", events[2].Timestamp)
	}
	if got := events[7].ExecutionSucceededEventDetails; got == nil || *got.Output != *d.Output {
		t.Errorf("ExecutionSucceeded details = %+v", got)
	}
	if got := events[0].ExecutionStartedEventDetails; got == nil || *got.Input != `{"amount":1999}` {
		t.Errorf("ExecutionStarted details = %+v", got)
	}

	rev, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, MaxResults: 1, IncludeExecutionData: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Events) != 1 || rev.Events[0].Type != types.HistoryEventTypeExecutionSucceeded || aws.ToString(rev.Events[0].ExecutionSucceededEventDetails.Output) != "" || rev.NextToken == nil {
		t.Fatalf("reverse page = %+v", rev)
	}
	if _, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, NextToken: aws.String("garbage")}); !errorAs[*types.InvalidToken](err) {
		t.Fatalf("bad nextToken: %v, want *types.InvalidToken", err)
	}
}

func errorAs[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestSDKTaskTokenRoundTrip(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	arn := env.create(t, "approval", tokenMachine)
	start, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("c-1"), Input: aws.String(`{"case":"c-1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.token(t)
	if len(tok) < 80 {
		t.Fatalf("task token %q is too short to be unguessable", tok)
	}
	if _, err := env.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)}); err != nil {
		t.Fatalf("SendTaskHeartbeat: %v", err)
	}
	if _, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{not json`)}); !errorAs[*types.InvalidOutput](err) {
		t.Fatalf("invalid output: %v, want *types.InvalidOutput", err)
	}
	if _, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"approved":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	d := env.describe(t, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusSucceeded || *d.Output != `{"case":"c-1","decision":{"approved":true}}` {
		t.Fatalf("status %s output %s", d.Status, aws.ToString(d.Output))
	}
	// A token can be used once; afterwards the service says it timed out.
	_, err = env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)})
	if !errorAs[*types.TaskTimedOut](err) {
		t.Fatalf("second SendTaskSuccess: %v, want *types.TaskTimedOut", err)
	}
	hist, err := env.svc.History(*start.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	var sched *HistoryEvent
	for i := range hist {
		if hist[i].Type == "TaskScheduled" {
			sched = &hist[i]
		}
	}
	if sched == nil || sched.Resource != "invoke.waitForTaskToken" || sched.HeartbeatInSeconds != 10 || !strings.Contains(sched.Parameters, tok) {
		t.Fatalf("TaskScheduled = %+v", sched)
	}
}

func TestSDKSendTaskFailure(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	arn := env.create(t, "approval", tokenMachine)
	start, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"case":"c-2"}`)})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.token(t)
	if _, err := env.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tok), Error: aws.String("AfterSales.Rejected"), Cause: aws.String("no receipt")}); err != nil {
		t.Fatal(err)
	}
	d := env.describe(t, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusFailed || *d.Error != "AfterSales.Rejected" || *d.Cause != "no receipt" {
		t.Fatalf("describe = %s %v %v", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
}

func TestSDKHeartbeatTimeout(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	arn := env.create(t, "approval", tokenMachine)
	start, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"case":"c-3"}`)})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.token(t)
	env.clock.Advance(8 * time.Second)
	if _, err := env.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)}); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(9 * time.Second) // t=17s: 9s since the heartbeat
	if d := env.describe(t, *start.ExecutionArn); d.Status != types.ExecutionStatusRunning {
		t.Fatalf("heartbeat did not extend the deadline: %s %v", d.Status, aws.ToString(d.Error))
	}
	env.clock.Advance(time.Second) // t=18s: 10s since the heartbeat
	d := env.describe(t, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusFailed || *d.Error != ErrHeartbeatTimeout {
		t.Fatalf("status %s error %v, want FAILED %s", d.Status, aws.ToString(d.Error), ErrHeartbeatTimeout)
	}
	if !d.StopDate.Equal(conformanceStart.Add(18 * time.Second)) {
		t.Fatalf("stopped at %v, want 18s after start", d.StopDate)
	}
	if _, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)}); !errorAs[*types.TaskTimedOut](err) {
		t.Fatalf("SendTaskSuccess after timeout: %v, want *types.TaskTimedOut", err)
	}
	if _, err := env.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)}); !errorAs[*types.TaskTimedOut](err) {
		t.Fatalf("SendTaskHeartbeat after timeout: %v, want *types.TaskTimedOut", err)
	}
}

func TestSDKStopExecution(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	arn := env.create(t, "approval", tokenMachine)
	start, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("stop-me"), Input: aws.String(`{"case":"c-4"}`)})
	if err != nil {
		t.Fatal(err)
	}
	tok := env.token(t)
	env.clock.Advance(5 * time.Second)
	stop, err := env.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: start.ExecutionArn, Error: aws.String("Customer.Cancelled"), Cause: aws.String("changed their mind")})
	if err != nil {
		t.Fatal(err)
	}
	if !stop.StopDate.Equal(conformanceStart.Add(5 * time.Second)) {
		t.Fatalf("stopDate %v", stop.StopDate)
	}
	d := env.describe(t, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusAborted || *d.Error != "Customer.Cancelled" || *d.Cause != "changed their mind" {
		t.Fatalf("describe = %s %v %v", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	if env.clock.Pending() != 0 {
		t.Fatalf("%d timers still pending after stop", env.clock.Pending())
	}
	if _, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)}); !errorAs[*types.TaskTimedOut](err) {
		t.Fatalf("SendTaskSuccess after stop: %v, want *types.TaskTimedOut", err)
	}
	h, err := env.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	last := h.Events[0]
	if last.Type != types.HistoryEventTypeExecutionAborted || aws.ToString(last.ExecutionAbortedEventDetails.Error) != "Customer.Cancelled" {
		t.Fatalf("last event %s %+v", last.Type, last.ExecutionAbortedEventDetails)
	}
	if h.Events[1].Type != types.HistoryEventTypeTaskStateAborted {
		t.Fatalf("event before ExecutionAborted is %s, want TaskStateAborted", h.Events[1].Type)
	}
	list, err := env.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusAborted})
	if err != nil || len(list.Executions) != 1 || *list.Executions[0].Name != "stop-me" {
		t.Fatalf("ListExecutions(ABORTED) = %+v, %v", list, err)
	}
	list, err = env.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusRunning})
	if err != nil || len(list.Executions) != 0 {
		t.Fatalf("ListExecutions(RUNNING) = %+v, %v", list, err)
	}
}

func TestSDKIdempotentStart(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	arn := env.create(t, "approval", tokenMachine)
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("case-42"), Input: aws.String(`{"case":"c-42"}`)}
	first, err := env.client.StartExecution(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Second)
	again, err := env.client.StartExecution(ctx, in)
	if err != nil {
		t.Fatalf("same name and input while running: %v", err)
	}
	if *again.ExecutionArn != *first.ExecutionArn || !again.StartDate.Equal(*first.StartDate) {
		t.Fatalf("second start = %s at %v, want %s at %v", *again.ExecutionArn, again.StartDate, *first.ExecutionArn, first.StartDate)
	}
	_, err = env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("case-42"), Input: aws.String(`{"case":"other"}`)})
	if !errorAs[*types.ExecutionAlreadyExists](err) {
		t.Fatalf("same name, other input: %v, want *types.ExecutionAlreadyExists", err)
	}
	if _, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(env.token(t)), Output: aws.String(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if d := env.describe(t, *first.ExecutionArn); d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s", d.Status)
	}
	if _, err = env.client.StartExecution(ctx, in); !errorAs[*types.ExecutionAlreadyExists](err) {
		t.Fatalf("same name and input after it closed: %v, want *types.ExecutionAlreadyExists", err)
	}
	if len(env.tokens) != 0 {
		t.Fatal("the idempotent start ran the task a second time")
	}
}

func TestSDKErrors(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	arn := env.create(t, "m", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)
	unknownToken := newToken()
	tests := []struct {
		name  string
		call  func() error
		check func(error) bool
		want  string
	}{
		{"unknown task token", func() error {
			_, err := env.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(unknownToken), Output: aws.String(`{}`)})
			return err
		}, errorAs[*types.TaskDoesNotExist], "*types.TaskDoesNotExist"},
		{"malformed task token", func() error {
			_, err := env.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String("not-a-token")})
			return err
		}, errorAs[*types.InvalidToken], "*types.InvalidToken"},
		{"heartbeat for unknown token", func() error {
			_, err := env.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(unknownToken)})
			return err
		}, errorAs[*types.TaskDoesNotExist], "*types.TaskDoesNotExist"},
		{"invalid definition", func() error {
			_, err := env.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), RoleArn: aws.String("arn:aws:iam::123456789012:role/x"),
				Definition: aws.String(`{"StartAt":"Put","States":{"Put":{"Type":"Task","Resource":"arn:aws:swf:us-east-1:123456789012:task:Put","End":true}}}`)})
			var e *types.InvalidDefinition
			if errors.As(err, &e) && (!strings.Contains(e.ErrorMessage(), `state "Put"`) || !strings.Contains(e.ErrorMessage(), `field "Resource"`)) {
				return errors.New("message does not name state and field: " + e.ErrorMessage())
			}
			return err
		}, errorAs[*types.InvalidDefinition], "*types.InvalidDefinition naming state and field"},
		{"state machine exists with another definition", func() error {
			_, err := env.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), RoleArn: aws.String("arn:aws:iam::123456789012:role/sfn"),
				Definition: aws.String(`{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}`)})
			return err
		}, errorAs[*types.StateMachineAlreadyExists], "*types.StateMachineAlreadyExists"},
		{"unknown state machine", func() error {
			_, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn + "-nope")})
			return err
		}, errorAs[*types.StateMachineDoesNotExist], "*types.StateMachineDoesNotExist"},
		{"unknown execution", func() error {
			_, err := env.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:m:nope")})
			return err
		}, errorAs[*types.ExecutionDoesNotExist], "*types.ExecutionDoesNotExist"},
		{"invalid execution input", func() error {
			_, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{`)})
			return err
		}, errorAs[*types.InvalidExecutionInput], "*types.InvalidExecutionInput"},
		{"invalid execution name", func() error {
			_, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("has space")})
			return err
		}, errorAs[*types.InvalidName], "*types.InvalidName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !tc.check(err) {
				t.Fatalf("got %v (%T), want %s", err, err, tc.want)
			}
		})
	}
}

func TestSDKStateMachines(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`
	arnB := env.create(t, "b-machine", def)
	arnA := env.create(t, "a-machine", def)
	if again := env.create(t, "a-machine", def); again != arnA {
		t.Fatalf("re-creating with the same definition returned %s, want %s", again, arnA)
	}
	d, err := env.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arnB)})
	if err != nil || *d.Definition != def || *d.Name != "b-machine" || d.Type != types.StateMachineTypeStandard || d.Status != types.StateMachineStatusActive {
		t.Fatalf("DescribeStateMachine = %+v, %v", d, err)
	}
	list, err := env.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 2 || *list.StateMachines[0].Name != "a-machine" {
		t.Fatalf("ListStateMachines = %+v, %v", list, err)
	}
	if _, err := env.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("x"), RoleArn: aws.String("r"), Definition: aws.String(def), Type: types.StateMachineTypeExpress}); err == nil {
		t.Fatal("EXPRESS state machines were accepted")
	}
}

func TestDescribeExecutionBillingField(t *testing.T) {
	env := newSDKEnv(t)
	arn := env.create(t, "m", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}}`)
	e, err := env.svc.StartExecution(arn, "x", "")
	if err != nil {
		t.Fatal(err)
	}
	env.idle(t)
	req, _ := http.NewRequest(http.MethodPost, env.url, strings.NewReader(`{"executionArn":"`+e.ARN+`"}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.DescribeExecution")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got["billedStateTransitions"] != float64(2) || got["status"] != "SUCCEEDED" || resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("raw DescribeExecution = %s", body)
	}

	// Unknown operations are refused the way the service does.
	req, _ = http.NewRequest(http.MethodPost, env.url, strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.CreateActivity")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	body, _ = io.ReadAll(resp2.Body)
	if resp2.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"__type":"UnknownOperationException"`) {
		t.Fatalf("unknown operation: %d %s", resp2.StatusCode, body)
	}
}

// TestSDKValidateUpdateAndDescribeForExecution drives the three definition
// APIs through the real SDK client: ValidateStateMachineDefinition reports
// OK or the first problem with its code and location; UpdateStateMachine
// replaces the definition for new executions while a running one keeps
// the definition it started with, as DescribeStateMachineForExecution shows.
func TestSDKValidateUpdateAndDescribeForExecution(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()

	validate := []struct {
		name, def, result, code, location string
	}{
		{"valid", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "OK", "", ""},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}`, "FAIL", "MISSING_END_STATE", "/States"},
		{"bad field", `{"StartAt":"A","States":{"A":{"Type":"Pass","Bogus":1,"End":true}}}`, "FAIL", "SCHEMA_VALIDATION_FAILED", "/States/A/Bogus"},
	}
	for _, tc := range validate {
		t.Run("validate "+tc.name, func(t *testing.T) {
			out, err := env.client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(tc.def)})
			if err != nil {
				t.Fatal(err)
			}
			if string(out.Result) != tc.result {
				t.Fatalf("result %s, want %s (%+v)", out.Result, tc.result, out.Diagnostics)
			}
			if tc.code == "" {
				if len(out.Diagnostics) != 0 {
					t.Fatalf("diagnostics %+v, want none", out.Diagnostics)
				}
				return
			}
			if len(out.Diagnostics) != 1 || aws.ToString(out.Diagnostics[0].Code) != tc.code || aws.ToString(out.Diagnostics[0].Location) != tc.location || out.Diagnostics[0].Severity != types.ValidateStateMachineDefinitionSeverityError {
				t.Fatalf("diagnostics %+v, want one ERROR %s at %s", out.Diagnostics, tc.code, tc.location)
			}
		})
	}

	const v1 = `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":60,"Next":"Say"},"Say":{"Type":"Pass","Result":"v1","End":true}}}`
	const v2 = `{"StartAt":"Say","States":{"Say":{"Type":"Pass","Result":"v2","End":true}}}`
	arn := env.create(t, "versioned", v1)
	first, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	env.idle(t)
	if _, err := env.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(`{"StartAt":"A","States":{}}`)}); !errorAs[*types.InvalidDefinition](err) {
		t.Fatalf("update with an invalid definition: %v, want InvalidDefinition", err)
	}
	if _, err := env.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(v2)}); err != nil {
		t.Fatalf("UpdateStateMachine: %v", err)
	}
	second, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("second")})
	if err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Minute)
	env.idle(t)
	for _, tc := range []struct {
		arn       *string
		def, want string
	}{{first.ExecutionArn, v1, `"v1"`}, {second.ExecutionArn, v2, `"v2"`}} {
		d := env.describe(t, aws.ToString(tc.arn))
		if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != tc.want {
			t.Errorf("%s: %s %s, want SUCCEEDED %s", aws.ToString(tc.arn), d.Status, aws.ToString(d.Output), tc.want)
		}
		m, err := env.client.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: tc.arn})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(m.Definition) != tc.def || aws.ToString(m.StateMachineArn) != arn {
			t.Errorf("DescribeStateMachineForExecution(%s) = %s, want %s", aws.ToString(tc.arn), aws.ToString(m.Definition), tc.def)
		}
	}
	if d, err := env.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil || aws.ToString(d.Definition) != v2 {
		t.Errorf("DescribeStateMachine after update = %v, %v; want the new definition", d, err)
	}
}

// TestRedriveExecution fails an execution in its second state, redrives
// it through the SDK, and checks that it resumes there: the first state is
// not run again, the failed one is, $$.Execution.RedriveCount is 1, and
// the history records ExecutionRedriven. A succeeded execution cannot be
// redriven.
func TestRedriveExecution(t *testing.T) {
	env := newSDKEnv(t)
	ctx := context.Background()
	calls := &sync.Map{}
	testFunctions(env.svc, calls)
	arn := env.create(t, "redrive", `{"StartAt":"Echo","States":{
	  "Echo":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","Next":"Flaky"},
	  "Flaky":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky","ResultPath":"$.flaky","Next":"Count"},
	  "Count":{"Type":"Pass","Parameters":{"attempt.$":"$.flaky.attempt","redrives.$":"$$.Execution.RedriveCount"},"End":true}}}`)
	start, err := env.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"failures":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	env.idle(t)
	d := env.describe(t, aws.ToString(start.ExecutionArn))
	if d.Status != types.ExecutionStatusFailed || d.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
		t.Fatalf("first run: %s %s, want FAILED and REDRIVABLE", d.Status, d.RedriveStatus)
	}
	if _, err := env.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: start.ExecutionArn}); err != nil {
		t.Fatalf("RedriveExecution: %v", err)
	}
	env.idle(t)
	d = env.describe(t, aws.ToString(start.ExecutionArn))
	if d.Status != types.ExecutionStatusSucceeded || aws.ToInt32(d.RedriveCount) != 1 {
		t.Fatalf("after redrive: %s redriveCount %d (%s)", d.Status, aws.ToInt32(d.RedriveCount), aws.ToString(d.Cause))
	}
	assertJSONEqual(t, "output", aws.ToString(d.Output), `{"attempt":2,"redrives":1}`)
	for name, want := range map[string]int64{"echo": 1, "flaky": 2} {
		v, _ := calls.Load(name)
		callsMu.Lock()
		got := *(v.(*int64))
		callsMu.Unlock()
		if got != want {
			t.Errorf("%s called %d times, want %d", name, got, want)
		}
	}
	h, _ := env.svc.History(aws.ToString(start.ExecutionArn))
	redriven := false
	for _, ev := range h {
		redriven = redriven || (ev.Type == "ExecutionRedriven" && ev.RedriveCount == 1)
	}
	if !redriven {
		t.Error("no ExecutionRedriven event in the history")
	}
	if _, err := env.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: start.ExecutionArn}); !errorAs[*types.ExecutionNotRedrivable](err) {
		t.Fatalf("redriving a succeeded execution: %v, want ExecutionNotRedrivable", err)
	}
}
