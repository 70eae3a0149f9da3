package sfnlocal

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// execution is one run of a state machine. Its mutex guards everything
// below it, including all of its runs (threads of control). Work on an
// execution happens in pool work items that take this lock; task handlers
// are called without it.
type execution struct {
	svc       *Service
	machine   *machineRecord
	ver       *machineVersion // the definition this execution runs
	arn       string
	name      string
	input     any
	inputJSON string
	start     time.Time

	mu          sync.Mutex
	status      string
	stop        time.Time
	output      string
	errName     string
	cause       string
	events      []HistoryEvent
	transitions int64
	root        *run
	timeoutStop func() bool
	watchers    []func(*Execution) // told when the execution closes
	// redriveCount and redriveDate count RedriveExecution calls.
	redriveCount int64
	redriveDate  time.Time
	// failedAt and failedInput are the top-level state the execution
	// stopped in and its raw input, where a redrive resumes.
	failedAt    *state
	failedInput any
}

// watch calls fn with the execution's final description once it closes
// (at once, on a worker, if it already has). A .sync task of a parent
// execution waits this way.
func (e *execution) watch(fn func(*Execution)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.status != StatusRunning {
		d := e.describeLocked()
		e.svc.pool.submit(func() { fn(d) })
		return
	}
	e.watchers = append(e.watchers, fn)
}

// run is a thread of control inside an execution: the top-level state
// graph, one Parallel branch or one Map iteration. A run that waits (timer,
// task token, children) holds no goroutine: it is resumed by a work item
// that a timer, an API call or a child submits, and every such callback
// checks seq so that a stale one (a timer of a state already left) does
// nothing.
type run struct {
	exec   *execution
	m      *machine
	parent *group
	index  int

	cur        *state
	input      any // the raw input of cur
	entered    time.Time
	retries    []int // attempts used per retrier of cur
	retryCount int
	seq        uint64
	timerStop  func() bool
	attempt    *taskAttempt
	group      *group
	done       bool
	prevEvent  int64
	// vars holds the workflow variables this run assigns; a Parallel
	// branch or Map iteration reads its parent's through vars.parent.
	vars *varScope
	// assigned is what the current state assigns, rendered for its
	// StateExited event.
	assigned map[string]string
}

// varScope is one scope of workflow variables: the top-level states share
// one, and each Parallel branch and Map iteration has its own, which can
// read (not write) the scopes around it. It is guarded by the execution
// lock.
type varScope struct {
	parent *varScope
	vals   map[string]any
}

func (v *varScope) lookup(name string) (any, bool) {
	for ; v != nil; v = v.parent {
		if x, ok := v.vals[name]; ok {
			return x, true
		}
	}
	return nil, false
}

// all returns every visible variable, inner scopes hiding outer ones.
func (v *varScope) all() map[string]any {
	out := map[string]any{}
	var walk func(*varScope)
	walk = func(s *varScope) {
		if s == nil {
			return
		}
		walk(s.parent)
		for k, x := range s.vals {
			out[k] = x
		}
	}
	walk(v)
	return out
}

// prepareAssign evaluates an Assign field against value ($) with the
// variables as they were when the state was entered. The result is applied
// by commitAssign once the state's output is known, so that every field of
// the state reads the old values, as the service orders it.
func (r *run) prepareAssign(a *template, value any) (*object, *stateError) {
	return r.prepareAssignEnv(a, r.env(value, "", nil))
}

// prepareAssignEnv is prepareAssign with the whole environment given, as
// JSONata states need ($states.result, $states.errorOutput).
func (r *run) prepareAssignEnv(a *template, e env) (*object, *stateError) {
	if a == nil {
		return nil, nil
	}
	v, err := a.eval(e)
	if err != nil {
		return nil, err
	}
	o, _ := v.(*object)
	return o, nil
}

// commitAssign sets the prepared variables in the run's own scope.
func (r *run) commitAssign(o *object) {
	if o == nil {
		return
	}
	r.assigned = make(map[string]string, o.len())
	for _, k := range o.keys {
		r.vars.vals[k] = o.vals[k]
		r.assigned[k] = encodeJSON(o.vals[k])
	}
}

