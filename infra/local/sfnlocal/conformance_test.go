package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/vclock"
)

// conformanceExpectation is the expected.json of a conformance case.
type conformanceExpectation struct {
	// Status is the final execution status (SUCCEEDED, FAILED, TIMED_OUT).
	Status string `json:"status"`
	// Output is compared as JSON when Status is SUCCEEDED.
	Output json.RawMessage `json:"output"`
	// Error and Cause are compared when set; CauseContains matches a part.
	Error         string `json:"error"`
	Cause         string `json:"cause"`
	CauseContains string `json:"causeContains"`
	// ElapsedSeconds is the virtual time from start to stop, when set.
	ElapsedSeconds *float64 `json:"elapsedSeconds"`
	// Transitions is the expected billed transition count, when set.
	Transitions *int64 `json:"transitions"`
	// Calls is the expected number of handler calls per function.
	Calls map[string]int `json:"calls"`
	// Events lists event types that must appear in this order (others may
	// be interleaved).
	Events []string `json:"events"`
}

var conformanceStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testFunctions registers the handlers the conformance definitions call.
// calls counts invocations per function name.
func testFunctions(s *Service, calls *sync.Map) {
	count := func(name string) int {
		v, _ := calls.LoadOrStore(name, new(int64))
		p := v.(*int64)
		// Calls are serialised per case by the interpreter only within one
		// run; a mutex keeps Map iterations honest.
		callsMu.Lock()
		defer callsMu.Unlock()
		*p++
		return int(*p)
	}
	reg := func(name string, h func(ctx context.Context, in map[string]any) (any, error)) {
		s.RegisterFunction(name, func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
			count(name)
			var in map[string]any
			_ = json.Unmarshal(payload, &in)
			out, err := h(ctx, in)
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(out)
			return b, nil
		})
	}
	reg("greet", func(_ context.Context, in map[string]any) (any, error) {
		return fmt.Sprintf("Hello, %v!", in["who"]), nil
	})
	s.RegisterFunction("echo", func(_ context.Context, payload json.RawMessage) (json.RawMessage, error) {
		count("echo")
		return payload, nil
	})
	reg("flaky", func(_ context.Context, in map[string]any) (any, error) {
		failures, _ := in["failures"].(float64)
		v, _ := calls.Load("flaky")
		callsMu.Lock()
		n := *(v.(*int64))
		callsMu.Unlock()
		if int(n) <= int(failures) {
			return nil, &TaskError{Name: "AfterSales.Transient", Cause: fmt.Sprintf("attempt %d failed", n)}
		}
		return map[string]any{"attempt": n}, nil
	})
	reg("fail", func(_ context.Context, in map[string]any) (any, error) {
		name, _ := in["error"].(string)
		cause, _ := in["cause"].(string)
		return nil, &TaskError{Name: name, Cause: cause}
	})
	reg("plainerr", func(context.Context, map[string]any) (any, error) {
		return nil, errors.New("boom")
	})
	reg("customerr", func(context.Context, map[string]any) (any, error) {
		return nil, &refundDeclined{reason: "over limit"}
	})
	reg("panic", func(context.Context, map[string]any) (any, error) {
		panic("handler exploded")
	})
	reg("sleep", func(ctx context.Context, _ map[string]any) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	reg("token-reply", func(_ context.Context, in map[string]any) (any, error) {
		token, _ := in["token"].(string)
		reply, _ := json.Marshal(in["reply"])
		if err := s.SendTaskSuccess(token, string(reply)); err != nil {
			return nil, err
		}
		return map[string]any{"accepted": true}, nil
	})
	reg("token-fail", func(_ context.Context, in map[string]any) (any, error) {
		token, _ := in["token"].(string)
		if err := s.SendTaskFailure(token, "AfterSales.Rejected", "the warehouse refused the return"); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	})
	reg("token-hold", func(context.Context, map[string]any) (any, error) {
		return map[string]any{}, nil
	})
}

var callsMu sync.Mutex

// refundDeclined is an error type without ErrorType, named by its Go type
// as Lambda's Go runtime does.
type refundDeclined struct{ reason string }

func (e *refundDeclined) Error() string { return "refund declined: " + e.reason }

