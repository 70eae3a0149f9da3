package sqsevent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/verify"

	fixtures "github.com/aftersales/aftersales/events"
)

// fakeUseCases plays the use cases of the three consumers: it records each
// call by a key (the case id; the out_refund_no; job/case) and fails the
// keys in fail.
type fakeUseCases struct {
	fail    map[string]error
	got     []string
	notices []aftersales.RefundNotice
}

func (f *fakeUseCases) call(key string) error {
	f.got = append(f.got, key)
	return f.fail[key]
}

func (f *fakeUseCases) Review(_ context.Context, caseID string) (aftersales.StepResult, error) {
	return aftersales.StepResult{CaseID: caseID, Status: aftersales.StatusRefunding, WaitSeconds: 60}, f.call("review:" + caseID)
}

// StartReviewed records the run's key and the status the review gave it.
func (f *fakeUseCases) StartReviewed(_ context.Context, caseID, run string, first aftersales.StepResult) error {
	if run != "" {
		caseID += "-" + run
	}
	if first.Status != aftersales.StatusRefunding || first.WaitSeconds != 60 {
		return fmt.Errorf("started without the review's result: %+v", first)
	}
	return f.call(caseID)
}

func (f *fakeUseCases) RefundNotified(_ context.Context, n aftersales.RefundNotice) error {
	f.notices = append(f.notices, n)
	return f.call(n.OutRefundNo)
}

func (f *fakeUseCases) ObjectCreated(_ context.Context, key string) (verify.Outcome, error) {
	return verify.Outcome{CaseID: "as_1", EvidenceID: key[strings.LastIndexByte(key, '/')+1:],
		Result: aftersales.EvidenceResult{Status: aftersales.EvidenceVerified}}, f.call(key)
}

func (f *fakeUseCases) ReviewOne(_ context.Context, it aftersales.ReviewItem) error {
	return f.call(it.JobID + "/" + it.CaseID)
}

func (f *fakeUseCases) Notify(_ context.Context, a aftersales.Announcement) error {
	return f.call(a.EventID())
}

// handler is one consumer's Lambda handler.
type handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// consumer builds the named consumer on f, logging to log.
func consumer(name string, f *fakeUseCases, log *slog.Logger) handler {
	switch name {
	case "intake":
		return (&Intake{Workflows: f, Rules: f, Logger: log}).Handle
	case "inbound":
		return (&Inbound{Notices: f, Logger: log}).Handle
	case "reviews":
		return (&Reviews{Reviewer: f, Logger: log}).Handle
	case "notifications":
		return (&Notifications{Notifier: f, Logger: log}).Handle
	case "evidence":
		return (&Evidence{Checker: f, Logger: log}).Handle
	}
	panic("no consumer " + name)
}

// batch is an SQS batch of bodies with message ids m1, m2...
func batch(bodies ...string) events.SQSEvent {
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i+1), Body: b,
			Attributes: map[string]string{"ApproximateReceiveCount": "2"}})
	}
	return ev
}

