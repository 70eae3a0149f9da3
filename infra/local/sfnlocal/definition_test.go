package sfnlocal

import (
	"errors"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/infra/local/vclock"
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
		{"unknown query language", `{"QueryLanguage":"JMESPath","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "", "QueryLanguage", "JSONata"},
		{"JSONPath field in a JSONata state", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","End":true}}}`, "A", "InputPath", "a JSONata state uses Arguments or Output"},
		{"JSONata field in a JSONPath state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% 1 %}","End":true}}}`, "A", "Output", "belongs to JSONata states"},
		{"malformed JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{%1%}","End":true}}}`, "A", "Output", "well-formed"},
		{"JSONata syntax error", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% (1 + %}","End":true}}}`, "A", "Output", "invalid JSONata expression"},
		{"JSONata choice rule with Variable", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"D"}]},"D":{"Type":"Succeed"}}}`, "C", "Choices[0].IsNull", "not allowed in a JSONata choice rule"},
		{"unknown state field", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Retries":3}}}`, "A", "Retries", "not allowed"},
		{"field of another state type", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Resource":"x"}}}`, "A", "Resource", "not allowed in a Pass state"},
		{"Assign in a Succeed state", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Assign":{"x":1}}}}`, "A", "Assign", "not allowed in a Succeed state"},
		{"bad variable name", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Assign":{"1x":1}}}}`, "A", "Assign", "not a valid variable name"},
		{"reserved variable name", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Assign":{"states.$":"$"}}}}`, "A", "Assign", "reserved"},
		{"Assign not an object", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Assign":[1]}}}`, "A", "Assign", "must be an object"},
		{"ResultPath into a variable", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"ResultPath":"$x"}}}`, "A", "ResultPath", "variable"},
		{"catch ResultPath into a variable", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$x","Next":"B"}],"End":true},"B":{"Type":"Succeed"}}}`, "A", "Catch[0].ResultPath", "variable"},
		{"Assign in a nested choice rule", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Assign":{"x":1}},"Next":"D"}]},"D":{"Type":"Succeed"}}}`, "C", "Choices[0].Not.Assign", "only a rule directly"},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Activity","End":true}}}`, "A", "Type", "unknown state type"},
		{"resource of another service", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:swf:us-east-1:123456789012:task:X","End":true}}}`, "A", "Resource", "not a valid Task resource"},
		{"integration ARN with a region", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1::sqs:sendMessage","End":true}}}`, "A", "Resource", "not a valid Task resource"},
		{"integration with an unknown pattern", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.async","End":true}}}`, "A", "Resource", "not a valid Task resource"},
		{"lambda alias with bad characters", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f:$*#","End":true}}}`, "A", "Resource", "not a valid Task resource"},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Wait","Seconds":1,"Next":"A"}}}`, "", "States", "no terminal state"},
		{"no terminal state in a branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"X"}}}],"End":true}}}`, "P", "States", "no terminal state"},
		{"unknown States function", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.ArraySort($.a)"},"End":true}}}`, "A", "Parameters", "States.ArraySort is not supported"},
		{"intrinsic literal of the wrong type", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.MathAdd(1,'-1')"},"End":true}}}`, "A", "Parameters", "must be a number"},
		{"invoke without FunctionName", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"Payload":{}},"End":true}}}`, "A", "Parameters", "FunctionName"},
		{"unsupported invoke parameter", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Foo":1},"End":true}}}`, "A", "Parameters", "Foo"},
		{"sqs callback without token", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":"x"},"End":true}}}`, "A", "Parameters", "$$.Task.Token"},
		{"token task without token", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"f"},"End":true}}}`, "A", "Parameters", "$$.Task.Token"},
		{"credentials", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"Credentials":{},"End":true}}}`, "A", "Credentials", "not supported"},
		{"heartbeat not below timeout", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"TimeoutSeconds":10,"HeartbeatSeconds":10,"End":true}}}`, "A", "HeartbeatSeconds", "smaller"},
		{"timeout and timeout path", `{"StartAt":"A","States":{"A":{"Type":"Task",` + task + `,"TimeoutSeconds":10,"TimeoutSecondsPath":"$.t","End":true}}}`, "A", "TimeoutSecondsPath", "together"},
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
		{"error inside map processor", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:swf:us-east-1:123456789012:task:X","End":true}}},"End":true}}}`, "X", "Resource", "not a valid Task resource"},
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
			if tc.wantMsg == "no terminal state" && de.Code != "MISSING_END_STATE" {
				t.Errorf("code %q, want MISSING_END_STATE", de.Code)
			}
			if tc.wantState != "" && !strings.Contains(err.Error(), `state "`+tc.wantState+`"`) {
				t.Errorf("error text %q does not name the state", err.Error())
			}
		})
	}
}

