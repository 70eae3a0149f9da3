package sfnlocal

import (
	"errors"
	"fmt"
	"reflect"
)

// Error names defined by the Amazon States Language and the service.
const (
	ErrAll                   = "States.ALL"
	ErrTaskFailed            = "States.TaskFailed"
	ErrTimeout               = "States.Timeout"
	ErrHeartbeatTimeout      = "States.HeartbeatTimeout"
	ErrRuntime               = "States.Runtime"
	ErrNoChoiceMatched       = "States.NoChoiceMatched"
	ErrIntrinsicFailure      = "States.IntrinsicFailure"
	ErrResultPathMatchFailed = "States.ResultPathMatchFailure"
	ErrBranchFailed          = "States.BranchFailed"
	ErrPermissions           = "States.Permissions"
	// ErrLambdaUnknown is what Lambda reports when a function crashes
	// without returning an error (in Go: a panic).
	ErrLambdaUnknown = "Lambda.Unknown"
	// ErrLambdaNotFound is what the lambda:invoke integration reports for a
	// function that does not exist (here: that no handler is registered for).
	ErrLambdaNotFound = "Lambda.ResourceNotFoundException"
)

// stateError is an error raised while running a state: the name Retry and
// Catch match on, and the cause reported with it.
type stateError struct {
	Name  string
	Cause string
}

func (e *stateError) Error() string { return e.Name + ": " + e.Cause }

func runtimeErr(format string, a ...any) *stateError {
	return &stateError{Name: ErrRuntime, Cause: fmt.Sprintf(format, a...)}
}

// ErrorTyper is implemented by handler errors that name themselves. The name
// is what Retry and Catch match in ErrorEquals, exactly like the errorType a
// Lambda function reports. It mirrors the interface aws-lambda-go honours,
// so an error type written for the real runtime behaves the same here.
type ErrorTyper interface {
	ErrorType() string
}

// TaskError is a ready-made handler error with an explicit name, for
// handlers that want a States-language error name without declaring a type:
//
//	return nil, &sfnlocal.TaskError{Name: "AfterSales.Transient", Cause: "carrier API returned 503"}
type TaskError struct {
	// Name is the error name matched by ErrorEquals. It must not start with
	// "States.", which the language reserves.
	Name string
	// Cause is the human-readable error message.
	Cause string
}

// Error returns the cause, as Lambda's errorMessage.
func (e *TaskError) Error() string { return e.Cause }

// ErrorType returns the error name.
func (e *TaskError) ErrorType() string { return e.Name }

// errorName returns the name Lambda's Go runtime would report for err: the
// ErrorType() of the first error in the chain that has one, else the name of
// err's dynamic type without package or pointer (aws-lambda-go reports
// errors.New as "errorString" and fmt.Errorf with %w as "wrapError").
func errorName(err error) string {
	var typed ErrorTyper
	if errors.As(err, &typed) {
		if n := typed.ErrorType(); n != "" {
			return n
		}
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return "error"
	}
	return t.Name()
}

// errorMatches reports whether a retrier's or catcher's ErrorEquals list
// matches an error name. States.ALL matches everything except
// States.Runtime, which is terminal; States.TaskFailed matches every error a
// task can raise except States.Timeout (and Runtime), as the service
// documents.
func errorMatches(list []string, name string) bool {
	for _, e := range list {
		switch {
		case e == name:
			return true
		case name == ErrRuntime:
			continue
		case e == ErrAll:
			return true
		case e == ErrTaskFailed && name != ErrTimeout:
			return true
		}
	}
	return false
}