// group tracks the children of a Parallel or Map state in progress.
type group struct {
	owner     *run
	isMap     bool
	eff       any
	items     []any
	results   []any
	children  []*run
	next      int
	active    int
	remaining int
	maxConc   int
	failed    bool
}

// maxStepsPerTurn bounds how many states one work item runs before
// yielding, so a long or looping execution cannot starve the others.
const maxStepsPerTurn = 64

const timeFormat = "2006-01-02T15:04:05.000Z"

// begin records ExecutionStarted and enters the first state. e.mu is held.
func (e *execution) begin() {
	ev := e.event(nil, HistoryEvent{Type: "ExecutionStarted", Input: e.inputJSON})
	e.armTimeout()
	r := &run{exec: e, m: e.ver.compiled, prevEvent: ev, vars: &varScope{vals: map[string]any{}}}
	e.root = r
	r.enter(r.m.states[r.m.startAt], e.input)
	e.svc.pool.submit(r.resumeFunc(r.seq, func() bool { return true }))
}

// armTimeout starts the execution's TimeoutSeconds, if it has one. e.mu
// is held.
func (e *execution) armTimeout() {
	if t := e.ver.compiled.timeoutSeconds; t > 0 {
		e.timeoutStop = e.svc.clock.AfterFunc(time.Duration(t)*time.Second, func() {
			e.svc.pool.submit(func() {
				e.mu.Lock()
				defer e.mu.Unlock()
				if e.status == StatusRunning {
					e.finish(StatusTimedOut, "ExecutionTimedOut", nil, ErrTimeout, "The execution exceeded its TimeoutSeconds")
				}
			})
		})
	}
}

// redrive resumes a failed, aborted or timed-out execution at the
// top-level state it stopped in, with that state's input and the
// variables it had; the states that succeeded are not run again. A
// Parallel or Map state is run again whole (the service reruns only its
// unsuccessful branches or iterations). e.mu is held.
func (e *execution) redrive() error {
	switch e.status {
	case StatusFailed, StatusAborted, StatusTimedOut:
	default:
		return apiErr(CodeExecutionNotRedrivable, "Execution is %s, only FAILED, ABORTED and TIMED_OUT executions can be redriven: '%s'", e.status, e.arn)
	}
	if e.failedAt == nil {
		return apiErr(CodeExecutionNotRedrivable, "Execution has no state to redrive from: '%s'", e.arn)
	}
	prev := e.status
	e.status = StatusRunning
	e.stop = time.Time{}
	e.errName, e.cause = "", ""
	e.redriveCount++
	e.redriveDate = e.svc.clock.Now()
	e.svc.statusCounter(prev).Add(-1)
	e.svc.statusCounter(StatusRunning).Add(1)
	ev := e.event(nil, HistoryEvent{Type: "ExecutionRedriven", RedriveCount: e.redriveCount})
	e.armTimeout()
	old := e.root
	r := &run{exec: e, m: e.ver.compiled, prevEvent: ev, vars: old.vars}
	e.root = r
	r.enter(e.failedAt, e.failedInput)
	e.failedAt, e.failedInput = nil, nil
	e.svc.pool.submit(r.resumeFunc(r.seq, func() bool { return true }))
	e.svc.log.Info("execution redriven", "arn", e.arn, "redriveCount", e.redriveCount)
	return nil
}

// event appends a history event on behalf of r (nil: the execution).
func (e *execution) event(r *run, ev HistoryEvent) int64 {
	ev.ID = int64(len(e.events) + 1)
	ev.Timestamp = e.svc.clock.Now()
	if r != nil {
		ev.PreviousEventID = r.prevEvent
		r.prevEvent = ev.ID
	} else if len(e.events) > 0 {
		ev.PreviousEventID = ev.ID - 1
	}
	e.events = append(e.events, ev)
	return ev.ID
}

