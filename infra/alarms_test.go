package main

import (
	"fmt"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestAlarms checks that every alarm notifies the alarm topic, and what
// the alarms watch: each DLQ, the failed and timed-out executions, each
// function's errors, the API's 5xx rate and the refund failures.
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
	want := map[string]int{"ApproximateNumberOfMessagesVisible": 3, "ExecutionsFailed": 1, "ExecutionsTimedOut": 1,
		"Errors": len(Functions), "math": 1, "MatchedEvents": 1}
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
