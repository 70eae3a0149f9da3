package mallhook

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"

	fixtures "github.com/aftersales/aftersales/events"
)

// fakeOrders records the snapshots handed on and answers that they were
// stored, or ignored when stale is set.
type fakeOrders struct {
	stale bool
	err   error
	got   []*aftersales.Order
}

func (f *fakeOrders) PutOrder(_ context.Context, o *aftersales.Order) (bool, error) {
	f.got = append(f.got, o)
	return f.err == nil && !f.stale, f.err
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

const secret = "mall-secret"

// orderBody is a valid snapshot; orderOf is what it decodes to.
const orderBody = `{"order_id":"o-1","version":3,"event_id":"ev-3","buyer_id":"b-1","status":"paid","paid_at":"2026-11-27T09:00:00Z","currency":"CNY",
	"payment":{"channel":"alipay","transaction_id":"t-1","amount":100},
	"lines":[{"line_id":"l1","sku":"s","name":"n","kind":"physical","quantity":1,"unit_price":100,"paid_amount":100}],"fees":{}}`

func orderOf() *aftersales.Order {
	return &aftersales.Order{ID: "o-1", Version: 3, EventID: "ev-3", BuyerID: "b-1", Status: aftersales.OrderPaid, PaidAt: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
		Currency: "CNY", Payment: aftersales.Payment{Channel: aftersales.ChannelAlipay, TransactionID: "t-1", Amount: 100},
		Lines: []aftersales.OrderLine{{LineID: "l1", SKU: "s", Name: "n", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 100, PaidAmount: 100}}}
}

// signedRequest is a POST of body signed with key at t.
func signedRequest(body []byte, key string, t time.Time) *http.Request {
	req := httptest.NewRequest("POST", "/webhooks/mall/orders", bytes.NewReader(body))
	ts, sig := Sign(key, t, body)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, sig)
	return req
}

// serve runs the handler on req behind the webhooks function's middleware.
func serve(h *Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	apigw.Middleware(slog.New(slog.DiscardHandler), h).ServeHTTP(rec, req)
	return rec
}

// TestHandler: only a signed, fresh, valid snapshot is stored; each refusal
// has its status and names what is wrong.
func TestHandler(t *testing.T) {
	unsigned := httptest.NewRequest("POST", "/webhooks/mall/orders", strings.NewReader(orderBody))
	tests := []struct {
		name     string
		req      *http.Request
		storeErr error
		stale    bool // the use case finds the stored snapshot as new or newer
		status   int
		field    string // the field a 422 names
		stored   bool   // handed to the use case
	}{
		{name: "stored", req: signedRequest([]byte(orderBody), secret, now), status: http.StatusNoContent, stored: true},
		{name: "signed 4 minutes ago", req: signedRequest([]byte(orderBody), secret, now.Add(-4*time.Minute)), status: http.StatusNoContent, stored: true},
		{name: "not newer than the stored one: acknowledged", req: signedRequest([]byte(orderBody), secret, now), stale: true,
			status: http.StatusNoContent, stored: true},
		{name: "signed 6 minutes ago", req: signedRequest([]byte(orderBody), secret, now.Add(-6*time.Minute)), status: http.StatusUnauthorized},
		{name: "signed with another secret", req: signedRequest([]byte(orderBody), "guess", now), status: http.StatusUnauthorized},
		{name: "not signed", req: unsigned, status: http.StatusUnauthorized},
		{name: "not a snapshot", req: signedRequest([]byte(`{"order_id":"o-1","surprise":1}`), secret, now),
			status: http.StatusUnprocessableEntity, field: "body"},
		{name: "no version", req: signedRequest([]byte(strings.Replace(orderBody, `"version":3,`, "", 1)), secret, now),
			status: http.StatusUnprocessableEntity, field: "version"},
		{name: "a version of 0", req: signedRequest([]byte(strings.Replace(orderBody, `"version":3`, `"version":0`, 1)), secret, now),
			status: http.StatusUnprocessableEntity, field: "version"},
		{name: "a version as text", req: signedRequest([]byte(strings.Replace(orderBody, `"version":3`, `"version":"3"`, 1)), secret, now),
			status: http.StatusUnprocessableEntity, field: "body"},
		{name: "a fractional version", req: signedRequest([]byte(strings.Replace(orderBody, `"version":3`, `"version":3.5`, 1)), secret, now),
			status: http.StatusUnprocessableEntity, field: "body"},
		{name: "no event id", req: signedRequest([]byte(strings.Replace(orderBody, `"event_id":"ev-3",`, "", 1)), secret, now),
			status: http.StatusUnprocessableEntity, field: "event_id"},
		{name: "an invalid line", req: signedRequest([]byte(strings.Replace(orderBody, `"physical"`, `"spaceship"`, 1)), secret, now),
			status: http.StatusUnprocessableEntity, field: "lines[0].kind"},
		{name: "a body over 256 KiB", req: signedRequest(bytes.Repeat([]byte(" "), maxBody+1), secret, now), status: http.StatusUnprocessableEntity},
		{name: "the store is down", req: signedRequest([]byte(orderBody), secret, now), storeErr: aftersales.E(aftersales.KindTransient, "db", "throttled"),
			status: http.StatusServiceUnavailable, stored: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orders := &fakeOrders{err: tt.storeErr, stale: tt.stale}
			rec := serve(&Handler{Secret: secret, Orders: orders, Clock: fixedClock(now)}, tt.req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.stored != (len(orders.got) == 1) || (tt.stored && !reflect.DeepEqual(orders.got[0], orderOf())) {
				t.Errorf("stored %+v, want stored=%v", orders.got, tt.stored)
			}
			if tt.status == http.StatusNoContent {
				return
			}
			var p struct {
				Status int `json:"status"`
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			if rec.Header().Get("Content-Type") != apigw.ProblemContentType || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != tt.status {
				t.Fatalf("not a problem: %s", rec.Body)
			}
			if tt.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.field) {
				t.Errorf("errors %+v, want %s named", p.Errors, tt.field)
			}
		})
	}
}

// TestReplayFixture sends events/webhooks/mall-order.json, signed now, as
// API Gateway delivers it.
func TestReplayFixture(t *testing.T) {
	var ev events.APIGatewayV2HTTPRequest
	fixtures.Load(t, "webhooks/mall-order.json", nil, &ev)
	ev.Headers["x-mall-timestamp"], ev.Headers["x-mall-signature"] = Sign(secret, now, []byte(ev.Body))
	req, err := apigw.RequestFromEvent(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	orders := &fakeOrders{}
	if rec := serve(&Handler{Secret: secret, Orders: orders, Clock: fixedClock(now)}, req); rec.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if len(orders.got) != 1 {
		t.Fatalf("stored %d orders", len(orders.got))
	}
	o := orders.got[0]
	if o.ID != "o-2001" || o.Version != 1 || o.EventID == "" || o.BuyerID != "buyer-1" || o.BuyerPhone != "13800000000" || o.Payment.Amount != 19800 ||
		len(o.Lines) != 1 || o.Lines[0].Quantity != 2 || o.Lines[0].Category != "apparel" || !o.ShippedAt.IsZero() {
		t.Errorf("stored %+v", o)
	}
}
