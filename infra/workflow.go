package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/statemachines"
)

// workflowName is the fixed name of the cases' state machine.
func (b *builder) workflowName() string { return "aftersales-" + b.s.Stage + "-case" }

// workflowARN publishes the state machine's ARN to the functions and
// returns it. The state machine names the tasks function in its
// definition, and the tasks function needs the state machine's ARN: built
// from its fixed name, that ARN depends on no resource, which breaks the
// cycle.
func (b *builder) workflowARN() *string {
	arn := b.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("states"),
		Resource:     jsii.String("stateMachine"),
		ResourceName: jsii.String(b.workflowName()),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	b.env[config.EnvStateMachineARN] = arn
	return arn
}

// workflow creates the cases' state machine from the definition file, its
// task states calling the tasks function, traced and logged without
// payloads.
func (b *builder) workflow(definition string, tasks awslambda.Function) awsstepfunctions.StateMachine {
	logs := awslogs.NewLogGroup(b.stack, jsii.String("CaseWorkflowLogs"), &awslogs.LogGroupProps{
		// Step Functions needs a name under /aws/vendedlogs/ to keep the
		// log delivery resource policy small.
		LogGroupName: jsii.String("/aws/vendedlogs/states/" + b.name("case")),
		Retention:    b.retention,
	})
	sm := awsstepfunctions.NewStateMachine(b.stack, jsii.String("CaseWorkflow"), &awsstepfunctions.StateMachineProps{
		StateMachineName: jsii.String(b.workflowName()),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromFile(jsii.String(definition), nil),
		DefinitionSubstitutions: &map[string]*string{
			statemachines.TasksFunctionArn: tasks.FunctionArn(),
		},
		TracingEnabled: jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination: logs,
			Level:       awsstepfunctions.LogLevel_ALL,
			// Payloads carry task tokens, which would let anyone who can
			// read the logs resume a wait; the state names and errors are
			// enough to follow a case.
			IncludeExecutionData: jsii.Bool(false),
		},
	})
	tasks.GrantInvoke(sm)
	return sm
}

// grantWorkflow lets the functions start executions and resume the waits
// of the state machine, whose ARN by name is arn.
func (b *builder) grantWorkflow(sm awsstepfunctions.StateMachine, arn *string) {
	for _, name := range []string{"api", "reviews"} {
		sm.GrantTaskResponse(b.fns[name]) // decisions resume waits
	}
	sm.GrantTaskResponse(b.fns["inbound"])  // settled refunds resume the refund wait
	sm.GrantTaskResponse(b.fns["evidence"]) // failed evidence ends the review wait (issue 16)
	// Confirmed refunds resume waits too; the same grant through the ARN
	// by name, as a grant on sm would make the tasks function depend on it.
	b.fns["tasks"].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"),
		Resources: &[]*string{arn},
	}))
	sm.GrantStartExecution(b.fns["intake"])
}

// workflowAlarms raise when an execution fails or times out: its case is
// stuck until staff act.
func (b *builder) workflowAlarms(sm awsstepfunctions.StateMachine) {
	every5Minutes := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}
	b.alarm("CaseWorkflowFailed", "A case workflow failed: its case is stuck until staff act", sm.MetricFailed(every5Minutes), 0)
	b.alarm("CaseWorkflowTimedOut", "A case workflow hit its 90-day limit", sm.MetricTimedOut(every5Minutes), 0)
}