func TestValidateAcceptsJSONPathQueryLanguage(t *testing.T) {
	def := `{"QueryLanguage":"JSONPath","Comment":"c","Version":"1.0","TimeoutSeconds":60,"StartAt":"A","States":{"A":{"Type":"Pass","Comment":"x","QueryLanguage":"JSONPath","End":true}}}`
	if err := Validate([]byte(def)); err != nil {
		t.Fatal(err)
	}
}

// TestValidateAcceptsWhatTheServiceAccepts checks definitions the service
// accepts even where sfnlocal cannot run them: the resources are refused
// only when a task actually runs (see TestUnsupportedResourceFailsAtRunTime).
func TestValidateAcceptsWhatTheServiceAccepts(t *testing.T) {
	tests := []struct{ name, def string }{
		{"activity", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:x","End":true}}}`},
		{"dynamodb integration", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{},"End":true}}}`},
		{"sqs callback", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"t.$":"$$.Task.Token"}},"End":true}}}`},
		{"sns publish", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","End":true}}}`},
		{"nested execution", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:child"},"End":true}}}`},
		{"batch job", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::batch:submitJob.sync","End":true}}}`},
		{"AWS SDK integration", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:listBuckets","End":true}}}`},
		{"lambda ARN with alias and any region", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:region-1:1234567890:function:f:$LATEST","End":true}}}`},
		{"state-level JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`},
		{"loop with a way out", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":3,"Next":"Done"}],"Default":"B"},"B":{"Type":"Pass","Next":"A"},"Done":{"Type":"Succeed"}}}`},
		{"scalar ResultSelector", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"ResultSelector":"done","End":true}}}`},
		{"array Parameters", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":[{"id.$":"$$.Execution.Id"}],"End":true}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Validate([]byte(tc.def)); err != nil {
				t.Fatal(err)
			}
		})
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

// TestUnsupportedResourceFailsAtRunTime checks that a resource accepted by
// CreateStateMachine but not implemented locally fails its execution with
// States.Runtime (which no Catch swallows) and a cause naming the feature,
// and only when the task is reached.
func TestUnsupportedResourceFailsAtRunTime(t *testing.T) {
	tests := []struct {
		name, resource, wantCause string
	}{
		{"activity", "arn:aws:states:us-east-1:123456789012:activity:review", "activities are not implemented"},
		{"batch job", "arn:aws:states:::batch:submitJob.sync", "service integration batch:submitJob.sync is not implemented"},
		{"AWS SDK", "arn:aws:states:::aws-sdk:s3:listBuckets", "service integration aws-sdk:s3:listBuckets is not implemented"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := vclock.New(conformanceStart)
			s := newTestService(t, c)
			def := `{"StartAt":"Skip","States":{
			  "Skip":{"Type":"Choice","Choices":[{"Variable":"$.skip","BooleanEquals":true,"Next":"Done"}],"Default":"Work"},
			  "Work":{"Type":"Task","Resource":"` + tc.resource + `","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"}],"End":true},
			  "Done":{"Type":"Succeed"}}}`
			m, err := s.CreateStateMachine("unsupported", def, nil)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			skipped, _ := s.StartExecution(m.ARN, "skip", `{"skip":true}`)
			if got := runToCompletion(t, s, c, skipped.ARN); got.Status != StatusSucceeded {
				t.Fatalf("execution that never reaches the task: %s %s", got.Status, got.Cause)
			}
			e, _ := s.StartExecution(m.ARN, "run", `{"skip":false}`)
			got := runToCompletion(t, s, c, e.ARN)
			if got.Status != StatusFailed || got.Error != ErrRuntime || !strings.Contains(got.Cause, tc.wantCause) {
				t.Fatalf("got %s %s %q, want FAILED %s with a cause containing %q", got.Status, got.Error, got.Cause, ErrRuntime, tc.wantCause)
			}
		})
	}
}
