package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/config"
)

// TestEventBus covers the domain event bus: its name, and who may publish
// on it.
func TestEventBus(t *testing.T) {
	s := defaultSynth(t)
	busID, bus := s.only(t, "AWS::Events::EventBus", "EventBus")
	stage := DefaultSettings().Stage
	for _, tc := range []struct {
		name  string
		check func(t *testing.T)
	}{
		{"bus named from the stage", func(t *testing.T) {
			if bus.Properties["Name"] != "aftersales-"+stage {
				t.Errorf("bus name %v, want aftersales-%s", bus.Properties["Name"], stage)
			}
		}},
		{"PutEvents on the bus only, for every function that builds the service", func(t *testing.T) {
			var want []string
			for _, name := range Functions {
				_, fn := s.fn(t, name)
				v := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)[config.EnvEventBusName]
				if v == nil {
					continue
				}
				want = append(want, name)
				if getAtt(v) != busID {
					t.Errorf("%s: %s = %v, want the bus's name", name, config.EnvEventBusName, v)
				}
			}
			slices.Sort(want)
			if got := s.grantees(t, "events:PutEvents", busID); !slices.Equal(got, want) {
				t.Errorf("PutEvents granted to %v, want %v", got, want)
			}
			if builders := []string{"api", "inbound", "reviews", "sweeper", "tasks", "webhooks"}; !slices.Equal(want, builders) {
				t.Errorf("functions with %s: %v, want %v", config.EnvEventBusName, want, builders)
			}
			for id, sts := range allowStatements(s) {
				for _, st := range sts {
					raw, _ := json.Marshal(st)
					if strings.Contains(string(raw), `"events:PutEvents"`) && getAtt(st["Resource"]) != busID {
						t.Errorf("%s allows PutEvents on %v, want the bus only", id, st["Resource"])
					}
				}
			}
		}},
	} {
		t.Run(tc.name, tc.check)
	}
}

// refundFailedRule returns the rule on the domain bus (the sweeper's
// schedule is on the default bus) and the bus's logical id.
func refundFailedRule(t *testing.T, s *synthesized) (rule resource, busID string) {
	t.Helper()
	busID, _ = s.only(t, "AWS::Events::EventBus", "EventBus")
	for _, r := range s.ofType("AWS::Events::Rule") {
		if r.Properties["EventBusName"] != nil {
			rule = r
		}
	}
	return rule, busID
}

// TestRefundFailedRule checks that every refund.failed event on the bus is
// kept in a log group that EventBridge may write to.
func TestRefundFailedRule(t *testing.T) {
	s := defaultSynth(t)
	rule, busID := refundFailedRule(t, s)
	stage := DefaultSettings().Stage
	p := rule.Properties
	if getAtt(p["EventBusName"]) != busID {
		t.Fatalf("no rule on the bus")
	}
	if got := fmt.Sprint(p["EventPattern"]); got != "map[detail-type:[refund.failed] source:[aftersales]]" {
		t.Errorf("pattern %s", got)
	}
	if p["Name"] != "aftersales-"+stage+"-refund-failed" || p["State"] != "ENABLED" {
		t.Errorf("name %v state %v", p["Name"], p["State"])
	}
	logsID, logs := s.only(t, "AWS::Logs::LogGroup", "RefundFailedEvents")
	targets, _ := p["Targets"].([]any)
	raw, _ := json.Marshal(targets)
	if len(targets) != 1 || !strings.Contains(string(raw), `":log-group:",{"Ref":"`+logsID+`"}`) {
		t.Errorf("targets %s, want the log group %s", raw, logsID)
	}
	if !strings.HasPrefix(fmt.Sprint(logs.Properties["LogGroupName"]), "/aws/events/") ||
		logs.Properties["RetentionInDays"] != float64(DefaultSettings().LogRetentionDays) {
		t.Errorf("log group %v", logs.Properties)
	}
	var allowed bool
	for _, pol := range s.ofType("AWS::Logs::ResourcePolicy") {
		raw, _ := json.Marshal(pol.Properties["PolicyDocument"])
		allowed = allowed || (strings.Contains(string(raw), `\"Principal\":{\"Service\":\"events.amazonaws.com\"}`) &&
			strings.Contains(string(raw), `logs:PutLogEvents`) && strings.Contains(string(raw), `"Fn::GetAtt":["`+logsID+`","Arn"]`))
	}
	if !allowed {
		t.Error("no resource policy lets EventBridge write to the log group")
	}
}