// finish closes the execution. e.mu is held.
func (e *execution) finish(status, evType string, output any, errName, cause string) {
	if e.status != StatusRunning {
		return
	}
	e.status = status
	e.stop = e.svc.clock.Now()
	ev := HistoryEvent{Type: evType}
	if status == StatusSucceeded {
		e.output = encodeJSON(output)
		ev.Output = e.output
	} else {
		e.errName, e.cause = errName, cause
		ev.Error, ev.Cause = errName, cause
	}
	if e.root != nil {
		if status != StatusSucceeded && e.root.cur != nil {
			e.failedAt, e.failedInput = e.root.cur, e.root.input
		}
		e.root.cancel(status == StatusAborted || status == StatusTimedOut)
	}
	e.event(nil, ev)
	for _, w := range e.watchers {
		d, w := e.describeLocked(), w
		e.svc.pool.submit(func() { w(d) })
	}
	e.watchers = nil
	if e.timeoutStop != nil {
		e.timeoutStop()
		e.timeoutStop = nil
	}
	e.svc.statusCounter(StatusRunning).Add(-1)
	e.svc.statusCounter(status).Add(1)
	e.svc.log.Info("execution closed", "arn", e.arn, "status", status, "error", errName, "transitions", e.transitions)
}

func (e *execution) describeLocked() *Execution {
	return &Execution{
		ARN:               e.arn,
		StateMachineARN:   e.machine.arn,
		Name:              e.name,
		Status:            e.status,
		StartDate:         e.start,
		StopDate:          e.stop,
		Input:             e.inputJSON,
		Output:            e.output,
		Error:             e.errName,
		Cause:             e.cause,
		BilledTransitions: e.transitions,
		RedriveCount:      e.redriveCount,
		RedriveDate:       e.redriveDate,
		Redrivable:        e.failedAt != nil && e.status != StatusRunning && e.status != StatusSucceeded,
	}
}

// billTransition counts one billed state transition. Step Functions
// Standard "counts a state transition each time a step of your workflow is
// executed ... including retries" (aws.amazon.com/step-functions/pricing):
// sfnlocal counts one for every state entered, in any run (Parallel
// branches and Map iterations included), and one for every retry attempt.
func (e *execution) billTransition() {
	e.transitions++
	e.svc.transitions.Add(1)
}

// resumeFunc wraps a continuation of r as a work item. fn runs under the
// execution lock only if r is still at the same point (seq) and running;
// when it returns true the run advances through its next states.
func (r *run) resumeFunc(seq uint64, fn func() bool) func() {
	e := r.exec
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if r.seq != seq || r.done || e.status != StatusRunning {
			return
		}
		if fn() {
			r.advance()
		}
	}
}

// sleep resumes r with fn after d of clock time.
func (r *run) sleep(d time.Duration, fn func() bool) {
	svc := r.exec.svc
	work := r.resumeFunc(r.seq, func() bool {
		r.timerStop = nil
		return fn()
	})
	if d <= 0 {
		svc.pool.submit(work)
		return
	}
	r.timerStop = svc.clock.AfterFunc(d, func() { svc.pool.submit(work) })
}

// enter makes st the current state with the given raw input.
func (r *run) enter(st *state, input any) {
	r.cur = st
	r.input = input
	r.entered = r.exec.svc.clock.Now()
	r.retries = nil
	r.retryCount = 0
	r.seq++
	r.exec.billTransition()
	r.exec.event(r, HistoryEvent{Type: st.typ + "StateEntered", StateName: st.name, Input: encodeJSON(input)})
}

// advance runs states until the run blocks, ends, or has used its turn.
func (r *run) advance() {
	for i := 0; ; i++ {
		if r.done || r.exec.status != StatusRunning {
			return
		}
		if i == maxStepsPerTurn {
			r.exec.svc.pool.submit(r.resumeFunc(r.seq, func() bool { return true }))
			return
		}
		if !r.execute() {
			return
		}
	}
}

