package sms_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakesms"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/sms"
)

// TestSendThroughTheSDK sends through the real SDK client (SigV4, AWS JSON
// 1.0) to the stand-in, and checks how each answer is classified.
func TestSendThroughTheSDK(t *testing.T) {
	fake := fakesms.New(time.Now)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	fake.OptOut("+8613900000000")
	s := &sms.Sender{Client: sms.NewClient(awsenv.Local("us-east-1"), srv.URL), Origination: fake.Origination}
	wrong := &sms.Sender{Client: sms.NewClient(awsenv.Local("us-east-1"), srv.URL), Origination: "NOT-OURS"}
	tests := []struct {
		name      string
		s         *sms.Sender
		to        string
		wantFinal bool
		wantKind  aftersales.Kind
		wantOK    bool
	}{
		{"a Chinese mobile without a country code", s, "138 0000 0000", false, 0, true},
		{"E.164 as it is", s, "+447700900123", false, 0, true},
		{"opted out: final", s, "13900000000", true, 0, false},
		{"not a number: our defect", s, "abc", false, aftersales.KindInvalid, false},
		{"an origination identity that is not ours: misconfigured", wrong, "13800000000", false, aftersales.KindInternal, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tc.s.Send(t.Context(), aftersales.Outbound{EventID: "as_1#2", Kind: "status_changed", To: tc.to, Text: "【售后】您的申请as_1状态：已驳回。"})
			switch {
			case tc.wantOK && (err != nil || id == ""):
				t.Fatalf("got %q, %v", id, err)
			case tc.wantFinal && !errors.Is(err, aftersales.ErrNotReachable):
				t.Fatalf("got %v, want ErrNotReachable", err)
			case !tc.wantOK && !tc.wantFinal && aftersales.KindOf(err) != tc.wantKind:
				t.Fatalf("got %v (kind %v), want %v", err, aftersales.KindOf(err), tc.wantKind)
			}
		})
	}
	got := fake.Messages()
	if len(got) != 2 || got[0].Destination != "+8613800000000" || got[0].Context["event_id"] != "as_1#2" ||
		got[0].MessageType != "TRANSACTIONAL" || got[0].Body != "【售后】您的申请as_1状态：已驳回。" || got[1].Destination != "+447700900123" {
		t.Fatalf("messages %+v", got)
	}
}
