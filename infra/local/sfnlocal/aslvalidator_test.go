package sfnlocal

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot walks up from the test's directory to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// TestDefinitionsPassASLValidator checks that every definition the suite
// uses, and every production definition under statemachines/, is accepted
// by the community asl-validator as well as by sfnlocal, so the local
// interpreter never accepts something the real service's schema rejects.
func TestDefinitionsPassASLValidator(t *testing.T) {
	root := repoRoot(t)
	bin := filepath.Join(root, "_tools", "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("asl-validator not installed: run `make tools` (npm ci --prefix _tools)")
	}
	suite, err := filepath.Glob("testdata/conformance/*/definition.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(suite) == 0 {
		t.Fatal("no conformance definitions found")
	}
	prod, err := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	files := append(suite, prod...)
	t.Logf("validating %d suite and %d production definitions", len(suite), len(prod))

	for _, f := range prod {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Production definitions carry CDK ${Placeholders}; sfnlocal
		// validates them with placeholder values the way CreateStateMachine
		// would after substitution.
		if err := Validate([]byte(fillPlaceholders(string(b)))); err != nil {
			t.Errorf("%s: sfnlocal refuses it: %v", f, err)
		}
	}

	// One node process for all files keeps the test fast; the validator
	// prints a line per file, so a failure names the culprit.
	args := make([]string, 0, 2*len(files))
	for _, f := range files {
		args = append(args, "--json-path", f)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("asl-validator rejected a definition: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "is valid"); n != len(files) {
		t.Fatalf("asl-validator reported %d valid definitions, want %d:\n%s", n, len(files), out)
	}
}

// fillPlaceholders replaces ${Name} with a syntactically valid Lambda ARN
// so the structure can be validated before deployment values exist.
func fillPlaceholders(def string) string {
	var b strings.Builder
	for {
		i := strings.Index(def, "${")
		if i < 0 {
			b.WriteString(def)
			return b.String()
		}
		j := strings.Index(def[i:], "}")
		if j < 0 {
			b.WriteString(def)
			return b.String()
		}
		b.WriteString(def[:i])
		b.WriteString("arn:aws:lambda:us-east-1:123456789012:function:placeholder")
		def = def[i+j+1:]
	}
}
