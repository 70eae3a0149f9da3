package sfnlocal

import (
	"strings"
	"time"
)

// HistoryEvent is one entry of an execution's history. Type uses the
// service's event type names (TaskStateEntered, LambdaFunctionFailed, ...);
// the other fields are filled as the event type calls for and are rendered
// into the matching *EventDetails object by GetExecutionHistory.
type HistoryEvent struct {
	// ID numbers events from 1 in the order they happened.
	ID int64
	// PreviousEventID links to the event before it in the same thread of
	// control (branch or iteration), as the service does.
	PreviousEventID int64
	// Timestamp is the clock time of the event.
	Timestamp time.Time
	// Type is the event type, e.g. TaskStateEntered.
	Type string

	// StateName names the state of *State*, Map iteration and state
	// abort events.
	StateName string
	// Input is the JSON input of ExecutionStarted, *StateEntered and
	// LambdaFunctionScheduled.
	Input string
	// Output is the JSON output of *Succeeded, *Exited and TaskSubmitted.
	Output string
	// Error and Cause describe failures and timeouts.
	Error string
	Cause string
	// Resource and ResourceType identify a task's resource, e.g. "lambda"
	// and "invoke.waitForTaskToken", or a function ARN.
	Resource     string
	ResourceType string
	// Region is the region of TaskScheduled.
	Region string
	// Parameters is the effective JSON parameters of TaskScheduled.
	Parameters string
	// TimeoutInSeconds and HeartbeatInSeconds are the task's limits.
	TimeoutInSeconds   int64
	HeartbeatInSeconds int64
	// Index is the Map iteration of MapIteration* events.
	Index int
	// Length is the item count of MapStateStarted.
	Length int
	// RedriveCount is the count after an ExecutionRedriven event.
	RedriveCount int64
	// AssignedVariables maps each variable a *StateExited state assigned
	// to its value as JSON text, as the service reports it.
	AssignedVariables map[string]string
}

// epoch renders a time the way the JSON protocol does: seconds since the
// epoch as a number with millisecond precision.
func epoch(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

// apiJSON renders the event as GetExecutionHistory returns it.
func (ev HistoryEvent) apiJSON(includeData bool) map[string]any {
	out := map[string]any{
		"id":        ev.ID,
		"timestamp": epoch(ev.Timestamp),
		"type":      ev.Type,
	}
	if ev.PreviousEventID > 0 {
		out["previousEventId"] = ev.PreviousEventID
	}
	data := func(s string) string {
		if includeData {
			return s
		}
		return ""
	}
	inDetails := map[string]any{"truncated": false}
	t := ev.Type
	switch {
	case t == "ExecutionStarted":
		out["executionStartedEventDetails"] = map[string]any{"input": data(ev.Input), "inputDetails": inDetails}
	case t == "ExecutionSucceeded":
		out["executionSucceededEventDetails"] = map[string]any{"output": data(ev.Output), "outputDetails": inDetails}
	case t == "ExecutionFailed", t == "ExecutionAborted", t == "ExecutionTimedOut":
		key := "execution" + strings.TrimPrefix(t, "Execution") + "EventDetails"
		out[key] = errorDetails(ev)
	case t == "ExecutionRedriven":
		out["executionRedrivenEventDetails"] = map[string]any{"redriveCount": ev.RedriveCount}
	case strings.HasSuffix(t, "StateEntered"):
		out["stateEnteredEventDetails"] = map[string]any{"name": ev.StateName, "input": data(ev.Input), "inputDetails": inDetails}
	case strings.HasSuffix(t, "StateExited"):
		d := map[string]any{"name": ev.StateName, "output": data(ev.Output), "outputDetails": inDetails}
		if len(ev.AssignedVariables) > 0 {
			d["assignedVariables"] = ev.AssignedVariables
			d["assignedVariablesDetails"] = map[string]any{"truncated": false}
		}
		out["stateExitedEventDetails"] = d
	case t == "TaskScheduled":
		d := map[string]any{"resourceType": ev.ResourceType, "resource": ev.Resource, "region": ev.Region, "parameters": data(ev.Parameters)}
		if ev.TimeoutInSeconds > 0 {
			d["timeoutInSeconds"] = ev.TimeoutInSeconds
		}
		if ev.HeartbeatInSeconds > 0 {
			d["heartbeatInSeconds"] = ev.HeartbeatInSeconds
		}
		out["taskScheduledEventDetails"] = d
	case t == "TaskStarted":
		out["taskStartedEventDetails"] = map[string]any{"resourceType": ev.ResourceType, "resource": ev.Resource}
	case t == "TaskSubmitted", t == "TaskSucceeded":
		key := "task" + strings.TrimPrefix(t, "Task") + "EventDetails"
		out[key] = map[string]any{"resourceType": ev.ResourceType, "resource": ev.Resource, "output": data(ev.Output), "outputDetails": inDetails}
	case t == "TaskFailed", t == "TaskTimedOut":
		d := errorDetails(ev)
		d["resourceType"], d["resource"] = ev.ResourceType, ev.Resource
		out["task"+strings.TrimPrefix(t, "Task")+"EventDetails"] = d
	case t == "LambdaFunctionScheduled":
		d := map[string]any{"resource": ev.Resource, "input": data(ev.Input), "inputDetails": inDetails}
		if ev.TimeoutInSeconds > 0 {
			d["timeoutInSeconds"] = ev.TimeoutInSeconds
		}
		out["lambdaFunctionScheduledEventDetails"] = d
	case t == "LambdaFunctionSucceeded":
		out["lambdaFunctionSucceededEventDetails"] = map[string]any{"output": data(ev.Output), "outputDetails": inDetails}
	case t == "LambdaFunctionFailed", t == "LambdaFunctionTimedOut":
		out["lambdaFunction"+strings.TrimPrefix(t, "LambdaFunction")+"EventDetails"] = errorDetails(ev)
	case t == "MapStateStarted":
		out["mapStateStartedEventDetails"] = map[string]any{"length": ev.Length}
	case strings.HasPrefix(t, "MapIteration"):
		out["mapIteration"+strings.TrimPrefix(t, "MapIteration")+"EventDetails"] = map[string]any{"name": ev.StateName, "index": ev.Index}
	}
	return out
}

func errorDetails(ev HistoryEvent) map[string]any {
	d := map[string]any{}
	if ev.Error != "" {
		d["error"] = ev.Error
	}
	if ev.Cause != "" {
		d["cause"] = ev.Cause
	}
	return d
}
