package sfnlocal

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aftersales/aftersales/infra/local/vclock"
)

// aslValidatorRefusedOnPurpose lists the asl-validator fixtures that are
// valid ASL but that sfnlocal refuses because it does not implement the
// feature. The value is a word the refusal must contain, so the developer
// learns which feature is missing rather than reading a generic error.
var aslValidatorRefusedOnPurpose = map[string]string{
	"valid-map-with-item-batcher-jsonata.json": "distributed Map",
	"valid-map-distributed.asl.json":           "distributed Map",
	"valid-map-noconfig.asl.json":              "distributed Map",
	"valid-map-tolerated.json":                 "distributed Map",
	"valid-map-with-item-batcher.json":         "distributed Map",
	"valid-task-credentials.json":              "cross-account",
}

// aslValidatorTooLenient lists the valid-* fixtures that the service
// itself refuses, as far as its documentation and its JSONPath engine
// (Jayway) tell, so sfnlocal follows the service: asl-validator checks the
// JSON schema and a loose path pattern only.
var aslValidatorTooLenient = map[string]string{
	// Fn::GetAtt and Ref are CloudFormation functions: CloudFormation
	// replaces them before Step Functions sees the definition, and
	// CreateStateMachine needs a string Resource.
	"valid-task-intrisic-function.json": "Resource is required and must be an ARN",
	// An Amazon SWF task is not a Task resource of Step Functions: the
	// service runs Lambda functions, activities and arn:aws:states:::
	// integrations.
	"valid-task-parameters.json":      "not a valid Task resource",
	"valid-task-timeout-jsonata.json": "not a valid Task resource",
	// Variable names are Unicode identifiers (UAX #31) in the service's
	// documentation, and JSONata could not read $top-level.
	"valid-assign.asl.json": "not a valid variable name",
	// A filter compares with a literal, and FooBar unquoted is none; Jayway
	// needs 'FooBar'.
	"valid-current-value-predicate.json": "FooBar",
}

// TestASLValidatorSuite runs the definitions of the asl-validator project
// (testdata/asl-validator) through Validate: every valid-* fixture must be
// accepted and every invalid-* one refused, except the features refused on
// purpose listed above.
func TestASLValidatorSuite(t *testing.T) {
	files, err := filepath.Glob("testdata/asl-validator/definitions/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 112 {
		t.Fatalf("found %d asl-validator fixtures, want 112", len(files))
	}
	name := regexp.MustCompile(`^(valid|invalid)-(.+)\.json$`)
	agree, onPurpose, lenient, swfChecked := 0, 0, 0, 0
	var disagree []string
	for _, f := range files {
		base := filepath.Base(f)
		m := name.FindStringSubmatch(base)
		if m == nil {
			t.Fatalf("%s: not a valid-* or invalid-* fixture", base)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// CloudFormation-style ${Name} placeholders are filled with a
		// Lambda ARN first, as CreateStateMachine does with its
		// substitutions (an unclosed "${name" stays and is refused).
		verr := Validate([]byte(fillPlaceholders(string(b))))
		want := m[1] == "valid"
		if word, ok := aslValidatorRefusedOnPurpose[base]; ok {
			if verr == nil || !strings.Contains(verr.Error(), word) {
				t.Errorf("%s: listed as refused on purpose (%s) but Validate says: %s", base, word, errString(verr))
			}
			onPurpose++
			continue
		}
		if word, ok := aslValidatorTooLenient[base]; ok {
			if verr == nil || !strings.Contains(verr.Error(), word) {
				t.Errorf("%s: listed as refused by the service (%s) but Validate says: %s", base, word, errString(verr))
			}
			lenient++
			continue
		}
		if (verr == nil) == want {
			agree++
			continue
		}
		disagree = append(disagree, base+": "+errString(verr))
	}
	// Several fixtures use an Amazon SWF task as their resource, which the
	// service refuses whatever else the fixture tests. So that they still
	// test what they were written for, each is checked again with a Lambda
	// function ARN in its place and must then get the validator's verdict.
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(b), swfTask) {
			continue
		}
		base := filepath.Base(f)
		if _, ok := aslValidatorRefusedOnPurpose[base]; ok {
			continue
		}
		def := strings.ReplaceAll(string(b), swfTask, "arn:aws:lambda:us-east-1:123456789012:function:X")
		verr := Validate([]byte(def))
		if (verr == nil) != strings.HasPrefix(base, "valid-") {
			disagree = append(disagree, base+" (SWF task replaced by a Lambda ARN): "+errString(verr))
		}
		swfChecked++
	}
	sort.Strings(disagree)
	t.Logf("asl-validator fixtures: %d of %d agree with the validator; %d features refused on purpose; %d where the service is stricter than the validator; %d SWF fixtures rechecked with a Lambda ARN",
		agree, len(files), onPurpose, lenient, swfChecked)
	if len(disagree) > 0 {
		t.Errorf("%d fixtures disagree:\n  %s", len(disagree), strings.Join(disagree, "\n  "))
	}
}

