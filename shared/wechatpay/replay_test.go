package wechatpay_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/payhook"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/refunds"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// delivery is a notification as WeChat Pay posts it.
type delivery struct {
	header http.Header
	body   []byte
}

// TestReplayAndStaleness is the WeChat Pay webhook's replay and staleness
// table (issue 13). Notifications sealed and signed by the fake WeChat Pay
// at the times given arrive in turn at the webhook handler (payhook,
// answering as WeChat Pay requires), which hands them to the refunds use
// case recording receipts in the in-memory store. A genuine notification
// replayed within the five-minute window, or sent again by WeChat Pay with
// a new signature, is acknowledged and not queued again (its id is known);
// a signature more than five minutes from the receiver's clock, either way,
// is refused (401) and nothing is queued, whatever the notification's id.
func TestReplayAndStaleness(t *testing.T) {
	k, _ := testKeys(t)
	clock := storetest.NewFakeClock(t0)
	fake, err := fakewechat.New(fakewechat.Options{Keys: &k, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	// at signs as of t0+d: the fake signs with the clock's time.
	at := func(d time.Duration, sign func() (http.Header, []byte, error)) delivery {
		t.Helper()
		clock.Set(t0.Add(d))
		h, body, err := sign()
		if err != nil {
			t.Fatal(err)
		}
		return delivery{h, body}
	}
	refund := func(no string) func() (http.Header, []byte, error) {
		return func() (http.Header, []byte, error) {
			return fake.SealNotification(wechatpay.EventRefundSuccess, "退款成功",
				resourceJSON(t, "SUCCESS", func(m map[string]any) { m["out_refund_no"] = no }))
		}
	}
	first := at(0, refund("as_01-1"))
	resent := at(10*time.Minute, func() (http.Header, []byte, error) {
		h, err := fake.SignHeaders(first.body) // WeChat Pay's resend: the same notification signed anew
		return h, first.body, err
	})
	captured := at(0, refund("as_02-1"))
	ahead := at(20*time.Minute, refund("as_03-1"))
	fresh := at(14*time.Minute, refund("as_04-1"))

	steps := []struct {
		name     string
		delivery delivery
		received time.Duration // after t0
		status   int
		queued   []string // every refund queued so far
	}{
		{"a refund notification", first, 2 * time.Second, http.StatusNoContent, []string{"as_01-1"}},
		{"the same request replayed within the window", first, 5 * time.Minute, http.StatusNoContent, []string{"as_01-1"}},
		{"the same request replayed past the window", first, 5*time.Minute + time.Second, http.StatusUnauthorized, []string{"as_01-1"}},
		{"WeChat Pay's resend, signed anew", resent, 10 * time.Minute, http.StatusNoContent, []string{"as_01-1"}},
		{"another refund's notification, captured and replayed after 6 minutes", captured, 6 * time.Minute,
			http.StatusUnauthorized, []string{"as_01-1"}},
		{"a notification signed 6 minutes ahead of the receiver", ahead, 14 * time.Minute, http.StatusUnauthorized, []string{"as_01-1"}},
		{"a fresh notification of another refund", fresh, 14 * time.Minute, http.StatusNoContent, []string{"as_01-1", "as_04-1"}},
	}
	store := memstore.New(clock)
	q := &storetest.NoticeQueue{}
	parser, err := wechatpay.NewNotifications(fake.Settings("", ""), clock)
	if err != nil {
		t.Fatal(err)
	}
	h := &payhook.Handler{Provider: "wechatpay", Parser: parser, Answer: payhook.WeChatPay,
		Notices: &refunds.Service{Notifications: store, Notices: q, Clock: clock}}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clock.Set(t0.Add(st.received))
			req := httptest.NewRequest("POST", "/webhooks/wechatpay", bytes.NewReader(st.delivery.body))
			req.Header = st.delivery.header.Clone()
			rec := httptest.NewRecorder()
			apigw.Middleware(slog.New(slog.DiscardHandler), h).ServeHTTP(rec, req)
			if rec.Code != st.status {
				t.Fatalf("answered %d %s, want %d", rec.Code, rec.Body, st.status)
			}
			if st.status != http.StatusNoContent {
				var fail struct{ Code string }
				if json.Unmarshal(rec.Body.Bytes(), &fail) != nil || fail.Code != "FAIL" {
					t.Errorf("a refusal answered %s, want WeChat Pay's {\"code\":\"FAIL\",...}", rec.Body)
				}
			}
			if got := q.Queued(func(n aftersales.RefundNotice) string { return n.OutRefundNo }); !slices.Equal(got, st.queued) {
				t.Fatalf("queued %v, want %v", got, st.queued)
			}
		})
	}
}
