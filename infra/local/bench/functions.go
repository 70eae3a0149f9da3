package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// FunctionStats are one function's deployment size and the cost of one
// invocation of its handler, from BenchmarkFunction in infra/local/stack.
type FunctionStats struct {
	Name           string  `json:"name"`
	BootstrapBytes int64   `json:"bootstrap_bytes"`
	MemoryMB       int     `json:"memory_mb"`
	NsPerOp        float64 `json:"ns_per_op"`
	CPUNsPerOp     float64 `json:"cpu_ns_per_op"`
	BytesPerOp     float64 `json:"bytes_per_op"`
	AllocsPerOp    float64 `json:"allocs_per_op"`
}

// FunctionBench is the Go benchmark the functions phase runs.
const FunctionBench = "go test -run ^$ -bench ^BenchmarkFunction$ -benchmem -benchtime 2s ./infra/local/stack/"

// measureFunctions builds every function as `make build` does (into a
// temporary folder) and runs FunctionBench, from the module root.
func measureFunctions(ctx context.Context, progress io.Writer) ([]FunctionStats, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "aftersales-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	say := func(s string) {
		if progress != nil {
			fmt.Fprintln(progress, s)
		}
	}
	say("[functions] building the bootstraps (go run ./infra/cmd/build)")
	if _, err := run(ctx, root, "go", "run", "./infra/cmd/build", "-out", dir); err != nil {
		return nil, err
	}
	say("[functions] " + FunctionBench)
	args := strings.Fields(FunctionBench)
	out, err := run(ctx, root, args[0], args[1:]...)
	if err != nil {
		return nil, err
	}
	stats, err := parseFunctionBench(out)
	if err != nil {
		return nil, err
	}
	for i := range stats {
		fi, err := os.Stat(filepath.Join(dir, stats[i].Name, "bootstrap"))
		if err != nil {
			return nil, fmt.Errorf("bootstrap of %s: %w", stats[i].Name, err)
		}
		stats[i].BootstrapBytes = fi.Size()
		stats[i].MemoryMB = FunctionMemoryMB[stats[i].Name]
	}
	return stats, nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := run(ctx, "", "go", "env", "GOMOD")
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("the functions phase runs from the repository (go env GOMOD: %q, %v)", mod, err)
	}
	return filepath.Dir(mod), nil
}

func run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out, nil
}

// benchLine matches a result line of BenchmarkFunction, e.g.
// "BenchmarkFunction/api-2  5000  230000 ns/op  41000 cpu-ns/op  52000 B/op  610 allocs/op".
var benchLine = regexp.MustCompile(`^BenchmarkFunction/(\w+)(?:-\d+)?\s+\d+\s+(.*)$`)

// parseFunctionBench reads the metrics of every function from go test
// -bench output; each function needs ns/op, cpu-ns/op, B/op and allocs/op.
func parseFunctionBench(out []byte) ([]FunctionStats, error) {
	var stats []FunctionStats
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		fields := strings.Fields(m[2])
		metrics := map[string]float64{}
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", sc.Text(), err)
			}
			metrics[fields[i+1]] = v
		}
		for _, unit := range []string{"ns/op", "cpu-ns/op", "B/op", "allocs/op"} {
			if _, ok := metrics[unit]; !ok {
				return nil, fmt.Errorf("benchmark line %q lacks %s", sc.Text(), unit)
			}
		}
		stats = append(stats, FunctionStats{Name: m[1], NsPerOp: metrics["ns/op"], CPUNsPerOp: metrics["cpu-ns/op"],
			BytesPerOp: metrics["B/op"], AllocsPerOp: metrics["allocs/op"]})
	}
	if len(stats) == 0 {
		return nil, fmt.Errorf("no BenchmarkFunction results in:\n%s", out)
	}
	slices.SortFunc(stats, func(a, b FunctionStats) int { return strings.Compare(a.Name, b.Name) })
	return stats, nil
}

// bootstrapLimit is the goal for each bootstrap: 12 MB, read as
// decimal megabytes (the stricter reading).
const bootstrapLimit = 12_000_000

// functionsMarkdown renders the functions phase.
func functionsMarkdown(w func(string, ...any), stats []FunctionStats) {
	w("## Per function\n\n")
	w("Bootstraps built by `go run ./infra/cmd/build` (linux/arm64, stripped, as deployed); one invocation of each handler from `%s` (CPU and allocations are process-wide: they include the in-process stand-ins answering the handler's requests).\n\n", FunctionBench)
	w("| function | bootstrap | <= 12 MB | memory | wall time / invocation | CPU time / invocation | allocations / invocation | bytes allocated |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range stats {
		ok := "yes"
		if s.BootstrapBytes > bootstrapLimit {
			ok = fmt.Sprintf("no (+%.2f MB)", float64(s.BootstrapBytes-bootstrapLimit)/1e6)
		}
		w("| %s | %.2f MB (%.2f MiB) | %s | %d MB | %.0f µs | %.0f µs | %.0f | %.0f KB |\n", s.Name, float64(s.BootstrapBytes)/1e6, float64(s.BootstrapBytes)/(1<<20), ok, s.MemoryMB,
			s.NsPerOp/1e3, s.CPUNsPerOp/1e3, s.AllocsPerOp, s.BytesPerOp/1e3)
	}
	w("\n")
}