// execute performs the current state. It returns true when the run moved
// to another state and should continue.
func (r *run) execute() bool {
	st := r.cur
	switch st.typ {
	case "Pass":
		if st.jsonata {
			assign, err := r.prepareAssign(st.assign, r.input)
			if err != nil {
				return r.fail(err)
			}
			out, err := r.applyOutputPath(r.input)
			if err != nil {
				return r.fail(err)
			}
			r.commitAssign(assign)
			return r.exitTo(st.next, out)
		}
		eff, err := r.applyInputPath()
		if err != nil {
			return r.fail(err)
		}
		result := eff
		if st.parameters != nil {
			if result, err = st.parameters.eval(r.env(eff, "", nil)); err != nil {
				return r.fail(err)
			}
		}
		if st.hasResult {
			result = st.result
		}
		assign, err := r.prepareAssign(st.assign, result)
		if err != nil {
			return r.fail(err)
		}
		out, err := r.applyResult(result)
		if err != nil {
			return r.fail(err)
		}
		r.commitAssign(assign)
		return r.exitTo(st.next, out)
	case "Choice":
		eff, err := r.applyInputPath()
		if err != nil {
			return r.fail(err)
		}
		next := ""
		// The matching rule's Assign applies; the state's own Assign
		// applies when no rule matches and Default is taken.
		assignT := st.assign
		for _, c := range st.choices {
			ok, err := c.eval(r.env(eff, "", nil))
			if err != nil {
				return r.fail(err)
			}
			if ok {
				next, assignT = c.next, c.assign
				break
			}
		}
		if next == "" {
			next = st.defaultNext
		}
		if next == "" {
			return r.fail(&stateError{Name: ErrNoChoiceMatched, Cause: fmt.Sprintf("No Matches! (state %q)", st.name)})
		}
		assign, err := r.prepareAssign(assignT, eff)
		if err != nil {
			return r.fail(err)
		}
		out, err := r.applyOutputPath(eff)
		if err != nil {
			return r.fail(err)
		}
		r.commitAssign(assign)
		return r.exitTo(next, out)
	case "Wait":
		return r.executeWait()
	case "Succeed":
		eff, err := r.applyInputPath()
		if err != nil {
			return r.fail(err)
		}
		out, err := r.applyOutputPath(eff)
		if err != nil {
			return r.fail(err)
		}
		return r.exitTo("", out)
	case "Fail":
		name, cause := st.errorName, st.cause
		e := r.env(r.input, "", nil)
		for _, f := range []struct {
			expr  *valueExpr
			dst   *string
			field string
		}{{st.errorExpr, &name, "ErrorPath"}, {st.causeExpr, &cause, "CausePath"}} {
			if f.expr == nil {
				continue
			}
			v, err := f.expr.eval(e)
			if err != nil {
				return r.fail(err)
			}
			s, ok := v.(string)
			if !ok {
				return r.fail(runtimeErr("The %s of state %q must resolve to a string, got %s", f.field, st.name, typeName(v)))
			}
			*f.dst = s
		}
		for _, f := range []struct {
			t   *template
			dst *string
		}{{st.errorT, &name}, {st.causeT, &cause}} {
			if f.t == nil {
				continue
			}
			v, err := f.t.eval(e)
			if err != nil {
				return r.fail(err)
			}
			s, ok := v.(string)
			if !ok {
				return r.fail(&stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("The Error and Cause of state %q must evaluate to strings, got %s", st.name, typeName(v))})
			}
			*f.dst = s
		}
		r.failRun(&stateError{Name: name, Cause: cause})
		return false
	case "Task":
		return r.startTask()
	case "Parallel":
		return r.startParallel()
	case "Map":
		return r.startMap()
	}
	return r.fail(runtimeErr("unsupported state type %q", st.typ))
}

