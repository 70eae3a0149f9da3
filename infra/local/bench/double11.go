package bench

import (
	"context"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/aftersales/aftersales/infra/local/quota"
)

// Double 11 (issue 20): D11Cases applications over D11Over, the first tenth
// of the time (the first minute of ten) at five times the average rate,
// against AWS's default quotas (--cloud-quotas): every quota the stack
// enforces answers with AWS's own throttling error, and the product and
// the clients absorb it.

// Double11 is the Double 11 phase's report.
type Double11 struct {
	Intake
	Over Duration `json:"over_ms"`
	// FirstTenthShare is the share of the applications sent in the first
	// tenth of the time (0.5: five times the average rate).
	FirstTenthShare float64 `json:"first_tenth_share"`
	// Throttled counts the refusals of every quota at the services, by
	// kind (each retried call counts once per refusal).
	Throttled map[string]int64 `json:"throttled"`
	Quotas    quota.Settings   `json:"quotas"`
}

// d11Due spreads n applications over d: half of them in the first tenth
// of d (five times the average rate), the other half evenly over the rest.
func d11Due(n int, d time.Duration) func(int) time.Duration {
	half := n / 2
	return func(i int) time.Duration {
		if i < half {
			return time.Duration(int64(d/10) * int64(i) / int64(max(half, 1)))
		}
		return d/10 + time.Duration(int64(d-d/10)*int64(i-half)/int64(max(n-half, 1)))
	}
}

// double11 runs the phase on the bench's stack (started with the quotas).
func (b *bench) double11(ctx context.Context) (*Double11, error) {
	n, over := b.cfg.D11Cases, b.cfg.D11Over
	in, err := b.intakeScheduled(ctx, "double11", n, d11Due(n, over), true)
	if err != nil {
		return nil, err
	}
	d := &Double11{Intake: *in, Over: Duration(over), FirstTenthShare: float64(n/2) / float64(n), Throttled: b.st.Throttled()}
	if b.cfg.Quotas != nil {
		d.Quotas = *b.cfg.Quotas
	}
	return d, nil
}

// Client retries as the mini-program's: an answer of no capacity (429, a
// 5xx, a broken connection) is retried with the same Idempotency-Key after
// a back-off doubling from clientBackoff up to clientMaxBackoff, with full
// jitter, or after Retry-After when the answer gives one, for as long as
// clientPatience from the first try. The key makes a retry of an
// application already stored return that case (no duplicate).
//
// The bound is a time, not a number of tries: against a token bucket every
// try of a waiting client is a fresh draw, so how many 429s one
// application meets has a geometric tail, while how long it can be refused
// is bounded by the backlog (the 1/10 test offers seven times the API's
// rate for 10 s, a backlog of about 70 s, plus the providers'
// notifications on the same API). A fixed 12 tries (about 30 s of
// back-off) left an unlucky application or two rejected in 10,000 though
// the API had capacity for it a few seconds later.
const (
	clientPatience   = 3 * time.Minute
	clientBackoff    = 200 * time.Millisecond
	clientMaxBackoff = 10 * time.Second
)

// applyRetrying submits application i of a phase, retrying as above.
func (b *bench) applyRetrying(ctx context.Context, phase string, i int, path string, app map[string]any) result {
	var r result
	var retried map[string]int
	var first time.Time
	for attempt := 0; ; attempt++ {
		r = b.apply(ctx, phase, i, path, app)
		if attempt == 0 {
			first = r.submitted
		}
		why := ""
		switch {
		case r.reject == "":
		case r.reject == "transport error":
			why = "transport error"
		case r.status == http.StatusTooManyRequests:
			why = "429 Too Many Requests"
		case r.status >= 500:
			why = strconv.Itoa(r.status)
		}
		if why == "" {
			break
		}
		wait := r.retryAfter
		if wait <= 0 {
			wait = time.Duration(rand.Int64N(int64(min(clientMaxBackoff, clientBackoff<<min(attempt, 16))) + 1))
		}
		if time.Since(first)+wait > clientPatience {
			break // the buyer gives up: counted as rejected for capacity
		}
		if retried == nil {
			retried = map[string]int{}
		}
		retried[why]++
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			r.reject = "cancelled"
			return r
		case <-t.C:
		}
	}
	// The buyer waited from the first try: that is the latency and the
	// start of the decision's.
	r.latency += r.submitted.Sub(first)
	r.submitted, r.retried = first, retried
	return r
}

// double11Markdown renders the phase.
func (d *Double11) markdown(w func(string, ...any)) {
	w("## Double 11 at the cloud's quotas\n\n")
	w("%d applications over %s, %.0f%% of them in the first tenth (five times the average rate), from clients that retry an answer of no capacity with back-off and jitter (the same Idempotency-Key). The local services enforce AWS's default quotas (docs/PERFORMANCE.md, \"Cloud quotas\").\n\n",
		d.Submitted, d.Over, 100*d.FirstTenthShare)
	w("| measure | value |\n| --- | --- |\n")
	w("| accepted | %d |\n| lost | %d |\n| duplicated | %d |\n| rejected for capacity (after the clients' retries) | %d |\n", d.Accepted, d.Lost, d.Duplicated, d.RejectedTotal())
	for _, why := range slices.Sorted(maps.Keys(d.Rejected)) {
		w("| rejected: %s | %d |\n", why, d.Rejected[why])
	}
	for _, why := range slices.Sorted(maps.Keys(d.Retried)) {
		w("| answers retried by the clients: %s | %d |\n", why, d.Retried[why])
	}
	w("| submit -> refund requested (auto refund_only, n=%d) p50 / p99 / max | %s / %s / %s |\n", d.DecisionLatency.N, d.DecisionLatency.P50, d.DecisionLatency.P99, d.DecisionLatency.Max)
	w("| HTTP POST /v1/cases p50 / p99 (incl. retries) | %s / %s |\n", d.HTTP.P50, d.HTTP.P99)
	w("| all sent after | %s |\n| last auto-approved refund requested after | %s |\n| every case decided, every refund confirmed, stack idle after | %s |\n", d.SubmitDuration, d.LastRefundRequested, d.AllDecided)
	w("| intake queue max visible / in flight | %d / %d |\n\n", d.MaxQueueVisible, d.MaxQueueInFlight)
	w("Throttling absorbed, by kind (refusals at the service; a call retried three times counts three):\n\n")
	if len(d.Throttled) == 0 {
		w("- none\n")
	}
	for _, k := range slices.Sorted(maps.Keys(d.Throttled)) {
		w("- %s: %d\n", k, d.Throttled[k])
	}
	w("\nStatuses reached by path:\n\n")
	for _, p := range slices.Sorted(maps.Keys(d.Statuses)) {
		w("- %s: %s\n", p, counts(d.Statuses[p]))
	}
	w("\nIntake queue depth over the phase:\n\n| t | visible | in flight |\n| --- | --- | --- |\n")
	for _, s := range thin(d.QueueDepth, 20) {
		w("| %.0fs | %d | %d |\n", float64(s.AtMS)/1000, s.Visible, s.InFlight)
	}
	w("\n")
}
