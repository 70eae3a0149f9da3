package sfnlocal

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefinitionError reports why a state machine definition was refused. It
// names the state and the field, so a developer can find the problem in a
// large definition, and carries a JSON-pointer-like location.
type DefinitionError struct {
	// Code is the service's error code: SCHEMA_VALIDATION_FAILED unless
	// set (MISSING_END_STATE for a scope without a terminal state).
	Code string
	// State is the name of the offending state; empty for top-level fields.
	State string
	// Field is the offending field, e.g. "Resource" or "Retry[0].BackoffRate".
	Field string
	// Location is the position in the document, e.g. "/States/Charge/Resource".
	Location string
	// Message explains the problem.
	Message string
}

// Error renders the problem the way CreateStateMachine reports it.
func (e *DefinitionError) Error() string {
	code := e.Code
	if code == "" {
		code = "SCHEMA_VALIDATION_FAILED"
	}
	if e.State == "" {
		return fmt.Sprintf("%s: field %q: %s at %s", code, e.Field, e.Message, e.Location)
	}
	return fmt.Sprintf("%s: state %q field %q: %s at %s", code, e.State, e.Field, e.Message, e.Location)
}

// machine is a compiled state graph: the whole definition, a Parallel
// branch or a Map item processor.
type machine struct {
	startAt        string
	states         map[string]*state
	timeoutSeconds int64
}

// taskKind distinguishes the supported Task resources.
type taskKind int

const (
	taskLambdaARN taskKind = iota + 1 // Resource is a function ARN
	taskLambdaInvoke
	taskLambdaWaitToken
	// taskIntegration and taskIntegrationWaitToken are supported service
	// integrations (see integration.go), request-response and callback.
	taskIntegration
	taskIntegrationWaitToken
	taskIntegrationSync // .sync and .sync:2 of states:startExecution
	// taskUnsupported is a resource the service accepts (an activity or a
	// service integration) that sfnlocal does not run: the definition is
	// accepted, and the task fails at run time naming the feature.
	taskUnsupported
)

type retrier struct {
	errorEquals []string
	interval    float64 // seconds
	maxAttempts int
	backoffRate float64
	maxDelay    float64 // seconds, 0 = none
	fullJitter  bool
}

type catcher struct {
	errorEquals []string
	next        string
	resultPath  *path
	resultNull  bool
	assign      *template // Assign, evaluated on the error output
	output      *template // Output of a JSONata catcher
}

type state struct {
	name string
	typ  string
	next string
	end  bool

	inputPath      *path
	inputPathNull  bool
	outputPath     *path
	outputPathNull bool
	resultPath     *path
	resultPathNull bool
	parameters     *template
	resultSelector *template
	retry          []*retrier
	catch          []*catcher
	assign         *template // Assign: workflow variables set on leaving

	// JSONata states (jsonata set) use these instead of the JSONPath
	// fields; Items and ItemSelector belong to Map.
	jsonata        bool
	output         *template
	arguments      *template
	items          *template
	waitExpr       *template // Seconds or Timestamp as an expression
	timeoutT       *template // TimeoutSeconds as an expression
	heartbeatT     *template // HeartbeatSeconds as an expression
	errorT, causeT *template // Fail Error and Cause

	// Pass
	result    any
	hasResult bool

	// Task
	resource         string
	kind             taskKind
	unsupported      string // why a taskUnsupported resource cannot run
	integration      integration
	syncV2           bool // .sync:2: the child's input and output as JSON
	timeoutSeconds   int64
	timeoutPath      *path
	heartbeatSeconds int64
	heartbeatPath    *path

	// Choice
	choices     []*choiceRule
	defaultNext string

	// Wait
	waitSeconds   int64
	hasSeconds    bool
	secondsPath   *path
	waitUntil     time.Time
	hasTimestamp  bool
	timestampPath *path

	// Fail
	errorName string
	cause     string
	errorExpr *valueExpr
	causeExpr *valueExpr

	// Parallel
	branches []*machine

	// Map
	processor          *machine
	itemsPath          *path
	itemSelector       *template
	maxConcurrency     int64
	maxConcurrencyPath *path
}

// valueExpr is a field that takes a reference path or an intrinsic
// function (ErrorPath, CausePath).
type valueExpr struct {
	path *path
	intr *intrinsic
}

func (v *valueExpr) eval(e env) (any, *stateError) {
	if v.intr != nil {
		return v.intr.eval(e)
	}
	out, ok := v.path.get(e)
	if !ok {
		return nil, runtimeErr("Invalid path '%s': the path references an invalid value", v.path.src)
	}
	return out, nil
}