func (r *run) executeWait() bool {
	st := r.cur
	eff, err := r.applyInputPath()
	if err != nil {
		return r.fail(err)
	}
	now := r.exec.svc.clock.Now()
	var until time.Time
	switch {
	case st.waitExpr != nil:
		v, err := st.waitExpr.eval(r.env(eff, "", nil))
		if err != nil {
			return r.fail(err)
		}
		if st.hasSeconds {
			n, ok := toInt(v)
			if !ok || n < 0 || n > 99999999 {
				return r.fail(&stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("The Seconds of state %q must evaluate to an integer from 0 to 99999999, got %s", st.name, encodeJSON(v))})
			}
			until = r.entered.Add(time.Duration(n) * time.Second)
		} else {
			s, _ := v.(string)
			t, ok := parseTimestamp(s)
			if !ok {
				return r.fail(&stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("The Timestamp of state %q must evaluate to an RFC 3339 timestamp, got %s", st.name, encodeJSON(v))})
			}
			until = t
		}
	case st.hasSeconds:
		until = r.entered.Add(time.Duration(st.waitSeconds) * time.Second)
	case st.secondsPath != nil:
		v, ok := st.secondsPath.get(r.env(eff, "", nil))
		n, isInt := toInt(v)
		if !ok || !isInt || n < 0 {
			return r.fail(runtimeErr("The SecondsPath parameter does not reference a valid non-negative integer: %s", st.secondsPath.src))
		}
		until = r.entered.Add(time.Duration(n) * time.Second)
	case st.hasTimestamp:
		until = st.waitUntil
	case st.timestampPath != nil:
		v, ok := st.timestampPath.get(r.env(eff, "", nil))
		s, isStr := v.(string)
		t, valid := parseTimestamp(s)
		if !ok || !isStr || !valid {
			return r.fail(runtimeErr("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s", st.timestampPath.src))
		}
		until = t
	}
	assign, err := r.prepareAssign(st.assign, eff)
	if err != nil {
		return r.fail(err)
	}
	out, err := r.applyOutputPath(eff)
	if err != nil {
		return r.fail(err)
	}
	leave := func() bool {
		r.commitAssign(assign)
		return r.exitTo(st.next, out)
	}
	if !until.After(now) {
		return leave()
	}
	r.sleep(until.Sub(now), leave)
	return false
}

// exitTo records the state's exit and moves to next, or ends the run when
// the state is terminal (next empty).
func (r *run) exitTo(next string, out any) bool {
	st := r.cur
	r.exec.event(r, HistoryEvent{Type: st.typ + "StateExited", StateName: st.name, Output: encodeJSON(out), AssignedVariables: r.assigned})
	r.assigned = nil
	if next == "" {
		r.complete(out)
		return false
	}
	r.enter(r.m.states[next], out)
	return true
}

func (r *run) complete(out any) {
	r.done = true
	r.seq++
	if r.parent == nil {
		r.exec.finish(StatusSucceeded, "ExecutionSucceeded", out, "", "")
		return
	}
	r.parent.childDone(r, out)
}

func (r *run) failRun(err *stateError) {
	r.done = true
	r.seq++
	if r.parent == nil {
		r.exec.finish(StatusFailed, "ExecutionFailed", nil, err.Name, err.Cause)
		return
	}
	r.parent.childFailed(r, err)
}

// fail handles an error raised by the current state, as the language
// orders it: the first retrier whose ErrorEquals matches decides (retry if
// it has attempts left); otherwise the first matching catcher; otherwise
// the run fails. It returns true when a catcher moved the run on.
func (r *run) fail(err *stateError) bool {
	st := r.cur
	e := r.exec
	for i, rt := range st.retry {
		if !errorMatches(rt.errorEquals, err.Name) {
			continue
		}
		if r.retries == nil {
			r.retries = make([]int, len(st.retry))
		}
		if r.retries[i] >= rt.maxAttempts {
			break
		}
		delay := rt.interval * math.Pow(rt.backoffRate, float64(r.retries[i]))
		if rt.maxDelay > 0 && delay > rt.maxDelay {
			delay = rt.maxDelay
		}
		if rt.fullJitter {
			delay *= e.svc.jitter()
		}
		r.retries[i]++
		r.retryCount++
		e.billTransition()
		r.sleep(time.Duration(delay*float64(time.Second)), r.execute)
		return false
	}
	for _, c := range st.catch {
		if !errorMatches(c.errorEquals, err.Name) {
			continue
		}
		errOut := objectOf("Error", err.Name, "Cause", err.Cause)
		if st.jsonata {
			e := r.env(r.input, "", nil)
			e.errOutput, e.hasErrOutput = errOut, true
			assign, aerr := r.prepareAssignEnv(c.assign, e)
			if aerr != nil {
				r.failRun(aerr)
				return false
			}
			var out any = errOut
			if c.output != nil {
				if out, aerr = c.output.eval(e); aerr != nil {
					r.failRun(aerr)
					return false
				}
			}
			r.commitAssign(assign)
			return r.exitTo(c.next, out)
		}
		assign, aerr := r.prepareAssign(c.assign, errOut)
		if aerr != nil {
			r.failRun(aerr)
			return false
		}
		var out any
		switch {
		case c.resultNull:
			out = r.input
		case c.resultPath == nil:
			out = errOut
		default:
			v, perr := c.resultPath.set(r.input, errOut)
			if perr != nil {
				r.failRun(&stateError{Name: ErrRuntime, Cause: perr.Error()})
				return false
			}
			out = v
		}
		r.commitAssign(assign)
		return r.exitTo(c.next, out)
	}
	r.failRun(err)
	return false
}

