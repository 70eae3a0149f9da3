package sfnlocal

import (
	"testing"
)

// TestJSONataStates runs JSONata state machines end to end: Arguments,
// Output, Assign with $states.input/result/errorOutput/context, Condition,
// Items and ItemSelector, Wait and Fail expressions, and the errors a
// failing or empty expression raises.
func TestJSONataStates(t *testing.T) {
	tests := []struct {
		name, def, input string
		want             string  // output, or "FAILED <error>"
		elapsed          float64 // seconds of virtual time, when not 0
	}{
		{"pass output computes", `{"QueryLanguage":"JSONata","StartAt":"P","States":{
		  "P":{"Type":"Pass","Output":{"product":"{% $states.input.a * $states.input.b %}","who":"{% $states.context.Execution.Name %}","kept":"plain"},"End":true}}}`,
			`{"a":6,"b":7}`, `{"product":42,"who":"run","kept":"plain"}`, 0},
		{"task arguments, result, output and assign", `{"QueryLanguage":"JSONata","StartAt":"Call","States":{
		  "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"echo","Payload":{"x":"{% $states.input.x + 1 %}"}},
		    "Assign":{"saved":"{% $states.result.Payload %}"},"Output":"{% $states.result.Payload.x %}","Next":"Show"},
		  "Show":{"Type":"Pass","Output":{"out":"{% $states.input %}","saved":"{% $saved %}"},"End":true}}}`,
			`{"x":1}`, `{"out":2,"saved":{"x":2}}`, 0},
		{"a task without Output returns its result", `{"QueryLanguage":"JSONata","StartAt":"Call","States":{
		  "Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","End":true}}}`, `{"k":[1,2]}`, `{"k":[1,2]}`, 0},
		{"choice condition and assign", `{"QueryLanguage":"JSONata","StartAt":"C","States":{
		  "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Assign":{"size":"big"},"Next":"Done"}],"Assign":{"size":"small"},"Default":"Done"},
		  "Done":{"Type":"Pass","Output":"{% $size %}","End":true}}}`, `{"n":11}`, `"big"`, 0},
		{"choice default", `{"QueryLanguage":"JSONata","StartAt":"C","States":{
		  "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Assign":{"size":"big"},"Next":"Done"}],"Assign":{"size":"small"},"Default":"Done"},
		  "Done":{"Type":"Pass","Output":"{% $size %}","End":true}}}`, `{"n":1}`, `"small"`, 0},
		{"map items and item selector", `{"QueryLanguage":"JSONata","StartAt":"M","States":{
		  "M":{"Type":"Map","Items":"{% $states.input.orders %}","ItemSelector":{"i":"{% $states.context.Map.Item.Index %}","v":"{% $states.context.Map.Item.Value * 10 %}"},
		    "ItemProcessor":{"StartAt":"In","States":{"In":{"Type":"Pass","Output":"{% $states.input.i + $states.input.v %}","End":true}}},
		    "Output":"{% $sum($states.result) %}","End":true}}}`, `{"orders":[1,2,3]}`, `63`, 0},
		{"parallel arguments", `{"QueryLanguage":"JSONata","StartAt":"P","States":{
		  "P":{"Type":"Parallel","Arguments":{"n":"{% $states.input.n %}"},"Branches":[
		    {"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.n + 1 %}","End":true}}},
		    {"StartAt":"B","States":{"B":{"Type":"Pass","Output":"{% $states.input.n * 2 %}","End":true}}}],"End":true}}}`, `{"n":5}`, `[6,10]`, 0},
		{"catch output and assign from the error output", `{"QueryLanguage":"JSONata","StartAt":"T","States":{
		  "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:fail","Arguments":{"error":"AfterSales.Declined","cause":"over limit"},
		    "Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"why":"{% $states.errorOutput.Cause %}"},"Output":{"error":"{% $states.errorOutput.Error %}"},"Next":"Show"}],"End":true},
		  "Show":{"Type":"Pass","Output":{"error":"{% $states.input.error %}","why":"{% $why %}"},"End":true}}}`, `{}`, `{"error":"AfterSales.Declined","why":"{\"errorMessage\":\"over limit\",\"errorType\":\"AfterSales.Declined\"}"}`, 0},
		{"wait seconds expression", `{"QueryLanguage":"JSONata","StartAt":"W","States":{
		  "W":{"Type":"Wait","Seconds":"{% $states.input.s * 2 %}","Next":"Done"},"Done":{"Type":"Succeed"}}}`, `{"s":30}`, `{"s":30}`, 60},
		{"fail error and cause expressions", `{"QueryLanguage":"JSONata","StartAt":"F","States":{
		  "F":{"Type":"Fail","Error":"{% 'AfterSales.' & $states.input.code %}","Cause":"{% 'case ' & $states.input.id %}"}}}`, `{"code":"Rejected","id":"c-9"}`, "FAILED AfterSales.Rejected", 0},
		{"Step Functions' JSONata functions", `{"QueryLanguage":"JSONata","StartAt":"P","States":{
		  "P":{"Type":"Pass","Output":{"p":"{% $partition([1,2,3], 2) %}","r":"{% $range(0, 6, 3) %}","h":"{% $hash('Test string', 'MD5') %}",
		    "j":"{% $parse('{\"a\":1}') %}","u":"{% $length($uuid()) %}","same":"{% $random(7) = $random(7) %}",
		    "unit":"{% $random() >= 0 and $random() < 1 and $random(3) < 1 %}"},"End":true}}}`,
			`{}`, `{"p":[[1,2],[3]],"r":[0,3,6],"h":"0fd3dbec9730101bff92acc820befc34","j":{"a":1},"u":36,"same":true,"unit":true}`, 0},
		{"an undefined result is a query evaluation error", `{"QueryLanguage":"JSONata","StartAt":"P","States":{
		  "P":{"Type":"Pass","Output":"{% $states.input.missing %}","End":true}}}`, `{}`, "FAILED States.QueryEvaluationError", 0},
		{"a failing expression can be caught", `{"QueryLanguage":"JSONata","StartAt":"T","States":{
		  "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","Arguments":"{% $states.input.nothing %}",
		    "Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Output":"caught","Next":"Done"}],"End":true},
		  "Done":{"Type":"Succeed"}}}`, `{}`, `"caught"`, 0},
		{"a JSONata state in a JSONPath machine reads JSONPath variables", `{"StartAt":"Set","States":{
		  "Set":{"Type":"Pass","Assign":{"rate.$":"$.rate"},"Next":"Use"},
		  "Use":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"fee":"{% $round($states.input.amount * $rate) %}"},"End":true}}}`, `{"rate":0.05,"amount":1999}`, `{"fee":100}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := runOutcome(t, "jsonata", tc.def, tc.input, tc.want)
			if !ok {
				return
			}
			if el := got.StopDate.Sub(got.StartDate).Seconds(); tc.elapsed != 0 && el != tc.elapsed {
				t.Errorf("elapsed %vs of virtual time, want %vs", el, tc.elapsed)
			}
		})
	}
}
