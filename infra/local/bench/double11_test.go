package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/quota"
)

// TestDouble11AtATenth runs the Double 11 phase at 1/10 of its size
// (10,000 applications, half of them in the first tenth of the time)
// against quotas tightened so that every kind the phase meets throttles
// (StartExecution, the HTTP API, the task tokens), and checks its
// invariants: all accepted, none lost, none duplicated, none rejected for
// capacity, one execution per case, throttling absorbed. Never timings.
func TestDouble11AtATenth(t *testing.T) {
	q := quota.Defaults()
	// Rates under what this machine does even when loaded (about 150
	// applications a second), so that each quota throttles whatever the
	// load: the phase takes about 70 s of submissions. The HTTP API lets
	// applications and the providers' notifications through at 150/s at
	// most, so the starts and the task tokens they lead to are held under
	// that: at the API's own rate they throttled only when a burst
	// happened to line up (0 to 3 refusals a run).
	q.StartExecution = quota.Rate{Burst: 20, PerSecond: 100}
	q.HTTPAPI = quota.Rate{Burst: 20, PerSecond: 150}
	q.TaskTokens = quota.Rate{Burst: 20, PerSecond: 100}
	rep, err := Run(t.Context(), Config{Double11: true, D11Cases: 10000, D11Over: 10 * time.Second, Clients: 64, Quotas: &q,
		Sample: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Double11
	if d == nil {
		t.Fatal("no Double 11 report")
	}
	if d.Submitted != 10000 || d.Accepted != d.Submitted || d.Lost != 0 || d.Duplicated != 0 || d.RejectedTotal() != 0 || d.Unexpected != 0 {
		t.Fatalf("submitted %d accepted %d lost %d %v duplicated %d %v rejected %v unexpected %d %v",
			d.Submitted, d.Accepted, d.Lost, d.LostIDs, d.Duplicated, d.DuplicateWhy, d.Rejected, d.Unexpected, d.Statuses)
	}
	t.Logf("accepted %d; clients retried %v; throttled %v; every refund confirmed after %s", d.Accepted, d.Retried, d.Throttled, d.AllDecided)
	if rep.Executions.Started != int64(d.Accepted) || rep.Executions.Failed != 0 {
		t.Errorf("executions %+v for %d cases", rep.Executions, d.Accepted)
	}
	absorbed := map[string]int64{}
	for kind, n := range d.Throttled {
		absorbed[strings.SplitN(kind, ":", 2)[0]] += n
	}
	for _, kind := range []string{"Step Functions StartExecution", "Step Functions SendTaskSuccess", "HTTP API"} {
		if absorbed[kind] == 0 {
			t.Errorf("no %s throttling absorbed (throttled %v): the quotas were not in force", kind, d.Throttled)
		}
	}
	if d.Retried["429 Too Many Requests"] == 0 {
		t.Errorf("the clients retried no 429: %v", d.Retried)
	}
	if len(d.QueueDepth) == 0 || d.MaxQueueVisible == 0 {
		t.Errorf("queue depth not sampled: %d samples, max %d", len(d.QueueDepth), d.MaxQueueVisible)
	}
	if md := rep.Markdown(); !strings.Contains(md, "Double 11 at the cloud's quotas") {
		t.Error("the report has no Double 11 section")
	}
}