// cancel stops everything r waits for. With abort set it records the
// *StateAborted events the service writes when an execution is stopped.
func (r *run) cancel(abort bool) {
	if r.done {
		return
	}
	r.done = true
	r.seq++
	if r.timerStop != nil {
		r.timerStop()
		r.timerStop = nil
	}
	if a := r.attempt; a != nil {
		a.finish()
		r.attempt = nil
	}
	if g := r.group; g != nil {
		g.failed = true
		g.abortChildren(abort)
		r.group = nil
	}
	if abort && r.cur != nil {
		switch r.cur.typ {
		case "Task", "Wait", "Map", "Parallel":
			r.exec.event(r, HistoryEvent{Type: r.cur.typ + "StateAborted", StateName: r.cur.name})
		}
	}
}

// env is the evaluation environment for paths and templates of the
// current state. token and item add $$.Task and $$.Map to the context.
func (r *run) env(input any, token string, item *mapItem) env {
	return env{input: input, context: func() any { return r.contextObject(token, item) }, vars: r.vars.lookup, allVars: r.vars.all}
}

type mapItem struct {
	index int
	value any
}

// contextObject builds the $$ context object as the service documents it.
func (r *run) contextObject(token string, item *mapItem) any {
	e := r.exec
	// Keys in the order the service writes them.
	ctx := objectOf(
		"Execution", objectOf(
			"Id", e.arn,
			"Input", e.input,
			"StartTime", e.start.UTC().Format(timeFormat),
			"Name", e.name,
			"RoleArn", e.ver.roleARN,
			"RedriveCount", e.redriveCount,
		),
		"StateMachine", objectOf("Id", e.machine.arn, "Name", e.machine.name),
		"State", objectOf(
			"Name", r.cur.name,
			"EnteredTime", r.entered.UTC().Format(timeFormat),
			"RetryCount", int64(r.retryCount),
		),
	)
	if token != "" {
		ctx.set("Task", objectOf("Token", token))
	}
	if item != nil {
		ctx.set("Map", objectOf("Item", objectOf("Index", int64(item.index), "Value", item.value)))
	}
	return ctx
}

func (r *run) applyInputPath() (any, *stateError) {
	st := r.cur
	switch {
	case st.inputPathNull:
		return newObject(0), nil
	case st.inputPath == nil:
		return r.input, nil
	}
	v, ok := st.inputPath.get(r.env(r.input, "", nil))
	if !ok {
		return nil, runtimeErr("An error occurred while executing the state '%s'. Invalid path '%s' : No results for path: %s", st.name, st.inputPath.src, st.inputPath.src)
	}
	return v, nil
}

func (r *run) applyOutputPath(v any) (any, *stateError) {
	st := r.cur
	if st.jsonata {
		// Pass, Choice, Wait and Succeed: Output, by default the input.
		if st.output == nil {
			return v, nil
		}
		return st.output.eval(r.env(v, "", nil))
	}
	switch {
	case st.outputPathNull:
		return newObject(0), nil
	case st.outputPath == nil:
		return v, nil
	}
	out, ok := st.outputPath.get(r.env(v, "", nil))
	if !ok {
		return nil, runtimeErr("An error occurred while executing the state '%s'. Invalid path '%s' : No results for path: %s", st.name, st.outputPath.src, st.outputPath.src)
	}
	return out, nil
}

