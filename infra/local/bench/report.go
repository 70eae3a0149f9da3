package bench

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Duration is a time.Duration written in JSON as milliseconds.
type Duration time.Duration

// MarshalJSON writes milliseconds with microsecond precision.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(time.Duration(d).Microseconds()) / 1000)
}

// String rounds for the Markdown report.
func (d Duration) String() string {
	t := time.Duration(d)
	switch {
	case t >= 10*time.Second:
		return t.Round(100 * time.Millisecond).String()
	case t >= time.Millisecond:
		return t.Round(10 * time.Microsecond).String()
	default:
		return t.Round(time.Microsecond).String()
	}
}

// Report is everything one run measured.
type Report struct {
	Config     map[string]any  `json:"config"`
	StartedAt  time.Time       `json:"started_at"`
	Elapsed    Duration        `json:"elapsed_ms"`
	Burst      *Intake         `json:"burst,omitempty"`
	Double11   *Double11       `json:"double11,omitempty"`
	Paced      *Intake         `json:"paced,omitempty"`
	Batch      *Batch          `json:"batch,omitempty"`
	Completion *Completion     `json:"completion,omitempty"`
	Paths      []PathStats     `json:"paths"`
	Cost       *CostPhase      `json:"cost,omitempty"`
	Functions  []FunctionStats `json:"functions,omitempty"`
	Summary    []Goal          `json:"goals"` // Goals() at the end of the run
	Executions ExecutionCounts `json:"executions"`
	Prices     PriceTable      `json:"prices"`
}

// ExecutionCounts compares workflow executions with accepted cases: one
// execution per case, none failed.
type ExecutionCounts struct {
	Started int64 `json:"started"`
	Cases   int64 `json:"cases"`
	Failed  int64 `json:"failed_timed_out_or_aborted"`
}

// Intake is one intake phase.
type Intake struct {
	Submitted int            `json:"submitted"`
	PacedOver Duration       `json:"paced_over_ms,omitempty"`
	Accepted  int            `json:"accepted"`
	Rejected  map[string]int `json:"rejected"` // by "status problem-type"
	// Retried counts the answers the clients retried (Double 11: 429 and
	// the like), by kind; empty when clients do not retry.
	Retried         map[string]int            `json:"retried,omitempty"`
	Lost            int                       `json:"lost"`
	LostIDs         []string                  `json:"lost_ids,omitempty"`
	Duplicated      int                       `json:"duplicated"`
	DuplicateWhy    []string                  `json:"duplicate_why,omitempty"`
	Unexpected      int                       `json:"unexpected_status"`
	Statuses        map[string]map[string]int `json:"statuses"` // path -> status -> cases
	HTTP            Percentiles               `json:"http_latency"`
	DecisionLatency Percentiles               `json:"decision_latency"`
	SubmitDuration  Duration                  `json:"submit_duration_ms"`
	AllDecided      Duration                  `json:"all_decided_ms"` // the stack idle: decided, refunds confirmed
	// LastRefundRequested is when the last auto-approved case's refund
	// was requested, since the phase began: every refund-only case decided.
	LastRefundRequested Duration      `json:"last_refund_requested_ms"`
	MaxQueueVisible     int           `json:"max_queue_visible"`
	MaxQueueInFlight    int           `json:"max_queue_in_flight"`
	QueueDepth          []DepthSample `json:"queue_depth"`
}

// RejectedTotal sums the rejections.
func (in *Intake) RejectedTotal() int {
	n := 0
	for _, v := range in.Rejected {
		n += v
	}
	return n
}

// Percentiles of a set of durations.
type Percentiles struct {
	N    int      `json:"n"`
	P50  Duration `json:"p50_ms"`
	P99  Duration `json:"p99_ms"`
	Max  Duration `json:"max_ms"`
	Note string   `json:"note,omitempty"`
}