const swfTask = "arn:aws:swf:us-east-1:123456789012:task:X"

func errString(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

// awsLocalCase is one case of testdata/aws-local-stepfunctions/cases.json:
// a unit test of the aws-local-stepfunctions library turned into a state
// machine, with the outcome AWS documents. Exactly one of Output, Error and
// Refused is the expectation.
type awsLocalCase struct {
	Name       string          `json:"name"`
	Source     string          `json:"source"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Output     json.RawMessage `json:"output"`
	Error      string          `json:"error"`
	Cause      string          `json:"cause"`
	Refused    bool            `json:"refused"`
	// ElapsedSeconds is the virtual time the execution takes, when set.
	ElapsedSeconds float64 `json:"elapsedSeconds"`
	// Library says what the library does where it disagrees with AWS's
	// documentation; the case follows AWS.
	Library string `json:"library"`
}

// TestAWSLocalStepFunctionsCases runs the curated cases of the
// aws-local-stepfunctions test suite (intrinsic functions, input and
// output processing, Choice rules) through the interpreter.
func TestAWSLocalStepFunctionsCases(t *testing.T) {
	b, err := os.ReadFile("testdata/aws-local-stepfunctions/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []awsLocalCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 200 {
		t.Fatalf("found %d cases, want the whole curated set", len(file.Cases))
	}
	var mu sync.Mutex
	agree, followsAWS := 0, 0
	t.Cleanup(func() {
		t.Logf("aws-local-stepfunctions cases: %d of %d agree with AWS's documented behaviour; the library itself disagrees with AWS in %d of them",
			agree, len(file.Cases), followsAWS)
	})
	for i, tc := range file.Cases {
		t.Run(fmt.Sprintf("%03d %s", i, tc.Name), func(t *testing.T) {
			t.Parallel()
			ok := runAWSLocalCase(t, tc)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				agree++
			}
			if tc.Library != "" {
				followsAWS++
			}
		})
	}
}

func runAWSLocalCase(t *testing.T, tc awsLocalCase) bool {
	t.Helper()
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	testFunctions(s, &sync.Map{})
	m, err := s.CreateStateMachine("case", string(tc.Definition), nil)
	if tc.Refused {
		if err == nil {
			t.Errorf("definition accepted, want it refused (%s)", tc.Source)
			return false
		}
		return true
	}
	if err != nil {
		t.Errorf("create: %v (%s)", err, tc.Source)
		return false
	}
	input := "{}"
	if len(tc.Input) > 0 {
		input = string(tc.Input)
	}
	e, err := s.StartExecution(m.ARN, "run", input)
	if err != nil {
		t.Errorf("start: %v", err)
		return false
	}
	got := runToCompletion(t, s, c, e.ARN)
	if tc.Error != "" {
		if got.Status != StatusFailed || got.Error != tc.Error || (tc.Cause != "" && got.Cause != tc.Cause) {
			t.Errorf("got %s %s (%s) output %s, want FAILED %s %s (%s)", got.Status, got.Error, got.Cause, got.Output, tc.Error, tc.Cause, tc.Source)
			return false
		}
		return true
	}
	if el := got.StopDate.Sub(got.StartDate).Seconds(); tc.ElapsedSeconds != 0 && el != tc.ElapsedSeconds {
		t.Errorf("took %vs of virtual time, want %vs (%s)", el, tc.ElapsedSeconds, tc.Source)
		return false
	}
	if got.Status != StatusSucceeded {
		t.Errorf("got %s %s (%s), want SUCCEEDED (%s)", got.Status, got.Error, got.Cause, tc.Source)
		return false
	}
	g, _ := decodeJSON([]byte(got.Output))
	w, err := decodeJSON(tc.Output)
	if err != nil {
		t.Fatalf("expected output: %v", err)
	}
	if !jsonEqual(g, w) {
		t.Errorf("output %s, want %s (%s)", got.Output, encodeJSON(w), tc.Source)
		return false
	}
	return true
}