// applyResult places a state's result into its raw input (ResultPath) and
// filters the combination (OutputPath).
func (r *run) applyResult(result any) (any, *stateError) {
	st := r.cur
	var combined any
	switch {
	case st.resultPathNull:
		combined = r.input
	case st.resultPath == nil:
		combined = result
	default:
		v, err := st.resultPath.set(r.input, result)
		if err != nil {
			return nil, &stateError{Name: ErrResultPathMatchFailed, Cause: fmt.Sprintf("An error occurred while executing the state '%s'. %v", st.name, err)}
		}
		combined = v
	}
	return r.applyOutputPath(combined)
}

// finishWithResult runs ResultSelector, ResultPath and OutputPath on a
// Task, Parallel or Map result and moves on.
func (r *run) finishWithResult(result any) bool {
	st := r.cur
	if st.jsonata {
		e := r.env(r.input, "", nil)
		e.result, e.hasResult = result, true
		assign, err := r.prepareAssignEnv(st.assign, e)
		if err != nil {
			return r.fail(err)
		}
		out := result
		if st.output != nil {
			if out, err = st.output.eval(e); err != nil {
				return r.fail(err)
			}
		}
		r.commitAssign(assign)
		return r.exitTo(st.next, out)
	}
	if st.resultSelector != nil {
		v, err := st.resultSelector.eval(r.env(result, "", nil))
		if err != nil {
			return r.fail(err)
		}
		result = v
	}
	assign, err := r.prepareAssign(st.assign, result)
	if err != nil {
		return r.fail(err)
	}
	out, err := r.applyResult(result)
	if err != nil {
		return r.fail(err)
	}
	r.commitAssign(assign)
	return r.exitTo(st.next, out)
}

// startParallel runs every branch on the state's effective input.
func (r *run) startParallel() bool {
	st := r.cur
	eff, err := r.applyInputPath()
	if err != nil {
		return r.fail(err)
	}
	if st.parameters != nil {
		if eff, err = st.parameters.eval(r.env(eff, "", nil)); err != nil {
			return r.fail(err)
		}
	}
	if st.arguments != nil {
		if eff, err = st.arguments.eval(r.env(eff, "", nil)); err != nil {
			return r.fail(err)
		}
	}
	g := &group{owner: r, eff: eff, results: make([]any, len(st.branches)), remaining: len(st.branches)}
	r.group = g
	r.exec.event(r, HistoryEvent{Type: "ParallelStateStarted", StateName: st.name})
	for i, b := range st.branches {
		c := &run{exec: r.exec, m: b, parent: g, index: i, prevEvent: r.prevEvent, vars: &varScope{parent: r.vars, vals: map[string]any{}}}
		g.children = append(g.children, c)
		g.active++
		c.enter(b.states[b.startAt], eff)
		r.exec.svc.pool.submit(c.resumeFunc(c.seq, func() bool { return true }))
	}
	return false
}

