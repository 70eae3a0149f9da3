package stack

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/aftersales/aftersales/infra/local/meter"
	"github.com/aftersales/aftersales/infra/local/sfnlocal"
	"github.com/aftersales/aftersales/infra/local/vclock"
)

// The local stack under stress (issue 13, defect 9): a months-long clock
// advance, a batch of unknown ids, a shutdown with work in flight.

// startStackWith runs the local stack like startStack, observed by observe.
func startStackWith(t *testing.T, observe Observer) *Stack {
	t.Helper()
	st, err := Start(context.Background(), Options{AnyPorts: true, Seed: true, Clock: vclock.New(start), Observe: observe})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	return st
}

// TestLongAdvanceSweepsOnceAndEndsEveryWait advances the clock by 2161 hours
// (three months, the advance that once fired ~26,000 sweeps and did not
// return) with cases in every kind of wait. The sweep schedule runs once, as
// an EventBridge schedule does not catch up on missed runs; every deadline
// still fires, in order; and that one sweep still recovers the case whose
// intake message was lost, because it looks for cases by age.
func TestLongAdvanceSweepsOnceAndEndsEveryWait(t *testing.T) {
	const advance = 2161 * time.Hour
	var sweeps atomic.Int64
	st := startStackWith(t, func(ctx context.Context, function string) (context.Context, func()) {
		if function == FunctionSweeper {
			sweeps.Add(1)
		}
		return ctx, func() {}
	})
	buyer := st.as(t, "buyer-1", "buyer")
	waiting := []struct {
		name, status, final string
		app                 map[string]any
	}{
		{"evidence wait (72 h)", "awaiting_evidence", "closed", app("o-1003", "claim", "produce_spoiled", "l1", 2)},
		{"review wait (5 days), then the return wait (7 days)", "pending_review", "closed", app("o-1002", "return_refund", "size_not_fit", "l1", 1)},
		{"exchange review wait, then its return wait", "pending_review", "closed", app("o-1002", "exchange", "size_exchange", "l2", 1)},
	}
	ids := make([]string, len(waiting))
	for i, w := range waiting {
		c := st.apply(t, buyer, w.app)
		if c.Status != w.status {
			t.Fatalf("%s: %s, want %s", w.name, c.Status, w.status)
		}
		ids[i] = c.ID
	}
	st.FailIntake(true)
	res := buyer.do("POST", "/v1/cases", app("o-1001", "refund_only", "wrong_item", "l1", 1), "Idempotency-Key", "lost")
	st.FailIntake(false)
	if res.status != http.StatusCreated {
		t.Fatalf("create while the intake queue is down: %d %s", res.status, res.body)
	}
	var lost caseBody
	res.decode(t, &lost)
	st.settle(t)
	wantStatus(t, st.get(t, buyer, lost.ID), "submitted")
	before := sweeps.Load()

	// Through the route a developer uses, with a deadline rather than the
	// test's timeout: before the fix this did not return for minutes.
	staff := st.as(t, "staff-1", "reviewer")
	answered := make(chan int, 1)
	go func() { answered <- staff.do("POST", "/dev/clock", map[string]any{"advance": advance.String()}).status }()
	const bound = time.Minute // a few seconds on a loaded machine; the margin is generous
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	select {
	case status := <-answered:
		if status != http.StatusOK {
			t.Fatalf("POST /dev/clock: %d", status)
		}
	case <-deadline.C:
		t.Fatalf("POST /dev/clock {advance: %s} has not answered after %s; %d sweeps so far", advance, bound, sweeps.Load()-before)
	}
	if got := st.Clock.Now(); !got.Equal(start.Add(advance)) {
		t.Fatalf("clock at %v, want %v", got, start.Add(advance))
	}
	st.settle(t)

	if n := sweeps.Load() - before; n != 1 {
		t.Errorf("the advance ran the sweeper %d times, want once", n)
	}
	for i, w := range waiting {
		c := st.get(t, buyer, ids[i])
		if c.Status != w.final {
			t.Errorf("%s: %s, want %s; timeline %v", w.name, c.Status, w.final, actions(c))
		}
		deadlines := 0
		for _, e := range c.Timeline {
			if e.Actor == "system:deadline" {
				deadlines++
			}
		}
		if deadlines == 0 {
			t.Errorf("%s: no deadline on the timeline %v", w.name, actions(c))
		}
	}
	wantStatus(t, st.get(t, buyer, lost.ID), "completed") // found by the one sweep
	for _, id := range append(ids, lost.ID) {
		e, err := st.Execution(id)
		if err != nil || e.Status != sfnlocal.StatusSucceeded {
			t.Errorf("execution of %s: %+v %v, want it succeeded", id, e, err)
		}
	}
}

