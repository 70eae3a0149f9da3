package bench

import (
	"fmt"
	"time"
)

// Goal is one of issue 7's goals with what the run measured against it.
type Goal struct {
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Verdict  string `json:"verdict"` // "met", "missed by ...", or "not measured"
}

// The goals.
const (
	goalDecisionP99   = 250 * time.Millisecond
	goalBatch         = 30 * time.Second
	goalBatchSize     = 10000
	goalTransitions   = 8
	goalMixPer1000USD = 0.18 // issue 20 (issue 7: 0.25)
)

// Goals compares the run with each goal of issue 7; a phase that did not
// run is "not measured".
func (r *Report) Goals() []Goal {
	notMeasured := func(goal string) Goal { return Goal{Goal: goal, Measured: "-", Verdict: "not measured"} }
	verdict := func(ok bool, missed string) string {
		if ok {
			return "met"
		}
		return "missed by " + missed
	}
	var gs []Goal

	const burstGoal = "burst: 0 lost, 0 duplicated, 0 rejected for capacity"
	if in := r.Burst; in != nil {
		bad := in.Lost + in.Duplicated + in.RejectedTotal()
		gs = append(gs, Goal{burstGoal,
			fmt.Sprintf("%d of %d accepted; %d lost, %d duplicated, %d rejected", in.Accepted, in.Submitted, in.Lost, in.Duplicated, in.RejectedTotal()),
			verdict(bad == 0, fmt.Sprintf("%d cases", bad))})
	} else {
		gs = append(gs, notMeasured(burstGoal))
	}

	const latencyGoal = "auto-approved refund_only: p99 submit -> refund requested < 250 ms (steady load)"
	if in := r.Paced; in != nil && in.DecisionLatency.N > 0 {
		p99 := time.Duration(in.DecisionLatency.P99)
		gs = append(gs, Goal{latencyGoal, fmt.Sprintf("paced: p99 %s (n=%d)", in.DecisionLatency.P99, in.DecisionLatency.N),
			verdict(p99 < goalDecisionP99, (p99 - goalDecisionP99).String())})
	} else {
		gs = append(gs, notMeasured(latencyGoal))
	}

	const batchGoal = "batch of 10,000 done < 30 s"
	if bt := r.Batch; bt != nil {
		took := time.Duration(bt.TimeToDone)
		measured := fmt.Sprintf("%d cases in %s, %d failed", bt.Total, bt.TimeToDone, bt.Failed)
		v := verdict(took < goalBatch && bt.Failed == 0, (took - goalBatch).String())
		if bt.Total < goalBatchSize {
			v = "not measured (batch smaller than 10,000)"
		}
		gs = append(gs, Goal{batchGoal, measured, v})
	} else {
		gs = append(gs, notMeasured(batchGoal))
	}

	const transitionsGoal = "<= 8 billed transitions for an auto-approved refund_only case"
	if p, ok := r.path(PathRefundAuto); ok {
		gs = append(gs, Goal{transitionsGoal, fmt.Sprintf("%d (max over %d cases)", p.MaxTransitions, p.Cases),
			verdict(p.MaxTransitions <= goalTransitions, fmt.Sprintf("%d", p.MaxTransitions-goalTransitions))})
	} else {
		gs = append(gs, notMeasured(transitionsGoal))
	}

	const d11Goal = "Double 11 at the cloud's quotas: 0 lost, 0 duplicated, 0 rejected for capacity"
	if d := r.Double11; d != nil {
		bad := d.Lost + d.Duplicated + d.RejectedTotal()
		gs = append(gs, Goal{d11Goal,
			fmt.Sprintf("%d of %d accepted over %s; %d lost, %d duplicated, %d rejected; every case decided after %s", d.Accepted, d.Submitted, d.Over, d.Lost, d.Duplicated, d.RejectedTotal(), d.AllDecided),
			verdict(bad == 0 && d.Accepted == d.Submitted, fmt.Sprintf("%d cases", bad+d.Submitted-d.Accepted-d.RejectedTotal()))})
	}

	const costGoal = "<= $0.18 list price per 1,000 cases, typical mix"
	if c := r.Cost; c != nil && c.Mix.Total > 0 {
		gs = append(gs, Goal{costGoal, fmt.Sprintf("$%.4f", c.Mix.Total),
			verdict(c.Mix.Total <= goalMixPer1000USD, fmt.Sprintf("$%.4f", c.Mix.Total-goalMixPer1000USD))})
	} else {
		gs = append(gs, notMeasured(costGoal))
	}

	const sizeGoal = "each bootstrap <= 12 MB"
	if len(r.Functions) > 0 {
		largest := r.Functions[0]
		for _, f := range r.Functions {
			if f.BootstrapBytes > largest.BootstrapBytes {
				largest = f
			}
		}
		gs = append(gs, Goal{sizeGoal, fmt.Sprintf("largest: %s %.2f MB", largest.Name, float64(largest.BootstrapBytes)/1e6),
			verdict(largest.BootstrapBytes <= bootstrapLimit, fmt.Sprintf("%.2f MB", float64(largest.BootstrapBytes-bootstrapLimit)/1e6))})
	} else {
		gs = append(gs, notMeasured(sizeGoal))
	}
	return gs
}

func (r *Report) path(name string) (PathStats, bool) {
	for _, p := range r.Paths {
		if p.Path == name {
			return p, true
		}
	}
	return PathStats{}, false
}

// goalsMarkdown renders the goals as the report's summary table.
func goalsMarkdown(w func(string, ...any), gs []Goal) {
	w("## Summary: the goals of issues 7 and 20\n\n| goal | measured | verdict |\n| --- | --- | --- |\n")
	for _, g := range gs {
		w("| %s | %s | %s |\n", g.Goal, g.Measured, g.Verdict)
	}
	w("\n")
}