// startMap runs the item processor for every item, at most MaxConcurrency
// at a time.
func (r *run) startMap() bool {
	st := r.cur
	eff, err := r.applyInputPath()
	if err != nil {
		return r.fail(err)
	}
	items := eff
	if st.items != nil {
		if items, err = st.items.eval(r.env(eff, "", nil)); err != nil {
			return r.fail(err)
		}
	}
	if st.itemsPath != nil {
		v, ok := st.itemsPath.get(r.env(eff, "", nil))
		if !ok {
			return r.fail(runtimeErr("An error occurred while executing the state '%s'. Invalid path '%s': The ItemsPath does not exist", st.name, st.itemsPath.src))
		}
		items = v
	}
	list, ok := items.([]any)
	if !ok {
		return r.fail(runtimeErr("An error occurred while executing the state '%s'. Items of a Map state must be a JSON array, got %s", st.name, typeName(items)))
	}
	conc := st.maxConcurrency
	if st.maxConcurrencyPath != nil {
		v, ok := st.maxConcurrencyPath.get(r.env(eff, "", nil))
		n, isInt := toInt(v)
		if !ok || !isInt || n < 0 {
			return r.fail(runtimeErr("The MaxConcurrencyPath field does not reference a non-negative integer: %s", st.maxConcurrencyPath.src))
		}
		conc = n
	}
	g := &group{owner: r, isMap: true, eff: eff, items: list, results: make([]any, len(list)), remaining: len(list), maxConc: int(conc)}
	r.group = g
	r.exec.event(r, HistoryEvent{Type: "MapStateStarted", StateName: st.name, Length: len(list)})
	if len(list) == 0 {
		r.exec.svc.pool.submit(r.resumeFunc(r.seq, func() bool { return r.groupDone(g) }))
		return false
	}
	g.startMore()
	return false
}

// startMore starts iterations up to the concurrency limit.
func (g *group) startMore() {
	r := g.owner
	st := r.cur
	for g.next < len(g.items) && (g.maxConc == 0 || g.active < g.maxConc) {
		i := g.next
		g.next++
		input := g.items[i]
		if st.itemSelector != nil {
			v, err := st.itemSelector.eval(r.env(g.eff, "", &mapItem{index: i, value: g.items[i]}))
			if err != nil {
				g.failed = true
				g.abortChildren(true)
				r.group = nil
				r.exec.event(r, HistoryEvent{Type: "MapStateFailed", StateName: st.name})
				r.exec.svc.pool.submit(r.resumeFunc(r.seq, func() bool { return r.fail(err) }))
				return
			}
			input = v
		}
		c := &run{exec: r.exec, m: st.processor, parent: g, index: i, prevEvent: r.prevEvent, vars: &varScope{parent: r.vars, vals: map[string]any{}}}
		g.children = append(g.children, c)
		g.active++
		c.prevEvent = r.exec.event(c, HistoryEvent{Type: "MapIterationStarted", StateName: st.name, Index: i})
		c.enter(st.processor.states[st.processor.startAt], input)
		r.exec.svc.pool.submit(c.resumeFunc(c.seq, func() bool { return true }))
	}
}

func (g *group) childDone(c *run, out any) {
	r := g.owner
	if g.failed || r.group != g {
		return
	}
	g.results[c.index] = out
	g.active--
	g.remaining--
	if g.isMap {
		r.exec.event(c, HistoryEvent{Type: "MapIterationSucceeded", StateName: r.cur.name, Index: c.index})
		g.startMore()
	}
	if g.remaining == 0 {
		r.exec.svc.pool.submit(r.resumeFunc(r.seq, func() bool { return r.groupDone(g) }))
	}
}

func (g *group) childFailed(c *run, err *stateError) {
	r := g.owner
	if g.failed || r.group != g {
		return
	}
	g.failed = true
	g.active--
	if g.isMap {
		r.exec.event(c, HistoryEvent{Type: "MapIterationFailed", StateName: r.cur.name, Index: c.index})
	}
	g.abortChildren(true)
	r.group = nil
	r.exec.event(r, HistoryEvent{Type: r.cur.typ + "StateFailed", StateName: r.cur.name})
	r.exec.svc.pool.submit(r.resumeFunc(r.seq, func() bool { return r.fail(err) }))
}

// abortChildren cancels the children still running.
func (g *group) abortChildren(record bool) {
	for _, c := range g.children {
		if c.done {
			continue
		}
		c.cancel(record)
		if record && g.isMap {
			g.owner.exec.event(c, HistoryEvent{Type: "MapIterationAborted", StateName: g.owner.cur.name, Index: c.index})
		}
	}
}

// groupDone finishes a Parallel or Map state whose children all succeeded.
func (r *run) groupDone(g *group) bool {
	if r.group != g {
		return false
	}
	r.group = nil
	r.exec.event(r, HistoryEvent{Type: r.cur.typ + "StateSucceeded", StateName: r.cur.name})
	return r.finishWithResult(g.results)
}
