package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/vclock"
)

func waitIdle(t testing.TB, s *Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// atMostGoroutines waits until at most limit goroutines run, failing after
// a deadline: goroutines that finished their work need a moment to exit.
func atMostGoroutines(t *testing.T, limit int, when string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() {
		g := runtime.NumGoroutine()
		if g <= limit {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines %s, want at most %d", g, when, limit)
		}
	}
}

// TestThousandsOfWaitingExecutionsHoldNoGoroutine starts thousands of
// executions that all wait (on a task token, then on a Wait state), checks
// that waiting costs no goroutine, completes them all, and checks that no
// goroutine is left behind.
func TestThousandsOfWaitingExecutionsHoldNoGoroutine(t *testing.T) {
	const n = 3000
	c := vclock.New(conformanceStart)
	s := New(Options{Clock: c, Workers: 8})
	defer s.Close()
	var mu sync.Mutex
	tokens := make([]string, 0, n)
	s.RegisterFunction("collect", func(_ context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var in struct{ Token string }
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		mu.Lock()
		tokens = append(tokens, in.Token)
		mu.Unlock()
		return json.RawMessage(`{}`), nil
	})
	m, err := s.CreateStateMachine("scale", `{"StartAt":"Ask","States":{
		"Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"collect","Payload":{"Token.$":"$$.Task.Token"}},"ResultPath":"$.answer","Next":"Cool"},
		"Cool":{"Type":"Wait","Seconds":3600,"Next":"Done"},
		"Done":{"Type":"Succeed"}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	baseline := runtime.NumGoroutine()
	arns := make([]string, n)
	for i := range arns {
		e, err := s.StartExecution(m.ARN, fmt.Sprintf("e-%d", i), fmt.Sprintf(`{"i":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		arns[i] = e.ARN
	}
	waitIdle(t, s)
	mu.Lock()
	got := len(tokens)
	mu.Unlock()
	if got != n {
		t.Fatalf("%d tokens handed out, want %d", got, n)
	}
	// Workers and handler goroutines exit right after their last item: poll
	// (with a deadline) rather than sample once, which flaked under load.
	atMostGoroutines(t, baseline+4, fmt.Sprintf("while %d executions wait on task tokens", n))
	// Workers exit right after their last item; allow them that moment.
	for deadline := time.Now().Add(10 * time.Second); s.pool.workerCount() != 0; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers alive while everything waits", s.pool.workerCount())
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if err := s.SendTaskSuccess(tokens[i], `"ok"`); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	waitIdle(t, s)
	if p := c.Pending(); p != n {
		t.Fatalf("%d timers pending, want one Wait timer per execution (%d)", p, n)
	}
	atMostGoroutines(t, baseline+4, fmt.Sprintf("while %d executions sit in a Wait state", n))
	c.Advance(time.Hour)
	waitIdle(t, s)
	met := s.Metrics()
	if met.Succeeded != n || met.Running != 0 || met.ExecutionsStarted != n || met.BilledTransitions != 3*n {
		t.Fatalf("metrics = %+v", met)
	}
	for _, arn := range []string{arns[0], arns[n-1]} {
		d, _ := s.DescribeExecution(arn)
		if d.Status != StatusSucceeded || d.BilledTransitions != 3 || !strings.Contains(d.Output, `"answer":"ok"`) {
			t.Fatalf("execution %s = %+v", arn, d)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutine leak: %d > baseline %d\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

func TestWorkerPoolIsBounded(t *testing.T) {
	c := vclock.New(conformanceStart)
	s := New(Options{Clock: c, Workers: 2, HandlerWorkers: 3})
	defer s.Close()
	var running, peak atomic.Int64
	release := make(chan struct{})
	s.RegisterFunction("busy", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		now := running.Add(1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		<-release
		running.Add(-1)
		return json.RawMessage(`1`), nil
	})
	m, err := s.CreateStateMachine("bounded", `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:busy","End":true}}},"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.StartExecution(m.ARN, "", `[1,2,3,4,5,6,7,8,9,10]`)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for running.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("handlers did not start")
		}
		runtime.Gosched()
	}
	if w := s.pool.workerCount(); w > 5 {
		t.Fatalf("%d workers, want at most 2 step and 3 handler workers", w)
	}
	close(release)
	waitIdle(t, s)
	d, _ := s.DescribeExecution(e.ARN)
	if d.Status != StatusSucceeded || d.Output != "[1,1,1,1,1,1,1,1,1,1]" {
		t.Fatalf("execution = %+v", d)
	}
	if p := peak.Load(); p > 3 {
		t.Fatalf("%d handlers ran at once with 3 handler workers", p)
	}
}

func TestErrorName(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"TaskError", &TaskError{Name: "AfterSales.Transient", Cause: "x"}, "AfterSales.Transient"},
		{"wrapped TaskError", fmt.Errorf("charge: %w", &TaskError{Name: "AfterSales.Declined"}), "AfterSales.Declined"},
		{"errors.New", errors.New("boom"), "errorString"},
		{"fmt.Errorf with %w", fmt.Errorf("x: %w", errors.New("y")), "wrapError"},
		{"custom pointer type", &refundDeclined{}, "refundDeclined"},
		{"custom ErrorType", typedErr("Carrier.Down"), "Carrier.Down"},
		{"value type", valueErr{}, "valueErr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorName(tc.err); got != tc.want {
				t.Fatalf("errorName = %q, want %q", got, tc.want)
			}
		})
	}
}

type typedErr string

func (e typedErr) Error() string     { return "typed" }
func (e typedErr) ErrorType() string { return string(e) }

type valueErr struct{}

func (valueErr) Error() string { return "value" }

func TestErrorMatches(t *testing.T) {
	tests := []struct {
		name   string
		equals []string
		err    string
		want   bool
	}{
		{"exact", []string{"A", "B"}, "B", true},
		{"no match", []string{"A"}, "B", false},
		{"ALL matches custom", []string{ErrAll}, "AfterSales.X", true},
		{"ALL matches timeout", []string{ErrAll}, ErrTimeout, true},
		{"ALL does not match Runtime", []string{ErrAll}, ErrRuntime, false},
		{"TaskFailed matches custom", []string{ErrTaskFailed}, "AfterSales.X", true},
		{"TaskFailed matches heartbeat", []string{ErrTaskFailed}, ErrHeartbeatTimeout, true},
		{"TaskFailed does not match Timeout", []string{ErrTaskFailed}, ErrTimeout, false},
		{"TaskFailed does not match Runtime", []string{ErrTaskFailed}, ErrRuntime, false},
		{"Runtime named explicitly", []string{ErrRuntime}, ErrRuntime, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorMatches(tc.equals, tc.err); got != tc.want {
				t.Fatalf("errorMatches(%v, %q) = %v", tc.equals, tc.err, got)
			}
		})
	}
}

func TestFullJitterIsDeterministic(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"flaky","Payload":{"failures":1}},
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":100,"MaxAttempts":1,"JitterStrategy":"FULL"}],"End":true}}}`
	run := func(seed uint64) time.Duration {
		c := vclock.New(conformanceStart)
		s := New(Options{Clock: c, Rand: rand.New(rand.NewPCG(seed, 7))})
		defer s.Close()
		testFunctions(s, &sync.Map{})
		m, err := s.CreateStateMachine("jitter", def, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := s.StartExecution(m.ARN, "", "")
		d := runToCompletion(t, s, c, e.ARN)
		if d.Status != StatusSucceeded {
			t.Fatalf("status %s", d.Status)
		}
		return d.StopDate.Sub(d.StartDate)
	}
	want := time.Duration(100 * rand.New(rand.NewPCG(42, 7)).Float64() * float64(time.Second))
	if got := run(42); got != want {
		t.Fatalf("retry delay = %v, want %v (100s scaled by the seeded random source)", got, want)
	}
	if run(42) != run(42) {
		t.Fatal("same seed, different delays")
	}
	if run(42) == run(43) {
		t.Fatal("different seeds gave the same delay")
	}
	if want >= 100*time.Second {
		t.Fatal("FULL jitter did not shorten the delay")
	}
}

func TestUUIDIntrinsic(t *testing.T) {
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	m, err := s.CreateStateMachine("uuid", `{"StartAt":"U","States":{"U":{"Type":"Pass","Parameters":{"a.$":"States.UUID()","b.$":"States.UUID()"},"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := s.StartExecution(m.ARN, "", "")
	d := runToCompletion(t, s, c, e.ARN)
	var out struct{ A, B string }
	if err := json.Unmarshal([]byte(d.Output), &out); err != nil {
		t.Fatal(err)
	}
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !v4.MatchString(out.A) || !v4.MatchString(out.B) || out.A == out.B {
		t.Fatalf("UUIDs %q and %q", out.A, out.B)
	}
}

func TestIntrinsicParsing(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		input   string
		want    string
		wantErr string
	}{
		{"nested calls and spaces", `States.Format( '{}-{}' , States.MathAdd($.a, 1),  $.b )`, `{"a":1,"b":"x"}`, `"2-x"`, ""},
		{"bracket path with comma", `States.Format('{}', $['a,b'])`, `{"a,b":"comma"}`, `"comma"`, ""},
		{"context path", `States.Format('{}', $$.Execution.Name)`, `{}`, `"exec"`, ""},
		{"float literal", `States.Array(1.5, -2, 'x')`, `{}`, `[1.5,-2,"x"]`, ""},
		{"math add rounds floats", `States.MathAdd(1.5, 1)`, `{}`, `3`, ""},
		{"math add refuses strings at run time", `States.MathAdd($.s, 1)`, `{"s":"1"}`, "", ErrIntrinsicFailure},
		{"format refuses objects", `States.Format('{}', $)`, `{"a":1}`, "", ErrIntrinsicFailure},
		{"missing path", `States.ArrayLength($.nope)`, `{}`, "", ErrRuntime},
		{"hash algorithm", `States.Hash('x', 'CRC32')`, `{}`, "", ErrIntrinsicFailure},
		{"base64 decode invalid", `States.Base64Decode('***')`, `{}`, "", ErrIntrinsicFailure},
		{"array length of string", `States.ArrayLength($.s)`, `{"s":"abc"}`, "", ErrIntrinsicFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseIntrinsic(tc.expr)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			in, _ := decodeJSON([]byte(tc.input))
			ctx := objectOf("Execution", objectOf("Name", "exec"))
			got, serr := f.eval(env{input: in, context: func() any { return ctx }})
			if tc.wantErr != "" {
				if serr == nil || serr.Name != tc.wantErr {
					t.Fatalf("eval = %v, %v; want error %s", got, serr, tc.wantErr)
				}
				return
			}
			if serr != nil {
				t.Fatalf("eval: %v", serr)
			}
			assertJSONEqual(t, "result", encodeJSON(got), tc.want)
		})
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "ac", true},
		{"a*b*c", "a-b-b-c", true},
		{"a*b*c", "a-c-b", false},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{`a\\b`, `a\b`, true},
		{"héllo*", "héllo wörld", true},
		{"abc", "abcd", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"~"+tc.s, func(t *testing.T) {
			if got := globMatch(tc.pattern, tc.s); got != tc.want {
				t.Fatalf("globMatch(%q, %q) = %v", tc.pattern, tc.s, got)
			}
		})
	}
}

func TestCreateFromFileWithSubstitutions(t *testing.T) {
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	testFunctions(s, &sync.Map{})
	dir := t.TempDir()
	file := filepath.Join(dir, "greet.asl.json")
	def := `{"StartAt":"G","States":{"G":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"${GreetFunctionArn}","Payload":{"who":"${Audience}"}},"OutputPath":"$.Payload","End":true}}}`
	if err := os.WriteFile(file, []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := s.CreateStateMachineFromFile("greet", file, map[string]string{
		"GreetFunctionArn": "arn:aws:lambda:eu-west-1:111122223333:function:greet",
		"Audience":         "world",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Definition, "${") {
		t.Fatalf("stored definition still has placeholders: %s", m.Definition)
	}
	e, _ := s.StartExecution(m.ARN, "", "")
	if d := runToCompletion(t, s, c, e.ARN); d.Output != `"Hello, world!"` {
		t.Fatalf("output %s (%s %s)", d.Output, d.Error, d.Cause)
	}
	if _, err := s.CreateStateMachineFromFile("greet2", file, map[string]string{"Audience": "x"}); err == nil || !strings.Contains(err.Error(), "GreetFunctionArn") {
		t.Fatalf("missing substitution: %v", err)
	}
	var ae *APIError
	if _, err := s.CreateStateMachine("bad", `{"StartAt":"X"}`, nil); !errors.As(err, &ae) || ae.Code != CodeInvalidDefinition {
		t.Fatalf("invalid definition: %v", err)
	}
}

func TestTaskTokenDeliveredWhileHandlerRuns(t *testing.T) {
	// The handler answers its own token before returning: the answer must be
	// applied after TaskSubmitted, exactly once.
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	calls := &sync.Map{}
	testFunctions(s, calls)
	m, err := s.CreateStateMachine("self", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"token-reply","Payload":{"token.$":"$$.Task.Token","reply":1}},"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := s.StartExecution(m.ARN, "", "")
	d := runToCompletion(t, s, c, e.ARN)
	if d.Status != StatusSucceeded || d.Output != "1" {
		t.Fatalf("execution = %+v", d)
	}
	h, _ := s.History(e.ARN)
	var seq []string
	for _, ev := range h {
		if strings.HasPrefix(ev.Type, "Task") {
			seq = append(seq, ev.Type)
		}
	}
	want := "TaskStateEntered,TaskScheduled,TaskStarted,TaskSubmitted,TaskSucceeded,TaskStateExited"
	if strings.Join(seq, ",") != want {
		t.Fatalf("events %v, want %s", seq, want)
	}
}

func TestRealClockService(t *testing.T) {
	// The demo runs on an accelerated wall clock: a 60s Wait passes without
	// anyone calling Advance.
	c := vclock.Accelerated(600)
	s := New(Options{Clock: c})
	defer s.Close()
	m, err := s.CreateStateMachine("real", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := s.StartExecution(m.ARN, "", "")
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, _ := s.DescribeExecution(e.ARN)
		if d.Status == StatusSucceeded {
			if el := d.StopDate.Sub(d.StartDate); el < 60*time.Second || el > 10*time.Minute {
				t.Fatalf("waited %v of clock time", el)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %s after 20s of wall time", d.Status)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		<-ctx.Done() // poll interval, bounded by the deadline above
		cancel()
	}
}

func TestCloseReleasesTimers(t *testing.T) {
	c := vclock.New(conformanceStart)
	s := New(Options{Clock: c})
	m, err := s.CreateStateMachine("w", `{"TimeoutSeconds":100,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := s.StartExecution(m.ARN, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, s)
	if c.Pending() != 10 {
		t.Fatalf("%d timers pending, want 10", c.Pending())
	}
	s.Close()
	if c.Pending() != 0 {
		t.Fatalf("%d timers pending after Close", c.Pending())
	}
	if _, err := s.StartExecution(m.ARN, "", ""); err == nil {
		t.Fatal("StartExecution after Close succeeded")
	}
	c.Advance(time.Hour) // must not block on the closed service's settle hook
}

func TestRetryBackoffTimingOnTheVirtualClock(t *testing.T) {
	// Checks the exact instants of each attempt, not only the total.
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	var mu sync.Mutex
	var at []time.Duration
	s.RegisterFunction("record", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		defer mu.Unlock()
		at = append(at, c.Since(conformanceStart))
		return nil, &TaskError{Name: "AfterSales.Transient", Cause: "again"}
	})
	m, err := s.CreateStateMachine("backoff", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:record",
		"Retry":[{"ErrorEquals":["AfterSales.Transient"],"IntervalSeconds":2,"BackoffRate":2,"MaxAttempts":5,"MaxDelaySeconds":10}],"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := s.StartExecution(m.ARN, "", "")
	c.Advance(7 * 24 * time.Hour) // one Advance: every chained retry fires inside it
	waitIdle(t, s)
	d, _ := s.DescribeExecution(e.ARN)
	want := []time.Duration{0, 2 * time.Second, 6 * time.Second, 14 * time.Second, 24 * time.Second, 34 * time.Second}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(at) != fmt.Sprint(want) {
		t.Fatalf("attempts at %v, want %v", at, want)
	}
	if d.Status != StatusFailed || d.Error != "AfterSales.Transient" || d.BilledTransitions != 6 {
		t.Fatalf("execution = %+v", d)
	}
	if math.Abs(d.StopDate.Sub(d.StartDate).Seconds()-34) > 0 {
		t.Fatalf("failed after %v", d.StopDate.Sub(d.StartDate))
	}
}

// TestTimeoutsFireWhenEveryWorkerIsBlocked runs more blocking handlers than
// there are workers: Advance must still fire their timeouts, because the
// settle hook does not wait for queued calls that cannot start and a timeout
// cancels its handler's context from the timer itself.
func TestTimeoutsFireWhenEveryWorkerIsBlocked(t *testing.T) {
	c := vclock.New(conformanceStart)
	s := New(Options{Clock: c, Workers: 2, HandlerWorkers: 2, SettleGrace: 100 * time.Millisecond})
	defer s.Close()
	var started atomic.Int64
	s.RegisterFunction("block", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		started.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	m, err := s.CreateStateMachine("blocked", `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemProcessor":{"StartAt":"Call","States":{
		"Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:block","TimeoutSeconds":30,
		  "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"TimedOut"}],"End":true},
		"TimedOut":{"Type":"Pass","Result":"timeout","End":true}}},"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := s.StartExecution(m.ARN, "", `[1,2,3,4,5,6]`)
	c.Advance(30 * time.Second)
	waitIdle(t, s)
	d, _ := s.DescribeExecution(e.ARN)
	if d.Status != StatusSucceeded || d.Output != `["timeout","timeout","timeout","timeout","timeout","timeout"]` {
		t.Fatalf("execution = %+v", d)
	}
	if !d.StopDate.Equal(conformanceStart.Add(30 * time.Second)) {
		t.Fatalf("finished at %v, want 30s after start", d.StopDate)
	}
	// Each queued call got a worker when an earlier one was released by its
	// timeout, before its own timeout fired, so all six ran (as Lambda would
	// have run them concurrently).
	if n := started.Load(); n != 6 {
		t.Fatalf("%d handlers started, want 6", n)
	}
}

func TestTimedOutCallIsNotStarted(t *testing.T) {
	// A call still queued when its task times out must not run.
	c := vclock.New(conformanceStart)
	s := New(Options{Clock: c, Workers: 1, HandlerWorkers: 1, SettleGrace: 50 * time.Millisecond})
	defer s.Close()
	var calls atomic.Int64
	s.RegisterFunction("block", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		calls.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	s.RegisterFunction("quick", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		calls.Add(100)
		return json.RawMessage(`1`), nil
	})
	m, err := s.CreateStateMachine("p", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
		{"StartAt":"Block","States":{"Block":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:block","TimeoutSeconds":60,"End":true}}},
		{"StartAt":"Quick","States":{"Quick":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:quick","TimeoutSeconds":10,"End":true}}}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := s.StartExecution(m.ARN, "", "")
	c.Advance(10 * time.Second)
	waitIdle(t, s)
	d, _ := s.DescribeExecution(e.ARN)
	if d.Status != StatusSucceeded || !strings.Contains(d.Output, ErrTimeout) || !d.StopDate.Equal(conformanceStart.Add(10*time.Second)) {
		t.Fatalf("execution = %+v", d)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("calls = %d, want only the blocking handler (the quick one timed out while queued)", n)
	}
}
