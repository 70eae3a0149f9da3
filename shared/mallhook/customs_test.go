package mallhook

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
)

// fakeCustoms is a hand-written fake of the cases use case's customs port:
// it records the events it is given and answers a case for those that
// refund.
type fakeCustoms struct{ got []aftersales.CustomsEvent }

func (f *fakeCustoms) Customs(_ context.Context, ev aftersales.CustomsEvent) (aftersales.CreateResult, error) {
	f.got = append(f.got, ev)
	if !ev.Refunds() {
		return aftersales.CreateResult{}, nil
	}
	return aftersales.CreateResult{Case: &aftersales.Case{ID: "as_auto"}}, nil
}

// TestCustomsHandler (F17): only a signed, fresh, valid customs event is
// handed on; a refund owed answers its case, none owed 204.
func TestCustomsHandler(t *testing.T) {
	failed := `{"event_id":"c-1","order_id":"o-1","status":"clearance_failed","detail":"licence missing","at":"2026-11-27T09:30:00Z"}`
	tests := []struct {
		name   string
		body   string
		key    string
		signed time.Time
		status int
		field  string // named by a 422
		want   *aftersales.CustomsEvent
	}{
		{"clearance failed", failed, secret, now, http.StatusOK, "",
			&aftersales.CustomsEvent{EventID: "c-1", OrderID: "o-1", Status: aftersales.CustomsFailed, Detail: "licence missing", At: now.Add(-30 * time.Minute)}},
		{"cleared", strings.Replace(failed, "clearance_failed", "cleared", 1), secret, now, http.StatusNoContent, "",
			&aftersales.CustomsEvent{EventID: "c-1", OrderID: "o-1", Status: aftersales.CustomsCleared, Detail: "licence missing", At: now.Add(-30 * time.Minute)}},
		{"another secret", failed, "not-the-mall", now, http.StatusUnauthorized, "", nil},
		{"signed 6 minutes ago", failed, secret, now.Add(-6 * time.Minute), http.StatusUnauthorized, "", nil},
		{"unknown status", strings.Replace(failed, "clearance_failed", "lost", 1), secret, now, http.StatusUnprocessableEntity, "status", nil},
		{"no time", strings.Replace(failed, `,"at":"2026-11-27T09:30:00Z"`, "", 1), secret, now, http.StatusUnprocessableEntity, "at", nil},
		{"an unknown field", strings.Replace(failed, `"detail"`, `"details"`, 1), secret, now, http.StatusUnprocessableEntity, "body", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeCustoms{}
			h := &CustomsHandler{Secret: secret, Customs: f, Clock: fixedClock(now)}
			req := signedRequest([]byte(tc.body), tc.key, tc.signed)
			rec := httptest.NewRecorder()
			apigw.Middleware(slog.New(slog.DiscardHandler), h).ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tc.field+`"`) {
				t.Errorf("problem %s does not name %s", rec.Body, tc.field)
			}
			if tc.status == http.StatusOK && !strings.Contains(rec.Body.String(), `"case_id":"as_auto"`) {
				t.Errorf("answer %s, want the case id", rec.Body)
			}
			switch {
			case tc.want == nil && len(f.got) != 0:
				t.Errorf("handed on %+v, want nothing", f.got)
			case tc.want != nil && (len(f.got) != 1 || f.got[0] != *tc.want):
				t.Errorf("handed on %+v, want %+v", f.got, *tc.want)
			}
		})
	}
}