func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// TestConsumers: each message is done, dropped (no retry can fix it) or
// reported as a batch item failure, so only it is received again.
func TestConsumers(t *testing.T) {
	notice := func(no string) string {
		return `{"channel":"alipay","notification_id":"n","out_refund_no":"` + no + `","state":"succeeded"}`
	}
	transient := aftersales.E(aftersales.KindTransient, "op", "throttled")
	// s3Event is the body S3 sends for one created object (key as S3
	// encodes it).
	s3Event := func(name, key string) string {
		return `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"ap-northeast-1","eventTime":"2026-11-11T00:00:00.000Z",` +
			`"eventName":"` + name + `","userIdentity":{"principalId":"AWS:X"},"requestParameters":{"sourceIPAddress":"10.0.0.1"},` +
			`"responseElements":{"x-amz-request-id":"R","x-amz-id-2":"I"},"s3":{"s3SchemaVersion":"1.0","configurationId":"evidence-checks",` +
			`"bucket":{"name":"b","ownerIdentity":{"principalId":"A"},"arn":"arn:aws:s3:::b"},` +
			`"object":{"key":"` + key + `","size":10,"eTag":"e","sequencer":"0A"}}}]}`
	}
	tests := []struct {
		name     string
		consumer string
		bodies   []string
		fail     map[string]error
		calls    []string // the keys the use case saw
		failed   []string // the message ids reported failed
		log      string
	}{
		{name: "every workflow started", consumer: "intake", bodies: []string{`{"case_id":"as_1"}`, `{"case_id":"as_2","v":2}`},
			calls: []string{"review:as_1", "as_1", "review:as_2", "as_2"}, log: `"msg":"workflow started","case_id":"as_2"`},
		{name: "a dispute's run started", consumer: "intake", bodies: []string{`{"case_id":"as_1","run":"dispute"}`},
			calls: []string{"review:as_1", "as_1-dispute"}, log: `"msg":"workflow started","case_id":"as_1","run":"dispute"`},
		{name: "intake messages that are not intake messages are dropped", consumer: "intake",
			bodies: []string{`as_1`, `{"id":"as_1"}`, `{"case_id":""}`, `{"case_id":7}`}, log: "intake message dropped"},
		{name: "a failed start is retried alone", consumer: "intake", bodies: []string{`{"case_id":"as_1"}`, `{"case_id":"as_2"}`},
			fail: map[string]error{"as_1": transient}, calls: []string{"review:as_1", "as_1", "review:as_2", "as_2"}, failed: []string{"m1"}, log: "the message will be retried"},
		{name: "a failed review is retried alone, nothing started", consumer: "intake", bodies: []string{`{"case_id":"as_1"}`, `{"case_id":"as_2"}`},
			fail: map[string]error{"review:as_2": transient}, calls: []string{"review:as_1", "as_1", "review:as_2"}, failed: []string{"m2"}, log: "review failed; the message will be retried"},
		{name: "notices taken", consumer: "inbound", bodies: []string{notice("as_1-1"), notice("as_2-1")},
			calls: []string{"as_1-1", "as_2-1"}, log: "refund notice taken"},
		{name: "inbound messages that are not notices are dropped", consumer: "inbound",
			bodies: []string{`{}`, `{"out_refund_no":""}`, `[1]`}, log: "inbound message dropped"},
		{name: "a notice for an unknown refund is parked", consumer: "inbound", bodies: []string{notice("as_9-1"), notice("as_1-1")},
			fail: map[string]error{"as_9-1": aftersales.ErrNotFound}, calls: []string{"as_9-1", "as_1-1"}, failed: []string{"m1"},
			log: `"msg":"refund notice for an unknown refund: parked","out_refund_no":"as_9-1","channel":"alipay","notification_id":"n","receive_count":"2"`},
		{name: "a failed notice is retried", consumer: "inbound", bodies: []string{notice("as_1-1"), notice("as_2-1")},
			fail: map[string]error{"as_2-1": transient}, calls: []string{"as_1-1", "as_2-1"}, failed: []string{"m2"}, log: "it will be retried"},
		{name: "evidence checked, the key URL-decoded", consumer: "evidence",
			bodies: []string{s3Event("ObjectCreated:Copy", "evidence/b1/ev_1"), s3Event("ObjectCreated:Put", "evidence/b%2B1/ev+2")},
			calls:  []string{"evidence/b1/ev_1", "evidence/b+1/ev 2"}, log: `"msg":"evidence checked","case_id":"as_1","evidence_id":"ev 2","status":"verified"`},
		{name: "S3's test event and bodies that are no S3 event are dropped", consumer: "evidence",
			bodies: []string{`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-11T00:00:00.000Z","Bucket":"b"}`, `nope`},
			log:    "evidence message dropped"},
		{name: "other events are ignored", consumer: "evidence", bodies: []string{s3Event("ObjectRemoved:Delete", "evidence/b1/ev_1")}},
		{name: "a file that is no evidence is ignored, not retried", consumer: "evidence", bodies: []string{s3Event("ObjectCreated:Put", "evidence/b1/ev_9")},
			fail: map[string]error{"evidence/b1/ev_9": verify.ErrNotEvidence}, calls: []string{"evidence/b1/ev_9"}, log: "evidence event ignored"},
		{name: "a failed check is retried alone", consumer: "evidence",
			bodies: []string{s3Event("ObjectCreated:Copy", "evidence/b1/ev_1"), s3Event("ObjectCreated:Copy", "evidence/b1/ev_2")},
			fail:   map[string]error{"evidence/b1/ev_2": transient}, calls: []string{"evidence/b1/ev_1", "evidence/b1/ev_2"}, failed: []string{"m2"},
			log: "evidence check failed; it will be retried"},
		{name: "review items decided", consumer: "reviews", bodies: []string{`{"job_id":"j","case_id":"as_1"}`, `{"job_id":"j","case_id":"as_2"}`},
			calls: []string{"j/as_1", "j/as_2"}},
		{name: "review messages without a job or a case are dropped", consumer: "reviews",
			bodies: []string{`{"case_id":"as_1"}`, `{"job_id":"j"}`, `nope`}, log: "review message dropped"},
		{name: "a failed review item is retried", consumer: "reviews", bodies: []string{`{"job_id":"j","case_id":"as_1"}`, `{"job_id":"j","case_id":"as_2"}`},
			fail: map[string]error{"j/as_1": transient}, calls: []string{"j/as_1", "j/as_2"}, failed: []string{"m1"}, log: "review item failed"},
		{name: "case changes told", consumer: "notifications", bodies: []string{`{"case_id":"as_1","seq":2}`, `{"case_id":"as_1","seq":3}`},
			calls: []string{"as_1#2", "as_1#3"}},
		{name: "notification messages without a case or a seq are dropped", consumer: "notifications",
			bodies: []string{`{"case_id":"as_1"}`, `{"seq":2}`, `{"case_id":"as_1","seq":0}`, `nope`}, log: "notification message dropped"},
		{name: "a failed send is retried alone", consumer: "notifications", bodies: []string{`{"case_id":"as_1","seq":2}`, `{"case_id":"as_2","seq":1}`},
			fail: map[string]error{"as_1#2": transient}, calls: []string{"as_1#2", "as_2#1"}, failed: []string{"m1"}, log: "notification failed; it will be retried"},
		{name: "a change that does not exist is dropped, not retried", consumer: "notifications", bodies: []string{`{"case_id":"as_9","seq":2}`},
			fail: map[string]error{"as_9#2": aftersales.NotFound("notify", "no such case")}, calls: []string{"as_9#2"}, log: "notification abandoned: no such case change"},
		{name: "a not-found among joined failures is retried", consumer: "notifications", bodies: []string{`{"case_id":"as_1","seq":2}`},
			fail: map[string]error{"as_1#2": errors.Join(aftersales.NotFound("inbox", "x"), transient)}, calls: []string{"as_1#2"}, failed: []string{"m1"},
			log: "it will be retried"},
	}
	for _, tt := range tests {
		t.Run(tt.consumer+"/"+tt.name, func(t *testing.T) {
			var log bytes.Buffer
			f := &fakeUseCases{fail: tt.fail}
			resp, err := consumer(tt.consumer, f, slog.New(slog.NewJSONHandler(&log, nil)))(context.Background(), batch(tt.bodies...))
			if err != nil {
				t.Fatalf("the batch failed as a whole: %v", err)
			}
			if !reflect.DeepEqual(f.got, tt.calls) || !reflect.DeepEqual(failures(resp), tt.failed) {
				t.Errorf("calls %v failed %v, want calls %v failed %v", f.got, failures(resp), tt.calls, tt.failed)
			}
			if !strings.Contains(log.String(), tt.log) {
				t.Errorf("log %s, want %s", log.String(), tt.log)
			}
			// Messages that reached the use cases: for intake, each is
			// reviewed first (a "review:" call), started after.
			reached := len(tt.calls)
			if tt.consumer == "intake" {
				reached = 0
				for _, c := range tt.calls {
					if strings.HasPrefix(c, "review:") {
						reached++
					}
				}
			}
			if dropped := len(tt.bodies) - reached; strings.Count(log.String(), "dropped") != dropped {
				t.Errorf("%d drops logged, want %d", strings.Count(log.String(), "dropped"), dropped)
			}
		})
	}
}

