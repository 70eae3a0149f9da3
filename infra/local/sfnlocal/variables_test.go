package sfnlocal

import (
	"strings"
	"sync"
	"testing"

	"github.com/aftersales/aftersales/infra/local/vclock"
)

// TestVariables runs workflows that assign and read workflow variables
// (JSONPath Assign and "$name" paths). Several are modelled on the state
// machines of LocalStack's Assign tests
// (tests/aws/services/stepfunctions/templates/assign in localstack/localstack),
// whose histories were recorded against AWS; the expected outputs are ours,
// from the service's documentation.
func TestVariables(t *testing.T) {
	const echo = "arn:aws:lambda:us-east-1:123456789012:function:echo"
	tests := []struct {
		name, def, input string
		want             string // output, or "FAILED <error>"
	}{
		{"evaluation order: every field reads the values from state entry", `{"StartAt":"State0","States":{
		  "State0":{"Type":"Pass","Result":{"theQuestion":"What is the answer?"},"Assign":{"question.$":"$.theQuestion","answer":42},"Next":"State1"},
		  "State1":{"Type":"Pass","InputPath":"$answer","ResultPath":"$.theAnswer","OutputPath":"$answer","Assign":{"answer":"omitted"},"Next":"State2"},
		  "State2":{"Type":"Pass","Parameters":{"answer.$":"$answer","question.$":"$question","previous.$":"$"},"End":true}}}`,
			`{}`, `{"answer":"omitted","question":"What is the answer?","previous":42}`},
		{"task result is $ in Assign", `{"StartAt":"Pass","States":{
		  "Pass":{"Type":"Pass","Assign":{"functionName.$":"$.fn","inputData":{"foo":"oof"},"timeout":300},"Next":"Task"},
		  "Task":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSecondsPath":"$timeout",
		    "Parameters":{"Payload.$":"$inputData","FunctionName.$":"$functionName"},"Assign":{"result.$":"$.Payload"},"OutputPath":"$.Payload","Next":"End"},
		  "End":{"Type":"Pass","Parameters":{"previous.$":"$result","out.$":"$"},"End":true}}}`,
			`{"fn":"echo"}`, `{"previous":{"foo":"oof"},"out":{"foo":"oof"}}`},
		{"ResultSelector output is $ in Assign", `{"StartAt":"Task","States":{
		  "Task":{"Type":"Task","Resource":"` + echo + `","ResultSelector":{"n.$":"$.n"},"Assign":{"n.$":"$.n"},"Next":"Show"},
		  "Show":{"Type":"Pass","Parameters":{"n.$":"$n"},"End":true}}}`, `{"n":7,"other":1}`, `{"n":7}`},
		{"matching choice rule assigns", choiceAssign, `{"input_value":42}`, `{"result":"CORRECT"}`},
		{"first matching choice rule assigns", choiceAssign, `{}`, `{"result":"UNKNOWN"}`},
		{"default branch takes the state's Assign", choiceAssign, `{"input_value":1}`, `{"result":"INCORRECT","guess":1}`},
		{"catch assigns from the error output", `{"StartAt":"Task","States":{
		  "Task":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:fail","Assign":{"result":"SUCCESS"},
		    "Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"result.$":"$.Error"},"ResultPath":null,"Next":"Fallback"}],"End":true},
		  "Fallback":{"Type":"Pass","Parameters":{"result.$":"$result"},"End":true}}}`, `{"error":"AfterSales.Declined","cause":"no"}`, `{"result":"AfterSales.Declined"}`},
		{"wait assigns on leaving", `{"StartAt":"W","States":{
		  "W":{"Type":"Wait","Seconds":5,"Assign":{"waited.$":"$.s"},"Next":"P"},
		  "P":{"Type":"Pass","Parameters":{"w.$":"$waited"},"End":true}}}`, `{"s":5}`, `{"w":5}`},
		{"map items, item selector and iterations read the outer scope", `{"StartAt":"State0","States":{
		  "State0":{"Type":"Pass","Assign":{"x":42,"items":[1,2,3]},"Next":"State1"},
		  "State1":{"Type":"Map","ItemsPath":"$items","MaxConcurrency":1,"ItemSelector":{"item.$":"$$.Map.Item.Value","x.$":"$x"},
		    "ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Pass","Assign":{"innerX.$":"$x"},"Parameters":{"sum.$":"States.MathAdd($.item, $x)"},"End":true}}},"Next":"State2"},
		  "State2":{"Type":"Pass","Parameters":{"final.$":"$x","sums.$":"$[*].sum"},"End":true}}}`, `{}`, `{"final":42,"sums":[43,44,45]}`},
		{"an inner scope's variables are not visible outside", `{"StartAt":"P","States":{
		  "P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"inner":1},"End":true}}}],"Next":"Read"},
		  "Read":{"Type":"Pass","Parameters":{"v.$":"$inner"},"End":true}}}`, `{}`, "FAILED States.Runtime"},
		{"variables in intrinsics, Choice and Fail", `{"StartAt":"Set","States":{
		  "Set":{"Type":"Pass","Assign":{"who":"Ada","limit":3},"Next":"Check"},
		  "Check":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThanPath":"$limit","Next":"Stop"}],"Default":"Greet"},
		  "Greet":{"Type":"Pass","Parameters":{"msg.$":"States.Format('Hello, {}!', $who)"},"End":true},
		  "Stop":{"Type":"Fail","ErrorPath":"$who","CausePath":"States.Format('over {}', $limit)"}}}`, `{"n":1}`, `{"msg":"Hello, Ada!"}`},
		{"variables in Fail", `{"StartAt":"Set","States":{
		  "Set":{"Type":"Pass","Assign":{"who":"Ada","limit":3},"Next":"Check"},
		  "Check":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThanPath":"$limit","Next":"Stop"}],"Default":"Greet"},
		  "Greet":{"Type":"Pass","End":true},
		  "Stop":{"Type":"Fail","ErrorPath":"$who","CausePath":"States.Format('over {}', $limit)"}}}`, `{"n":9}`, "FAILED Ada"},
		{"an unassigned variable is a runtime error", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"v.$":"$nope"},"End":true}}}`, `{}`, "FAILED States.Runtime"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runOutcome(t, "vars", tc.def, tc.input, tc.want)
		})
	}
}

const choiceAssign = `{"StartAt":"CheckInputState","States":{
  "CheckInputState":{"Type":"Choice","Choices":[
    {"Variable":"$.input_value","IsPresent":false,"Assign":{"status":"UNKNOWN"},"Next":"FinalState"},
    {"Variable":"$.input_value","NumericEquals":42,"Assign":{"status":"CORRECT"},"Next":"FinalState"}],
    "Assign":{"status":"INCORRECT","guess.$":"$.input_value"},"Default":"FinalState"},
  "FinalState":{"Type":"Choice","Choices":[{"Variable":"$status","StringEquals":"INCORRECT","Next":"WithGuess"}],"Default":"Plain"},
  "WithGuess":{"Type":"Pass","Parameters":{"result.$":"$status","guess.$":"$guess"},"End":true},
  "Plain":{"Type":"Pass","Parameters":{"result.$":"$status"},"End":true}}}`

// TestAssignedVariablesInHistory checks that a state's StateExited event
// carries the variables it assigned, as JSON text, as the service's
// history does.
func TestAssignedVariablesInHistory(t *testing.T) {
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	m, err := s.CreateStateMachine("hist", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"s":"x","n.$":"$.n"},"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := s.StartExecution(m.ARN, "run", `{"n":[1,2]}`)
	runToCompletion(t, s, c, e.ARN)
	h, _ := s.History(e.ARN)
	for _, ev := range h {
		if ev.Type == "PassStateExited" {
			if ev.AssignedVariables["s"] != `"x"` || ev.AssignedVariables["n"] != `[1,2]` {
				t.Fatalf("assigned variables %v", ev.AssignedVariables)
			}
			return
		}
	}
	t.Fatal("no PassStateExited event")
}

// runOutcome runs def on input to its end in a fresh service and checks
// the outcome against want: "FAILED <error>" or the output's JSON. It
// returns the execution, and whether it succeeded as wanted (false for a
// wanted failure, after which there is nothing more to check).
func runOutcome(t *testing.T, name, def, input, want string) (*Execution, bool) {
	t.Helper()
	c := vclock.New(conformanceStart)
	s := newTestService(t, c)
	testFunctions(s, &sync.Map{})
	m, err := s.CreateStateMachine(name, def, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	e, err := s.StartExecution(m.ARN, "run", input)
	if err != nil {
		t.Fatal(err)
	}
	got := runToCompletion(t, s, c, e.ARN)
	if wantErr, ok := strings.CutPrefix(want, "FAILED "); ok {
		if got.Status != StatusFailed || got.Error != wantErr {
			t.Fatalf("got %s %s (%s) %s, want FAILED %s", got.Status, got.Error, got.Cause, got.Output, wantErr)
		}
		return got, false
	}
	if got.Status != StatusSucceeded {
		t.Fatalf("got %s %s: %s", got.Status, got.Error, got.Cause)
	}
	assertJSONEqual(t, "output", got.Output, want)
	return got, true
}
