package sfnlocal

import (
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"strings"

	jsonata "github.com/xiatechs/jsonata-go"
	"github.com/xiatechs/jsonata-go/jtypes"
)

// JSONata states ("QueryLanguage":"JSONata") write their data handling as
// JSONata expressions: any string value "{% expression %}" in Arguments,
// Output, Assign, Items, ItemSelector, Condition, Seconds, Timestamp, Error
// and Cause is evaluated, with $states (input, context, and result or
// errorOutput where the service provides them) and the workflow variables
// bound. Expressions run on github.com/xiatechs/jsonata-go (JSONata 1.5
// plus most later functions).

// ErrQueryEvaluation is the error a JSONata expression that fails, or
// yields nothing where a value is needed, raises.
const ErrQueryEvaluation = "States.QueryEvaluationError"

// isJSONataExpr reports whether s is meant as a JSONata expression: it
// starts with "{%" and ends with "%}".
func isJSONataExpr(s string) bool {
	return strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") && len(s) >= 4
}

// jsonataSyntax is the form the service requires: "{% ", an expression on
// one line, " %}" (asl-validator's fixtures encode the same rule).
var jsonataSyntax = regexp.MustCompile(`^\{% .+ %\}$`)

func jsonataSource(s string) string {
	return strings.TrimSpace(s[2 : len(s)-2])
}

// tjsonata is a template leaf holding a JSONata expression.
type tjsonata struct {
	src   string
	field string // where it was written, for messages
}

func (t tjsonata) eval(e env) (any, *stateError) { return evalJSONata(t.src, t.field, e) }

// compileJSONataValue compiles a JSONata-state field value: strings
// "{% ... %}" become expressions, objects and arrays are walked, anything
// else is a literal.
func compileJSONataValue(v any, field string) (tnode, error) {
	switch t := v.(type) {
	case string:
		if isJSONataExpr(t) {
			if !jsonataSyntax.MatchString(t) {
				return nil, fmt.Errorf("%s: %q is not a well-formed JSONata expression: write \"{%% expression %%}\" with one space inside each delimiter, on one line", field, t)
			}
			src := jsonataSource(t)
			if _, err := jsonata.Compile(src); err != nil {
				return nil, fmt.Errorf("%s: invalid JSONata expression %q: %v", field, src, err)
			}
			return tjsonata{src: src, field: field}, nil
		}
		if strings.HasPrefix(t, "{%") || strings.HasSuffix(t, "%}") {
			return nil, fmt.Errorf("%s: %q is not a JSONata expression: it must be the whole string, \"{%% expression %%}\"", field, t)
		}
		return tlit{v: t}, nil
	case *object:
		out := make(tobj, 0, t.len())
		for _, k := range t.keys {
			n, err := compileJSONataValue(t.vals[k], field+"."+k)
			if err != nil {
				return nil, err
			}
			out = append(out, tfield{key: k, src: k, field: field + "." + k, node: n})
		}
		return out, nil
	case []any:
		out := make(tarr, len(t))
		for i, e := range t {
			n, err := compileJSONataValue(e, fmt.Sprintf("%s[%d]", field, i))
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	return tlit{v: v}, nil
}

// compileJSONataTemplate wraps compileJSONataValue as a template.
func compileJSONataTemplate(v any, field string) (*template, error) {
	n, err := compileJSONataValue(v, field)
	if err != nil {
		return nil, err
	}
	return &template{root: n}, nil
}

// toPlain converts a value of the model to what the JSONata library
// evaluates (maps, float64 numbers), through JSON text.
func toPlain(v any) any {
	var out any
	_ = json.Unmarshal([]byte(encodeJSON(v)), &out)
	return out
}

// evalJSONata evaluates one expression. A fresh compilation per call keeps
// the variables of one execution out of another (the library binds them
// to the compiled expression).
func evalJSONata(src, field string, e env) (any, *stateError) {
	x, err := jsonata.Compile(src)
	if err != nil {
		return nil, &stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' is invalid: %v", src, field, err)}
	}
	states := objectOf("input", e.input, "context", e.context())
	if e.hasResult {
		states.set("result", e.result)
	}
	if e.hasErrOutput {
		states.set("errorOutput", e.errOutput)
	}
	vars := map[string]any{"states": toPlain(states)}
	if e.allVars != nil {
		for k, v := range e.allVars() {
			vars[k] = toPlain(v)
		}
	}
	if err := x.RegisterExts(stepFunctionsJSONata); err != nil {
		return nil, &stateError{Name: ErrQueryEvaluation, Cause: err.Error()}
	}
	if err := x.RegisterVars(vars); err != nil {
		return nil, &stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("binding variables for '%s': %v", field, err)}
	}
	res, err := x.Eval(toPlain(e.input))
	if errors.Is(err, jsonata.ErrUndefined) {
		return nil, &stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", src, field)}
	}
	if err != nil {
		return nil, &stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("An error occurred while evaluating the JSONata expression '%s' specified for the field '%s': %v", src, field, err)}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, &stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned a value that is not JSON: %v", src, field, err)}
	}
	v, err := decodeJSON(b)
	if err != nil {
		return nil, &stateError{Name: ErrQueryEvaluation, Cause: err.Error()}
	}
	return v, nil
}

