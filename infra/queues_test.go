package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestQueuesHaveDeadLetterQueues checks that every queue is encrypted and
// TLS-only, and that each consumed queue redrives to its own DLQ after 5
// receives.
func TestQueuesHaveDeadLetterQueues(t *testing.T) {
	s := defaultSynth(t)
	queues := s.ofType("AWS::SQS::Queue")
	tlsOnly := map[string]bool{}
	for _, pol := range s.ofType("AWS::SQS::QueuePolicy") {
		raw, _ := json.Marshal(pol.Properties["PolicyDocument"])
		if !strings.Contains(string(raw), `"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"`) {
			continue
		}
		for _, q := range pol.Properties["Queues"].([]any) {
			tlsOnly[getAtt(q)] = true
		}
	}
	dlqs := map[string]bool{}
	// The publisher's on-failure queue is a dead-letter queue of the table
	// stream's mapping (issue 15).
	for _, m := range s.ofType("AWS::Lambda::EventSourceMapping") {
		dest, _ := m.Properties["DestinationConfig"].(map[string]any)
		if onFailure, ok := dest["OnFailure"].(map[string]any); ok {
			dlqs[getAtt(onFailure["Destination"])] = true
		}
	}
	for id, q := range queues {
		if q.Properties["SqsManagedSseEnabled"] != true {
			t.Errorf("queue %s is not encrypted (SqsManagedSseEnabled)", id)
		}
		if !tlsOnly[id] {
			t.Errorf("queue %s: no policy denying requests without TLS", id)
		}
		if rp, ok := q.Properties["RedrivePolicy"].(map[string]any); ok {
			target := getAtt(rp["deadLetterTargetArn"])
			if queues[target].Type == "" {
				t.Errorf("queue %s: dead-letter target %v is not a queue of the stack", id, rp["deadLetterTargetArn"])
			}
			if rp["maxReceiveCount"] != float64(5) {
				t.Errorf("queue %s: maxReceiveCount %v, want 5", id, rp["maxReceiveCount"])
			}
			dlqs[target] = true
		}
	}
	consumed := 0
	for id, q := range queues {
		if dlqs[id] {
			continue
		}
		consumed++
		if _, ok := q.Properties["RedrivePolicy"]; !ok {
			t.Errorf("queue %s has no dead-letter queue", id)
		}
	}
	if consumed != 5 || len(dlqs) != 6 {
		t.Errorf("%d consumed queues and %d DLQs, want 5 and 6 (intake, reviews, inbound, notifications, evidence; the publisher's on-failure queue)", consumed, len(dlqs))
	}
}

// TestConsumersReportBatchItemFailures checks every event source mapping:
// partial batch failures, a bounded concurrency, a queue with a DLQ, and a
// visibility timeout of at least 6 times the consumer's timeout.
func TestConsumersReportBatchItemFailures(t *testing.T) {
	s := defaultSynth(t)
	queues := s.ofType("AWS::SQS::Queue")
	fns := s.ofType("AWS::Lambda::Function")
	mappings := s.ofType("AWS::Lambda::EventSourceMapping")
	if len(mappings) == 0 {
		t.Fatal("no event source mapping")
	}
	for id, m := range mappings {
		p := m.Properties
		if got := fmt.Sprint(p["FunctionResponseTypes"]); got != "[ReportBatchItemFailures]" {
			t.Errorf("%s: FunctionResponseTypes %s", id, got)
		}
		if strings.HasPrefix(id, "FnpublisherDynamoDBEventSource") {
			// The table stream (issue 15): one poller per shard, no queue;
			// TestOutbox checks its retries and on-failure queue.
			if dest, _ := p["DestinationConfig"].(map[string]any); dest["OnFailure"] == nil || p["BisectBatchOnFunctionError"] != true {
				t.Errorf("%s: on failure %v, bisect %v, want both", id, p["DestinationConfig"], p["BisectBatchOnFunctionError"])
			}
			continue
		}
		sc, _ := p["ScalingConfig"].(map[string]any)
		if n, _ := sc["MaximumConcurrency"].(float64); n < 2 {
			t.Errorf("%s: MaximumConcurrency %v, want set (>= 2)", id, sc["MaximumConcurrency"])
		}
		q, ok := queues[getAtt(p["EventSourceArn"])]
		if !ok {
			t.Errorf("%s: source %v is not a queue of the stack", id, p["EventSourceArn"])
			continue
		}
		if _, ok := q.Properties["RedrivePolicy"]; !ok {
			t.Errorf("%s consumes a queue without a DLQ", id)
		}
		fn := fns[getAtt(p["FunctionName"])]
		timeout, _ := fn.Properties["Timeout"].(float64)
		visibility, _ := q.Properties["VisibilityTimeout"].(float64)
		if timeout == 0 || visibility < 6*timeout {
			t.Errorf("%s: visibility timeout %v < 6 x function timeout %v", id, visibility, timeout)
		}
	}
}