// DepthSample is the intake queue's depth at a time since the phase began.
type DepthSample struct {
	AtMS     int64 `json:"at_ms"`
	Visible  int   `json:"visible"`
	InFlight int   `json:"in_flight"`
}

// Batch is the batch review phase.
type Batch struct {
	Total        int            `json:"total"`
	Succeeded    int            `json:"succeeded"`
	Failed       int            `json:"failed"`
	Failures     []string       `json:"failures,omitempty"`
	StartLatency Duration       `json:"start_latency_ms"`
	TimeToDone   Duration       `json:"time_to_done_ms"`
	PerSecond    float64        `json:"cases_per_second"`
	Polls        int            `json:"polls"`
	Statuses     map[string]int `json:"statuses_after"`
}

// PathStats are the operation counts per case of one path.
type PathStats struct {
	Path            string  `json:"path"`
	Ends            string  `json:"ends"`
	Cases           int     `json:"cases"`
	NoExecution     int     `json:"no_execution"`
	MeanTransitions float64 `json:"billed_transitions_mean"`
	MinTransitions  int64   `json:"billed_transitions_min"`
	MaxTransitions  int64   `json:"billed_transitions_max"`
	TaskInvocations float64 `json:"task_invocations_mean"`
	HTTPRequests    float64 `json:"http_requests"`

	sumTransitions, sumTasks int64
}