// Field sets per state type. Fields of the language that sfnlocal does not
// implement are listed in unsupportedFields, so they are refused with a
// precise reason rather than as unknown.
var stateFields = map[string][]string{
	"Pass":     {"Assign", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"},
	"Task":     {"Assign", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"},
	"Choice":   {"Assign", "Choices", "Default", "InputPath", "OutputPath"},
	"Wait":     {"Assign", "Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
	"Succeed":  {"InputPath", "OutputPath"},
	"Fail":     {"Error", "ErrorPath", "Cause", "CausePath"},
	"Parallel": {"Assign", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Branches"},
	"Map":      {"Assign", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ItemSelector", "ResultSelector", "Retry", "Catch", "ItemsPath", "MaxConcurrency", "MaxConcurrencyPath", "Iterator", "ItemProcessor"},
}

var unsupportedFields = map[string]string{
	"Credentials":                    "cross-account task credentials are not implemented",
	"Output":                         "JSONata is not implemented",
	"Arguments":                      "JSONata is not implemented",
	"QueryLanguage":                  "JSONata is not implemented",
	"Items":                          "JSONata is not implemented",
	"ItemReader":                     "distributed Map is not implemented",
	"ItemBatcher":                    "distributed Map is not implemented",
	"ResultWriter":                   "distributed Map is not implemented",
	"ToleratedFailureCount":          "distributed Map is not implemented",
	"ToleratedFailureCountPath":      "distributed Map is not implemented",
	"ToleratedFailurePercentage":     "distributed Map is not implemented",
	"ToleratedFailurePercentagePath": "distributed Map is not implemented",
	"Label":                          "distributed Map is not implemented",
}

// Resource ARNs the service accepts in a Task state. Region and account
// are not checked (a definition may be written for any of them); the
// function name and qualifier follow Lambda's naming rules.
var (
	lambdaARN   = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]*:\d*:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)
	activityARN = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:states:[a-z0-9-]*:\d*:activity:[A-Za-z0-9_.-]{1,80}$`)
	// integrationARN is arn:aws:states:::<service>:<action> with an
	// optional pattern suffix; AWS SDK integrations name the service
	// after "aws-sdk:".
	integrationARN = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:states:::(aws-sdk:)?[a-z0-9-]+:[A-Za-z0-9]+(\.sync|\.sync:2|\.waitForTaskToken)?$`)
)

// loader compiles a definition and remembers every state name, since names
// must be unique across the whole definition (nested ones included) for the
// execution history to be unambiguous.
type loader struct {
	names map[string]string // state name -> location
	lang  string            // the top-level QueryLanguage: JSONPath or JSONata
}

func errAt(st, field, loc, format string, a ...any) *DefinitionError {
	return &DefinitionError{State: st, Field: field, Location: loc, Message: fmt.Sprintf(format, a...)}
}

// parseDefinition validates and compiles an ASL document.
func parseDefinition(doc []byte) (*machine, error) {
	v, err := decodeJSON(doc)
	if err != nil {
		return nil, &DefinitionError{Field: "(document)", Location: "/", Message: "invalid JSON: " + err.Error()}
	}
	m, ok := asMap(v)
	if !ok {
		return nil, &DefinitionError{Field: "(document)", Location: "/", Message: "the definition must be a JSON object"}
	}
	l := &loader{names: map[string]string{}}
	return l.machine(m, "", "", true)
}

// machine compiles a state graph. owner is the state that contains it
// (empty at top level); loc its location.
func (l *loader) machine(m map[string]any, owner, loc string, top bool) (*machine, error) {
	allowed := map[string]bool{"StartAt": true, "States": true, "Comment": true}
	if top {
		allowed["Version"] = true
		allowed["TimeoutSeconds"] = true
	}
	for _, k := range sortedKeys(m) {
		if allowed[k] {
			continue
		}
		if k == "QueryLanguage" && top {
			switch s, _ := m[k].(string); s {
			case "JSONPath":
				continue
			case "JSONata":
				l.lang = s
				continue
			}
			return nil, errAt(owner, k, loc+"/"+k, "QueryLanguage must be \"JSONPath\" or \"JSONata\"")
		}
		if k == "ProcessorConfig" && !top && strings.HasSuffix(loc, "/ItemProcessor") {
			continue
		}
		if why, ok := unsupportedFields[k]; ok {
			return nil, errAt(owner, k, loc+"/"+k, "field %q is not supported: %s", k, why)
		}
		return nil, errAt(owner, k, loc+"/"+k, "unknown field %q", k)
	}
	out := &machine{states: map[string]*state{}}
	start, ok := m["StartAt"].(string)
	if !ok || start == "" {
		return nil, errAt(owner, "StartAt", loc+"/StartAt", "StartAt is required and must be a state name")
	}
	out.startAt = start
	if top {
		if v, has := m["Version"]; has {
			if s, _ := v.(string); s != "1.0" {
				return nil, errAt("", "Version", "/Version", "Version must be \"1.0\"")
			}
		}
		if v, has := m["TimeoutSeconds"]; has {
			n, ok := positiveInt(v)
			if !ok {
				return nil, errAt("", "TimeoutSeconds", "/TimeoutSeconds", "must be a positive integer")
			}
			out.timeoutSeconds = n
		}
	}
	states, ok := asMap(m["States"])
	if !ok || len(states) == 0 {
		return nil, errAt(owner, "States", loc+"/States", "States is required and must be a non-empty object")
	}
	for _, name := range sortedKeys(states) {
		sloc := loc + "/States/" + name
		if prev, dup := l.names[name]; dup {
			return nil, errAt(name, "(name)", sloc, "state name %q is already used at %s; state names must be unique in the whole definition", name, prev)
		}
		l.names[name] = sloc
		if len(name) > 80 || name == "" {
			return nil, errAt(name, "(name)", sloc, "state names must be 1 to 80 characters long")
		}
		sm, ok := asMap(states[name])
		if !ok {
			return nil, errAt(name, "(state)", sloc, "a state must be a JSON object")
		}
		st, err := l.state(name, sm, sloc)
		if err != nil {
			return nil, err
		}
		out.states[name] = st
	}
	if _, ok := out.states[start]; !ok {
		return nil, errAt(owner, "StartAt", loc+"/StartAt", "StartAt names %q, which is not a state of this scope", start)
	}
	// Every transition must target a state of the same scope, and every
	// state must be reachable, as the service requires.
	for _, name := range sortedKeys(states) {
		st := out.states[name]
		sloc := loc + "/States/" + name
		check := func(field, target string) error {
			if _, ok := out.states[target]; !ok {
				return errAt(name, field, sloc+"/"+field, "transition target %q is not a state of this scope", target)
			}
			return nil
		}
		if st.next != "" {
			if err := check("Next", st.next); err != nil {
				return nil, err
			}
		}
		for i, c := range st.choices {
			if err := check(fmt.Sprintf("Choices[%d].Next", i), c.next); err != nil {
				return nil, err
			}
		}
		if st.defaultNext != "" {
			if err := check("Default", st.defaultNext); err != nil {
				return nil, err
			}
		}
		for i, c := range st.catch {
			if err := check(fmt.Sprintf("Catch[%d].Next", i), c.next); err != nil {
				return nil, err
			}
		}
	}
	reached := map[string]bool{}
	queue := []string{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if reached[n] {
			continue
		}
		reached[n] = true
		st := out.states[n]
		if st.next != "" {
			queue = append(queue, st.next)
		}
		for _, c := range st.choices {
			queue = append(queue, c.next)
		}
		if st.defaultNext != "" {
			queue = append(queue, st.defaultNext)
		}
		for _, c := range st.catch {
			queue = append(queue, c.next)
		}
	}
	for _, name := range sortedKeys(states) {
		if !reached[name] {
			return nil, errAt(name, "(state)", loc+"/States/"+name, "state %q is not reachable from StartAt %q", name, start)
		}
	}
	// Every scope needs a way out: a state with "End": true, a Succeed or
	// a Fail. Without one, the service refuses the definition rather than
	// let an execution loop until its timeout.
	terminal := false
	for _, st := range out.states {
		if st.end || st.typ == "Succeed" || st.typ == "Fail" {
			terminal = true
			break
		}
	}
	if !terminal {
		e := errAt(owner, "States", loc+"/States", "Workflow has no terminal state")
		e.Code = "MISSING_END_STATE"
		return nil, e
	}
	return out, nil
}

func (l *loader) state(name string, m map[string]any, loc string) (*state, error) {
	// A copy: compiling JSONata fields removes them from the map.
	m = cloneMap(m)
	typ, ok := m["Type"].(string)
	if !ok {
		return nil, errAt(name, "Type", loc+"/Type", "Type is required")
	}
	fields, known := stateFields[typ]
	if !known {
		return nil, errAt(name, "Type", loc+"/Type", "unknown state type %q", typ)
	}
	jsonataMode := l.lang == "JSONata"
	if v, has := m["QueryLanguage"]; has {
		switch s, _ := v.(string); s {
		case "JSONPath":
			jsonataMode = false
		case "JSONata":
			jsonataMode = true
		default:
			return nil, errAt(name, "QueryLanguage", loc+"/QueryLanguage", "QueryLanguage must be \"JSONPath\" or \"JSONata\"")
		}
	}
	if jsonataMode {
		fields = jsonataFields[typ]
	}
	allowed := map[string]bool{"Type": true, "Comment": true, "QueryLanguage": true}
	for _, f := range fields {
		allowed[f] = true
	}
	for _, k := range sortedKeys(m) {
		if allowed[k] {
			continue
		}
		if use, ok := jsonPathOnly[k]; ok && jsonataMode {
			return nil, errAt(name, k, loc+"/"+k, "field %q is a JSONPath field; a JSONata state uses %s", k, use)
		}
		if jsonataMode && (k == "Output" || k == "Arguments" || k == "Items") {
			return nil, errAt(name, k, loc+"/"+k, "field %q is not allowed in a %s state", k, typ)
		}
		if !jsonataMode && (k == "Output" || k == "Arguments" || k == "Items") {
			return nil, errAt(name, k, loc+"/"+k, "field %q belongs to JSONata states; set \"QueryLanguage\": \"JSONata\" or use the JSONPath fields", k)
		}
		if why, ok := unsupportedFields[k]; ok {
			return nil, errAt(name, k, loc+"/"+k, "field %q is not supported: %s", k, why)
		}
		return nil, errAt(name, k, loc+"/"+k, "field %q is not allowed in a %s state", k, typ)
	}
	st := &state{name: name, typ: typ, jsonata: jsonataMode}
	fail := func(field, format string, a ...any) error {
		return errAt(name, field, loc+"/"+field, format, a...)
	}
	if jsonataMode {
		for _, f := range []string{"Output", "Arguments", "Items", "ItemSelector"} {
			v, has := m[f]
			if !has {
				continue
			}
			t, err := compileJSONataTemplate(v, f)
			if err != nil {
				return nil, fail(f, "%v", err)
			}
			switch f {
			case "Output":
				st.output = t
			case "Arguments":
				st.arguments = t
			case "Items":
				st.items = t
			case "ItemSelector":
				st.itemSelector = t
			}
		}
	}

	// Transitions.
	terminal := typ == "Choice" || typ == "Succeed" || typ == "Fail"
	if !terminal {
		next, hasNext := m["Next"]
		end, hasEnd := m["End"]
		if hasEnd {
			b, ok := end.(bool)
			if !ok {
				return nil, fail("End", "must be a boolean")
			}
			st.end = b
		}
		if hasNext {
			s, ok := next.(string)
			if !ok || s == "" {
				return nil, fail("Next", "must be a state name")
			}
			st.next = s
		}
		switch {
		case st.end && st.next != "":
			return nil, fail("Next", "a state cannot have both Next and \"End\": true")
		case !st.end && st.next == "":
			return nil, fail("Next", "a %s state needs Next or \"End\": true", typ)
		}
	}

	// Paths.
	var err error
	if st.inputPath, st.inputPathNull, err = optPath(m, "InputPath", false); err != nil {
		return nil, fail("InputPath", "%v", err)
	}
	if st.outputPath, st.outputPathNull, err = optPath(m, "OutputPath", false); err != nil {
		return nil, fail("OutputPath", "%v", err)
	}
	if st.resultPath, st.resultPathNull, err = optPath(m, "ResultPath", true); err != nil {
		return nil, fail("ResultPath", "%v", err)
	}
	if st.resultPath != nil && st.resultPath.context {
		return nil, fail("ResultPath", "ResultPath cannot address the context object")
	}
	if v, has := m["Parameters"]; has && typ != "Map" {
		if st.parameters, err = compileTemplate(v, "Parameters"); err != nil {
			return nil, fail("Parameters", "%v", err)
		}
	}
	// Parameters, ResultSelector and ItemSelector are payload templates:
	// an object or an array is evaluated ("key.$" fields take their value
	// from a path or an intrinsic function, at any depth); any other JSON
	// value is used as is, as the service accepts it.
	if v, has := m["ResultSelector"]; has {
		if st.resultSelector, err = compileTemplate(v, "ResultSelector"); err != nil {
			return nil, fail("ResultSelector", "%v", err)
		}
	}
	if err := l.errorHandling(st, m, loc); err != nil {
		return nil, err
	}
	if v, has := m["Assign"]; has {
		if st.assign, err = compileAssignFor(v, jsonataMode); err != nil {
			return nil, fail("Assign", "%v", err)
		}
	}
	if st.resultPath != nil && st.resultPath.variable != "" {
		return nil, fail("ResultPath", "ResultPath cannot address a variable; use Assign")
	}

	switch typ {
	case "Pass":
		st.result, st.hasResult = m["Result"]
	case "Task":
		if err := l.task(st, m, fail); err != nil {
			return nil, err
		}
	case "Choice":
		list, ok := m["Choices"].([]any)
		if !ok || len(list) == 0 {
			return nil, fail("Choices", "must be a non-empty array of choice rules")
		}
		for i, v := range list {
			compile := compileChoiceRule
			if jsonataMode {
				compile = compileJSONataChoiceRule
			}
			r, err := compile(v, true, fmt.Sprintf("Choices[%d]", i))
			if err != nil {
				return nil, choiceErr(name, loc, err)
			}
			st.choices = append(st.choices, r)
		}
		if v, has := m["Default"]; has {
			s, ok := v.(string)
			if !ok || s == "" {
				return nil, fail("Default", "must be a state name")
			}
			st.defaultNext = s
		}
	case "Wait":
		set := 0
		for _, f := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
			if _, has := m[f]; has {
				set++
			}
		}
		if set != 1 {
			return nil, fail("Seconds", "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp and TimestampPath (found %d)", set)
		}
		if jsonataMode {
			for _, f := range []string{"Seconds", "Timestamp"} {
				if v, has := m[f]; has {
					if str, ok := v.(string); ok && isJSONataExpr(str) {
						if st.waitExpr, err = compileJSONataTemplate(v, f); err != nil {
							return nil, fail(f, "%v", err)
						}
						delete(m, f)
						if f == "Seconds" {
							st.hasSeconds = true
						} else {
							st.hasTimestamp = true
						}
					}
				}
			}
		}
		if v, has := m["Seconds"]; has {
			n, ok := toInt(v)
			if !ok || n < 0 || n > 99999999 {
				return nil, fail("Seconds", "must be an integer between 0 and 99999999")
			}
			st.waitSeconds, st.hasSeconds = n, true
		}
		if st.secondsPath, _, err = optPath(m, "SecondsPath", false); err != nil {
			return nil, fail("SecondsPath", "%v", err)
		}
		if v, has := m["Timestamp"]; has {
			s, _ := v.(string)
			t, ok := parseTimestamp(s)
			if !ok {
				return nil, fail("Timestamp", "must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z")
			}
			st.waitUntil, st.hasTimestamp = t, true
		}
		if st.timestampPath, _, err = optPath(m, "TimestampPath", false); err != nil {
			return nil, fail("TimestampPath", "%v", err)
		}
		if err := refOnly(st.secondsPath, st.timestampPath); err != nil {
			return nil, fail("SecondsPath", "%v", err)
		}
	case "Fail":
		if jsonataMode {
			for _, f := range []string{"Error", "Cause"} {
				if v, has := m[f]; has {
					if str, ok := v.(string); ok && isJSONataExpr(str) {
						t, err := compileJSONataTemplate(v, f)
						if err != nil {
							return nil, fail(f, "%v", err)
						}
						if f == "Error" {
							st.errorT = t
						} else {
							st.causeT = t
						}
						delete(m, f)
					}
				}
			}
		}
		for _, pair := range [][2]string{{"Error", "ErrorPath"}, {"Cause", "CausePath"}} {
			lit, hasLit := m[pair[0]]
			expr, hasExpr := m[pair[1]]
			if hasLit && hasExpr {
				return nil, fail(pair[1], "cannot be used together with %s", pair[0])
			}
			if hasLit {
				s, ok := lit.(string)
				if !ok {
					return nil, fail(pair[0], "must be a string")
				}
				if pair[0] == "Error" {
					st.errorName = s
				} else {
					st.cause = s
				}
			}
			if hasExpr {
				s, ok := expr.(string)
				if !ok {
					return nil, fail(pair[1], "must be a reference path or an intrinsic function")
				}
				ve := &valueExpr{}
				if isIntrinsic(s) {
					if ve.intr, err = parseIntrinsic(s); err != nil {
						return nil, fail(pair[1], "%v", err)
					}
				} else if ve.path, err = compileRefPath(s); err != nil {
					return nil, fail(pair[1], "%v", err)
				}
				if pair[0] == "Error" {
					st.errorExpr = ve
				} else {
					st.causeExpr = ve
				}
			}
		}
	case "Parallel":
		list, ok := m["Branches"].([]any)
		if !ok || len(list) == 0 {
			return nil, fail("Branches", "must be a non-empty array of state machines")
		}
		for i, b := range list {
			bm, ok := asMap(b)
			if !ok {
				return nil, fail(fmt.Sprintf("Branches[%d]", i), "a branch must be an object with StartAt and States")
			}
			sub, err := l.machine(bm, name, fmt.Sprintf("%s/Branches/%d", loc, i), false)
			if err != nil {
				return nil, err
			}
			st.branches = append(st.branches, sub)
		}
	case "Map":
		if err := l.mapState(st, m, loc, fail); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func choiceErr(name, loc string, err error) error {
	msg := err.Error()
	field := msg
	if i := strings.Index(msg, ": "); i > 0 {
		field = msg[:i]
		msg = msg[i+2:]
	}
	return errAt(name, field, loc+"/"+strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(field, ".", "/"), "[", "/"), "]", ""), "%s", msg)
}

func refOnly(ps ...*path) error {
	for _, p := range ps {
		if p != nil && !p.definite {
			return fmt.Errorf("%q is not a reference path", p.src)
		}
	}
	return nil
}

func (l *loader) task(st *state, m map[string]any, fail func(string, string, ...any) error) error {
	res, ok := m["Resource"].(string)
	if !ok || res == "" {
		return fail("Resource", "Resource is required and must be an ARN")
	}
	st.resource = res
	switch {
	case res == "arn:aws:states:::lambda:invoke":
		st.kind = taskLambdaInvoke
	case res == "arn:aws:states:::lambda:invoke.waitForTaskToken":
		st.kind = taskLambdaWaitToken
	case lambdaARN.MatchString(res):
		st.kind = taskLambdaARN
	case activityARN.MatchString(res):
		st.kind = taskUnsupported
		st.unsupported = "activities are not implemented"
	case integrationARN.MatchString(res) && supportedIntegration(st, res):
	case integrationARN.MatchString(res):
		st.kind = taskUnsupported
		st.unsupported = fmt.Sprintf("the service integration %s is not implemented (supported: Lambda, sqs:sendMessage, dynamodb:getItem/putItem/updateItem/deleteItem, events:putEvents and states:startExecution, each in the patterns listed in docs/DECISIONS.md)", strings.SplitN(res, ":::", 2)[1])
	default:
		return fail("Resource", "%q is not a valid Task resource: expected a Lambda function ARN, an activity ARN or a service integration arn:aws:states:::<service>:<action>[.sync|.sync:2|.waitForTaskToken]", res)
	}
	paramField, params := "Parameters", st.parameters
	if st.jsonata {
		paramField, params = "Arguments", st.arguments
	}
	if st.kind == taskLambdaInvoke || st.kind == taskLambdaWaitToken {
		pm, _ := asMap(m[paramField])
		if pm == nil {
			return fail(paramField, "%s needs %s with FunctionName", res, paramField)
		}
		_, hasName := pm["FunctionName"]
		_, hasNamePath := pm["FunctionName.$"]
		if !hasName && !hasNamePath {
			return fail(paramField, "%s needs %s.FunctionName", res, paramField)
		}
		for _, k := range sortedKeys(pm) {
			switch strings.TrimSuffix(k, ".$") {
			case "FunctionName", "Payload", "Qualifier", "ClientContext", "InvocationType", "LogType":
			default:
				return fail(paramField, "parameter %q is not supported by lambda:invoke", k)
			}
		}
		if st.kind == taskLambdaWaitToken && !params.usesTaskToken() {
			return fail(paramField, "a .waitForTaskToken task must pass the task token ($$.Task.Token, or $states.context.Task.Token in JSONata) in its %s", paramField)
		}
	}
	if st.kind == taskIntegration || st.kind == taskIntegrationWaitToken || st.kind == taskIntegrationSync {
		if params == nil {
			return fail(paramField, "%s needs %s: they are the %s request", res, paramField, st.integration.action)
		}
		if st.kind == taskIntegrationWaitToken && !params.usesTaskToken() {
			return fail(paramField, "a .waitForTaskToken task must pass the task token ($$.Task.Token, or $states.context.Task.Token in JSONata) in its %s", paramField)
		}
	}
	var err error
	if st.jsonata {
		for _, f := range []string{"TimeoutSeconds", "HeartbeatSeconds"} {
			if str, isStr := m[f].(string); isStr && isJSONataExpr(str) {
				t, err := compileJSONataTemplate(str, f)
				if err != nil {
					return fail(f, "%v", err)
				}
				if f == "TimeoutSeconds" {
					st.timeoutT = t
				} else {
					st.heartbeatT = t
				}
				delete(m, f)
			}
		}
	}
	if v, has := m["TimeoutSeconds"]; has {
		if st.timeoutSeconds, ok = positiveInt(v); !ok {
			return fail("TimeoutSeconds", "must be a positive integer")
		}
	}
	if st.timeoutPath, _, err = optPath(m, "TimeoutSecondsPath", false); err != nil {
		return fail("TimeoutSecondsPath", "%v", err)
	}
	if v, has := m["HeartbeatSeconds"]; has {
		if st.heartbeatSeconds, ok = positiveInt(v); !ok {
			return fail("HeartbeatSeconds", "must be a positive integer")
		}
	}
	if st.heartbeatPath, _, err = optPath(m, "HeartbeatSecondsPath", false); err != nil {
		return fail("HeartbeatSecondsPath", "%v", err)
	}
	if err := refOnly(st.timeoutPath, st.heartbeatPath); err != nil {
		return fail("TimeoutSecondsPath", "%v", err)
	}
	if st.timeoutSeconds > 0 && st.timeoutPath != nil {
		return fail("TimeoutSecondsPath", "cannot be used together with TimeoutSeconds")
	}
	if st.heartbeatSeconds > 0 && st.heartbeatPath != nil {
		return fail("HeartbeatSecondsPath", "cannot be used together with HeartbeatSeconds")
	}
	if st.heartbeatSeconds > 0 && st.timeoutSeconds > 0 && st.heartbeatSeconds >= st.timeoutSeconds {
		return fail("HeartbeatSeconds", "must be smaller than TimeoutSeconds")
	}
	return nil
}

func (l *loader) mapState(st *state, m map[string]any, loc string, fail func(string, string, ...any) error) error {
	_, hasIt := m["Iterator"]
	_, hasProc := m["ItemProcessor"]
	if hasIt == hasProc {
		return fail("ItemProcessor", "a Map state needs exactly one of ItemProcessor and Iterator")
	}
	field := "ItemProcessor"
	if hasIt {
		field = "Iterator"
	}
	pm, ok := asMap(m[field])
	if !ok {
		return fail(field, "must be an object with StartAt and States")
	}
	if pc, has := pm["ProcessorConfig"]; has {
		if field != "ItemProcessor" {
			return fail("Iterator", "ProcessorConfig belongs in ItemProcessor")
		}
		pcm, ok := asMap(pc)
		if !ok {
			return fail("ItemProcessor", "ProcessorConfig must be an object")
		}
		for _, k := range sortedKeys(pcm) {
			switch k {
			case "Mode":
				if s, _ := pcm[k].(string); s != "INLINE" {
					return errAt(st.name, "ItemProcessor.ProcessorConfig.Mode", loc+"/ItemProcessor/ProcessorConfig/Mode", "mode %v is not supported (only INLINE; distributed Map is not implemented)", pcm[k])
				}
			default:
				return errAt(st.name, "ItemProcessor.ProcessorConfig."+k, loc+"/ItemProcessor/ProcessorConfig/"+k, "field %q is not supported (only Mode INLINE)", k)
			}
		}
	}
	sub, err := l.machine(pm, st.name, loc+"/"+field, false)
	if err != nil {
		return err
	}
	st.processor = sub
	_, hasSel := m["ItemSelector"]
	_, hasParams := m["Parameters"]
	if hasSel && hasParams {
		return fail("ItemSelector", "cannot be used together with Parameters (its former name)")
	}
	selField := "ItemSelector"
	if hasParams {
		selField = "Parameters"
	}
	if v, has := m[selField]; has && !st.jsonata {
		if st.itemSelector, err = compileTemplate(v, selField); err != nil {
			return fail(selField, "%v", err)
		}
	}
	if st.itemsPath, _, err = optPath(m, "ItemsPath", false); err != nil {
		return fail("ItemsPath", "%v", err)
	}
	if err := refOnly(st.itemsPath); err != nil {
		return fail("ItemsPath", "%v", err)
	}
	if v, has := m["MaxConcurrency"]; has {
		n, ok := toInt(v)
		if !ok || n < 0 {
			return fail("MaxConcurrency", "must be a non-negative integer")
		}
		st.maxConcurrency = n
	}
	if st.maxConcurrencyPath, _, err = optPath(m, "MaxConcurrencyPath", false); err != nil {
		return fail("MaxConcurrencyPath", "%v", err)
	}
	if _, has := m["MaxConcurrency"]; has && st.maxConcurrencyPath != nil {
		return fail("MaxConcurrencyPath", "cannot be used together with MaxConcurrency")
	}
	return nil
}

// errorHandling compiles Retry and Catch.
func (l *loader) errorHandling(st *state, m map[string]any, loc string) error {
	if v, has := m["Retry"]; has {
		list, ok := v.([]any)
		if !ok {
			return errAt(st.name, "Retry", loc+"/Retry", "must be an array of retriers")
		}
		for i, e := range list {
			field := fmt.Sprintf("Retry[%d]", i)
			at := fmt.Sprintf("%s/Retry/%d", loc, i)
			rm, ok := asMap(e)
			if !ok {
				return errAt(st.name, field, at, "a retrier must be an object")
			}
			r := &retrier{interval: 1, maxAttempts: 3, backoffRate: 2}
			for _, k := range sortedKeys(rm) {
				fk := field + "." + k
				switch k {
				case "Comment":
				case "ErrorEquals":
					names, err := errorEquals(rm[k], i == len(list)-1)
					if err != nil {
						return errAt(st.name, fk, at+"/"+k, "%v", err)
					}
					r.errorEquals = names
				case "IntervalSeconds":
					n, ok := positiveInt(rm[k])
					if !ok || n > 99999999 {
						return errAt(st.name, fk, at+"/"+k, "must be a positive integer")
					}
					r.interval = float64(n)
				case "MaxAttempts":
					n, ok := toInt(rm[k])
					if !ok || n < 0 || n > 99999999 {
						return errAt(st.name, fk, at+"/"+k, "must be a non-negative integer")
					}
					r.maxAttempts = int(n)
				case "BackoffRate":
					f, ok := toFloat(rm[k])
					if !ok || f < 1 {
						return errAt(st.name, fk, at+"/"+k, "must be a number greater than or equal to 1.0")
					}
					r.backoffRate = f
				case "MaxDelaySeconds":
					n, ok := positiveInt(rm[k])
					if !ok || n >= 31622401 {
						return errAt(st.name, fk, at+"/"+k, "must be a positive integer below 31622401")
					}
					r.maxDelay = float64(n)
				case "JitterStrategy":
					switch rm[k] {
					case "FULL":
						r.fullJitter = true
					case "NONE":
					default:
						return errAt(st.name, fk, at+"/"+k, "must be \"FULL\" or \"NONE\"")
					}
				default:
					return errAt(st.name, fk, at+"/"+k, "unknown field %q in a retrier", k)
				}
			}
			if r.errorEquals == nil {
				return errAt(st.name, field+".ErrorEquals", at+"/ErrorEquals", "ErrorEquals is required")
			}
			st.retry = append(st.retry, r)
		}
	}
	if v, has := m["Catch"]; has {
		list, ok := v.([]any)
		if !ok {
			return errAt(st.name, "Catch", loc+"/Catch", "must be an array of catchers")
		}
		for i, e := range list {
			field := fmt.Sprintf("Catch[%d]", i)
			at := fmt.Sprintf("%s/Catch/%d", loc, i)
			cm, ok := asMap(e)
			if !ok {
				return errAt(st.name, field, at, "a catcher must be an object")
			}
			c := &catcher{}
			for _, k := range sortedKeys(cm) {
				fk := field + "." + k
				switch k {
				case "Comment":
				case "ErrorEquals":
					names, err := errorEquals(cm[k], i == len(list)-1)
					if err != nil {
						return errAt(st.name, fk, at+"/"+k, "%v", err)
					}
					c.errorEquals = names
				case "Next":
					s, ok := cm[k].(string)
					if !ok || s == "" {
						return errAt(st.name, fk, at+"/"+k, "must be a state name")
					}
					c.next = s
				case "Output":
					if !st.jsonata {
						return errAt(st.name, fk, at+"/"+k, "field %q belongs to JSONata states; use ResultPath", k)
					}
					t, err := compileJSONataTemplate(cm[k], k)
					if err != nil {
						return errAt(st.name, fk, at+"/"+k, "%v", err)
					}
					c.output = t
				case "ResultPath":
					if st.jsonata {
						return errAt(st.name, fk, at+"/"+k, "field %q is a JSONPath field; a JSONata catcher uses Output and Assign", k)
					}
					p, isNull, err := optPath(cm, k, true)
					if err == nil && p != nil && p.variable != "" {
						err = fmt.Errorf("ResultPath cannot address a variable; use Assign")
					}
					if err != nil {
						return errAt(st.name, fk, at+"/"+k, "%v", err)
					}
					c.resultPath, c.resultNull = p, isNull
				case "Assign":
					a, err := compileAssignFor(cm[k], st.jsonata)
					if err != nil {
						return errAt(st.name, fk, at+"/"+k, "%v", err)
					}
					c.assign = a
				default:
					if why, ok := unsupportedFields[k]; ok {
						return errAt(st.name, fk, at+"/"+k, "field %q is not supported: %s", k, why)
					}
					return errAt(st.name, fk, at+"/"+k, "unknown field %q in a catcher", k)
				}
			}
			if c.errorEquals == nil {
				return errAt(st.name, field+".ErrorEquals", at+"/ErrorEquals", "ErrorEquals is required")
			}
			if c.next == "" {
				return errAt(st.name, field+".Next", at+"/Next", "Next is required")
			}
			st.catch = append(st.catch, c)
		}
	}
	return nil
}

// supportedIntegration sets st's kind when res is a service integration
// sfnlocal runs (integration.go), and reports whether it is.
func supportedIntegration(st *state, res string) bool {
	rest := strings.SplitN(res, ":::", 2)[1]
	pattern := ""
	for _, p := range []string{".waitForTaskToken", ".sync:2", ".sync"} {
		if strings.HasSuffix(rest, p) {
			pattern, rest = p, strings.TrimSuffix(rest, p)
			break
		}
	}
	in, ok := lookupIntegration(rest, pattern)
	if !ok {
		return false
	}
	st.integration = in
	st.kind = taskIntegration
	switch pattern {
	case ".waitForTaskToken":
		st.kind = taskIntegrationWaitToken
	case ".sync", ".sync:2":
		st.kind = taskIntegrationSync
		st.syncV2 = pattern == ".sync:2"
	}
	return true
}

// variableName is what a workflow variable may be called: a Unicode
// identifier (UAX #31: an ID_Start character, then ID_Continue ones; an
// underscore may start it) of at most 80 characters, as the service
// documents. Letter and mark categories approximate ID_Start/ID_Continue.
var variableName = regexp.MustCompile(`^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]{0,79}$`)

// compileAssign compiles an Assign field: an object whose keys name
// variables ("name" for a literal value, "name.$" for a path or intrinsic
// function) and whose values are payload templates.
func compileAssignFor(v any, jsonataMode bool) (*template, error) {
	if !jsonataMode {
		return compileAssign(v)
	}
	o, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("Assign must be an object of variable names and values")
	}
	for _, k := range o.keys {
		if !variableName.MatchString(k) || k == "states" {
			return nil, fmt.Errorf("%q is not a valid variable name (a Unicode identifier: a letter or underscore, then letters, digits or underscores; \"states\" is reserved)", k)
		}
	}
	return compileJSONataTemplate(v, "Assign")
}

