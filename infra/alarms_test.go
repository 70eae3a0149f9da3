package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

// TestAlarms checks that every alarm notifies the alarm topic, and what
// the alarms watch: each DLQ, the failed and timed-out executions, each
// function's errors, the API's 5xx rate, the refund failures, the manual
// refunds and the functions that could not start.
func TestAlarms(t *testing.T) {
	s := defaultSynth(t)
	var topic string
	for id := range s.ofType("AWS::SNS::Topic") {
		topic = id
	}
	watched := map[string]int{}
	for id, a := range s.ofType("AWS::CloudWatch::Alarm") {
		p := a.Properties
		if acts, _ := p["AlarmActions"].([]any); len(acts) != 1 || getAtt(acts[0]) != topic {
			t.Errorf("alarm %s: actions %v, want the alarm topic", id, p["AlarmActions"])
		}
		if name, ok := p["MetricName"].(string); ok {
			watched[name]++
		} else if p["Metrics"] != nil {
			watched["math"]++
		}
	}
	// Five DLQs and the publisher's on-failure queue; its lag on the stream.
	want := map[string]int{"ApproximateNumberOfMessagesVisible": 6, "ExecutionsFailed": 1, "ExecutionsTimedOut": 1,
		"Errors": len(Functions), "math": 1, "MatchedEvents": 2, "StartFailures": 1, "IteratorAge": 1}
	if fmt.Sprint(watched) != fmt.Sprint(want) {
		t.Errorf("alarms watch %v, want %v", watched, want)
	}
}

// TestOptionsAlarmEmail checks that the alarm e-mail is subscribed to the
// alarm topic.
func TestOptionsAlarmEmail(t *testing.T) {
	s := optionsSynth(t)
	noPanic(t, "e-mail subscription", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{"Protocol": "email", "Endpoint": allOptions().AlarmEmail})
	})
}

// TestStartFailureAlarm checks that the line every function writes when it
// cannot start (config.StartFailed, JSON) is counted in every function's
// log group into one metric, and that the first one raises an alarm: a
// live stack whose provider secrets are empty does not start its tasks,
// and says so here.
func TestStartFailureAlarm(t *testing.T) {
	s := defaultSynth(t)
	stage := DefaultSettings().Stage
	filtered := map[string]bool{}
	for id, f := range s.ofType("AWS::Logs::MetricFilter") {
		p := f.Properties
		pattern := fmt.Sprint(p["FilterPattern"])
		if !strings.Contains(pattern, `$.msg = "`+config.StartFailed+`"`) || !strings.Contains(pattern, `$.level = "ERROR"`) {
			t.Errorf("%s: pattern %s, want the start failure line", id, pattern)
		}
		mt, _ := p["MetricTransformations"].([]any)
		if len(mt) != 1 {
			t.Fatalf("%s: transformations %v", id, mt)
		}
		m := mt[0].(map[string]any)
		if m["MetricNamespace"] != "AfterSales/"+stage || m["MetricName"] != "StartFailures" || m["MetricValue"] != "1" {
			t.Errorf("%s: metric %v", id, m)
		}
		filtered[getAtt(p["LogGroupName"])] = true
	}
	for _, name := range Functions {
		_, fn := s.fn(t, name)
		logs := getAtt(fn.Properties["LoggingConfig"].(map[string]any)["LogGroup"])
		if !filtered[logs] {
			t.Errorf("function %s: no start failure filter on its log group %s", name, logs)
		}
	}
	id, a := s.only(t, "AWS::CloudWatch::Alarm", "AlarmStartFailed")
	p := a.Properties
	if p["Namespace"] != "AfterSales/"+stage || p["MetricName"] != "StartFailures" || p["Statistic"] != "Sum" ||
		p["ComparisonOperator"] != "GreaterThanThreshold" || p["Threshold"] != float64(0) || p["TreatMissingData"] != "notBreaching" {
		t.Errorf("%s: %v, want the sum of StartFailures above 0", id, p)
	}
}
