package bench

import (
	"bytes"
	"encoding/json"
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
	rep, err := Run(t.Context(), Config{Cases: 200, Clients: 8, Paced: 500 * time.Millisecond, Batch: 100,
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
		rep.Executions.Cases != int64(rep.Burst.Accepted+rep.Paced.Accepted+bt.Total) {
		t.Errorf("executions %+v", rep.Executions)
	}
	paths := map[string]PathStats{}
	for _, p := range rep.Paths {
		paths[p.Path] = p
		if p.NoExecution != 0 || p.MeanTransitions <= 0 {
			t.Errorf("path %+v", p)
		}
	}
	// docs/WORKFLOW.md: an auto-approved refund-only case takes 5.
	if p := paths[PathRefundAuto]; p.MinTransitions != 5 || p.MaxTransitions != 5 {
		t.Errorf("refund-auto transitions %+v, want 5 (docs/WORKFLOW.md)", p)
	}
	if len(rep.Cost) != len(rep.Paths)+1 {
		t.Errorf("cost rows %+v", rep.Cost)
	}
	for _, c := range rep.Cost {
		if c.Total <= 0 || c.Total != c.StepFunctions+c.HTTPAPI+c.LambdaRequests {
			t.Errorf("cost %+v", c)
		}
	}
	if !strings.Contains(progress.String(), "[burst") || !strings.Contains(progress.String(), "[batch") {
		t.Errorf("progress lines:\n%s", progress.String())
	}
	md := rep.Markdown()
	for _, want := range []string{"## Burst intake", "## Paced intake", "## Batch review", "## List price per 1,000 cases", "| lost (accepted, never decided) | 0 |"} {
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
	if code := Main([]string{"--cases", "20", "--clients", "4", "--batch", "10", "--out", dir}, &stdout, &stderr); code != 0 {
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
