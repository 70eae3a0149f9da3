package messages_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

// TestWireShapes pins each contract's JSON: a renamed field would strand
// the messages already on a queue and the state machine's payloads.
func TestWireShapes(t *testing.T) {
	arrived := time.Date(2026, 11, 27, 10, 34, 58, 0, time.UTC)
	tests := []struct {
		name string
		msg  any
		want string
	}{
		{"intake", messages.Intake{CaseID: "as_1"}, `{"case_id":"as_1"}`},
		{"review item", messages.ReviewItem{JobID: "job_1", CaseID: "as_1"}, `{"job_id":"job_1","case_id":"as_1"}`},
		{"notice", messages.Notice{Channel: "wechatpay", NotificationID: "EV-1", OutRefundNo: "as_1-1", State: "succeeded",
			ProviderRefundID: "503", Account: "零钱", ArrivedAt: arrived},
			`{"channel":"wechatpay","notification_id":"EV-1","out_refund_no":"as_1-1","state":"succeeded","provider_refund_id":"503","account":"零钱","arrived_at":"2026-11-27T10:34:58Z"}`},
		{"notice without the optional fields", messages.Notice{Channel: "alipay", NotificationID: "n", OutRefundNo: "as_1-1", State: "failed"},
			`{"channel":"alipay","notification_id":"n","out_refund_no":"as_1-1","state":"failed"}`},
		{"parcel", messages.ParcelOf(aftersales.ParcelNotice{ID: "p1", Kind: aftersales.ParcelTracking, CaseID: "as_1", Courier: "shunfeng",
			Number: "SF1", Phase: aftersales.ParcelCollected, At: arrived, Scan: "已揽收"}),
			`{"parcel":{"id":"p1","kind":"tracking","case_id":"as_1","courier":"shunfeng","number":"SF1","phase":"collected","at":"2026-11-27T10:34:58Z","scan":"已揽收"}}`},
		{"task", messages.Task{Task: "wait", CaseID: "as_1", Token: "tok", WaitSeconds: 60},
			`{"task":"wait","case_id":"as_1","token":"tok","wait_seconds":60}`},
		{"step result keeps a zero wait", messages.StepResult{CaseID: "as_1", Status: "completed"},
			`{"case_id":"as_1","status":"completed","wait_seconds":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

// TestConversionsRoundTrip: what the sender converts from the domain, the
// consumer converts back unchanged.
func TestConversionsRoundTrip(t *testing.T) {
	n := aftersales.RefundNotice{Channel: aftersales.ChannelAlipay, NotificationID: "n-1", OutRefundNo: "as_1-2",
		RefundResult: aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "p",
			Account: "acct", ArrivedAt: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}}
	var notice messages.Notice
	roundTrip(t, messages.NoticeOf(n), &notice)
	if got := notice.RefundNotice(); !reflect.DeepEqual(got, n) {
		t.Errorf("notice: got %+v, want %+v", got, n)
	}
	it := aftersales.ReviewItem{JobID: "job_1", CaseID: "as_1"}
	var item messages.ReviewItem
	roundTrip(t, messages.ReviewItemOf(it), &item)
	if got := item.Item(); got != it {
		t.Errorf("review item: got %+v, want %+v", got, it)
	}
	r := messages.StepResultOf(aftersales.StepResult{CaseID: "as_1", Status: aftersales.StatusPendingReview, WaitSeconds: 9})
	if r != (messages.StepResult{CaseID: "as_1", Status: "pending_review", WaitSeconds: 9}) {
		t.Errorf("step result: %+v", r)
	}
}

func roundTrip(t *testing.T, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}
