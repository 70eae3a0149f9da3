package main

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/outbox"
)

// The publisher's event source mapping on the table stream (issue 15).
// Records stay in the stream for 24 hours; a batch that keeps failing is
// split (bisect) to isolate the record at fault, retried publisherRetries
// times within publisherMaxRecordAge, then handed to the on-failure queue,
// and its events stay in the outbox, where the redrive schedule puts them.
const (
	publisherBatchSize = 100
	publisherRetries   = 10
	// The iterator age alarm: the stream is this far behind.
	publisherMaxLagMinutes = 5
)

var publisherMaxRecordAge = awscdk.Duration_Hours(jsii.Number(1))

// publisherRedriveMin is how often the redrive runs, in minutes: as often
// as an event must have waited to be redriven (outbox.RedriveAge).
var publisherRedriveMin = outbox.RedriveAge.Minutes()

// outbox wires the transactional outbox: the table's stream (new images)
// feeds the publisher, which puts each new outbox item on the bus and
// deletes it; a schedule redrives what the stream gave up on. It returns
// the on-failure queue, which the alarms watch.
func (b *builder) outbox(table awsdynamodb.Table, bus awsevents.EventBus) awssqs.Queue {
	fn := b.fns["publisher"]
	failures := awssqs.NewQueue(b.stack, jsii.String("PublisherFailures"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), // the maximum: time to investigate
	})
	var filter map[string]any
	if err := json.Unmarshal([]byte(dynamo.OutboxStreamFilter()), &filter); err != nil {
		panic("infra: outbox stream filter: " + err.Error())
	}
	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
		// An item written while the publisher was being deployed is still
		// read: the stream's oldest record first.
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(publisherBatchSize),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(publisherRetries),
		MaxRecordAge:            publisherMaxRecordAge,
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewSqsDlq(failures),
		// Only new outbox items: not their deletions, not cases.
		Filters: &[]*map[string]any{awslambda.FilterCriteria_Filter(&filter)},
	}))
	// The publisher deletes the outbox items it published and the redrive
	// queries the outbox: both on OUTBOX# partitions only.
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("dynamodb:DeleteItem", "dynamodb:Query"),
		Resources: jsii.Strings(*table.TableArn()),
		Conditions: &map[string]any{
			"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{"OUTBOX#*"}},
		},
	}))
	awsevents.NewRule(b.stack, jsii.String("OutboxRedrive"), &awsevents.RuleProps{
		Description: jsii.String("Publish the outbox events the table stream gave up on (older than 15 minutes)"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(publisherRedriveMin))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			RetryAttempts: jsii.Number(1), // the next run comes anyway
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(publisherRedriveMin - 1)),
		})},
	})
	return failures
}

// outboxAlarms raise when the stream gave up on a batch (its pointer is in
// the on-failure queue; the redrive will publish its events) and when the
// publisher falls behind the stream; its errors raise FunctionErrors-publisher.
func (b *builder) outboxAlarms(failures awssqs.Queue) {
	b.alarm("PublisherFailures", "The outbox publisher gave up on a batch of the table stream after its retries: "+
		"its events stay in the outbox and the 15-minute redrive publishes them; the message names the shard and "+
		"sequence numbers, and the publisher's log says why",
		failures.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
		}), 0)
	b.alarm("PublisherIteratorAge", "The outbox publisher is more than 5 minutes behind the table stream: events "+
		"reach the mall late (EventBridge or the function is failing, or throttled)",
		b.fns["publisher"].Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
		}), publisherMaxLagMinutes*60*1000)
}