// stepFunctionsJSONata are the functions Step Functions adds to JSONata.
// Each runs the matching intrinsic function, so both languages compute
// alike: $partition, $range, $hash, $random (with a seed), $uuid, $parse.
var stepFunctionsJSONata = map[string]jsonata.Extension{
	"partition": {Func: func(a, size any) (any, error) { return callIntrinsic("States.ArrayPartition", a, size) }},
	"range":     {Func: func(start, end, step any) (any, error) { return callIntrinsic("States.ArrayRange", start, end, step) }},
	"hash":      {Func: func(data, alg any) (any, error) { return callIntrinsic("States.Hash", data, alg) }},
	"random":    {Func: jsonataRandom},
	"uuid":      {Func: func() (any, error) { return newUUID(), nil }},
	"parse":     {Func: func(s any) (any, error) { return callIntrinsic("States.StringToJson", s) }},
}

// jsonataRandom is $random([seed]): a number from 0 (inclusive) to 1
// (exclusive), the same one for the same seed.
func jsonataRandom(seed jtypes.OptionalFloat64) float64 {
	if !seed.IsSet() {
		return mrand.Float64()
	}
	n := uint64(int64(seed.Float64))
	return mrand.New(mrand.NewPCG(n, n^0x9e3779b97f4a7c15)).Float64()
}

// callIntrinsic runs an intrinsic function on values the JSONata library
// passes, converting to and from the interpreter's value model.
func callIntrinsic(name string, args ...any) (any, error) {
	f := &intrinsic{name: name}
	for _, a := range args {
		var v any = a
		if _, ok := a.(int64); !ok {
			b, err := json.Marshal(a)
			if err != nil {
				return nil, err
			}
			if v, err = decodeJSON(b); err != nil {
				return nil, err
			}
		}
		f.args = append(f.args, iarg{lit: v})
	}
	out, serr := f.eval(env{})
	if serr != nil {
		return nil, errors.New(serr.Cause)
	}
	return toPlain(out), nil
}

// jsonataFields lists the fields of each state type in a JSONata state.
var jsonataFields = map[string][]string{
	"Pass":     {"Next", "End", "Output", "Assign"},
	"Task":     {"Next", "End", "Arguments", "Output", "Assign", "Retry", "Catch", "Resource", "TimeoutSeconds", "HeartbeatSeconds"},
	"Choice":   {"Choices", "Default", "Output", "Assign"},
	"Wait":     {"Next", "End", "Seconds", "Timestamp", "Output", "Assign"},
	"Succeed":  {"Output"},
	"Fail":     {"Error", "Cause"},
	"Parallel": {"Next", "End", "Arguments", "Output", "Assign", "Retry", "Catch", "Branches"},
	"Map":      {"Next", "End", "Items", "ItemSelector", "ItemProcessor", "Iterator", "MaxConcurrency", "Output", "Assign", "Retry", "Catch"},
}

// jsonPathOnly are the fields a JSONata state may not use, with what
// replaces each.
var jsonPathOnly = map[string]string{
	"InputPath": "Arguments or Output", "Parameters": "Arguments", "ResultSelector": "Output",
	"ResultPath": "Output and Assign", "OutputPath": "Output", "Result": "Output",
	"ItemsPath": "Items", "SecondsPath": "Seconds", "TimestampPath": "Timestamp",
	"TimeoutSecondsPath": "TimeoutSeconds", "HeartbeatSecondsPath": "HeartbeatSeconds",
	"MaxConcurrencyPath": "MaxConcurrency", "ErrorPath": "Error", "CausePath": "Cause",
}
