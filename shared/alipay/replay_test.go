package alipay_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/alipay"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/payhook"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/refunds"
)

// TestReplayAndStaleness is the Alipay webhook's replay and staleness table
// (issue 13). Notifications signed with the fake Alipay's key arrive in
// turn, at the times given, at the webhook handler (payhook, answering as
// Alipay requires), which hands them to the refunds use case recording
// receipts in the in-memory store. Within Alipay's 25 hours of retries a
// repeat is acknowledged and not queued again (its notify_id is known);
// past them even a correctly signed notification is refused ("fail") and
// nothing is queued, whatever its id.
func TestReplayAndStaleness(t *testing.T) {
	fake, err := fakealipay.New(fakealipay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// notification is the body of a refund notification numbered id about
	// refund no, sent (notify_time) at sent.
	notification := func(id, no string, sent time.Time) string {
		v := refundNotification(fake.AppID())
		v.Set("notify_id", id)
		v.Set("out_biz_no", no)
		v.Set("notify_time", sent.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05"))
		return fake.SignNotification(v).Encode()
	}
	first := notification("N1", "as_01-1", start)
	resent := notification("N1", "as_01-1", start.Add(4*time.Minute))
	captured := notification("N2", "as_02-1", start)
	dated2020 := notification("N3", "as_01-1", time.Date(2020, 3, 1, 2, 0, 2, 0, time.UTC))
	later := notification("N4", "as_04-1", start.Add(30*time.Hour))

	steps := []struct {
		name     string
		body     string
		received time.Duration // after start
		status   int
		answer   string
		queued   []string // every notification queued so far
	}{
		{"a refund notification", first, 3 * time.Second, http.StatusOK, "success", []string{"N1"}},
		{"Alipay's resend of it", resent, 4 * time.Minute, http.StatusOK, "success", []string{"N1"}},
		{"the first request replayed a day later", first, 24 * time.Hour, http.StatusOK, "success", []string{"N1"}},
		{"the first request replayed after 25 hours", first, alipay.MaxNotificationAge + time.Second, http.StatusUnauthorized, "fail", []string{"N1"}},
		{"another refund's notification, captured and replayed after 25 hours", captured, alipay.MaxNotificationAge + time.Second,
			http.StatusUnauthorized, "fail", []string{"N1"}},
		{"a correctly signed notification dated 2020", dated2020, 26 * time.Hour, http.StatusUnauthorized, "fail", []string{"N1"}},
		{"a fresh notification of another refund", later, 30*time.Hour + 3*time.Second, http.StatusOK, "success", []string{"N1", "N4"}},
	}
	clock := storetest.NewFakeClock(start)
	store := memstore.New(clock)
	q := &storetest.NoticeQueue{}
	parser, err := alipay.NewNotifications(fake.Settings(""), clock)
	if err != nil {
		t.Fatal(err)
	}
	h := &payhook.Handler{Provider: "alipay", Parser: parser, Answer: payhook.Alipay,
		Notices: &refunds.Service{Notifications: store, Notices: q, Clock: clock}}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clock.Set(start.Add(st.received))
			req := httptest.NewRequest("POST", "/webhooks/alipay", strings.NewReader(st.body))
			req.Header = formHeader.Clone()
			rec := httptest.NewRecorder()
			apigw.Middleware(slog.New(slog.DiscardHandler), h).ServeHTTP(rec, req)
			if rec.Code != st.status || rec.Body.String() != st.answer {
				t.Fatalf("answered %d %q, want %d %q", rec.Code, rec.Body, st.status, st.answer)
			}
			if got := q.Queued(func(n aftersales.RefundNotice) string { return n.NotificationID }); !slices.Equal(got, st.queued) {
				t.Fatalf("queued %v, want %v", got, st.queued)
			}
		})
	}
}
