package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"
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