// runToCompletion drives an execution with the virtual clock: it lets the
// interpreter settle, then jumps to the next timer, until the execution
// closes.
func runToCompletion(t *testing.T, s *Service, c *vclock.Clock, arn string) *Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < 10000; i++ {
		if err := s.WaitIdle(ctx); err != nil {
			t.Fatalf("interpreter did not settle: %v", err)
		}
		d, err := s.DescribeExecution(arn)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != StatusRunning {
			return d
		}
		next, ok := c.Next()
		if !ok {
			h, _ := s.History(arn)
			t.Fatalf("execution is stuck: still RUNNING with no timer pending; last event %+v", h[len(h)-1])
		}
		c.AdvanceTo(next)
	}
	t.Fatal("execution did not finish after 10000 clock steps")
	return nil
}

func newTestService(t testing.TB, c *vclock.Clock) *Service {
	s := New(Options{Clock: c, Workers: 4, Rand: rand.New(rand.NewPCG(1, 2)), SettleGrace: 250 * time.Millisecond})
	t.Cleanup(s.Close)
	return s
}

func TestConformance(t *testing.T) {
	dirs, err := filepath.Glob("testdata/conformance/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 40 {
		t.Fatalf("expected the conformance suite under testdata/conformance, found %d cases", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			def := mustRead(t, filepath.Join(dir, "definition.asl.json"))
			input := mustRead(t, filepath.Join(dir, "input.json"))
			var want conformanceExpectation
			if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "expected.json")), &want); err != nil {
				t.Fatalf("expected.json: %v", err)
			}
			c := vclock.New(conformanceStart)
			s := newTestService(t, c)
			calls := &sync.Map{}
			testFunctions(s, calls)
			m, err := s.CreateStateMachine(filepath.Base(dir), string(def), nil)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			e, err := s.StartExecution(m.ARN, "run", string(input))
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			got := runToCompletion(t, s, c, e.ARN)
			history, _ := s.History(e.ARN)
			dump := func() string {
				var b strings.Builder
				for _, ev := range history {
					fmt.Fprintf(&b, "\n  %d %s %s in=%s out=%s err=%s cause=%s", ev.ID, ev.Type, ev.StateName, ev.Input, ev.Output, ev.Error, ev.Cause)
				}
				return b.String()
			}
			if got.Status != want.Status {
				t.Fatalf("status = %s (error %q, cause %q), want %s; history:%s", got.Status, got.Error, got.Cause, want.Status, dump())
			}
			if len(want.Output) > 0 {
				assertJSONEqual(t, "output", got.Output, string(want.Output))
			}
			if want.Error != "" && got.Error != want.Error {
				t.Errorf("error = %q, want %q (cause %q)", got.Error, want.Error, got.Cause)
			}
			if want.Cause != "" && got.Cause != want.Cause {
				t.Errorf("cause = %q, want %q", got.Cause, want.Cause)
			}
			if want.CauseContains != "" && !strings.Contains(got.Cause, want.CauseContains) {
				t.Errorf("cause = %q, want it to contain %q", got.Cause, want.CauseContains)
			}
			if want.ElapsedSeconds != nil {
				if el := got.StopDate.Sub(got.StartDate).Seconds(); el != *want.ElapsedSeconds {
					t.Errorf("elapsed = %vs of virtual time, want %vs; history:%s", el, *want.ElapsedSeconds, dump())
				}
			}
			if want.Transitions != nil && got.BilledTransitions != *want.Transitions {
				t.Errorf("billed transitions = %d, want %d; history:%s", got.BilledTransitions, *want.Transitions, dump())
			}
			for name, n := range want.Calls {
				v, _ := calls.Load(name)
				got := 0
				if v != nil {
					callsMu.Lock()
					got = int(*(v.(*int64)))
					callsMu.Unlock()
				}
				if got != n {
					t.Errorf("%s was called %d times, want %d", name, got, n)
				}
			}
			if len(want.Events) > 0 {
				i := 0
				for _, ev := range history {
					if i < len(want.Events) && ev.Type == want.Events[i] {
						i++
					}
				}
				if i < len(want.Events) {
					t.Errorf("history lacks %q (in order %v); history:%s", want.Events[i], want.Events, dump())
				}
			}
		})
	}
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func assertJSONEqual(t testing.TB, what, got, want string) {
	t.Helper()
	g, err := decodeJSON([]byte(got))
	if err != nil {
		t.Fatalf("%s is not JSON: %v: %s", what, err, got)
	}
	w, err := decodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("expected %s is not JSON: %v", what, err)
	}
	if !jsonEqual(g, w) {
		t.Errorf("%s =\n  %s\nwant\n  %s", what, encodeJSON(g), encodeJSON(w))
	}
}
