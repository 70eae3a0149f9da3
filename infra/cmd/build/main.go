// Command build cross-compiles every functions/<name> to
// <out>/<name>/bootstrap for Lambda's provided.al2023 runtime on arm64, the
// layout the CDK stack's Code_FromAsset expects. Run it from the repository
// root before `cdk deploy`:
//
//	go run ./infra/cmd/build [-out build] [-functions functions]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

func main() {
	out := flag.String("out", "build", "output folder: one <name>/bootstrap per function")
	src := flag.String("functions", "functions", "folder of the functions' main packages")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		bin := filepath.Join(out, e.Name(), "bootstrap")
		// lambda.norpc drops the RPC mode that only the go1.x runtime
		// used; -trimpath and -s -w make the binary reproducible and small.
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w",
			"-o", bin, "./"+filepath.ToSlash(filepath.Join(src, e.Name())))
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		fmt.Println(bin)
		n++
	}
	if n == 0 {
		return fmt.Errorf("no function found in %s", src)
	}
	return nil
}
