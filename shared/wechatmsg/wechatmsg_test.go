package wechatmsg_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakewechatmsg"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/wechatmsg"
)

// TestSendThroughTheLibrary drives the real library against the stand-in:
// the stable token is drawn once and cached, messages carry their fields,
// and each failure is classified as the notifier needs it.
func TestSendThroughTheLibrary(t *testing.T) {
	fake := fakewechatmsg.New(time.Now)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	s := wechatmsg.New(wechatmsg.Settings{AppID: fake.AppID, AppSecret: fake.AppSecret, TemplateID: fake.TemplateID, Endpoint: srv.URL})
	msg := func(to string, fields map[string]string) aftersales.Outbound {
		return aftersales.Outbound{EventID: "as_1#2", Channel: aftersales.ChannelWeChat, To: to, Language: aftersales.LangEN,
			Fields: fields, Page: "pages/aftersales/detail?id=as_1"}
	}
	good := map[string]string{"character_string1": "as_1", "thing2": "Rejected", "time3": "2026-11-11 08:00", "thing4": "Dispute in 7 days", "amount5": "¥12.30"}
	tests := []struct {
		name      string
		fail      int
		m         aftersales.Outbound
		wantKind  aftersales.Kind
		wantFinal bool // ErrNotReachable: skip, do not retry
		wantOK    bool
	}{
		{"sent", 0, msg("oid-1", good), 0, false, true},
		{"sent again with the cached token", 0, msg("oid-2", good), 0, false, true},
		{"not subscribed: 43101 is final", 0, msg(fakewechatmsg.Unsubscribed+"1", good), 0, true, false},
		{"WeChat busy: retried", 1, msg("oid-3", good), aftersales.KindTransient, false, false},
		{"a field over its limit: our defect", 0, msg("oid-4", map[string]string{"thing2": "this status text is far longer than twenty"}), aftersales.KindInvalid, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake.Fail(tc.fail)
			_, err := s.Send(t.Context(), tc.m)
			switch {
			case tc.wantOK && err != nil:
				t.Fatalf("got %v", err)
			case tc.wantFinal && !errors.Is(err, aftersales.ErrNotReachable):
				t.Fatalf("got %v, want ErrNotReachable", err)
			case !tc.wantOK && !tc.wantFinal && (aftersales.KindOf(err) != tc.wantKind || errors.Is(err, aftersales.ErrNotReachable)):
				t.Fatalf("got %v (kind %v), want kind %v", err, aftersales.KindOf(err), tc.wantKind)
			}
		})
	}
	got := fake.Messages()
	if len(got) != 2 || got[0].ToUser != "oid-1" || got[0].Lang != "en_US" || got[0].Data["thing2"]["value"] != "Rejected" ||
		got[0].TemplateID != fake.TemplateID || got[0].Page != "pages/aftersales/detail?id=as_1" {
		t.Fatalf("messages %+v", got)
	}
	if fake.Tokens() != 1 {
		t.Fatalf("%d stable tokens drawn, want 1 (cached)", fake.Tokens())
	}
}

func TestWrongSecretIsNotSent(t *testing.T) {
	fake := fakewechatmsg.New(time.Now)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	s := wechatmsg.New(wechatmsg.Settings{AppID: fake.AppID, AppSecret: "wrong", TemplateID: fake.TemplateID, Endpoint: srv.URL})
	_, err := s.Send(t.Context(), aftersales.Outbound{To: "oid-1", Fields: map[string]string{"thing2": "x"}})
	if err == nil || errors.Is(err, aftersales.ErrNotReachable) || len(fake.Messages()) != 0 {
		t.Fatalf("got %v, %d messages; want a retried failure and nothing sent", err, len(fake.Messages()))
	}
}
