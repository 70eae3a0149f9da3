package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

// alarmTopic creates the topic every alarm notifies, with the settings'
// e-mail address subscribed to it when there is one.
func (b *builder) alarmTopic() {
	b.alarms = awssns.NewTopic(b.stack, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("After-sales alarms (" + b.s.Stage + ")"),
		EnforceSSL:  jsii.Bool(true),
	})
	if b.s.AlarmEmail != "" {
		b.alarms.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(b.s.AlarmEmail), nil))
	}
}

// alarm raises when metric exceeds threshold in one 5-minute period and
// notifies the alarm topic, which alarmTopic must have created.
func (b *builder) alarm(id, description string, metric awscloudwatch.IMetric, threshold float64) {
	a := awscloudwatch.NewAlarm(b.stack, jsii.String("Alarm-"+id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		// No data means nothing happened: no error, no message.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(b.alarms))
}

// startFailurePattern matches the line a function writes when it cannot
// start (config.StartFailed, written by wire.Run as JSON).
var startFailurePattern = `{ ($.level = "ERROR") && ($.msg = "` + config.StartFailed + `") }`

// startFailureAlarm counts, in every function's log, the line it writes
// when it cannot start, and raises on the first: a missing variable, an
// unreadable secret, or empty provider secrets in live mode (the tasks
// refuse to start rather than leave every refund waiting). The line names
// what is missing. A filter on the log, not the Errors metric: an init
// failure is only sometimes counted as an invocation error.
func (b *builder) startFailureAlarm() {
	namespace, metric := "AfterSales/"+b.s.Stage, "StartFailures"
	for _, name := range Functions {
		awslogs.NewMetricFilter(b.stack, jsii.String("StartFailed-"+name), &awslogs.MetricFilterProps{
			LogGroup:        b.logs[name],
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(startFailurePattern)),
			MetricNamespace: jsii.String(namespace),
			MetricName:      jsii.String(metric),
			MetricValue:     jsii.String("1"),
		})
	}
	b.alarm("StartFailed", "A function could not start: its log has a line with msg \""+config.StartFailed+
		"\" whose err names what is missing (a variable, a secret, or the provider secrets in live mode); "+
		"fill it in and deploy with a new secretsRevision",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String(metric),
			Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
		}), 0)
}
