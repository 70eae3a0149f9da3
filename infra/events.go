package main

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/eventbus"
)

// eventBus creates the bus of the domain events, which the merchant's own
// rules consume, and publishes its name to the functions.
func (b *builder) eventBus() awsevents.EventBus {
	bus := awsevents.NewEventBus(b.stack, jsii.String("EventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String("aftersales-" + b.s.Stage),
		Description:  jsii.String("Domain events of the after-sales stack " + b.s.Stage + " (source aftersales): add rules for refund.balance_credited and refund.failed"),
	})
	b.env[config.EnvEventBusName] = bus.EventBusName()
	return bus
}

// grantPutEvents lets every function that builds the service publish
// domain events (refund.balance_credited, refund.failed), on this bus only.
func (b *builder) grantPutEvents(bus awsevents.EventBus) {
	for _, name := range Functions {
		if slices.Contains(EnvNames(name), config.EnvEventBusName) {
			bus.GrantPutEventsTo(b.fns[name], nil)
		}
	}
}

// sweepSchedule runs the sweeper every 5 minutes: it re-queues cases still
// submitted after the grace period.
func (b *builder) sweepSchedule() {
	awsevents.NewRule(b.stack, jsii.String("SweepSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Re-queue cases still submitted after the grace period"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(5))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(b.fns["sweeper"], &awseventstargets.LambdaFunctionProps{
			// The next run comes in 5 minutes anyway.
			RetryAttempts: jsii.Number(1),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(4)),
		})},
	})
}

// refundFailures keeps every refund.failed event of bus in a log group (an
// EventBridge rule with the log group as its target) and returns the rule's
// MatchedEvents, which the RefundFailed alarm watches, and the log group.
//
// The rule and its target are L1: the L2 CloudWatchLogGroup target writes
// the log group's resource policy through a custom resource (a Node.js
// Lambda function with a wildcard policy); AWS::Logs::ResourcePolicy does
// the same natively.
func (b *builder) refundFailures(bus awsevents.EventBus) (awscloudwatch.IMetric, awslogs.LogGroup) {
	st := b.stack
	// EventBridge writes to log groups named /aws/events/...
	logs := awslogs.NewLogGroup(st, jsii.String("RefundFailedEvents"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String("/aws/events/" + b.name("refund-failed")),
		Retention:    b.retention,
	})
	logs.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources:  &[]*string{logs.LogGroupArn()},
	}))
	ruleName := "aftersales-" + b.s.Stage + "-refund-failed"
	awsevents.NewCfnRule(st, jsii.String("RefundFailedRule"), &awsevents.CfnRuleProps{
		Name:         jsii.String(ruleName),
		Description:  jsii.String("Refunds that failed and wait for staff: kept in a log group, counted by the RefundFailed alarm"),
		EventBusName: bus.EventBusName(),
		EventPattern: map[string]any{"source": []string{eventbus.Source}, "detail-type": []string{aftersales.EventRefundFailed}},
		State:        jsii.String("ENABLED"),
		Targets: &[]*awsevents.CfnRule_TargetProperty{{
			Id: jsii.String("RefundFailedLog"),
			// The target names the log group without the ":*" of its ARN.
			Arn: st.FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("logs"),
				Resource:     jsii.String("log-group"),
				ResourceName: logs.LogGroupName(),
				ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
			}),
		}},
	})
	// Rules on a custom bus report their metrics with both dimensions; a
	// metric with RuleName alone is the default bus's and stays empty.
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/Events"),
		MetricName:    jsii.String("MatchedEvents"),
		DimensionsMap: &map[string]*string{"EventBusName": bus.EventBusName(), "RuleName": jsii.String(ruleName)},
		Statistic:     jsii.String("Sum"),
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
	}), logs
}

// refundFailedAlarm raises on any refund.failed event: matched, the metric
// refundFailures returns, is above 0 (at least one event in 5 minutes).
func (b *builder) refundFailedAlarm(matched awscloudwatch.IMetric) {
	b.alarm("RefundFailed", "A refund failed (closed or abnormal at the provider, no payment route, or refused by the "+
		"order ledger): its case waits for staff to retry it or refund to store balance; the events are in the log group "+
		"of the RefundFailuresLogGroup output", matched, 0)
}
