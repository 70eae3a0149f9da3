// Package bench is the promotion-day benchmark of issue 7: it starts the
// whole local stack in-process (the real handlers, the real ASL, the real SDK
// clients; cases in the memory store) and measures burst intake, decision
// latency, batch review and billed transitions per case, with a cost model
// per 1,000 cases from the list prices in prices.go. `go run ./infra/local
// bench` runs it (see Main for the flags).
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aftersales/aftersales/infra/local/quota"
	"github.com/aftersales/aftersales/infra/local/stack"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
)

// Config sizes a run.
type Config struct {
	Cases   int           // applications in the burst (and in the paced run)
	Clients int           // concurrent HTTP clients
	Paced   time.Duration // spread Cases over this long in a second run; 0 skips it
	Batch   int           // pending_review cases approved in one batch; 0 skips it
	// Latency is how many refund-only cases are timed one at a time from
	// submit to completed; 0 skips it.
	Latency int
	// Functions builds the bootstraps and runs the per-function Go
	// benchmarks (from the repository root).
	Functions bool
	// CostCases is how many cases of each full path the metered cost
	// phase runs; 0 skips it.
	CostCases int
	// Sample is how often the intake queue depth is sampled.
	Sample time.Duration
	// Progress receives progress lines (nil: none); Terminal rewrites one
	// line in place instead of printing one line per ProgressEvery.
	Progress      io.Writer
	Terminal      bool
	ProgressEvery time.Duration
	// Timeout bounds the wait for the stack to decide every case of a phase.
	Timeout time.Duration
	// Quotas, when set, are enforced by the stack's services
	// (--cloud-quotas: quota.Defaults(), AWS's defaults).
	Quotas *quota.Settings
	// Double11 runs the Double 11 phase (issue 20) instead of the burst,
	// paced, batch and latency phases: D11Cases applications over
	// D11Over, half of them in the first tenth of the time.
	Double11 bool
	// QuotaScale is what Quotas were scaled by (1: AWS's defaults).
	QuotaScale float64
	D11Cases   int
	D11Over    time.Duration
}

func (c Config) withDefaults() Config {
	if c.Cases <= 0 {
		c.Cases = 200
	}
	if c.Clients <= 0 {
		c.Clients = 16
	}
	if c.Sample <= 0 {
		c.Sample = 100 * time.Millisecond
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 2 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.D11Cases <= 0 {
		c.D11Cases = 100000
	}
	if c.D11Over <= 0 {
		c.D11Over = 10 * time.Minute
	}
	return c
}

// epoch is the virtual clock's fixed time: the clock does not move during
// a run, so no deadline (review, evidence) fires and no sweep runs; the
// benchmark measures wall time.
var epoch = time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)

// The case paths of the burst, in the typical mix: 60% refund_only
// (auto-approved, paid at once by the sandbox), 30% return_refund (sent to
// a person), 10% claim without evidence (evidence requested).
const (
	PathRefundAuto      = "refund-auto"
	PathReturnToReview  = "return-refund (to pending_review)"
	PathClaimToEvidence = "claim (to awaiting_evidence)"
	PathReturnApproved  = "return-refund (batch-approved, to awaiting_return)"
)

// pathOf is the path of application i of a burst.
func pathOf(i int) string {
	switch i % 10 {
	case 6, 7, 8:
		return PathReturnToReview
	case 9:
		return PathClaimToEvidence
	default:
		return PathRefundAuto
	}
}

// wantStatus is where each path stops once the stack is idle.
var wantStatus = map[string]aftersales.Status{
	PathRefundAuto:      aftersales.StatusCompleted,
	PathReturnToReview:  aftersales.StatusPendingReview,
	PathClaimToEvidence: aftersales.StatusAwaitingEvidence,
	PathReturnApproved:  aftersales.StatusAwaitingReturn,
}

