package sfnlocal

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// aslValidatorRefusedOnPurpose lists the asl-validator fixtures that are
// valid ASL but that sfnlocal refuses because it does not implement the
// feature. The value is a word the refusal must contain, so the developer
// learns which feature is missing rather than reading a generic error.
var aslValidatorRefusedOnPurpose = map[string]string{
	"valid-assign.asl.json":                       "variables",
	"valid-comments-are-not-parsed.asl.json":      "JSONata",
	"valid-json-surround-syntax.json":             "JSONata",
	"valid-jsonata-syntax-function-call.json":     "JSONata",
	"valid-jsonata-syntax-path-expression.json":   "JSONata",
	"valid-jsonata-syntax-simple-arithmetic.json": "JSONata",
	"valid-jsonata.asl.json":                      "JSONata",
	"valid-map-items.asl.json":                    "JSONata",
	"valid-map-with-item-batcher-jsonata.json":    "JSONata",
	"valid-task-timeout-jsonata.json":             "JSONata",
	"valid-wait-jsonata.asl.json":                 "JSONata",
	"valid-map-distributed.asl.json":              "distributed Map",
	"valid-map-noconfig.asl.json":                 "distributed Map",
	"valid-map-tolerated.json":                    "distributed Map",
	"valid-map-with-item-batcher.json":            "distributed Map",
	"valid-task-credentials.json":                 "cross-account",
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
	"valid-task-parameters.json": "not a valid Task resource",
	// "$field2" is not a JSONPath: Jayway refuses it ("expected '.' or
	// '['"), so the intrinsic function cannot be compiled.
	"valid-fail-paths.json": "invalid JSONPath \"$field2\"",
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
