package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmallRun runs the whole benchmark at a small size (burst, a short
// paced run, a batch) and checks its invariants, never its timings.
func TestSmallRun(t *testing.T) {
	var progress bytes.Buffer
	rep, err := Run(t.Context(), Config{Cases: 200, Clients: 8, Paced: 500 * time.Millisecond, Batch: 100, CostCases: 5, Latency: 20,
		Progress: &progress, ProgressEvery: 50 * time.Millisecond, Sample: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]*Intake{"burst": rep.Burst, "paced": rep.Paced} {
		if in == nil {
			t.Fatalf("%s: no report", name)
		}
		if in.Lost != 0 || in.Duplicated != 0 || in.Unexpected != 0 {
			t.Errorf("%s: lost %d %v, duplicated %d %v, unexpected %d %v", name, in.Lost, in.LostIDs, in.Duplicated, in.DuplicateWhy, in.Unexpected, in.Statuses)
		}
		if in.Accepted+in.RejectedTotal() != in.Submitted || in.Submitted != 200 {
			t.Errorf("%s: accepted %d + rejected %d != submitted %d", name, in.Accepted, in.RejectedTotal(), in.Submitted)
		}
		if in.LastRefundRequested <= 0 || in.LastRefundRequested > in.AllDecided {
			t.Errorf("%s: last refund requested after %v, all settled after %v", name, in.LastRefundRequested, in.AllDecided)
		}
		if in.HTTP.N != in.Accepted || len(in.QueueDepth) == 0 {
			t.Errorf("%s: %d latencies for %d accepted, %d depth samples", name, in.HTTP.N, in.Accepted, len(in.QueueDepth))
		}
		// Every accepted refund-only case requested its refund once.
		if want := in.Statuses[PathRefundAuto]["completed"]; in.DecisionLatency.N != want || want == 0 {
			t.Errorf("%s: %d decision latencies, %d refund-only cases completed", name, in.DecisionLatency.N, want)
		}
		sum := 0
		for _, byStatus := range in.Statuses {
			for _, n := range byStatus {
				sum += n
			}
		}
		if sum != in.Accepted {
			t.Errorf("%s: statuses count %d cases, %d accepted", name, sum, in.Accepted)
		}
	}
	bt := rep.Batch
	if bt == nil || bt.Total != 100 || bt.Succeeded+bt.Failed != bt.Total || bt.Statuses["awaiting_return"] != bt.Succeeded {
		t.Fatalf("batch %+v", bt)
	}
	if rep.Executions.Started != rep.Executions.Cases || rep.Executions.Failed != 0 ||
		rep.Executions.Cases != int64(rep.Burst.Accepted+rep.Paced.Accepted+bt.Total+rep.Completion.Latency.N) {
		t.Errorf("executions %+v", rep.Executions)
	}
	paths := map[string]PathStats{}
	for _, p := range rep.Paths {
		paths[p.Path] = p
		if p.NoExecution != 0 || p.MeanTransitions <= 0 {
			t.Errorf("path %+v", p)
		}
	}
	// docs/WORKFLOW.md: an auto-approved refund-only case takes 1 (the
	// intake reviews it, the execution starts at the refund wait, whose
	// end ends it), whoever wins the race of the notification.
	if p := paths[PathRefundAuto]; p.MaxTransitions != 1 || p.MinTransitions != 1 {
		t.Errorf("refund-auto transitions %+v, want 1 (docs/WORKFLOW.md)", p)
	}
	checkCost(t, rep.Cost, 5)
	if c := rep.Completion; c == nil || c.Latency.N != 20 || c.Latency.P50 <= 0 || c.Latency.Max < c.Latency.P99 {
		t.Errorf("completion %+v", c)
	}
	if !strings.Contains(progress.String(), "[burst") || !strings.Contains(progress.String(), "[batch") {
		t.Errorf("progress lines:\n%s", progress.String())
	}
	md := rep.Markdown()
	for _, want := range []string{"## Summary: the goals of issues 7 and 20", "## Burst intake", "## Paced intake", "## Batch review", "## Submit -> completed", "## Cost per case, metered", "## List price per 1,000 cases", "| lost (accepted, never decided) | 0 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
}

// TestMainWritesReports runs the command's entry point at a tiny size and
// checks it writes both reports and exits 0.
func TestMainWritesReports(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"--cases", "20", "--clients", "4", "--batch", "10", "--cost-cases", "2", "--latency", "3", "--functions=false", "--out", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	raw, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Burst struct{ Submitted, Accepted, Lost, Duplicated int }
		Batch struct{ Total, Succeeded, Failed int }
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Burst.Submitted != 20 || rep.Burst.Accepted != 20 || rep.Burst.Lost != 0 || rep.Burst.Duplicated != 0 ||
		rep.Batch.Total != 10 || rep.Batch.Succeeded+rep.Batch.Failed != 10 {
		t.Errorf("bench.json: %+v", rep)
	}
	md, err := os.ReadFile(filepath.Join(dir, "bench.md"))
	if err != nil || string(md) != stdout.String() {
		t.Errorf("bench.md differs from stdout (%v)", err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "bench.svg"))
	if err != nil || !bytes.HasPrefix(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("<polyline")) || !bytes.HasSuffix(svg, []byte("</svg>\n")) {
		t.Errorf("bench.svg is not the chart (%v): %.200s", err, svg)
	}
	if code := Main([]string{"--cases", "0"}, &stdout, &stderr); code != 2 {
		t.Errorf("--cases 0: exit %d, want 2", code)
	}
}

// checkCost checks the metered phase adds up: every case ended, each path
// made the calls its steps need, and the prices are the sums of their lines.
func checkCost(t *testing.T, c *CostPhase, k int) {
	t.Helper()
	if c == nil || len(c.Paths) != len(Mix) {
		t.Fatalf("cost phase %+v", c)
	}
	by := map[string]MeteredPath{}
	for _, mp := range c.Paths {
		by[mp.Path] = mp
		o := mp.PerCase
		if mp.Cases != k || mp.Statuses["completed"] != k {
			t.Errorf("%s: %d cases, statuses %v", mp.Path, mp.Cases, mp.Statuses)
		}
		// Every path is refunded through WeChat Pay and confirmed by its
		// notification: one webhook call, one inbound message, one refund.
		if o.Invocations["webhooks"] < 1 || o.Invocations["inbound"] <= 0 || o.ProviderCalls["tasks"] < 1 || o.Invocations["tasks"] < 1 {
			t.Errorf("%s: invocations %v, provider calls %v", mp.Path, o.Invocations, o.ProviderCalls)
		}
		if o.WriteUnits <= 0 || o.ReadUnits <= 0 || o.SQSRequests <= 0 || o.GBSeconds <= 0 || o.Transitions < 1 {
			t.Errorf("%s: operations %+v", mp.Path, o)
		}
		if o.HTTPRequests != o.Invocations["api"]+o.Invocations["webhooks"] {
			t.Errorf("%s: %.2f HTTP requests for %v", mp.Path, o.HTTPRequests, o.Invocations)
		}
		r := mp.Cost
		if sum := r.StepFunctions + r.HTTPAPI + r.LambdaRequests + r.LambdaDuration + r.DynamoDB + r.SQS + r.S3 + r.EventBridge; r.Total <= 0 || math.Abs(sum-r.Total) > 1e-12 {
			t.Errorf("%s: cost %+v", mp.Path, r)
		}
	}
	// docs/WORKFLOW.md: 1 billed transition for refund-auto, 4 for the others.
	for path, want := range map[string]float64{CostRefundAuto: 1, CostReturnRefund: 4, CostClaimEvidence: 4} {
		if got := by[path].PerCase.Transitions; got != want {
			t.Errorf("%s: %.2f transitions per case, docs/WORKFLOW.md says %.0f", path, got, want)
		}
	}
	// The claim uploads two photos (the item's and the label's) straight
	// to S3, under pending/, attaching each copies it under evidence/ (a
	// PUT-class request), and the evidence check stores each thumbnail; the
	// others touch no S3.
	if by[CostClaimEvidence].PerCase.S3Put != 6 || by[CostRefundAuto].PerCase.S3Put != 0 {
		t.Errorf("S3 PUTs per case: claim %.2f, refund %.2f", by[CostClaimEvidence].PerCase.S3Put, by[CostRefundAuto].PerCase.S3Put)
	}
	var mix float64
	for _, m := range Mix {
		mix += m.Weight * by[m.Path].Cost.Total
	}
	if math.Abs(mix-c.Mix.Total) > 1e-12 {
		t.Errorf("mix %.6f, weighted paths %.6f", c.Mix.Total, mix)
	}
}

func TestParseFunctionBench(t *testing.T) {
	out := []byte(`goos: linux
goarch: amd64
pkg: github.com/aftersales/aftersales/infra/local/stack
BenchmarkFunction/api-2         	    5000	    230000 ns/op	     41000 cpu-ns/op	   52000 B/op	     610 allocs/op
BenchmarkFunction/tasks-2       	    2000	    510000.5 ns/op	     99000 cpu-ns/op	   70000 B/op	     900 allocs/op
PASS
`)
	got, err := parseFunctionBench(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []FunctionStats{{Name: "api", NsPerOp: 230000, CPUNsPerOp: 41000, BytesPerOp: 52000, AllocsPerOp: 610},
		{Name: "tasks", NsPerOp: 510000.5, CPUNsPerOp: 99000, BytesPerOp: 70000, AllocsPerOp: 900}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for name, bad := range map[string]string{
		"no results":       "PASS\n",
		"a metric missing": "BenchmarkFunction/api-2  10  5 ns/op  3 B/op  1 allocs/op\n",
	} {
		if _, err := parseFunctionBench([]byte(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestGoals(t *testing.T) {
	met := &Report{
		Burst:     &Intake{Submitted: 10, Accepted: 10, Rejected: map[string]int{}},
		Paced:     &Intake{DecisionLatency: Percentiles{N: 5, P99: Duration(10 * time.Millisecond)}},
		Batch:     &Batch{Total: 10000, TimeToDone: Duration(3 * time.Second)},
		Paths:     []PathStats{{Path: PathRefundAuto, Cases: 6, MaxTransitions: 5}},
		Cost:      &CostPhase{Mix: CostRow{Total: 0.1657}},
		Functions: []FunctionStats{{Name: "api", BootstrapBytes: 10_810_000}, {Name: "intake", BootstrapBytes: 9_000_000}},
	}
	for _, g := range met.Goals() {
		if g.Verdict != "met" {
			t.Errorf("%s: %s (%s), want met", g.Goal, g.Verdict, g.Measured)
		}
	}
	missed := &Report{
		Burst:     &Intake{Submitted: 10, Accepted: 9, Lost: 1, Rejected: map[string]int{"503": 1}},
		Paced:     &Intake{DecisionLatency: Percentiles{N: 5, P99: Duration(300 * time.Millisecond)}},
		Batch:     &Batch{Total: 10000, TimeToDone: Duration(31 * time.Second)},
		Paths:     []PathStats{{Path: PathRefundAuto, Cases: 6, MaxTransitions: 9}},
		Cost:      &CostPhase{Mix: CostRow{Total: 0.2601}},
		Functions: []FunctionStats{{Name: "api", BootstrapBytes: 12_450_000}},
	}
	want := []string{"missed by 2 cases", "missed by 50ms", "missed by 1s", "missed by 1", "missed by $0.0801", "missed by 0.45 MB"}
	for i, g := range missed.Goals() {
		if g.Verdict != want[i] {
			t.Errorf("%s: %q, want %q", g.Goal, g.Verdict, want[i])
		}
	}
	for _, g := range (&Report{}).Goals() {
		if g.Verdict != "not measured" {
			t.Errorf("%s: %q for a run without that phase", g.Goal, g.Verdict)
		}
	}
}
