package sfnlocal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// taskAttempt is one attempt of a Task state. For .waitForTaskToken it is
// also what the task token refers to.
type taskAttempt struct {
	run      *run
	st       *state
	token    string
	waiting  bool // the handler returned; waiting for SendTask*
	done     bool
	pending  *taskOutcome // a SendTask* that arrived while the handler ran
	cancel   context.CancelFunc
	stopT    func() bool
	stopHB   func() bool
	hb       time.Duration
	resource string // "invoke", "invoke.waitForTaskToken" or the function ARN
}

type taskOutcome struct {
	output any
	err    *stateError
}

// finish ends the attempt: later callbacks and token calls are ignored.
func (a *taskAttempt) finish() {
	a.done = true
	if a.stopT != nil {
		a.stopT()
	}
	if a.stopHB != nil {
		a.stopHB()
	}
	if a.cancel != nil {
		a.cancel()
	}
}

const tokenVersion = 1

// newToken returns an unguessable task token: a version byte and 64 bytes
// from crypto/rand, base64 encoded.
func newToken() string {
	b := make([]byte, 65)
	b[0] = tokenVersion
	if _, err := rand.Read(b[1:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.StdEncoding.EncodeToString(b)
}

func validToken(t string) bool {
	if len(t) == 0 || len(t) > 2048 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(t)
	return err == nil && len(b) == 65 && b[0] == tokenVersion
}

// startTask begins an attempt of the current Task state.
func (r *run) startTask() bool {
	st := r.cur
	e := r.exec
	svc := e.svc
	if st.kind == taskUnsupported {
		// States.Runtime, which no Retry or Catch matches: a workflow that
		// needs the feature must not run on as if the task had failed.
		return r.fail(runtimeErr("The resource %s of state %q cannot run locally: %s", st.resource, st.name, st.unsupported))
	}
	eff, err := r.applyInputPath()
	if err != nil {
		return r.fail(err)
	}
	a := &taskAttempt{run: r, st: st}
	if st.kind == taskLambdaWaitToken || st.kind == taskIntegrationWaitToken {
		a.token = newToken()
	}
	params := eff
	if st.parameters != nil {
		if params, err = st.parameters.eval(r.env(eff, a.token, nil)); err != nil {
			return r.fail(err)
		}
	}
	if st.arguments != nil {
		if params, err = st.arguments.eval(r.env(eff, a.token, nil)); err != nil {
			return r.fail(err)
		}
	}
	timeout, err := secondsField(st.timeoutSeconds, st.timeoutPath, r.env(eff, "", nil), "TimeoutSecondsPath")
	if err != nil {
		return r.fail(err)
	}
	heartbeat, err := secondsField(st.heartbeatSeconds, st.heartbeatPath, r.env(eff, "", nil), "HeartbeatSecondsPath")
	if err != nil {
		return r.fail(err)
	}
	for _, f := range []struct {
		t    *template
		dst  *int64
		name string
	}{{st.timeoutT, &timeout, "TimeoutSeconds"}, {st.heartbeatT, &heartbeat, "HeartbeatSeconds"}} {
		if f.t == nil {
			continue
		}
		v, err := f.t.eval(r.env(eff, "", nil))
		if err != nil {
			return r.fail(err)
		}
		n, ok := toInt(v)
		if !ok || n <= 0 {
			return r.fail(&stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("The %s of state %q must evaluate to a positive integer, got %s", f.name, st.name, encodeJSON(v))})
		}
		*f.dst = n
	}
	var fn string
	var payload any
	switch st.kind {
	case taskIntegration, taskIntegrationWaitToken, taskIntegrationSync:
		in := st.integration
		p, _ := params.(*object)
		if p == nil {
			return r.fail(runtimeErr("An error occurred while executing the state '%s'. The Parameters of %s:%s must be an object", st.name, in.service, in.action))
		}
		if in.stringify != nil {
			p = in.stringify(p)
		}
		payload = p
		a.resource = in.action
		switch {
		case st.kind == taskIntegrationWaitToken:
			a.resource += ".waitForTaskToken"
		case st.kind == taskIntegrationSync && st.syncV2:
			a.resource += ".sync:2"
		case st.kind == taskIntegrationSync:
			a.resource += ".sync"
		}
		e.event(r, HistoryEvent{Type: "TaskScheduled", ResourceType: in.service, Resource: a.resource, Region: svc.region,
			Parameters: encodeJSON(p), TimeoutInSeconds: timeout, HeartbeatInSeconds: heartbeat})
		e.event(r, HistoryEvent{Type: "TaskStarted", ResourceType: in.service, Resource: a.resource})
	case taskLambdaARN:
		fn, payload = st.resource, params
		a.resource = st.resource
		e.event(r, HistoryEvent{Type: "LambdaFunctionScheduled", Resource: st.resource, Input: encodeJSON(params), TimeoutInSeconds: timeout})
		e.event(r, HistoryEvent{Type: "LambdaFunctionStarted"})
	default:
		pm, _ := asMap(params)
		name, ok := pm["FunctionName"].(string)
		if !ok || name == "" {
			return r.fail(runtimeErr("An error occurred while executing the state '%s'. The field 'FunctionName' must be a non-empty string", st.name))
		}
		fn = name
		if q, ok := pm["Qualifier"].(string); ok && q != "" {
			fn = name + ":" + q
		}
		payload, ok = pm["Payload"]
		if !ok {
			payload = newObject(0)
		}
		a.resource = "invoke"
		if st.kind == taskLambdaWaitToken {
			a.resource = "invoke.waitForTaskToken"
		}
		e.event(r, HistoryEvent{Type: "TaskScheduled", ResourceType: "lambda", Resource: a.resource, Region: svc.region,
			Parameters: encodeJSON(params), TimeoutInSeconds: timeout, HeartbeatInSeconds: heartbeat})
		e.event(r, HistoryEvent{Type: "TaskStarted", ResourceType: "lambda", Resource: a.resource})
	}
	r.attempt = a
	if a.token != "" {
		svc.tokMu.Lock()
		svc.tokens[a.token] = a
		svc.tokMu.Unlock()
	}
	ctx, cancel := context.WithCancel(svc.baseCtx)
	a.cancel = cancel
	if timeout > 0 {
		a.stopT = svc.clock.AfterFunc(time.Duration(timeout)*time.Second, func() {
			// Cancel first, from the timer itself: the handler may hold the
			// worker the timeout's work item would need.
			cancel()
			svc.pool.submit(a.onTimeout(ErrTimeout, "The task exceeded its TimeoutSeconds"))
		})
	}
	if heartbeat > 0 && a.token != "" {
		a.hb = time.Duration(heartbeat) * time.Second
		a.armHeartbeat()
	}
	body := []byte(encodeJSON(payload))
	svc.pool.submitHandler(func() { svc.callHandler(ctx, a, fn, body) })
	return false
}

func (a *taskAttempt) armHeartbeat() {
	svc := a.run.exec.svc
	if a.stopHB != nil {
		a.stopHB()
	}
	cancel := a.cancel
	a.stopHB = svc.clock.AfterFunc(a.hb, func() {
		cancel()
		svc.pool.submit(a.onTimeout(ErrHeartbeatTimeout, "The task did not send a heartbeat within HeartbeatSeconds"))
	})
}

// onTimeout returns the work item run when a timeout timer fires.
func (a *taskAttempt) onTimeout(name, cause string) func() {
	return func() {
		r := a.run
		e := r.exec
		e.mu.Lock()
		defer e.mu.Unlock()
		if a.done || r.attempt != a || e.status != StatusRunning {
			return
		}
		a.finish()
		r.attempt = nil
		typ := "TaskTimedOut"
		if a.st.kind == taskLambdaARN {
			typ = "LambdaFunctionTimedOut"
		}
		e.event(r, HistoryEvent{Type: typ, ResourceType: a.resourceType(), Resource: a.resource, Error: name, Cause: cause})
		if r.fail(&stateError{Name: name, Cause: cause}) {
			r.advance()
		}
	}
}

func (a *taskAttempt) resourceType() string {
	switch a.st.kind {
	case taskLambdaARN:
		return ""
	case taskIntegration, taskIntegrationWaitToken, taskIntegrationSync:
		return a.st.integration.service
	}
	return "lambda"
}

func secondsField(fixed int64, p *path, e env, field string) (int64, *stateError) {
	if p == nil {
		return fixed, nil
	}
	v, ok := p.get(e)
	n, isInt := toInt(v)
	if !ok || !isInt || n <= 0 {
		return 0, runtimeErr("The %s field does not reference a positive integer: %s", field, p.src)
	}
	return n, nil
}

// callHandler invokes the function on the handler lane, outside the
// execution lock, and hands the outcome back to the step lane.
func (s *Service) callHandler(ctx context.Context, a *taskAttempt, fn string, payload []byte) {
	r := a.run
	e := r.exec
	// The attempt may have timed out or been stopped while this call
	// waited for a worker; a function that is no longer wanted is not run.
	e.mu.Lock()
	stale := a.done || r.attempt != a || e.status != StatusRunning || ctx.Err() != nil
	e.mu.Unlock()
	if stale {
		return
	}
	s.pool.handler(true)
	var out []byte
	var serr *stateError
	switch k := a.st.kind; {
	case (k == taskIntegration || k == taskIntegrationWaitToken || k == taskIntegrationSync) && a.st.integration.local:
		out, serr = s.callNested(a, payload)
	case k == taskIntegration || k == taskIntegrationWaitToken:
		out, serr = s.callIntegration(ctx, a.st.integration, payload)
	default:
		out, serr = s.invoke(ctx, fn, payload)
	}
	s.pool.handler(false)
	s.pool.submit(func() { s.handlerDone(ctx, a, out, serr) })
}

// handlerDone applies a handler's outcome, as an interpreter step.
func (s *Service) handlerDone(ctx context.Context, a *taskAttempt, out []byte, serr *stateError) {
	r := a.run
	e := r.exec
	e.mu.Lock()
	defer e.mu.Unlock()
	// A cancelled context means a timeout (or Close) overtook the call; its
	// own work item reports the outcome.
	if a.done || r.attempt != a || e.status != StatusRunning || ctx.Err() != nil {
		return
	}
	var result any
	if serr == nil {
		v, err := decodeJSON(out)
		if err != nil {
			serr = &stateError{Name: ErrLambdaUnknown, Cause: fmt.Sprintf("the function returned invalid JSON: %v", err)}
		}
		result = v
	}
	if serr != nil {
		a.finish()
		r.attempt = nil
		if a.st.kind == taskLambdaARN {
			e.event(r, HistoryEvent{Type: "LambdaFunctionFailed", Error: serr.Name, Cause: serr.Cause})
		} else {
			e.event(r, HistoryEvent{Type: "TaskFailed", ResourceType: a.resourceType(), Resource: a.resource, Error: serr.Name, Cause: serr.Cause})
		}
		if r.fail(serr) {
			r.advance()
		}
		return
	}
	switch a.st.kind {
	case taskLambdaARN:
		a.finish()
		r.attempt = nil
		e.event(r, HistoryEvent{Type: "LambdaFunctionSucceeded", Output: encodeJSON(result)})
		if r.finishWithResult(result) {
			r.advance()
		}
	case taskLambdaInvoke:
		a.finish()
		r.attempt = nil
		resp := invokeResponse(result)
		e.event(r, HistoryEvent{Type: "TaskSucceeded", ResourceType: "lambda", Resource: a.resource, Output: encodeJSON(resp)})
		if r.finishWithResult(resp) {
			r.advance()
		}
	case taskIntegration:
		a.finish()
		r.attempt = nil
		e.event(r, HistoryEvent{Type: "TaskSucceeded", ResourceType: a.resourceType(), Resource: a.resource, Output: encodeJSON(result)})
		if r.finishWithResult(result) {
			r.advance()
		}
	case taskIntegrationWaitToken, taskIntegrationSync:
		a.waiting = true
		e.event(r, HistoryEvent{Type: "TaskSubmitted", ResourceType: a.resourceType(), Resource: a.resource, Output: encodeJSON(result)})
		if p := a.pending; p != nil {
			a.pending = nil
			a.complete(p)
		}
	case taskLambdaWaitToken:
		a.waiting = true
		e.event(r, HistoryEvent{Type: "TaskSubmitted", ResourceType: "lambda", Resource: a.resource, Output: encodeJSON(invokeResponse(result))})
		if p := a.pending; p != nil {
			a.pending = nil
			a.complete(p)
		}
	}
}

// invokeResponse is the lambda:invoke integration's result, shaped like
// the service's (minus the SDK HTTP metadata).
func invokeResponse(payload any) *object {
	return objectOf("ExecutedVersion", "$LATEST", "Payload", payload, "StatusCode", int64(200))
}

// complete applies a SendTaskSuccess or SendTaskFailure. e.mu is held.
func (a *taskAttempt) complete(o *taskOutcome) {
	a.finish()
	r := a.run
	e := r.exec
	e.svc.pool.submit(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if r.attempt != a || r.done || e.status != StatusRunning {
			return
		}
		r.attempt = nil
		if o.err != nil {
			e.event(r, HistoryEvent{Type: "TaskFailed", ResourceType: a.resourceType(), Resource: a.resource, Error: o.err.Name, Cause: o.err.Cause})
			if r.fail(o.err) {
				r.advance()
			}
			return
		}
		e.event(r, HistoryEvent{Type: "TaskSucceeded", ResourceType: a.resourceType(), Resource: a.resource, Output: encodeJSON(o.output)})
		if r.finishWithResult(o.output) {
			r.advance()
		}
	})
}