// Run starts a local stack, runs every phase and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	b := &bench{cfg: cfg, refunds: map[string][]time.Time{}}
	st, err := stack.Start(ctx, stack.Options{
		AnyPorts: true, Clock: vclock.New(epoch), MemoryStore: true, OnRefund: b.onRefund, CloudQuotas: cfg.Quotas,
	})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	b.st = st
	b.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: 2 * cfg.Clients, MaxIdleConnsPerHost: 2 * cfg.Clients}}
	defer b.http.CloseIdleConnections()

	rep := &Report{Config: reportConfig(cfg), Prices: Prices, StartedAt: time.Now().UTC()}
	if cfg.Double11 {
		if rep.Double11, err = b.double11(ctx); err != nil {
			return nil, err
		}
		cfg.Paced, cfg.Batch, cfg.Latency = 0, 0, 0
	} else if rep.Burst, err = b.intake(ctx, "burst", cfg.Cases, 0); err != nil {
		return nil, err
	}
	if cfg.Paced > 0 {
		if rep.Paced, err = b.intake(ctx, "paced", cfg.Cases, cfg.Paced); err != nil {
			return nil, err
		}
	}
	if cfg.Batch > 0 {
		if rep.Batch, err = b.batch(ctx, cfg.Batch); err != nil {
			return nil, err
		}
	}
	if cfg.Latency > 0 {
		if rep.Completion, err = b.completion(ctx, cfg.Latency); err != nil {
			return nil, err
		}
	}
	rep.Paths = b.pathStats()
	m := st.SFN.Metrics()
	rep.Executions = ExecutionCounts{Started: m.ExecutionsStarted, Cases: int64(len(b.cases)), Failed: m.Failed + m.TimedOut + m.Aborted}
	if cfg.CostCases > 0 {
		if rep.Cost, err = b.costPhase(ctx, cfg.CostCases); err != nil {
			return nil, err
		}
	}
	if cfg.Functions {
		if rep.Functions, err = measureFunctions(ctx, cfg.Progress); err != nil {
			return nil, err
		}
	}
	rep.Elapsed = Duration(time.Since(rep.StartedAt))
	rep.Summary = rep.Goals()
	return rep, nil
}

// bench is the state of one run.
type bench struct {
	cfg  Config
	st   *stack.Stack
	http *http.Client

	mu      sync.Mutex
	refunds map[string][]time.Time // case id -> every refund request seen
	cases   []benchCase            // every accepted case, all phases
	tokens  sync.Map               // buyer -> bearer token
	// retryClients has the clients retry answers of no capacity (the
	// Double 11 phase); set only between phases.
	retryClients bool
}

// benchCase is one accepted application.
type benchCase struct {
	ID   string
	Path string
}

func (b *bench) onRefund(r aftersales.RefundRequest) {
	now := time.Now()
	b.mu.Lock()
	b.refunds[r.CaseID] = append(b.refunds[r.CaseID], now)
	b.mu.Unlock()
}

func (b *bench) refundCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.refunds)
}

func (b *bench) token(sub string, roles ...string) (string, error) {
	if t, ok := b.tokens.Load(sub); ok {
		return t.(string), nil
	}
	t, err := b.st.Token(sub, roles...)
	if err != nil {
		return "", err
	}
	b.tokens.Store(sub, t)
	return t, nil
}

