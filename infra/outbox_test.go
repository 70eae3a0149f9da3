package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/dynamo"
)

// TestOutbox covers the transactional outbox's deployment (issue 15): the
// table's stream, the publisher's event source mapping on it, what the
// publisher may do, its redrive schedule and its alarms.
func TestOutbox(t *testing.T) {
	s := defaultSynth(t)
	publisher, _ := s.fn(t, "publisher")
	tableID, table := s.only(t, "AWS::DynamoDB::Table", "Table")
	failuresID, _ := s.only(t, "AWS::SQS::Queue", "PublisherFailures")
	var mapping map[string]any
	for _, r := range s.ofType("AWS::Lambda::EventSourceMapping") {
		if getAtt(r.Properties["FunctionName"]) == publisher {
			if mapping != nil {
				t.Fatal("the publisher has two event source mappings")
			}
			mapping = r.Properties
		}
	}
	if mapping == nil {
		t.Fatal("the publisher has no event source mapping")
	}
	for _, tc := range []struct {
		name  string
		check func(t *testing.T)
	}{
		{"the table streams new images", func(t *testing.T) {
			spec, _ := table.Properties["StreamSpecification"].(map[string]any)
			if spec["StreamViewType"] != "NEW_IMAGE" {
				t.Errorf("stream %v, want NEW_IMAGE", table.Properties["StreamSpecification"])
			}
		}},
		{"the mapping reads the stream, bisects, retries, then gives up to the queue", func(t *testing.T) {
			if getAtt(mapping["EventSourceArn"]) != tableID || mapping["StartingPosition"] != "TRIM_HORIZON" {
				t.Errorf("source %v from %v, want the table's stream from its oldest record", mapping["EventSourceArn"], mapping["StartingPosition"])
			}
			if mapping["BisectBatchOnFunctionError"] != true || mapping["MaximumRetryAttempts"] != float64(publisherRetries) ||
				mapping["MaximumRecordAgeInSeconds"] != float64(3600) || mapping["BatchSize"] != float64(publisherBatchSize) {
				t.Errorf("mapping %v, want bisect, %d retries within an hour, batches of %d", mapping, publisherRetries, publisherBatchSize)
			}
			if types := fmt.Sprint(mapping["FunctionResponseTypes"]); types != "[ReportBatchItemFailures]" {
				t.Errorf("response types %s, want batch item failures", types)
			}
			dest, _ := mapping["DestinationConfig"].(map[string]any)
			onFailure, _ := dest["OnFailure"].(map[string]any)
			if getAtt(onFailure["Destination"]) != failuresID {
				t.Errorf("on failure %v, want the PublisherFailures queue", dest)
			}
		}},
		{"only new outbox items reach the function", func(t *testing.T) {
			fc, _ := mapping["FilterCriteria"].(map[string]any)
			filters, _ := fc["Filters"].([]any)
			if len(filters) != 1 {
				t.Fatalf("filters %v, want one", mapping["FilterCriteria"])
			}
			var got, want any
			_ = json.Unmarshal([]byte(filters[0].(map[string]any)["Pattern"].(string)), &got)
			_ = json.Unmarshal([]byte(dynamo.OutboxStreamFilter()), &want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("filter %v, want %v", got, want)
			}
		}},
		{"the publisher deletes and queries outbox partitions only", func(t *testing.T) {
			owners := s.policyOwners(t)
			found := false
			for id, sts := range allowStatements(s) {
				for _, st := range sts {
					raw, _ := json.Marshal(st)
					if !strings.Contains(string(raw), `"dynamodb:DeleteItem"`) {
						continue
					}
					if !slices.Contains(owners[id], "publisher") {
						continue
					}
					found = true
					cond, _ := json.Marshal(st["Condition"])
					if getAtt(st["Resource"]) != tableID || !strings.Contains(string(cond), `"dynamodb:LeadingKeys":["OUTBOX#*"]`) ||
						strings.Contains(string(raw), "PutItem") || strings.Contains(string(raw), "UpdateItem") {
						t.Errorf("%s: %s, want DeleteItem and Query on the table's OUTBOX# keys only", id, raw)
					}
				}
			}
			if !found {
				t.Error("the publisher may not delete outbox items")
			}
			for _, action := range []string{"dynamodb:PutItem", "dynamodb:UpdateItem"} {
				if got := s.grantees(t, action, tableID); slices.Contains(got, "publisher") {
					t.Errorf("the publisher may %s", action)
				}
			}
		}},
		{"the redrive runs every 15 minutes", func(t *testing.T) {
			_, rule := s.only(t, "AWS::Events::Rule", "OutboxRedrive")
			targets, _ := rule.Properties["Targets"].([]any)
			if rule.Properties["ScheduleExpression"] != "rate(15 minutes)" || len(targets) != 1 ||
				getAtt(targets[0].(map[string]any)["Arn"]) != publisher {
				t.Errorf("redrive %v, want the publisher every 15 minutes", rule.Properties)
			}
		}},
		{"alarms on gave-up batches and on lag", func(t *testing.T) {
			_, gaveUp := s.only(t, "AWS::CloudWatch::Alarm", "AlarmPublisherFailures")
			if gaveUp.Properties["MetricName"] != "ApproximateNumberOfMessagesVisible" || gaveUp.Properties["Threshold"] != float64(0) {
				t.Errorf("on-failure alarm %v", gaveUp.Properties)
			}
			_, lag := s.only(t, "AWS::CloudWatch::Alarm", "AlarmPublisherIteratorAge")
			if lag.Properties["MetricName"] != "IteratorAge" || lag.Properties["Threshold"] != float64(publisherMaxLagMinutes*60*1000) {
				t.Errorf("iterator age alarm %v", lag.Properties)
			}
		}},
	} {
		t.Run(tc.name, tc.check)
	}
}
