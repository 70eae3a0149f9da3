package sfnlocal

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Handler returns the Step Functions JSON 1.0 API (POST /, X-Amz-Target:
// AWSStepFunctions.<Operation>) for the AWS SDKs and CLI. Requests are not
// authenticated: any SigV4 credentials are accepted. Errors are JSON bodies
// {"__type": code, "message": ...} with status 400, which the SDK turns
// into its typed errors (for example *types.ExecutionAlreadyExists).
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

type apiRequest struct {
	Name                 string  `json:"name"`
	Definition           string  `json:"definition"`
	RoleArn              string  `json:"roleArn"`
	Type                 string  `json:"type"`
	StateMachineArn      string  `json:"stateMachineArn"`
	ExecutionArn         string  `json:"executionArn"`
	Input                *string `json:"input"`
	Error                string  `json:"error"`
	Cause                string  `json:"cause"`
	StatusFilter         string  `json:"statusFilter"`
	MaxResults           int     `json:"maxResults"`
	NextToken            string  `json:"nextToken"`
	ReverseOrder         bool    `json:"reverseOrder"`
	IncludeExecutionData *bool   `json:"includeExecutionData"`
	TaskToken            string  `json:"taskToken"`
	Output               *string `json:"output"`
}

func (s *Service) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeAPIError(w, http.StatusMethodNotAllowed, apiErr("MethodNotAllowed", "only POST is supported"))
		return
	}
	target := req.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AWSStepFunctions.")
	if !ok {
		writeAPIError(w, http.StatusBadRequest, apiErr(CodeUnknownOperation, "unknown X-Amz-Target %q", target))
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 10<<20))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, apiErr(CodeValidation, "cannot read the request: %v", err))
		return
	}
	var in apiRequest
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeAPIError(w, http.StatusBadRequest, apiErr("SerializationException", "invalid request body: %v", err))
			return
		}
	}
	if s.throttle != nil && !s.throttle(op) {
		writeAPIError(w, http.StatusBadRequest, apiErr(CodeThrottling, "Rate exceeded"))
		return
	}
	out, err := s.dispatch(op, &in)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			ae = apiErr("InternalFailure", "%v", err)
			writeAPIError(w, http.StatusInternalServerError, ae)
			return
		}
		// The service reports every client error, typed or not, as 400.
		writeAPIError(w, http.StatusBadRequest, ae)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

// validateResponse answers ValidateStateMachineDefinition: OK, or FAIL with
// the first problem found as an ERROR diagnostic (sfnlocal stops at the
// first one; the service may list several).
func validateResponse(definition string) map[string]any {
	err := Validate([]byte(definition))
	if err == nil {
		return map[string]any{"result": "OK", "diagnostics": []any{}, "truncated": false}
	}
	d := map[string]any{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": err.Error()}
	var de *DefinitionError
	if errors.As(err, &de) {
		if de.Code != "" {
			d["code"] = de.Code
		}
		d["location"] = de.Location
	}
	return map[string]any{"result": "FAIL", "diagnostics": []any{d}, "truncated": false}
}

func writeAPIError(w http.ResponseWriter, status int, e *APIError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}

func (s *Service) dispatch(op string, in *apiRequest) (any, error) {
	switch op {
	case "CreateStateMachine":
		if in.Type != "" && in.Type != "STANDARD" {
			return nil, apiErr(CodeValidation, "only STANDARD state machines are supported, not %q", in.Type)
		}
		if in.RoleArn == "" {
			in.RoleArn = fmt.Sprintf("arn:aws:iam::%s:role/sfnlocal", s.account)
		}
		m, err := s.createStateMachine(in.Name, in.Definition, in.RoleArn)
		if err != nil {
			return nil, err
		}
		return map[string]any{"stateMachineArn": m.ARN, "creationDate": epoch(m.CreationDate)}, nil
	case "DescribeStateMachine":
		m, err := s.DescribeStateMachine(in.StateMachineArn)
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"stateMachineArn": m.ARN, "name": m.Name, "status": "ACTIVE", "definition": m.Definition,
			"roleArn": m.RoleARN, "type": "STANDARD", "creationDate": epoch(m.CreationDate),
			"loggingConfiguration": map[string]any{"level": "OFF", "includeExecutionData": false},
		}, nil
	case "UpdateStateMachine":
		m, err := s.UpdateStateMachine(in.StateMachineArn, in.Definition, in.RoleArn)
		if err != nil {
			return nil, err
		}
		return map[string]any{"updateDate": epoch(m.UpdateDate)}, nil
	case "DescribeStateMachineForExecution":
		m, err := s.DescribeStateMachineForExecution(in.ExecutionArn)
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"stateMachineArn": m.ARN, "name": m.Name, "definition": m.Definition, "roleArn": m.RoleARN,
			"updateDate":           epoch(m.UpdateDate),
			"loggingConfiguration": map[string]any{"level": "OFF", "includeExecutionData": false},
		}, nil
	case "ValidateStateMachineDefinition":
		if in.Type != "" && in.Type != "STANDARD" {
			return nil, apiErr(CodeValidation, "only STANDARD state machines are supported, not %q", in.Type)
		}
		return validateResponse(in.Definition), nil
	case "RedriveExecution":
		e, err := s.RedriveExecution(in.ExecutionArn)
		if err != nil {
			return nil, err
		}
		return map[string]any{"redriveDate": epoch(e.RedriveDate)}, nil
	case "DeleteStateMachine":
		return map[string]any{}, s.DeleteStateMachine(in.StateMachineArn)
	case "ListStateMachines":
		all := s.ListStateMachines()
		page, next, err := paginate(len(all), in.MaxResults, in.NextToken)
		if err != nil {
			return nil, err
		}
		list := make([]any, 0, page[1]-page[0])
		for _, m := range all[page[0]:page[1]] {
			list = append(list, map[string]any{"stateMachineArn": m.ARN, "name": m.Name, "type": "STANDARD", "creationDate": epoch(m.CreationDate)})
		}
		return withNext(map[string]any{"stateMachines": list}, next), nil
	case "StartExecution":
		input := ""
		if in.Input != nil {
			input = *in.Input
		}
		e, err := s.StartExecution(in.StateMachineArn, in.Name, input)
		if err != nil {
			return nil, err
		}
		return map[string]any{"executionArn": e.ARN, "startDate": epoch(e.StartDate)}, nil
	case "DescribeExecution":
		e, err := s.DescribeExecution(in.ExecutionArn)
		if err != nil {
			return nil, err
		}
		return describeJSON(e), nil
	case "StopExecution":
		e, err := s.StopExecution(in.ExecutionArn, in.Error, in.Cause)
		if err != nil {
			return nil, err
		}
		return map[string]any{"stopDate": epoch(e.StopDate)}, nil
	case "ListExecutions":
		all, err := s.ListExecutions(in.StateMachineArn, in.StatusFilter)
		if err != nil {
			return nil, err
		}
		page, next, err := paginate(len(all), in.MaxResults, in.NextToken)
		if err != nil {
			return nil, err
		}
		list := make([]any, 0, page[1]-page[0])
		for _, e := range all[page[0]:page[1]] {
			item := map[string]any{"executionArn": e.ARN, "stateMachineArn": e.StateMachineARN, "name": e.Name, "status": e.Status, "startDate": epoch(e.StartDate)}
			if !e.StopDate.IsZero() {
				item["stopDate"] = epoch(e.StopDate)
			}
			list = append(list, item)
		}
		return withNext(map[string]any{"executions": list}, next), nil
	case "GetExecutionHistory":
		events, err := s.History(in.ExecutionArn)
		if err != nil {
			return nil, err
		}
		if in.ReverseOrder {
			for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
				events[i], events[j] = events[j], events[i]
			}
		}
		page, next, err := paginate(len(events), in.MaxResults, in.NextToken)
		if err != nil {
			return nil, err
		}
		include := in.IncludeExecutionData == nil || *in.IncludeExecutionData
		list := make([]any, 0, page[1]-page[0])
		for _, ev := range events[page[0]:page[1]] {
			list = append(list, ev.apiJSON(include))
		}
		return withNext(map[string]any{"events": list}, next), nil
	case "SendTaskSuccess":
		output := ""
		if in.Output != nil {
			output = *in.Output
		}
		return map[string]any{}, s.SendTaskSuccess(in.TaskToken, output)
	case "SendTaskFailure":
		return map[string]any{}, s.SendTaskFailure(in.TaskToken, in.Error, in.Cause)
	case "SendTaskHeartbeat":
		return map[string]any{}, s.SendTaskHeartbeat(in.TaskToken)
	}
	return nil, apiErr(CodeUnknownOperation, "operation %s is not supported by sfnlocal", op)
}