// order builds the order application i of a phase applies to.
func order(phase string, i int, path string) (*aftersales.Order, map[string]any) {
	now := epoch
	id := fmt.Sprintf("%s-%06d", phase, i)
	o := &aftersales.Order{ID: id, Version: 1, EventID: "ev-" + id, BuyerID: buyerOf(i), Currency: aftersales.CNY,
		Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "tx-" + id, Amount: 9900},
		Lines:   []aftersales.OrderLine{{LineID: "l1", SKU: "SKU", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}}}
	typ, reason := "refund_only", "wrong_item"
	switch path {
	case PathRefundAuto:
		o.Status, o.PaidAt = aftersales.OrderPaid, now.Add(-time.Hour)
	case PathReturnToReview, PathReturnApproved:
		o.Status, o.PaidAt, o.ShippedAt, o.DeliveredAt = aftersales.OrderDelivered, now.Add(-96*time.Hour), now.Add(-72*time.Hour), now.Add(-24*time.Hour)
		typ, reason = "return_refund", "size_not_fit"
	case PathClaimToEvidence:
		o.Status, o.PaidAt, o.ShippedAt, o.DeliveredAt = aftersales.OrderDelivered, now.Add(-48*time.Hour), now.Add(-36*time.Hour), now.Add(-6*time.Hour)
		o.Lines[0].Kind, o.Lines[0].SKU = aftersales.KindProduce, "STRAWBERRY"
		typ, reason = "claim", "produce_spoiled"
	}
	app := map[string]any{"order_id": id, "type": typ, "reason": reason,
		"lines": []map[string]any{{"line_id": "l1", "quantity": 1}}}
	return o, app
}

func buyerOf(i int) string { return fmt.Sprintf("bench-buyer-%d", i%1000) }

// result is the answer to one application.
type result struct {
	retried    map[string]int // answers retried, by kind (applyRetrying)
	retryAfter time.Duration  // the answer's Retry-After, if any
	path       string
	submitted  time.Time
	latency    time.Duration
	status     int
	caseID     string
	reject     string // "" when accepted
}

// post sends one JSON request and returns the status and body.
func (b *bench) post(ctx context.Context, method, path, token string, body any, headers ...string) (int, []byte, error) {
	status, raw, _, err := b.postH(ctx, method, path, token, body, headers...)
	return status, raw, err
}

// postH is post that also returns the answer's headers.
func (b *bench) postH(ctx context.Context, method, path, token string, body any, headers ...string) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.st.URL+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, res.Header, err
}

// apply submits application i of a phase.
func (b *bench) apply(ctx context.Context, phase string, i int, path string, app map[string]any) result {
	r := result{path: path}
	tok, err := b.token(buyerOf(i), "buyer")
	if err != nil {
		r.reject = "token: " + err.Error()
		return r
	}
	r.submitted = time.Now()
	status, body, hdr, err := b.postH(ctx, "POST", "/v1/cases", tok, app, "Idempotency-Key", fmt.Sprintf("%s-%d", phase, i))
	r.latency, r.status = time.Since(r.submitted), status
	if secs, perr := strconv.Atoi(hdr.Get("Retry-After")); perr == nil && secs > 0 {
		r.retryAfter = time.Duration(secs) * time.Second
	}
	switch {
	case err != nil:
		r.reject = "transport error"
	case status == http.StatusCreated:
		var c struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &c); err != nil || c.ID == "" {
			r.reject = fmt.Sprintf("%d undecodable body", status)
		}
		r.caseID = c.ID
	default:
		var p struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(body, &p)
		if p.Type == "" {
			p.Type = "(no problem type)"
		}
		r.reject = fmt.Sprintf("%d %s", status, p.Type)
	}
	return r
}

// submitAll sends n applications from cfg.Clients clients, paced over
// `paced` when it is positive, and returns every answer.
func (b *bench) submitAll(ctx context.Context, phase string, apps []map[string]any, paced time.Duration, pathFor func(int) string, done *atomic.Int64) ([]result, error) {
	var due func(int) time.Duration
	if paced > 0 {
		n := len(apps)
		due = func(i int) time.Duration { return time.Duration(int64(paced) * int64(i) / int64(n)) }
	}
	return b.submitScheduled(ctx, phase, apps, due, pathFor, done)
}