// TestRefundFailedAlarm checks the alarm on the refund.failed rule's
// MatchedEvents.
func TestRefundFailedAlarm(t *testing.T) {
	s := defaultSynth(t)
	rule, busID := refundFailedRule(t, s)
	var found int
	for id, a := range s.ofType("AWS::CloudWatch::Alarm") {
		p := a.Properties
		if p["MetricName"] != "MatchedEvents" {
			continue
		}
		found++
		dims := map[string]any{}
		for _, d := range p["Dimensions"].([]any) {
			m := d.(map[string]any)
			dims[m["Name"].(string)] = m["Value"]
		}
		// A rule on a custom bus reports with both dimensions.
		if len(dims) != 2 || dims["RuleName"] != rule.Properties["Name"] || getAtt(dims["EventBusName"]) != busID {
			t.Errorf("%s: dimensions %v, want RuleName %v and EventBusName of the bus", id, dims, rule.Properties["Name"])
		}
		atLeastOne := (p["ComparisonOperator"] == "GreaterThanThreshold" && p["Threshold"] == float64(0)) ||
			(p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" && p["Threshold"] == float64(1))
		if p["Namespace"] != "AWS/Events" || p["Statistic"] != "Sum" || p["Period"] != float64(300) ||
			p["EvaluationPeriods"] != float64(1) || !atLeastOne {
			t.Errorf("%s: %v, want Sum of AWS/Events MatchedEvents >= 1 in one 5-minute period", id, p)
		}
	}
	if found != 1 {
		t.Errorf("%d MatchedEvents alarms, want 1", found)
	}
}

// TestEventOutputs checks that the outputs name the bus and the failures'
// log group.
func TestEventOutputs(t *testing.T) {
	s := defaultSynth(t)
	busID, _ := s.only(t, "AWS::Events::EventBus", "EventBus")
	outs := s.template.ToJSON()
	raw, _ := json.Marshal((*outs)["Outputs"])
	var o map[string]struct{ Value any }
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	if getAtt(o["EventBusName"].Value) != busID {
		t.Errorf("EventBusName output %v, want the bus's name", o["EventBusName"].Value)
	}
	logsID, _ := s.only(t, "AWS::Logs::LogGroup", "RefundFailedEvents")
	if getAtt(o["RefundFailuresLogGroup"].Value) != logsID {
		t.Errorf("RefundFailuresLogGroup output %v", o["RefundFailuresLogGroup"].Value)
	}
}

// TestSweepSchedule checks that the sweeper runs every 5 minutes on the
// default bus, retried at most once and never after the next run.
func TestSweepSchedule(t *testing.T) {
	s := defaultSynth(t)
	sweeper, _ := s.fn(t, "sweeper")
	var found int
	for id, r := range s.ofType("AWS::Events::Rule") {
		p := r.Properties
		if p["ScheduleExpression"] == nil {
			continue
		}
		found++
		if p["ScheduleExpression"] != "rate(5 minutes)" || p["EventBusName"] != nil {
			t.Errorf("%s: schedule %v on bus %v, want rate(5 minutes) on the default bus", id, p["ScheduleExpression"], p["EventBusName"])
		}
		targets, _ := p["Targets"].([]any)
		if len(targets) != 1 {
			t.Fatalf("%s: targets %v, want the sweeper", id, targets)
		}
		target := targets[0].(map[string]any)
		retry, _ := target["RetryPolicy"].(map[string]any)
		if getAtt(target["Arn"]) != sweeper || retry["MaximumRetryAttempts"] != float64(1) || retry["MaximumEventAgeInSeconds"] != float64(240) {
			t.Errorf("%s: target %v, want the sweeper, retried once within 4 minutes", id, target)
		}
	}
	if found != 1 {
		t.Errorf("%d scheduled rules, want 1", found)
	}
}