func compileAssign(v any) (*template, error) {
	o, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("Assign must be an object of variable names and values")
	}
	for _, k := range o.keys {
		name := strings.TrimSuffix(k, ".$")
		if !variableName.MatchString(name) || name == "states" {
			return nil, fmt.Errorf("%q is not a valid variable name (a Unicode identifier: a letter or underscore, then letters, digits or underscores; \"states\" is reserved)", name)
		}
	}
	return compileTemplate(v, "Assign")
}

func errorEquals(v any, last bool) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("must be a non-empty array of error names")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("error names must be non-empty strings")
		}
		if s == ErrAll {
			if len(list) != 1 {
				return nil, fmt.Errorf("States.ALL must appear alone in ErrorEquals")
			}
			if !last {
				return nil, fmt.Errorf("States.ALL must appear in the last retrier or catcher")
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// optPath reads an optional path field. A JSON null is reported separately
// (allowed for InputPath, OutputPath and ResultPath). ResultPath must be a
// reference path.
func optPath(m map[string]any, field string, ref bool) (*path, bool, error) {
	v, has := m[field]
	if !has {
		return nil, false, nil
	}
	if v == nil {
		switch field {
		case "InputPath", "OutputPath", "ResultPath":
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("must be a path string")
	}
	s, ok := v.(string)
	if !ok {
		return nil, false, fmt.Errorf("must be a path string or null")
	}
	if ref {
		p, err := compileRefPath(s)
		return p, false, err
	}
	p, err := compilePath(s)
	return p, false, err
}

func positiveInt(v any) (int64, bool) {
	n, ok := toInt(v)
	if !ok || n <= 0 || n > math.MaxInt32 {
		return 0, false
	}
	return n, true
}

func cloneMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