// TestReplayFixtures sends every batch of events/sqs to its consumer.
func TestReplayFixtures(t *testing.T) {
	const caseID, jobID, evidenceID = "as_01JDQ3W7Z8K9M2N4P6R8T0V2X4", "job_01JDQ3W7Z8K9M2N4P6R8T0V2X5", "ev_01JDQ3W7Z8K9M2N4P6R8T0V2X6"
	type replay struct {
		consumer string
		calls    []string
		notices  []aftersales.RefundNotice
	}
	tests := map[string]replay{
		"sqs/intake.json":  {consumer: "intake", calls: []string{"review:" + caseID, caseID}},
		"sqs/reviews.json": {consumer: "reviews", calls: []string{jobID + "/" + caseID}},
		// The S3 notification of a file a case took, as the evidence queue delivers it.
		"sqs/evidence.json": {consumer: "evidence", calls: []string{"evidence/buyer-1/" + evidenceID}},
		"sqs/inbound.json": {consumer: "inbound", calls: []string{caseID + "-1"},
			notices: []aftersales.RefundNotice{{Channel: aftersales.ChannelWeChatPay, NotificationID: "EV-2026112710350000000001",
				OutRefundNo: caseID + "-1", RefundResult: aftersales.RefundResult{State: aftersales.StateSucceeded,
					ProviderRefundID: "50300000000000000000000000001", Account: "支付用户零钱",
					ArrivedAt: time.Date(2026, 11, 27, 10, 34, 58, 0, time.UTC)}}}},
	}
	vars := map[string]string{"case_id": caseID, "job_id": jobID, "evidence_id": evidenceID}
	fixtures.Each(t, "sqs", tests, func(t *testing.T, name string, tt replay) {
		var ev events.SQSEvent
		fixtures.Load(t, name, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, &ev)
		f := &fakeUseCases{}
		resp, err := consumer(tt.consumer, f, slog.New(slog.DiscardHandler))(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%+v %v", resp, err)
		}
		if !reflect.DeepEqual(f.got, tt.calls) || !reflect.DeepEqual(f.notices, tt.notices) {
			t.Errorf("calls %v notices %+v, want %v %+v", f.got, f.notices, tt.calls, tt.notices)
		}
	})
}
