package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
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
			if builders := []string{"api", "evidence", "inbound", "intake", "reviews", "sweeper", "tasks", "webhooks"}; !slices.Equal(want, builders) {
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

// refundEventKinds are the refund events the stack keeps in log groups and
// alarms on: the event type, the ids of its log group and alarm, and the
// suffix of its rule's name.
var refundEventKinds = []struct {
	eventType, logs, alarm, suffix, output string
}{
	{aftersales.EventRefundFailed, "RefundFailedEvents", "AlarmRefundFailed", "refund-failed", "RefundFailuresLogGroup"},
	{aftersales.EventRefundManual, "RefundManualEvents", "AlarmRefundManual", "refund-manual", "RefundManualLogGroup"},
}

// eventRule returns the rule on the domain bus (the sweeper's schedule is
// on the default bus) named for suffix, and the bus's logical id.
func eventRule(t *testing.T, s *synthesized, suffix string) (rule resource, busID string) {
	t.Helper()
	busID, _ = s.only(t, "AWS::Events::EventBus", "EventBus")
	var found int
	for _, r := range s.ofType("AWS::Events::Rule") {
		if r.Properties["EventBusName"] != nil && r.Properties["Name"] == "aftersales-"+DefaultSettings().Stage+"-"+suffix {
			rule = r
			found++
		}
	}
	if found != 1 {
		t.Fatalf("%d rules named for %s, want 1", found, suffix)
	}
	return rule, busID
}

// TestRefundEventRules checks that every refund.failed and every
// refund.manual_required event on the bus is kept in a log group of its
// own that EventBridge may write to, through one resource policy.
func TestRefundEventRules(t *testing.T) {
	s := defaultSynth(t)
	if n := len(s.ofType("AWS::Logs::ResourcePolicy")); n != 1 {
		t.Errorf("%d log resource policies, want 1 (CloudWatch Logs allows ten per account and region)", n)
	}
	for _, k := range refundEventKinds {
		t.Run(k.eventType, func(t *testing.T) {
			rule, busID := eventRule(t, s, k.suffix)
			p := rule.Properties
			if getAtt(p["EventBusName"]) != busID {
				t.Fatalf("no rule on the bus")
			}
			if got, want := fmt.Sprint(p["EventPattern"]), "map[detail-type:["+k.eventType+"] source:[aftersales]]"; got != want {
				t.Errorf("pattern %s, want %s", got, want)
			}
			if p["State"] != "ENABLED" {
				t.Errorf("state %v", p["State"])
			}
			logsID, logs := s.only(t, "AWS::Logs::LogGroup", k.logs)
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
		})
	}
}

// TestRefundEventAlarms checks the alarm on each refund event rule's
// MatchedEvents: one event in five minutes raises it.
func TestRefundEventAlarms(t *testing.T) {
	s := defaultSynth(t)
	var found int
	for id, a := range s.ofType("AWS::CloudWatch::Alarm") {
		if a.Properties["MetricName"] == "MatchedEvents" {
			found++
			if !strings.HasPrefix(id, "AlarmRefund") {
				t.Errorf("MatchedEvents alarm %s is none of the refund events'", id)
			}
		}
	}
	if found != len(refundEventKinds) {
		t.Errorf("%d MatchedEvents alarms, want %d", found, len(refundEventKinds))
	}
	for _, k := range refundEventKinds {
		t.Run(k.eventType, func(t *testing.T) {
			rule, busID := eventRule(t, s, k.suffix)
			id, a := s.only(t, "AWS::CloudWatch::Alarm", k.alarm)
			p := a.Properties
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
			if p["MetricName"] != "MatchedEvents" || p["Namespace"] != "AWS/Events" || p["Statistic"] != "Sum" ||
				p["Period"] != float64(300) || p["EvaluationPeriods"] != float64(1) || !atLeastOne {
				t.Errorf("%s: %v, want Sum of AWS/Events MatchedEvents >= 1 in one 5-minute period", id, p)
			}
		})
	}
}

// TestEventOutputs checks that the outputs name the bus and the refund
// events' log groups.
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
	for _, k := range refundEventKinds {
		logsID, _ := s.only(t, "AWS::Logs::LogGroup", k.logs)
		if getAtt(o[k.output].Value) != logsID {
			t.Errorf("%s output %v, want the log group %s", k.output, o[k.output].Value, logsID)
		}
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