// describeJSON renders DescribeExecution. billedStateTransitions is an
// sfnlocal extension; the SDK's decoder ignores unknown members.
func redriveStatus(e *Execution) string {
	if e.Redrivable {
		return "REDRIVABLE"
	}
	return "NOT_REDRIVABLE"
}

func describeJSON(e *Execution) map[string]any {
	out := map[string]any{
		"executionArn":           e.ARN,
		"stateMachineArn":        e.StateMachineARN,
		"name":                   e.Name,
		"status":                 e.Status,
		"startDate":              epoch(e.StartDate),
		"input":                  e.Input,
		"inputDetails":           map[string]any{"included": true},
		"redriveCount":           e.RedriveCount,
		"redriveStatus":          redriveStatus(e),
		"billedStateTransitions": e.BilledTransitions,
	}
	if !e.StopDate.IsZero() {
		out["stopDate"] = epoch(e.StopDate)
	}
	if !e.RedriveDate.IsZero() {
		out["redriveDate"] = epoch(e.RedriveDate)
	}
	if e.Status == StatusSucceeded {
		out["output"] = e.Output
		out["outputDetails"] = map[string]any{"included": true}
	}
	if e.Error != "" {
		out["error"] = e.Error
	}
	if e.Cause != "" {
		out["cause"] = e.Cause
	}
	return out
}

const pageTokenPrefix = "sfnlocal:"

// paginate returns the [start, end) window for a page and the token of the
// next page, if any. Page tokens are opaque offsets.
func paginate(n, max int, token string) ([2]int, string, error) {
	if max <= 0 || max > 1000 {
		max = 100
	}
	start := 0
	if token != "" {
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(raw), pageTokenPrefix) {
			return [2]int{}, "", apiErr(CodeInvalidToken, "Invalid Token: '%s'", truncate(token, 64))
		}
		start, err = strconv.Atoi(strings.TrimPrefix(string(raw), pageTokenPrefix))
		if err != nil || start < 0 {
			return [2]int{}, "", apiErr(CodeInvalidToken, "Invalid Token: '%s'", truncate(token, 64))
		}
	}
	if start > n {
		start = n
	}
	end := start + max
	if end > n {
		end = n
	}
	next := ""
	if end < n {
		next = base64.StdEncoding.EncodeToString([]byte(pageTokenPrefix + strconv.Itoa(end)))
	}
	return [2]int{start, end}, next, nil
}

func withNext(m map[string]any, next string) map[string]any {
	if next != "" {
		m["nextToken"] = next
	}
	return m
}
