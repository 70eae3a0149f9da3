package console

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTypeCheck runs TypeScript's compiler (pinned in _tools/, installed by
// `make tools`) over the sources in strict mode: esbuild strips types
// without checking them. Building the console does not need it; testing
// does, and a machine without it fails here rather than skipping.
func TestTypeCheck(t *testing.T) {
	tsc, err := filepath.Abs(filepath.Join("..", "_tools", "node_modules", ".bin", "tsc"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tsc); errors.Is(err, os.ErrNotExist) {
		t.Fatal("tsc not installed: run `make tools` (npm ci --prefix _tools)")
	}
	out, err := exec.Command(tsc, "-p", "tsconfig.json").CombinedOutput()
	if err != nil {
		t.Fatalf("tsc -p console/tsconfig.json: %v\n%s", err, out)
	}
}
