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
		Description:  jsii.String("Domain events of the after-sales stack " + b.s.Stage + " (source aftersales; schemas in events/schemas): add rules routing each type to the mall (README, Deploy)"),
	})
	b.env[config.EnvEventBusName] = bus.EventBusName()
	return bus
}

// grantPutEvents lets the functions that know the bus publish on it, and
// on it only: the outbox's publisher alone (issue 15).
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

// refundEventLog is one kind of refund event kept in its own log group by
// its own rule, and the rule's MatchedEvents, which an alarm watches.
type refundEventLog struct {
	matched awscloudwatch.IMetric
	logs    awslogs.LogGroup
}

// refundEvents keeps every refund.failed and every refund.manual_required
// event of bus in a log group of its own (an EventBridge rule each, with
// the log group as its target), and returns them by event type. One
// resource policy lets EventBridge write to both: CloudWatch Logs allows
// ten per account and region.
//
// The rules and their targets are L1: the L2 CloudWatchLogGroup target
// writes the log group's resource policy through a custom resource (a
// Node.js Lambda function with a wildcard policy); AWS::Logs::ResourcePolicy
// does the same natively.
func (b *builder) refundEvents(bus awsevents.EventBus) map[string]refundEventLog {
	st := b.stack
	kinds := []struct {
		eventType, id, suffix, description string
	}{
		// The ids of the first predate the second: kept, so that a deployed
		// stack updates rather than replaces them.
		{aftersales.EventRefundFailed, "RefundFailed", "refund-failed",
			"Refunds that failed and wait for staff: kept in a log group, counted by the RefundFailed alarm"},
		{aftersales.EventRefundManual, "RefundManual", "refund-manual",
			"Refunds without a payment route that wait for finance to pay them by hand: kept in a log group, counted by the RefundManual alarm"},
	}
	out := map[string]refundEventLog{}
	var arns []*string
	var first awslogs.LogGroup
	for _, k := range kinds {
		// EventBridge writes to log groups named /aws/events/...
		logs := awslogs.NewLogGroup(st, jsii.String(k.id+"Events"), &awslogs.LogGroupProps{
			LogGroupName: jsii.String("/aws/events/" + b.name(k.suffix)),
			Retention:    b.retention,
		})
		if first == nil {
			first = logs
		}
		arns = append(arns, logs.LogGroupArn())
		ruleName := "aftersales-" + b.s.Stage + "-" + k.suffix
		awsevents.NewCfnRule(st, jsii.String(k.id+"Rule"), &awsevents.CfnRuleProps{
			Name:         jsii.String(ruleName),
			Description:  jsii.String(k.description),
			EventBusName: bus.EventBusName(),
			EventPattern: map[string]any{"source": []string{eventbus.Source}, "detail-type": []string{k.eventType}},
			State:        jsii.String("ENABLED"),
			Targets: &[]*awsevents.CfnRule_TargetProperty{{
				Id: jsii.String(k.id + "Log"),
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
		out[k.eventType] = refundEventLog{logs: logs, matched: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/Events"),
			MetricName:    jsii.String("MatchedEvents"),
			DimensionsMap: &map[string]*string{"EventBusName": bus.EventBusName(), "RuleName": jsii.String(ruleName)},
			Statistic:     jsii.String("Sum"),
			Period:        awscdk.Duration_Minutes(jsii.Number(5)),
		})}
	}
	first.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources:  &arns,
	}))
	return out
}

// refundFailedAlarm raises on any refund.failed event: matched, the metric
// refundFailures returns, is above 0 (at least one event in 5 minutes).
func (b *builder) refundFailedAlarm(matched awscloudwatch.IMetric) {
	b.alarm("RefundFailed", "A refund failed (closed or abnormal at the provider, no payment route, or refused by the "+
		"order ledger): its case waits for staff to retry it or refund to store balance; the events are in the log group "+
		"of the RefundFailuresLogGroup output", matched, 0)
}

// refundManualAlarm raises on any refund.manual_required event: a refund
// has no payment route (a bank-card order, or a provider whose secret is
// empty) and waits for finance.
func (b *builder) refundManualAlarm(matched awscloudwatch.IMetric) {
	b.alarm("RefundManual", "A refund has no payment route (a bank-card order, or a provider not configured): finance "+
		"pays it by hand, then marks it paid (POST /v1/staff/cases/{id}/mark-refund-paid); the events are in the log group "+
		"of the RefundManualLogGroup output", matched, 0)
}