// TestBatchOfTenThousandUnknownIds sends a batch review naming 10,000 ids
// that are no case to the stack on its emulated DynamoDB, and counts the
// AWS requests it costs. The job answers with every id failed at once; the
// ids are looked up 100 at a time and nothing is queued. Before, each id
// was a queue message, four reads and a transaction, and the batch was
// still running after 30 minutes.
func TestBatchOfTenThousandUnknownIds(t *testing.T) {
	const n = 10000
	m := meter.New()
	st, err := Start(context.Background(), Options{AnyPorts: true, Clock: vclock.New(start),
		APIOptions: []func(*middleware.Stack) error{m.APIOption}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("as_01NOSUCH%018d", i)
	}
	reviewer := st.as(t, "staff-1", "reviewer")
	before := m.Snapshot()
	res := reviewer.do("POST", "/v1/staff/reviews", map[string]any{"case_ids": ids, "decision": "approve"})
	if res.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", res.status, res.body[:min(len(res.body), 500)])
	}
	var j jobBody
	res.decode(t, &j)
	requests := func() (dynamo, sent int64, all map[string]int64) {
		d := m.Snapshot().Sub(before)
		for op, k := range d.Requests {
			if strings.HasPrefix(op, "dynamodb.") {
				dynamo += k
			}
		}
		return dynamo, d.Requests["sqs.SendMessageBatch"] + d.Requests["sqs.SendMessage"], d.Requests
	}
	check := func(when string) {
		t.Helper()
		dynamo, sent, all := requests()
		if batchGets := all["dynamodb.BatchGetItem"]; batchGets != n/100 || dynamo > n/100+5 {
			t.Errorf("%s: %d DynamoDB requests, %d of them BatchGetItem; want the ids read 100 at a time and little else: %v", when, dynamo, batchGets, all)
		}
		if sent != 0 {
			t.Errorf("%s: %d messages sent to queues for ids that are no case", when, sent)
		}
	}
	check("starting the batch")
	if j.Status != "done" || j.Total != n || j.Failed != n || len(j.Failures) != 100 {
		// Not settled: before the fix, that took half an hour.
		t.Fatalf("the job answered: %s, %d of %d failed, %d listed; want done with every id failed and 100 listed", j.Status, j.Failed, j.Total, len(j.Failures))
	}
	st.settle(t)
	check("once the stack is idle")
	j = st.job(t, reviewer, j.ID)
	if j.Status != "done" || j.Failed != n || j.Succeeded != 0 || len(j.Failures) != 100 {
		t.Fatalf("job: %s, %d of %d failed, %d listed", j.Status, j.Failed, j.Total, len(j.Failures))
	}
	for i, f := range j.Failures {
		if f.CaseID != ids[i] || f.Error != "NotFound: no such case" {
			t.Fatalf("failure %d: %+v, want %s NotFound: no such case", i, f, ids[i])
		}
	}
}

// TestCloseIsPromptWithWorkInFlight closes the stack (what SIGTERM to `go
// run ./infra/local` does) while a batch review's consumer, a workflow task
// and an API request are in the middle of their work, each waiting for its
// context as a long piece of work that honours cancellation does. Close
// cancels that work and returns within the bound; before, it waited for
// the consumers' in-flight batches however long they took.
func TestCloseIsPromptWithWorkInFlight(t *testing.T) {
	const bound = 10 * time.Second // what a developer's Ctrl-C may take; it needs about 2 s
	block := map[string]*atomic.Bool{FunctionReviews: {}, FunctionTasks: {}, FunctionAPI: {}}
	inFlight := make(chan string, 64)
	st, err := Start(context.Background(), Options{AnyPorts: true, Seed: true, Clock: vclock.New(start),
		Observe: func(ctx context.Context, function string) (context.Context, func()) {
			if b := block[function]; b != nil && b.Load() {
				inFlight <- function
				<-ctx.Done()
			}
			return ctx, func() {}
		}})
	if err != nil {
		t.Fatal(err)
	}
	closing := false // a Close that hung must not be waited for again
	t.Cleanup(func() {
		if !closing {
			st.Close()
		}
	})
	buyer, reviewer := st.as(t, "buyer-1", "buyer"), st.as(t, "staff-1", "reviewer")
	pending := st.apply(t, buyer, app("o-1002", "return_refund", "size_not_fit", "l1", 1))
	wantStatus(t, pending, "pending_review")

	// A batch item reaches the review consumer and a new case a workflow
	// task; both stay at work. Then an API request does too.
	block[FunctionReviews].Store(true)
	block[FunctionTasks].Store(true)
	if res := reviewer.do("POST", "/v1/staff/reviews", map[string]any{"case_ids": []string{pending.ID}, "decision": "approve"}); res.status != http.StatusAccepted {
		t.Fatalf("batch: %d %s", res.status, res.body)
	}
	if res := buyer.do("POST", "/v1/cases", app("o-1001", "refund_only", "wrong_item", "l1", 1), "Idempotency-Key", "in-flight"); res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	block[FunctionAPI].Store(true)
	tok, err := st.Token("buyer-1", "buyer")
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), "GET", st.URL+"/v1/cases/"+pending.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	go func() {
		// Its answer does not matter: Close ends it.
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	seen := map[string]bool{}
	wait := time.NewTimer(30 * time.Second)
	defer wait.Stop()
	for len(seen) < len(block) {
		select {
		case f := <-inFlight:
			seen[f] = true
		case <-wait.C:
			t.Fatalf("work in flight: %v, want %d functions", seen, len(block))
		}
	}

	began := time.Now()
	done := make(chan error, 1)
	closing = true
	go func() { done <- st.Close() }()
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	select {
	case <-done:
		t.Logf("closed in %s with %v in flight", time.Since(began).Round(time.Millisecond), seen)
	case <-deadline.C:
		t.Fatalf("Close has not returned %s after it was called, with %v in flight", bound, seen)
	}
}