func reportConfig(c Config) map[string]any {
	return map[string]any{"double11": c.Double11, "double11_cases": c.D11Cases, "double11_over": c.D11Over.String(), "cloud_quotas": c.Quotas != nil, "quota_scale": c.QuotaScale, "cases": c.Cases, "clients": c.Clients, "paced": c.Paced.String(), "batch": c.Batch, "cost_cases_per_path": c.CostCases, "latency_cases": c.Latency, "functions": c.Functions,
		"sample": c.Sample.String(), "store": "memory", "clock": "virtual, fixed (wall time measured)"}
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Promotion-day benchmark (local stack)\n\n")
	if r.Double11 != nil {
		w("Run %s, %s in all. Double 11: %v applications over %v, clients %v, cloud quotas x %v; memory store, virtual clock (fixed), wall time measured.\n\n",
			r.StartedAt.Format(time.RFC3339), r.Elapsed, r.Config["double11_cases"], r.Config["double11_over"], r.Config["clients"], r.Config["quota_scale"])
	} else {
		w("Run %s, %s in all. Cases %v, clients %v, paced %v, batch %v; memory store, virtual clock (fixed), wall time measured.\n\n",
			r.StartedAt.Format(time.RFC3339), r.Elapsed, r.Config["cases"], r.Config["clients"], r.Config["paced"], r.Config["batch"])
	}
	goalsMarkdown(w, r.Goals())
	if r.Double11 != nil {
		r.Double11.markdown(w)
	}
	for _, ph := range []struct {
		name string
		in   *Intake
	}{{"Burst intake (as fast as the clients go)", r.Burst}, {"Paced intake", r.Paced}} {
		in := ph.in
		if in == nil {
			continue
		}
		w("## %s\n\n", ph.name)
		w("| measure | value |\n| --- | --- |\n")
		w("| submitted | %d |\n| accepted | %d |\n| rejected | %d |\n", in.Submitted, in.Accepted, in.RejectedTotal())
		for _, k := range slices.Sorted(maps.Keys(in.Rejected)) {
			w("| rejected: %s | %d |\n", k, in.Rejected[k])
		}
		w("| lost (accepted, never decided) | %d |\n| duplicated | %d |\n| not at the expected status | %d |\n", in.Lost, in.Duplicated, in.Unexpected)
		w("| HTTP POST /v1/cases p50 / p99 / max | %s / %s / %s |\n", in.HTTP.P50, in.HTTP.P99, in.HTTP.Max)
		w("| submit -> refund requested (auto refund_only, n=%d) p50 / p99 / max | %s / %s / %s |\n",
			in.DecisionLatency.N, in.DecisionLatency.P50, in.DecisionLatency.P99, in.DecisionLatency.Max)
		if in.PacedOver > 0 {
			w("| paced over | %s |\n", in.PacedOver)
		}
		w("| all answered after | %s |\n| last auto-approved refund requested after | %s |\n| all settled (stack idle: decided, refunds confirmed) after | %s |\n", in.SubmitDuration, in.LastRefundRequested, in.AllDecided)
		w("| intake queue max visible / in flight | %d / %d |\n\n", in.MaxQueueVisible, in.MaxQueueInFlight)
		w("Statuses reached by path:\n\n")
		for _, p := range slices.Sorted(maps.Keys(in.Statuses)) {
			w("- %s: %s\n", p, counts(in.Statuses[p]))
		}
		w("\nIntake queue depth (visible + in flight) over the phase:\n\n| t | visible | in flight |\n| --- | --- | --- |\n")
		for _, s := range thin(in.QueueDepth, 12) {
			w("| %.1fs | %d | %d |\n", float64(s.AtMS)/1000, s.Visible, s.InFlight)
		}
		w("\n")
	}
	if bt := r.Batch; bt != nil {
		w("## Batch review\n\n| measure | value |\n| --- | --- |\n")
		w("| cases in the batch | %d |\n| succeeded | %d |\n| failed | %d |\n", bt.Total, bt.Succeeded, bt.Failed)
		w("| POST /v1/staff/reviews answered in | %s |\n| time to done | %s |\n| throughput | %.0f cases/s |\n", bt.StartLatency, bt.TimeToDone, bt.PerSecond)
		w("| statuses after | %s |\n\n", counts(bt.Statuses))
		for _, f := range bt.Failures {
			w("- failure: %s\n", f)
		}
	}
	if c := r.Completion; c != nil {
		w("## Submit -> completed (sandbox answering at once)\n\n")
		w("%d auto-approved refund-only cases, one at a time: the application, the rules, the refund request to the WeChat Pay sandbox, its signed and encrypted notification through /webhooks/wechatpay and the inbound queue, the case completed. Read every %s.\n\n", c.Latency.N, c.PollEvery)
		w("| p50 | p99 | max |\n| --- | --- | --- |\n| %s | %s | %s |\n\n", c.Latency.P50, c.Latency.P99, c.Latency.Max)
	}
	w("## Operations per case by path\n\n| path | stops at | cases | billed transitions mean (min-max) | task invocations | HTTP API requests |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, p := range r.Paths {
		w("| %s | %s | %d | %.2f (%d-%d) | %.2f | %.3f |\n", p.Path, p.Ends, p.Cases, p.MeanTransitions, p.MinTransitions, p.MaxTransitions, p.TaskInvocations, p.HTTPRequests)
	}
	w("\nExecutions started %d for %d accepted cases; failed, timed out or aborted: %d.\n\n", r.Executions.Started, r.Executions.Cases, r.Executions.Failed)
	if c := r.Cost; c != nil {
		c.markdown(w, r.Prices)
	}
	if len(r.Functions) > 0 {
		functionsMarkdown(w, r.Functions)
	}
	return b.String()
}

// thin picks at most n samples, evenly spaced, plus the deepest one.
func thin(s []DepthSample, n int) []DepthSample {
	if len(s) <= n {
		return s
	}
	peak := 0
	for i, x := range s {
		if x.Visible+x.InFlight > s[peak].Visible+s[peak].InFlight {
			peak = i
		}
	}
	idx := []int{peak}
	for i := range n {
		idx = append(idx, i*(len(s)-1)/(n-1))
	}
	slices.Sort(idx)
	var out []DepthSample
	for _, j := range slices.Compact(idx) {
		out = append(out, s[j])
	}
	return out
}

// counts renders status counts as "completed 3000, closed 2".
func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
