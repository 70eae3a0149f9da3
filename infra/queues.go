package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

// Consumer settings shared with the local stack's pollers
// (infra/local/stack/workflow.go): batch size, maximum concurrency and the
// redrive after 5 receives.
const (
	maxReceiveCount = 5
	batchSize       = 10
	// Starting executions is throttled per account (1,300 burst, 300/s
	// refill in large regions, 800 and 150 elsewhere). Each intake batch
	// starts 10 executions one after another (about 30 ms each in AWS), so
	// 5 concurrent batches start about 170 a second: under the refill, so
	// a backlog drains without throttling, and a throttled start (another
	// caller took the tokens) waits in the SDK's back-off instead of
	// failing its message (docs/PERFORMANCE.md, "Cloud quotas").
	intakeConcurrency = 5
	// Batch decisions call SendTaskSuccess (500/s refill): the mapping's
	// concurrency is what paces a 10,000-case batch.
	reviewsConcurrency = 20
	// Refund notifications arrive one by one and each settles one case;
	// providers retry for a day, so a small pool is plenty and keeps a
	// burst from contending with the workflow's own writes.
	inboundConcurrency = 5
	// Notifications: WeChat's subscribe send is limited per app, and an
	// SMS origination identity sends a few messages a second; 5 pollers
	// keep a promotion-day burst within both while the queue absorbs it.
	notifierConcurrency = 5
	// Evidence checks decode photos (up to 0.15 s and 48 MB each); a
	// claim carries at most 9, so a small pool keeps up.
	evidenceConcurrency = 5
	// visibilityFactor: AWS asks for a visibility timeout of at least six
	// times the consumer's timeout, so a batch retried by Lambda is not
	// redelivered to another poller meanwhile.
	visibilityFactor = 6
)

// queueSpec is one work queue: who sends to it, and which function
// consumes it how fast.
type queueSpec struct {
	id          string // <id>Queue and <id>DLQ in the template
	urlEnv      string // the variable that carries its URL; empty for a queue only AWS sends to
	consumer    string
	concurrency float64 // the consumer's maximum concurrency
	senders     []string
}

// queueSpecs are the stack's work queues, each consumed by one function.
var queueSpecs = []queueSpec{
	// Cases to start a workflow for: new ones, and those the sweeper finds
	// still submitted.
	{id: "Intake", urlEnv: config.EnvIntakeQueueURL, consumer: "intake", concurrency: intakeConcurrency,
		senders: []string{"api", "sweeper", "webhooks"}}, // webhooks: the customs callback's auto refunds (F17)
	// Staff decisions taken in batches.
	{id: "Reviews", urlEnv: config.EnvReviewQueueURL, consumer: "reviews", concurrency: reviewsConcurrency,
		senders: []string{"api"}},
	// The providers' refund notifications, once verified.
	{id: "Inbound", urlEnv: config.EnvInboundQueueURL, consumer: "inbound", concurrency: inboundConcurrency,
		senders: []string{"webhooks"}},
	// Case changes to tell buyers and staff (F6): every function that
	// builds the service announces the changes it stores.
	{id: "Notifications", urlEnv: config.EnvNotificationsQueueURL, consumer: "notifier", concurrency: notifierConcurrency,
		senders: []string{"api", "webhooks", "tasks", "intake", "inbound", "reviews", "sweeper"}},
	// The evidence bucket's event notifications of files kept under
	// evidence/ (issue 16); S3 sends them (evidenceNotifications).
	{id: "Evidence", consumer: "evidence", concurrency: evidenceConcurrency},
}

// workQueue is a queue of queueSpecs with its dead-letter queue.
type workQueue struct {
	queueSpec
	queue, dlq awssqs.Queue
}

// queues creates every queue of queueSpecs, each with its dead-letter
// queue, and publishes their URLs to the functions.
func (b *builder) queues() []workQueue {
	var qs []workQueue
	for _, spec := range queueSpecs {
		dlq := awssqs.NewQueue(b.stack, jsii.String(spec.id+"DLQ"), &awssqs.QueueProps{
			Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:      jsii.Bool(true),
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), // the maximum: time to investigate
		})
		q := awssqs.NewQueue(b.stack, jsii.String(spec.id+"Queue"), &awssqs.QueueProps{
			Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:        jsii.Bool(true),
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(visibilityFactor * specs[spec.consumer].timeout)),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(maxReceiveCount)},
		})
		if spec.urlEnv != "" {
			b.env[spec.urlEnv] = q.QueueUrl()
		}
		qs = append(qs, workQueue{queueSpec: spec, queue: q, dlq: dlq})
	}
	return qs
}

// grantSends lets each queue's senders send to it.
func (b *builder) grantSends(qs []workQueue) {
	for _, q := range qs {
		for _, name := range q.senders {
			q.queue.GrantSendMessages(b.fns[name])
		}
	}
}

// consume has each queue's consumer poll it, reporting failed messages
// one by one so that the rest of a batch is not received again.
func (b *builder) consume(qs []workQueue) {
	for _, q := range qs {
		b.fns[q.consumer].AddEventSource(awslambdaeventsources.NewSqsEventSource(q.queue, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(batchSize),
			ReportBatchItemFailures: jsii.Bool(true),
			MaxConcurrency:          jsii.Number(q.concurrency),
		}))
	}
}

// queueAlarms raise as soon as a dead-letter queue holds a message: each
// is a case or a notification that nothing will process on its own.
func (b *builder) queueAlarms(qs []workQueue) {
	for _, q := range qs {
		b.alarm(q.id+"DLQMessages", "A message gave up after 5 receives: inspect it and redrive the queue",
			q.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
				Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
			}), 0)
	}
}
