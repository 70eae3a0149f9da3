// Package sfnlocal is an in-process AWS Step Functions (Standard
// workflows) for the local stack and for tests: an Amazon States Language
// interpreter behind the Step Functions JSON API, driven by a controllable
// clock (package vclock).
//
// # Definitions
//
// CreateStateMachine validates the whole definition as the service does
// and refuses, with a *DefinitionError naming the state and the field,
// anything the service refuses (Code MISSING_END_STATE for a scope with no
// terminal state, SCHEMA_VALIDATION_FAILED otherwise) and anything the
// interpreter does not implement: unknown fields, distributed Map, task
// Credentials, and intrinsic functions outside the eighteen of the
// JSONPath language (States.Format, StringToJson,
// JsonToString, Array, ArrayPartition, ArrayContains, ArrayRange,
// ArrayGetItem, ArrayLength, ArrayUnique, Base64Encode, Base64Decode, Hash,
// JsonMerge, MathRandom, MathAdd, StringSplit, UUID). Nothing is silently
// ignored. Task resources the service accepts but sfnlocal cannot run
// (activities, service integrations other than Lambda and those of
// integration.go) are accepted, and the task fails with States.Runtime
// naming the feature when it runs.
//
// Workflow variables (Assign, read as "$name" in paths and JSONata) are
// supported; see variables_test.go for their scoping and evaluation order.
// So is JSONata ("QueryLanguage":"JSONata", top-level or per state; see
// jsonata.go and jsonata_test.go).
//
// # Values
//
// Objects keep the order of their keys (see object.go), so paths with
// wildcards, filters and deep scans return matches in document order, as
// the service (Jayway JsonPath) does, and outputs keep the input's order.
//
// # APIs
//
// Besides the JSON API of Handler, every operation is a method:
// CreateStateMachine, UpdateStateMachine, Validate (and the API's
// ValidateStateMachineDefinition), StartExecution, StopExecution,
// RedriveExecution, DescribeExecution, DescribeStateMachineForExecution,
// History and the SendTask* calls. docs/DECISIONS.md lists what each
// supports and where it differs from the service.
//
// # Functions
//
// Lambda Task resources are Go handlers registered with RegisterFunction,
// by ARN or by function name:
//
//	svc.RegisterFunction("approve-refund", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
//		return json.RawMessage(`{"approved":true}`), nil
//	})
//
// SQS sendMessage, DynamoDB get/put/update/deleteItem and EventBridge
// putEvents run against local stand-ins given with SetEndpoint (see
// integration.go). For Lambda, three resources are supported:
// "arn:aws:states:::lambda:invoke" (the result is {"ExecutedVersion":"$LATEST","Payload":<handler output>,
// "StatusCode":200}), "arn:aws:states:::lambda:invoke.waitForTaskToken"
// (the handler receives $$.Task.Token through Parameters; the result is
// what SendTaskSuccess supplies) and a plain function ARN (the result is the
// handler output).
//
// # Error names
//
// A handler error reaches Retry and Catch under the name Lambda's Go
// runtime would report: the ErrorType() of an error implementing
// ErrorTyper (TaskError is a ready-made one), otherwise the Go type name of
// the error ("errorString" for errors.New). The cause is Lambda's JSON
// {"errorMessage":...,"errorType":...}. A panic is Lambda.Unknown, an
// unregistered function Lambda.ResourceNotFoundException, a task timeout
// States.Timeout and a missed heartbeat States.HeartbeatTimeout.
//
// # Billing
//
// Each execution counts the state transitions Step Functions Standard
// bills: one for every state entered, in any branch or Map iteration, plus
// one for every retry attempt. See Execution.BilledTransitions and Metrics.
//
// # Scheduling
//
// Interpreter steps and handler calls run on two bounded sets of workers
// (Options.Workers and Options.HandlerWorkers) whose goroutines exit when
// idle; an execution waiting on a Wait state, a retry interval or a task
// token holds no goroutine, only a clock timer or a token entry. WaitIdle
// reports quiescence; with a *vclock.Clock, Advance waits for it before and
// after every timer it fires, so once Advance returns the effects of the
// time that passed are visible. A handler still running after
// Options.SettleGrace of real time is assumed to be blocked until its
// timeout and is not waited for, so a test can advance the clock to that
// timeout. HeartbeatSeconds applies to .waitForTaskToken tasks, the only
// kind that can send heartbeats; TimeoutSecondsPath and HeartbeatSecondsPath
// are read from the effective input (after InputPath).
package sfnlocal
