package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Completion is submit -> completed for auto-approved refund-only cases,
// one at a time, with the WeChat Pay sandbox answering at once: the
// application, the rules, the refund request, the provider's signed and
// encrypted notification through /webhooks/wechatpay and the inbound queue,
// and the case completed.
type Completion struct {
	Latency Percentiles `json:"latency"`
	// PollEvery is the resolution: the case is read this often.
	PollEvery Duration `json:"poll_every_ms"`
}

// pollEvery is how often completion polls the case (and lets the sandbox's
// due notification go: the clock stands still, so "at once" is its next
// zero advance).
const pollEvery = 200 * time.Microsecond

// completion submits n refund-only cases one after another and times each
// from the request to the case read as completed.
func (b *bench) completion(ctx context.Context, n int) (*Completion, error) {
	apps, err := b.prepare(ctx, "latency", n, func(int) string { return PathRefundAuto })
	if err != nil {
		return nil, err
	}
	var done atomic.Int64 // read by the progress line
	stop := b.progress("latency", func() string { return fmt.Sprintf("%d/%d cases completed, one at a time", done.Load(), n) })
	defer stop()
	var took []time.Duration
	for i := range n {
		r := b.apply(ctx, "latency", i, PathRefundAuto, apps[i])
		if r.reject != "" {
			return nil, fmt.Errorf("latency: application %d: %s", i, r.reject)
		}
		at, err := b.completedAt(ctx, r.caseID)
		if err != nil {
			return nil, err
		}
		took = append(took, at.Sub(r.submitted))
		b.mu.Lock()
		b.cases = append(b.cases, benchCase{ID: r.caseID, Path: PathRefundAuto})
		b.mu.Unlock()
		done.Add(1)
	}
	p := percentiles(took)
	p.Note = "submit -> completed, refund confirmed by the sandbox's notification, one case at a time"
	return &Completion{Latency: p, PollEvery: Duration(pollEvery)}, nil
}

// completedAt polls the case, with a deadline, until it is completed.
func (b *bench) completedAt(ctx context.Context, id string) (time.Time, error) {
	deadline := time.Now().Add(b.cfg.Timeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		b.st.Clock.Advance(0)
		c, err := b.st.Case(ctx, id)
		if err == nil && c.Status == aftersales.StatusCompleted {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("latency: case %s not completed after %s (%v)", id, b.cfg.Timeout, err)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-tick.C:
		}
	}
}
