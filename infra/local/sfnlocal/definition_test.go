package sfnlocal

import (
	"errors"
	"strings"
	"testing"
)

// TestValidateRefusesUnsupported checks that every construct sfnlocal does
// not implement, and every malformed field, is refused at load time with
// the state and the field named, instead of being ignored.
func TestValidateRefusesUnsupported(t *testing.T) {
	const task = `"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"}`
	tests := []struct {
		name      string
		def       string
		wantState string
		wantField string
		wantMsg   string
	}{
		{"unknown top-level field", `{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Pass","End":true}}}`, "", "Foo", "unknown field"},
		{"JSONata query language", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "", "QueryLanguage", "JSONata"},
		{"unknown state field", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Retries":3}}}`, "A", "Retries", "not allowed"},
		{"field of another state type", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Resource":"x"}}}`, "A", "Resource", "not allowed in a Pass state"},
		{"variables", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Assign":{"x":1}}}}`, "A", "Assign", "variables"},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Activity","End":true}}}`, "A", "Type", "unknown state type"},
		{"dynamodb integration", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{},"End":true}}}`, "A", "Resource", "not supported"},
		{"sqs integration", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`, "A", "Resource", "not supported"},
		{"activity", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:x","End":true}}}`, "A", "Resource", "activities"},
		{"invoke without FunctionName", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"Payload":{}},"End":true}}}`, "A", "Parameters", "FunctionName"},
		{"unsupported invoke parameter", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Foo":1},"End":true}}}`, "A", "Parameters", "Foo"},
		{"token task without token", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"f"},"End":true}}}`, "A", "Parameters", "$$.Task.Token"},
		{"credentials", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Credentials":{},"End":true}}}`, "A", "Credentials", "not supported"},
		{"heartbeat not below timeout", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"TimeoutSeconds":10,"HeartbeatSeconds":10,"End":true}}}`, "A", "HeartbeatSeconds", "smaller"},
		{"timeout and timeout path", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"TimeoutSeconds":10,"TimeoutSecondsPath":"$.t","End":true}}}`, "A", "TimeoutSecondsPath", "together"},
		{"unsupported intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.ArrayPartition($.a, 2)"},"End":true}}}`, "A", "Parameters", "States.ArrayPartition is not supported"},
		{"unknown intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"Foo.Bar($.a)"},"End":true}}}`, "A", "Parameters", "must be a path"},
		{"intrinsic arity", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.MathAdd(1)"},"End":true}}}`, "A", "Parameters", "takes 2"},
		{"format placeholder count", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Format('{} {}', $.a)"},"End":true}}}`, "A", "Parameters", "placeholder"},
		{"bad path", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"a.b","End":true}}}`, "A", "InputPath", "must start with"},
		{"non-reference ResultPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, "A", "ResultPath", "reference path"},
		{"context ResultPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$$.a","End":true}}}`, "A", "ResultPath", "context"},
		{"next and end", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`, "A", "Next", "both"},
		{"neither next nor end", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, "A", "Next", "needs Next"},
		{"missing transition target", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, "A", "Next", "not a state"},
		{"unreachable state", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Pass","End":true}}}`, "B", "(state)", "not reachable"},
		{"duplicate nested name", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}],"End":true}}}`, "P", "(name)", "already used"},
		{"choice without Next", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true}],"Default":"D"},"D":{"Type":"Succeed"}}}`, "C", "Choices[0].Next", "must have Next"},
		{"choice two operators", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"IsNull":true,"Next":"D"}]},"D":{"Type":"Succeed"}}}`, "C", "Choices[0]", "exactly one operator"},
		{"choice unknown operator", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringContains":"x","Next":"D"}]},"D":{"Type":"Succeed"}}}`, "C", "Choices[0].StringContains", "unknown field"},
		{"choice JSONata condition", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"D"}]},"D":{"Type":"Succeed"}}}`, "C", "Choices[0].Condition", "JSONata"},
		{"choice wrong literal type", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":"1","Next":"D"}]},"D":{"Type":"Succeed"}}}`, "C", "Choices[0].NumericEquals", "number"},
		{"choice bad timestamp", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","TimestampEquals":"2026-01-01","Next":"D"}]},"D":{"Type":"Succeed"}}}`, "C", "Choices[0].TimestampEquals", "RFC 3339"},
		{"nested rule with Next", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Next":"D"},"Next":"D"}]},"D":{"Type":"Succeed"}}}`, "C", "Choices[0].Not.Next", "nested"},
		{"wait two fields", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, "W", "Seconds", "exactly one"},
		{"wait negative", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":-1,"End":true}}}`, "W", "Seconds", "between 0"},
		{"fail error and errorpath", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"x","ErrorPath":"$.e"}}}`, "F", "ErrorPath", "together"},
		{"fail with InputPath", `{"StartAt":"F","States":{"F":{"Type":"Fail","InputPath":"$"}}}`, "F", "InputPath", "not allowed"},
		{"retry ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`, "A", "Retry[0].ErrorEquals", "last"},
		{"retry ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Retry":[{"ErrorEquals":["States.ALL","X"]}],"End":true}}}`, "A", "Retry[0].ErrorEquals", "alone"},
		{"retry backoff below one", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}],"End":true}}}`, "A", "Retry[0].BackoffRate", "1.0"},
		{"retry unknown jitter", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}],"End":true}}}`, "A", "Retry[0].JitterStrategy", "FULL"},
		{"retry unknown field", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Retry":[{"ErrorEquals":["X"],"Interval":3}],"End":true}}}`, "A", "Retry[0].Interval", "unknown field"},
		{"catch without Next", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Catch":[{"ErrorEquals":["X"]}],"End":true}}}`, "A", "Catch[0].Next", "required"},
		{"catch bad target", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Catch":[{"ErrorEquals":["X"],"Next":"Z"}],"End":true}}}`, "A", "Catch[0].Next", "not a state"},
		{"distributed map", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"End":true}}}`, "M", "ItemProcessor.ProcessorConfig.ExecutionType", "not supported"},
		{"distributed map mode", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"End":true}}}`, "M", "ItemProcessor.ProcessorConfig.Mode", "distributed"},
		{"item reader", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{},"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"End":true}}}`, "M", "ItemReader", "distributed Map"},
		{"map processor and iterator", `{"StartAt":"M","States":{"M":{"Type":"Map","Iterator":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"ItemProcessor":{"StartAt":"Y","States":{"Y":{"Type":"Pass","End":true}}},"End":true}}}`, "M", "ItemProcessor", "exactly one"},
		{"map selector and parameters", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{},"Parameters":{},"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"End":true}}}`, "M", "ItemSelector", "together"},
		{"error inside map processor", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","End":true}}},"End":true}}}`, "X", "Resource", "not supported"},
		{"error inside parallel branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Bogus":true,"End":true}}}],"End":true}}}`, "X", "Bogus", "not allowed"},
		{"branch unknown field", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","TimeoutSeconds":3,"States":{"X":{"Type":"Pass","End":true}}}],"End":true}}}`, "P", "TimeoutSeconds", "unknown field"},
		{"parameters value not a path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"hello"},"End":true}}}`, "A", "Parameters", "must be a path"},
		{"parameters duplicate key", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$.a","x":1},"End":true}}}`, "A", "Parameters", "both produce"},
		{"bad version", `{"Version":"2.0","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "", "Version", "1.0"},
		{"start at missing", `{"StartAt":"Z","States":{"A":{"Type":"Pass","End":true}}}`, "", "StartAt", "not a state"},
		{"not JSON", `{"StartAt":`, "", "(document)", "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate([]byte(tc.def))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("Validate = %v, want a *DefinitionError", err)
			}
			if de.State != tc.wantState || de.Field != tc.wantField {
				t.Errorf("refused state %q field %q, want state %q field %q (%v)", de.State, de.Field, tc.wantState, tc.wantField, err)
			}
			if !strings.Contains(de.Message, tc.wantMsg) {
				t.Errorf("message %q does not mention %q", de.Message, tc.wantMsg)
			}
			if tc.wantState != "" && !strings.Contains(err.Error(), `state "`+tc.wantState+`"`) {
				t.Errorf("error text %q does not name the state", err.Error())
			}
		})
	}
}

func TestValidateAcceptsJSONPathQueryLanguage(t *testing.T) {
	def := `{"QueryLanguage":"JSONPath","Comment":"c","Version":"1.0","TimeoutSeconds":60,"StartAt":"A","States":{"A":{"Type":"Pass","Comment":"x","End":true}}}`
	if err := Validate([]byte(def)); err != nil {
		t.Fatal(err)
	}
}

func TestSubstitute(t *testing.T) {
	tests := []struct {
		name    string
		def     string
		subs    map[string]string
		want    string
		wantErr string
	}{
		{"replaces every occurrence", `{"a":"${Fn}","b":"${Fn}:live","c":"${Table}"}`, map[string]string{"Fn": "arn:x", "Table": "cases"}, `{"a":"arn:x","b":"arn:x:live","c":"cases"}`, ""},
		{"no placeholders", `{"a":"b"}`, nil, `{"a":"b"}`, ""},
		{"missing value is an error", `{"a":"${Fn}","b":"${Other}"}`, map[string]string{"Fn": "x"}, "", "Other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Substitute(tc.def, tc.subs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Substitute = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
