package sfnlocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// integration is a supported AWS service integration: the Task state's
// Parameters are sent as the body of the service's AWS JSON protocol
// request to a local stand-in, and the response body is the task's result,
// as the service's "Request Response" pattern returns the API response.
type integration struct {
	service string // as in the resource ARN: "sqs", "dynamodb", "events"
	action  string // as in the resource ARN: "sendMessage"
	target  string // X-Amz-Target
	json    string // AWS JSON protocol version, "1.0" or "1.1"
	errPfx  string // prefix of error names, e.g. "DynamoDB"
	// local marks states:startExecution, which sfnlocal runs itself.
	local bool
	// stringify lists parameters the service turns into JSON text when
	// they are not strings (SQS MessageBody, EventBridge Detail).
	stringify func(params *object) *object
}

// integrations are the service integrations sfnlocal runs, keyed by
// "service:action". Each needs an endpoint (Options.Endpoints or
// SetEndpoint); the others are accepted in definitions and fail when they
// run.
var integrations = map[string]integration{
	"sqs:sendMessage":       {service: "sqs", action: "sendMessage", target: "AmazonSQS.SendMessage", json: "1.0", errPfx: "SQS", stringify: stringifyField("MessageBody")},
	"dynamodb:getItem":      {service: "dynamodb", action: "getItem", target: "DynamoDB_20120810.GetItem", json: "1.0", errPfx: "DynamoDB"},
	"dynamodb:putItem":      {service: "dynamodb", action: "putItem", target: "DynamoDB_20120810.PutItem", json: "1.0", errPfx: "DynamoDB"},
	"dynamodb:updateItem":   {service: "dynamodb", action: "updateItem", target: "DynamoDB_20120810.UpdateItem", json: "1.0", errPfx: "DynamoDB"},
	"dynamodb:deleteItem":   {service: "dynamodb", action: "deleteItem", target: "DynamoDB_20120810.DeleteItem", json: "1.0", errPfx: "DynamoDB"},
	"states:startExecution": {service: "states", action: "startExecution", local: true, errPfx: "StepFunctions"},
	"events:putEvents":      {service: "events", action: "putEvents", target: "AWSEvents.PutEvents", json: "1.1", errPfx: "EventBridge", stringify: stringifyDetails},
}

// lookupIntegration finds the integration of "service:action" and whether
// the pattern suffix (".waitForTaskToken" or none) is one sfnlocal runs.
func lookupIntegration(serviceAction, pattern string) (integration, bool) {
	in, ok := integrations[serviceAction]
	if !ok || (in.target == "" && !in.local) {
		return integration{}, false
	}
	switch pattern {
	case "":
		return in, true
	case ".sync", ".sync:2":
		return in, in.local
	case ".waitForTaskToken":
		// A callback needs somebody to receive the token: a queue's
		// consumer or an event's target.
		return in, in.service == "sqs" || in.service == "events" || in.local
	}
	return integration{}, false
}

func stringifyField(name string) func(*object) *object {
	return func(p *object) *object {
		v, ok := p.get(name)
		if _, isStr := v.(string); !ok || isStr {
			return p
		}
		c := p.clone(0)
		c.set(name, encodeJSON(v))
		return c
	}
}

func stringifyDetails(p *object) *object {
	entries, ok := p.get("Entries")
	list, isList := entries.([]any)
	if !ok || !isList {
		return p
	}
	out := make([]any, len(list))
	for i, e := range list {
		if o, ok := e.(*object); ok {
			out[i] = stringifyField("Detail")(o)
		} else {
			out[i] = e
		}
	}
	c := p.clone(0)
	c.set("Entries", out)
	return c
}

