package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aftersales/aftersales/infra/local/quota"
)

// Main runs `go run ./infra/local bench [flags]` with the arguments after
// "bench" and returns the exit code. It prints progress on stderr, the
// Markdown report on stdout, and writes bench.md, bench.json and the chart
// bench.svg under --out.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	fs.IntVar(&cfg.Cases, "cases", 20000, "applications in the burst (and in the paced run)")
	fs.IntVar(&cfg.Clients, "clients", 64, "concurrent HTTP clients")
	fs.DurationVar(&cfg.Paced, "paced", 0, "also submit --cases spread over this long (e.g. 60s); 0 skips the paced run")
	fs.IntVar(&cfg.Batch, "batch", 10000, "pending_review cases approved in one batch; 0 skips it")
	fs.IntVar(&cfg.CostCases, "cost-cases", 20, "cases of each full path in the metered cost phase; 0 skips it")
	fs.IntVar(&cfg.Latency, "latency", 500, "refund-only cases timed one at a time from submit to completed; 0 skips it")
	fs.BoolVar(&cfg.Functions, "functions", true, "build the bootstraps and run the per-function Go benchmarks (from the repository)")
	fs.DurationVar(&cfg.Sample, "sample", 0, "how often the intake queue depth is sampled (default 100ms)")
	fs.DurationVar(&cfg.Timeout, "timeout", 0, "longest wait for a phase's cases to be decided (default 10m)")
	quotaScale := fs.Float64("quota-scale", 1, "with --cloud-quotas: multiply every quota by this (0.1 with --d11-cases 10000 is a 1/10 scale model of Double 11 on the same clock)")
	cloudQuotas := fs.Bool("cloud-quotas", false, "enforce AWS's default quotas in the local services (docs/PERFORMANCE.md, \"Cloud quotas\")")
	fs.BoolVar(&cfg.Double11, "double11", false, "run the Double 11 phase (--d11-cases over --d11-over, half in the first tenth) instead of the burst, paced, batch and latency phases")
	fs.IntVar(&cfg.D11Cases, "d11-cases", 100000, "applications in the Double 11 phase")
	fs.DurationVar(&cfg.D11Over, "d11-over", 10*time.Minute, "how long the Double 11 phase's applications are spread over")
	out := fs.String("out", "docs/bench", "directory for bench.md and bench.json; empty writes no files")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || cfg.Cases <= 0 || cfg.Clients <= 0 || cfg.Batch < 0 || cfg.Paced < 0 || cfg.CostCases < 0 || cfg.Latency < 0 {
		fmt.Fprintln(stderr, "bench: --cases and --clients must be positive, --batch, --paced, --latency and --cost-cases not negative; no arguments")
		return 2
	}
	if *cloudQuotas {
		if *quotaScale <= 0 {
			fmt.Fprintln(stderr, "bench: --quota-scale must be positive")
			return 2
		}
		q := quota.Defaults().Scaled(*quotaScale)
		cfg.Quotas = &q
		cfg.QuotaScale = *quotaScale
	}
	if !*quiet {
		cfg.Progress = stderr
		if f, ok := stderr.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				cfg.Terminal = true
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	md := rep.Markdown()
	fmt.Fprint(stdout, md)
	if *out != "" {
		if err := write(*out, rep, md); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		fmt.Fprintf(stderr, "bench: wrote bench.md, bench.json and bench.svg in %s\n", *out)
	}
	bad := 0
	for _, in := range []*Intake{rep.Burst, rep.Paced} {
		if in != nil {
			bad += in.Lost + in.Duplicated
		}
	}
	if d := rep.Double11; d != nil {
		bad += d.Lost + d.Duplicated + d.RejectedTotal()
	}
	if bad > 0 {
		fmt.Fprintln(stderr, "bench: cases were lost or duplicated")
		return 1
	}
	return 0
}

func write(dir string, rep *Report, md string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.json"), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.md"), []byte(md), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "bench.svg"))
	if err != nil {
		return err
	}
	if err := WriteSVG(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