// submitScheduled sends application i at due(i) after the start (as fast
// as the clients go when due is nil) and returns every answer.
func (b *bench) submitScheduled(ctx context.Context, phase string, apps []map[string]any, due func(int) time.Duration, pathFor func(int) string, done *atomic.Int64) ([]result, error) {
	n := len(apps)
	results := make([]result, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for range b.cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if due != nil {
					// Pacing, not waiting for async work: application i is
					// sent when it is due.
					at := began.Add(due(i))
					if d := time.Until(at); d > 0 {
						t := time.NewTimer(d)
						select {
						case <-ctx.Done():
							t.Stop()
							return
						case <-t.C:
						}
					}
				}
				if b.retryClients {
					results[i] = b.applyRetrying(ctx, phase, i, pathFor(i), apps[i])
				} else {
					results[i] = b.apply(ctx, phase, i, pathFor(i), apps[i])
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return results, ctx.Err()
}

// prepare stores the orders of n applications of a phase (outside the
// timed part) and returns the applications.
func (b *bench) prepare(ctx context.Context, phase string, n int, pathFor func(int) string) ([]map[string]any, error) {
	apps := make([]map[string]any, n)
	for i := range n {
		o, app := order(phase, i, pathFor(i))
		if err := b.st.PutOrder(ctx, o); err != nil {
			return nil, fmt.Errorf("%s: order %d: %w", phase, i, err)
		}
		apps[i] = app
	}
	return apps, nil
}

// depthSampler samples the intake queue's depth until stopped.
type depthSampler struct {
	stop    chan struct{}
	done    chan struct{}
	samples []DepthSample
}

func (b *bench) sampleDepth(queue string, began time.Time) *depthSampler {
	d := &depthSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		t := time.NewTicker(b.cfg.Sample)
		defer t.Stop()
		for {
			v, f := b.st.SQS.Depth(queue)
			d.samples = append(d.samples, DepthSample{AtMS: time.Since(began).Milliseconds(), Visible: v, InFlight: f})
			select {
			case <-d.stop:
				return
			case <-t.C:
			}
		}
	}()
	return d
}

func (d *depthSampler) finish() []DepthSample {
	close(d.stop)
	<-d.done
	return d.samples
}

// progress prints a line from line() every ProgressEvery until stopped.
func (b *bench) progress(phase string, line func() string) func() {
	if b.cfg.Progress == nil {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	began := time.Now()
	print := func() {
		s := fmt.Sprintf("[%s %5.1fs] %s", phase, time.Since(began).Seconds(), line())
		if b.cfg.Terminal {
			fmt.Fprintf(b.cfg.Progress, "\r\033[K%s", s)
		} else {
			fmt.Fprintln(b.cfg.Progress, s)
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(b.cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				print()
				if b.cfg.Terminal {
					fmt.Fprintln(b.cfg.Progress)
				}
				return
			case <-t.C:
				print()
			}
		}
	}()
	return func() { close(stop); <-done }
}

// settle waits until the stack is idle and every case of ids has left
// submitted, or the timeout passes; it returns the cases read at the end.
//
// Under the quotas it also lets time pass while refunds are unconfirmed:
// the stack's clock is virtual and WaitIdle moves it by nothing, but a
// refund notification the HTTP API refused (429) is sent again by WeChat
// Pay on its retry schedule (15 s, 15 s, 30 s, ...) and the refund wait
// queries the provider after a minute, both on that clock. Idle then means
// "nothing to do now", not "done": in the cloud those minutes pass anyway.
// The clock moves a minute at a time, at most settleHorizon in all, far
// from every other wait's deadline (the shortest, a diamond buyer's review
// promise, is an hour), so no case reaches a status by a deadline.
func (b *bench) settle(ctx context.Context, ids []string) (map[string]*aftersales.Case, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	var passed time.Duration
	for {
		if err := b.st.WaitIdle(ctx); err != nil {
			return nil, fmt.Errorf("wait for the stack to be idle: %w", err)
		}
		got := make(map[string]*aftersales.Case, len(ids))
		undecided, refunding := 0, 0
		for _, id := range ids {
			c, err := b.st.Case(ctx, id)
			if err != nil || c.Status == aftersales.StatusSubmitted {
				undecided++
			}
			if err == nil {
				got[id] = c
				if c.Status == aftersales.StatusRefunding {
					refunding++
				}
			}
		}
		waiting := b.cfg.Quotas != nil && refunding > 0 && passed < settleHorizon
		if ctx.Err() != nil || (undecided == 0 && !waiting) {
			return got, nil
		}
		if undecided == 0 {
			b.st.Clock.Advance(settleStep)
			passed += settleStep
		}
	}
}

// settleStep and settleHorizon are how settle lets virtual time pass under
// the quotas: a step covers WeChat Pay's first retries and the refund
// wait's first query; the horizon is ten of them.
const (
	settleStep    = time.Minute
	settleHorizon = 10 * time.Minute
)

// intake runs one intake phase: n applications, as fast as they go
// (paced == 0) or spread over paced.
func (b *bench) intake(ctx context.Context, phase string, n int, paced time.Duration) (*Intake, error) {
	var due func(int) time.Duration
	if paced > 0 {
		due = func(i int) time.Duration { return time.Duration(int64(paced) * int64(i) / int64(n)) }
	}
	in, err := b.intakeScheduled(ctx, phase, n, due, false)
	if in != nil && paced > 0 {
		in.PacedOver = Duration(paced)
	}
	return in, err
}

// intakeScheduled runs one intake phase: n applications, application i
// sent at due(i) (as fast as they go when due is nil); with retry, each
// client retries an answer of no capacity as the mini-program does
// (applyRetrying).
func (b *bench) intakeScheduled(ctx context.Context, phase string, n int, due func(int) time.Duration, retry bool) (*Intake, error) {
	apps, err := b.prepare(ctx, phase, n, pathOf)
	if err != nil {
		return nil, err
	}
	var sent atomic.Int64
	refundsBefore := b.refundCount()
	began := time.Now()
	sampler := b.sampleDepth(stack.IntakeQueue, began)
	stopProgress := b.progress(phase, func() string {
		v, f := b.st.SQS.Depth(stack.IntakeQueue)
		m := b.st.SFN.Metrics()
		return fmt.Sprintf("answered %d/%d, refunds requested %d, intake queue %d visible + %d in flight, executions running %d",
			sent.Load(), n, b.refundCount()-refundsBefore, v, f, m.Running)
	})
	b.retryClients = retry
	results, err := b.submitScheduled(ctx, phase, apps, due, pathOf, &sent)
	b.retryClients = false
	submitDone := time.Since(began)
	if err != nil {
		stopProgress()
		sampler.finish()
		return nil, err
	}
	var ids []string
	for _, r := range results {
		if r.reject == "" {
			ids = append(ids, r.caseID)
		}
	}
	final, err := b.settle(ctx, ids)
	decidedAt := time.Since(began)
	stopProgress()
	depth := sampler.finish()
	if err != nil {
		return nil, err
	}

	in := &Intake{Submitted: n, Rejected: map[string]int{}, SubmitDuration: Duration(submitDone), AllDecided: Duration(decidedAt),
		Statuses: map[string]map[string]int{}, QueueDepth: depth, Retried: map[string]int{}}
	var lat []time.Duration
	var decision []time.Duration
	seen := map[string]int{}
	b.mu.Lock()
	for _, r := range results {
		for why, k := range r.retried {
			in.Retried[why] += k
		}
		if r.reject != "" {
			in.Rejected[r.reject]++
			continue
		}
		in.Accepted++
		lat = append(lat, r.latency)
		seen[r.caseID]++
		if seen[r.caseID] == 2 {
			in.Duplicated++
			in.DuplicateWhy = appendMax(in.DuplicateWhy, r.caseID+": one case id for two applications")
		}
		b.cases = append(b.cases, benchCase{ID: r.caseID, Path: r.path})
		if refunds := b.refunds[r.caseID]; len(refunds) > 0 && r.path == PathRefundAuto {
			decision = append(decision, refunds[0].Sub(r.submitted))
			in.LastRefundRequested = max(in.LastRefundRequested, Duration(refunds[0].Sub(began)))
		}
	}
	for _, r := range results {
		if r.reject != "" {
			continue
		}
		c := final[r.caseID]
		st := "(not found)"
		if c != nil {
			st = string(c.Status)
		}
		if in.Statuses[r.path] == nil {
			in.Statuses[r.path] = map[string]int{}
		}
		in.Statuses[r.path][st]++
		if c == nil || c.Status == aftersales.StatusSubmitted {
			in.Lost++
			in.LostIDs = appendMax(in.LostIDs, r.caseID)
			continue
		}
		if c.Status != wantStatus[r.path] {
			in.Unexpected++
		}
		if k := len(b.refunds[r.caseID]); k > 1 {
			in.Duplicated++
			in.DuplicateWhy = appendMax(in.DuplicateWhy, fmt.Sprintf("%s: %d refund requests", r.caseID, k))
		}
		if k := decisions(c); k > 1 {
			in.Duplicated++
			in.DuplicateWhy = appendMax(in.DuplicateWhy, fmt.Sprintf("%s: %d decisions on the timeline", r.caseID, k))
		}
	}
	b.mu.Unlock()
	in.HTTP = percentiles(lat)
	in.DecisionLatency = percentiles(decision)
	in.DecisionLatency.Note = "submit -> refund requested, auto-approved refund_only"
	for _, s := range depth {
		in.MaxQueueVisible = max(in.MaxQueueVisible, s.Visible)
		in.MaxQueueInFlight = max(in.MaxQueueInFlight, s.InFlight)
	}
	return in, nil
}

// decisions counts the timeline entries that take a case out of submitted:
// the rules' decision, which must happen once.
func decisions(c *aftersales.Case) int {
	n := 0
	for _, e := range c.Timeline {
		if e.From == aftersales.StatusSubmitted && e.To != aftersales.StatusSubmitted {
			n++
		}
	}
	return n
}

func appendMax(s []string, v string) []string {
	if len(s) < 20 {
		s = append(s, v)
	}
	return s
}

// batch creates k pending_review cases, approves them in one batch and
// measures the job.
func (b *bench) batch(ctx context.Context, k int) (*Batch, error) {
	returns := func(int) string { return PathReturnApproved }
	apps, err := b.prepare(ctx, "batch", k, returns)
	if err != nil {
		return nil, err
	}
	var sent atomic.Int64
	stopProgress := b.progress("batch backlog", func() string { return fmt.Sprintf("answered %d/%d", sent.Load(), k) })
	results, err := b.submitAll(ctx, "batch", apps, 0, returns, &sent)
	stopProgress()
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, k)
	for i, r := range results {
		if r.reject != "" {
			return nil, fmt.Errorf("batch backlog: application %d: %s", i, r.reject)
		}
		ids = append(ids, r.caseID)
	}
	before, err := b.settle(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if c := before[id]; c == nil || c.Status != aftersales.StatusPendingReview {
			return nil, fmt.Errorf("batch backlog: case %s is not pending_review: %+v", id, c)
		}
	}

	tok, err := b.token("bench-reviewer", "reviewer")
	if err != nil {
		return nil, err
	}
	out := &Batch{Total: k}
	var job jobBody
	var decided atomic.Int64 // for the progress line
	began := time.Now()
	stopProgress = b.progress("batch", func() string {
		v, f := b.st.SQS.Depth(stack.ReviewQueue)
		return fmt.Sprintf("decided %d/%d, review queue %d visible + %d in flight", decided.Load(), k, v, f)
	})
	defer func() { stopProgress() }()
	status, body, err := b.post(ctx, "POST", "/v1/staff/reviews", tok, map[string]any{"case_ids": ids, "decision": "approve", "reason": "promotion backlog"})
	if err != nil {
		return nil, err
	}
	out.StartLatency = Duration(time.Since(began))
	if status != http.StatusAccepted {
		return nil, fmt.Errorf("start the batch: %d %s", status, body[:min(len(body), 300)])
	}
	if err := json.Unmarshal(body, &job); err != nil {
		return nil, err
	}
	// Poll the job with a deadline, as a reviewer's screen would.
	deadline := time.Now().Add(b.cfg.Timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for job.Status != "done" {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("batch job %s not done after %s: %+v", job.ID, b.cfg.Timeout, job)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		status, body, err := b.post(ctx, "GET", "/v1/staff/reviews/"+job.ID, tok, nil)
		if err != nil {
			return nil, err
		}
		out.Polls++
		var j jobBody
		if status != http.StatusOK || json.Unmarshal(body, &j) != nil {
			return nil, fmt.Errorf("batch job: %d %s", status, body)
		}
		job = j
		decided.Store(int64(j.Succeeded + j.Failed))
	}
	out.TimeToDone = Duration(time.Since(began))
	out.Succeeded, out.Failed = job.Succeeded, job.Failed
	for _, f := range job.Failures {
		out.Failures = appendMax(out.Failures, f.CaseID+": "+f.Error)
	}
	out.PerSecond = float64(k) / time.Duration(out.TimeToDone).Seconds()

	after, err := b.settle(ctx, ids)
	if err != nil {
		return nil, err
	}
	out.Statuses = map[string]int{}
	b.mu.Lock()
	for _, id := range ids {
		st := "(not found)"
		if c := after[id]; c != nil {
			st = string(c.Status)
		}
		out.Statuses[st]++
		b.cases = append(b.cases, benchCase{ID: id, Path: PathReturnApproved})
	}
	b.mu.Unlock()
	return out, nil
}

type jobBody struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Total     int    `json:"total"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
	Failures  []struct {
		CaseID string `json:"case_id"`
		Error  string `json:"error"`
	} `json:"failures"`
}

// pathStats reads the billed transitions and task invocations of every
// accepted case's execution, by path.
func (b *bench) pathStats() []PathStats {
	by := map[string]*PathStats{}
	for _, c := range b.cases {
		p := by[c.Path]
		if p == nil {
			p = &PathStats{Path: c.Path, Ends: string(wantStatus[c.Path]), MinTransitions: -1}
			by[c.Path] = p
		}
		e, err := b.st.Execution(c.ID)
		if err != nil {
			p.NoExecution++
			continue
		}
		tasks, _ := b.st.ExecutionTasks(c.ID)
		p.Cases++
		p.sumTransitions += e.BilledTransitions
		p.sumTasks += int64(tasks)
		if p.MinTransitions < 0 || e.BilledTransitions < p.MinTransitions {
			p.MinTransitions = e.BilledTransitions
		}
		p.MaxTransitions = max(p.MaxTransitions, e.BilledTransitions)
	}
	var out []PathStats
	for _, name := range []string{PathRefundAuto, PathReturnToReview, PathClaimToEvidence, PathReturnApproved} {
		p := by[name]
		if p == nil || p.Cases == 0 {
			continue
		}
		p.MeanTransitions = float64(p.sumTransitions) / float64(p.Cases)
		p.TaskInvocations = float64(p.sumTasks) / float64(p.Cases)
		p.HTTPRequests = 1 // POST /v1/cases
		if name == PathReturnApproved {
			p.HTTPRequests = 1 + 1/float64(p.Cases) // plus its share of one batch request (polls not counted)
		}
		out = append(out, *p)
	}
	return out
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	at := func(q float64) Duration { return Duration(d[min(len(d)-1, int(q*float64(len(d))))]) }
	return Percentiles{N: len(d), P50: at(0.50), P99: at(0.99), Max: Duration(d[len(d)-1])}
}