// callNested starts a child execution for states:startExecution. With
// .sync or .sync:2 the attempt then waits: the child's end completes it
// (see execution.watch).
func (s *Service) callNested(a *taskAttempt, body []byte) ([]byte, *stateError) {
	var in struct {
		StateMachineArn string          `json:"StateMachineArn"`
		Name            string          `json:"Name"`
		Input           json.RawMessage `json:"Input"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &stateError{Name: "StepFunctions.ValidationException", Cause: err.Error()}
	}
	input := "{}"
	if len(in.Input) > 0 {
		// A string is the input as JSON text; any other value is
		// serialised, as the service does.
		var str string
		if json.Unmarshal(in.Input, &str) == nil {
			input = str
		} else {
			input = string(in.Input)
		}
	}
	child, err := s.StartExecution(in.StateMachineArn, in.Name, input)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			code := ae.Code
			if !strings.HasSuffix(code, "Exception") {
				code += "Exception"
			}
			return nil, &stateError{Name: "StepFunctions." + code, Cause: ae.Message}
		}
		return nil, &stateError{Name: ErrTaskFailed, Cause: err.Error()}
	}
	if k := a.st.kind; k == taskIntegrationSync {
		ce, err := s.execution(child.ARN)
		if err == nil {
			v2 := a.st.syncV2
			ce.watch(func(d *Execution) { s.syncDone(a, d, v2) })
		}
	}
	return []byte(encodeJSON(objectOf("ExecutionArn", child.ARN, "StartDate", child.StartDate.UnixMilli()))), nil
}

// syncDone completes a .sync task with its child's outcome: the
// DescribeExecution answer (Input and Output as JSON text for .sync, as
// JSON for .sync:2), or States.TaskFailed with that answer as the cause.
func (s *Service) syncDone(a *taskAttempt, d *Execution, v2 bool) {
	data := func(text string) any {
		if !v2 {
			return text
		}
		v, err := decodeJSON([]byte(text))
		if err != nil {
			return text
		}
		return v
	}
	out := objectOf("ExecutionArn", d.ARN, "Input", data(d.Input), "InputDetails", objectOf("Included", true), "Name", d.Name)
	if d.Status == StatusSucceeded {
		out.set("Output", data(d.Output))
		out.set("OutputDetails", objectOf("Included", true))
	}
	out.set("StartDate", d.StartDate.UnixMilli())
	out.set("StateMachineArn", d.StateMachineARN)
	out.set("Status", d.Status)
	out.set("StopDate", d.StopDate.UnixMilli())
	o := &taskOutcome{output: out}
	if d.Status != StatusSucceeded {
		out.set("Error", d.Error)
		out.set("Cause", d.Cause)
		o = &taskOutcome{err: &stateError{Name: ErrTaskFailed, Cause: encodeJSON(out)}}
	}
	_ = s.deliver(a, o)
}

// SetEndpoint points a service integration ("sqs", "dynamodb", "events")
// at the URL of a local stand-in that speaks the service's AWS JSON
// protocol. Tasks of that service fail with States.Runtime until it is set.
func (s *Service) SetEndpoint(service, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpoints[service] = strings.TrimSuffix(url, "/")
}

func (s *Service) endpoint(service string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.endpoints[service]
	return u, ok
}

// callIntegration sends one request to the stand-in and maps its answer:
// the response body on success, otherwise the error the service reports,
// named "<Service>.<ErrorCode>".
func (s *Service) callIntegration(ctx context.Context, in integration, body []byte) ([]byte, *stateError) {
	url, ok := s.endpoint(in.service)
	if !ok {
		return nil, runtimeErr("no local endpoint for the %s service integration: give sfnlocal one with Options.Endpoints or SetEndpoint", in.service)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		return nil, &stateError{Name: ErrTaskFailed, Cause: err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-amz-json-"+in.json)
	req.Header.Set("X-Amz-Target", in.target)
	// The stand-ins accept any signature; a well-formed header keeps
	// servers that parse it happy.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/"+s.region+"/"+in.service+"/aws4_request, SignedHeaders=host, Signature=local")
	resp, err := s.httpClient.Do(req)
	if err != nil {
		return nil, &stateError{Name: ErrTaskFailed, Cause: fmt.Sprintf("%s:%s: %v", in.service, in.action, err)}
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return nil, &stateError{Name: ErrTaskFailed, Cause: err.Error()}
	}
	if resp.StatusCode/100 == 2 {
		if len(bytes.TrimSpace(out)) == 0 {
			out = []byte("{}")
		}
		return out, nil
	}
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(out, &e)
	code := e.Type
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = resp.Header.Get("X-Amzn-ErrorType")
		code, _, _ = strings.Cut(code, ":")
	}
	if code == "" {
		code = fmt.Sprintf("HTTP%d", resp.StatusCode)
	}
	msg := e.Message
	if msg == "" {
		msg = e.MessageU
	}
	return nil, &stateError{Name: in.errPfx + "." + code, Cause: fmt.Sprintf("%s (Service: %s; Status Code: %d; Error Code: %s)", msg, in.service, resp.StatusCode, code)}
}