// TestInboundQueue covers the queue of the providers' refund notifications:
// its DLQ and alarm, its one consumer, and who may send and receive.
func TestInboundQueue(t *testing.T) {
	s := defaultSynth(t)
	queueID, queue := s.only(t, "AWS::SQS::Queue", "InboundQueue")
	dlqID, _ := s.only(t, "AWS::SQS::Queue", "InboundDLQ")
	inboundFn, _ := s.fn(t, "inbound")
	for _, tc := range []struct {
		name  string
		check func(t *testing.T)
	}{
		{"inbound queue redrives to its DLQ after 5 receives", func(t *testing.T) {
			rp, _ := queue.Properties["RedrivePolicy"].(map[string]any)
			if getAtt(rp["deadLetterTargetArn"]) != dlqID || rp["maxReceiveCount"] != float64(maxReceiveCount) {
				t.Errorf("redrive %v, want %s after %d receives", rp, dlqID, maxReceiveCount)
			}
			if queue.Properties["SqsManagedSseEnabled"] != true {
				t.Error("not encrypted")
			}
		}},
		{"inbound DLQ has an alarm", func(t *testing.T) {
			var found bool
			for _, a := range s.ofType("AWS::CloudWatch::Alarm") {
				raw, _ := json.Marshal(a.Properties["Dimensions"])
				found = found || (a.Properties["MetricName"] == "ApproximateNumberOfMessagesVisible" &&
					strings.Contains(string(raw), `"Fn::GetAtt":["`+dlqID+`","QueueName"]`))
			}
			if !found {
				t.Error("no alarm on the inbound DLQ's visible messages")
			}
		}},
		{"inbound consumes the queue with partial batch failures", func(t *testing.T) {
			var found int
			for id, m := range s.ofType("AWS::Lambda::EventSourceMapping") {
				p := m.Properties
				if getAtt(p["EventSourceArn"]) != queueID {
					continue
				}
				found++
				if getAtt(p["FunctionName"]) != inboundFn {
					t.Errorf("%s: the inbound queue feeds %v, want the inbound function", id, p["FunctionName"])
				}
				sc, _ := p["ScalingConfig"].(map[string]any)
				if p["BatchSize"] != float64(batchSize) || fmt.Sprint(p["FunctionResponseTypes"]) != "[ReportBatchItemFailures]" ||
					sc["MaximumConcurrency"] != float64(inboundConcurrency) {
					t.Errorf("%s: batch %v, responses %v, scaling %v; want %d, [ReportBatchItemFailures], %d",
						id, p["BatchSize"], p["FunctionResponseTypes"], sc, batchSize, inboundConcurrency)
				}
			}
			if found != 1 {
				t.Errorf("%d mappings read the inbound queue, want 1", found)
			}
		}},
		{"only webhooks sends to the inbound queue", func(t *testing.T) {
			if got := s.grantees(t, "sqs:SendMessage", queueID); fmt.Sprint(got) != "[webhooks]" {
				t.Errorf("senders %v, want [webhooks]", got)
			}
		}},
		{"only inbound receives and deletes from the inbound queue", func(t *testing.T) {
			for _, a := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage"} {
				if got := s.grantees(t, a, queueID); fmt.Sprint(got) != "[inbound]" {
					t.Errorf("%s: %v, want [inbound]", a, got)
				}
			}
		}},
	} {
		t.Run(tc.name, tc.check)
	}
}