// invoke runs a registered handler and converts its failure into the error
// name and cause Lambda reports.
func (s *Service) invoke(ctx context.Context, fn string, payload []byte) (out []byte, serr *stateError) {
	h, ok := s.lookupFunction(fn)
	if !ok {
		return nil, &stateError{Name: ErrLambdaNotFound, Cause: fmt.Sprintf("Function not found: %s (register a handler with RegisterFunction)", fn)}
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("task handler panicked", "function", fn, "panic", p)
			out = nil
			serr = &stateError{Name: ErrLambdaUnknown, Cause: fmt.Sprintf("The cause could not be determined because Lambda did not return an error type. Returned payload: panic: %v", p)}
		}
	}()
	res, err := h(ctx, json.RawMessage(payload))
	if err != nil {
		name := errorName(err)
		cause, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": name})
		return nil, &stateError{Name: name, Cause: string(cause)}
	}
	if len(res) == 0 {
		res = json.RawMessage("null")
	}
	return res, nil
}

// lookupToken finds the attempt a token belongs to.
func (s *Service) lookupToken(token string) (*taskAttempt, error) {
	if !validToken(token) {
		return nil, apiErr(CodeInvalidToken, "Invalid Token: '%s'", truncate(token, 64))
	}
	s.tokMu.Lock()
	a, ok := s.tokens[token]
	s.tokMu.Unlock()
	if !ok {
		return nil, apiErr(CodeTaskDoesNotExist, "Task Does Not Exist: 'Provided task does not exist'")
	}
	return a, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// SendTaskSuccess completes a .waitForTaskToken task with output (JSON).
func (s *Service) SendTaskSuccess(token, output string) error {
	a, err := s.lookupToken(token)
	if err != nil {
		return err
	}
	v, derr := decodeJSON([]byte(output))
	if derr != nil {
		return apiErr(CodeInvalidOutput, "Invalid Output: '%v'", derr)
	}
	return s.deliver(a, &taskOutcome{output: v})
}

// SendTaskFailure fails a .waitForTaskToken task with an error name and
// cause, which Retry and Catch then see.
func (s *Service) SendTaskFailure(token, errName, cause string) error {
	a, err := s.lookupToken(token)
	if err != nil {
		return err
	}
	return s.deliver(a, &taskOutcome{err: &stateError{Name: errName, Cause: cause}})
}

func (s *Service) deliver(a *taskAttempt, o *taskOutcome) error {
	e := a.run.exec
	e.mu.Lock()
	defer e.mu.Unlock()
	if a.done || a.pending != nil || e.status != StatusRunning {
		return apiErr(CodeTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	}
	if !a.waiting {
		// The handler that received the token answered before returning;
		// apply the answer once the invocation is recorded.
		a.pending = o
		return nil
	}
	a.complete(o)
	return nil
}

// SendTaskHeartbeat tells a waiting task that its worker is alive,
// restarting its HeartbeatSeconds timer.
func (s *Service) SendTaskHeartbeat(token string) error {
	a, err := s.lookupToken(token)
	if err != nil {
		return err
	}
	e := a.run.exec
	e.mu.Lock()
	defer e.mu.Unlock()
	if a.done || e.status != StatusRunning {
		return apiErr(CodeTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	}
	if a.hb > 0 {
		a.armHeartbeat()
	}
	return nil
}
