package alipay_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/alipay"
)

// formHeader is the header Alipay posts notifications with.
var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}

// refundNotification is a refund notification as Alipay sends it (the
// fields of a TRADE_CLOSED after a full refund), unsigned.
func refundNotification(appID string) url.Values {
	return url.Values{
		"notify_time":    {"2026-03-01 10:00:02"},
		"notify_type":    {"trade_status_sync"},
		"notify_id":      {"2026030100222100002012345678901234"},
		"app_id":         {appID},
		"charset":        {"utf-8"},
		"version":        {"1.0"},
		"trade_no":       {"2026030122001446880500012345"},
		"out_trade_no":   {"o-1"},
		"out_biz_no":     {"as_01HZX5-1"},
		"buyer_id":       {"2088102177846880"},
		"buyer_logon_id": {"159****5620"},
		"trade_status":   {"TRADE_CLOSED"},
		"total_amount":   {"99.00"},
		"refund_fee":     {"99.00"},
		"subject":        {"T恤 x1 & 袜子+1"},
		"fund_bill_list": {`[{"amount":"99.00","fundChannel":"ALIPAYACCOUNT"}]`},
		"gmt_payment":    {"2026-02-28 20:00:00"},
		"gmt_refund":     {"2026-03-01 10:00:00.320"},
	}
}

func TestNotificationsParse(t *testing.T) {
	fake, err := fakealipay.New(fakealipay.Options{Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	forger, err := fakealipay.New(fakealipay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The gateway the verifier is configured with: nothing may call it.
	var gatewayHits atomic.Int32
	gateway := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { gatewayHits.Add(1) }))
	t.Cleanup(gateway.Close)
	// sent is the notification's notify_time.
	sent := start.Add(2 * time.Second)

	signed := func(edit func(url.Values)) string {
		v := refundNotification(fake.AppID())
		if edit != nil {
			edit(v)
		}
		return fake.SignNotification(v).Encode()
	}
	tamper := func(edit func(url.Values)) string {
		v := fake.SignNotification(refundNotification(fake.AppID()))
		edit(v)
		return v.Encode()
	}
	wantNotice := aftersales.RefundNotice{
		Channel:        aftersales.ChannelAlipay,
		NotificationID: "2026030100222100002012345678901234",
		OutRefundNo:    "as_01HZX5-1",
		RefundResult: aftersales.RefundResult{
			State:            aftersales.StateSucceeded,
			ProviderRefundID: "2026030122001446880500012345",
			ArrivedAt:        start.Add(320 * time.Millisecond),
		},
	}

	tests := []struct {
		name     string
		header   http.Header
		body     string
		received time.Duration // after sent; zero means 3 s
		want     aftersales.RefundNotice
		wantKind aftersales.Kind
		wantIs   error
	}{
		{name: "valid refund notification", header: formHeader, body: signed(nil), want: wantNotice},
		{name: "received 25 hours after it was sent", header: formHeader, body: signed(nil), received: alipay.MaxNotificationAge,
			want: wantNotice},
		{name: "received 25 hours and 1 second after it was sent", header: formHeader, body: signed(nil),
			received: alipay.MaxNotificationAge + time.Second, wantKind: aftersales.KindUnauthenticated},
		{name: "re-signed, dated 2020", header: formHeader,
			body: signed(func(v url.Values) {
				v.Set("notify_time", "2020-03-01 10:00:02")
				v.Set("gmt_refund", "2020-03-01 10:00:00.320")
			}),
			wantKind: aftersales.KindUnauthenticated},
		{name: "sent an hour ahead of our clock (only Alipay can sign it)", header: formHeader, body: signed(nil), received: -time.Hour,
			want: wantNotice},
		{name: "no notify_time", header: formHeader,
			body:     signed(func(v url.Values) { v.Del("notify_time") }),
			wantKind: aftersales.KindInvalid},
		{name: "notify_time not a time", header: formHeader,
			body:     signed(func(v url.Values) { v.Set("notify_time", "2026-03-01T10:00:02+08:00") }),
			wantKind: aftersales.KindInvalid},
		{name: "valid without a content type", header: http.Header{}, body: signed(nil), want: wantNotice},
		{name: "valid with an empty parameter", header: formHeader,
			body: signed(func(v url.Values) { v.Set("passback_params", "") }), want: wantNotice},
		{name: "forged: signed with another key", header: formHeader,
			body:     forger.SignNotification(refundNotification(fake.AppID())).Encode(),
			wantKind: aftersales.KindUnauthenticated},
		{name: "tampered refund number", header: formHeader,
			body:     tamper(func(v url.Values) { v.Set("out_biz_no", "as_01OTHER-1") }),
			wantKind: aftersales.KindUnauthenticated},
		{name: "tampered refund fee", header: formHeader,
			body:     tamper(func(v url.Values) { v.Set("refund_fee", "9900.00") }),
			wantKind: aftersales.KindUnauthenticated},
		{name: "parameter added after signing", header: formHeader,
			body:     tamper(func(v url.Values) { v.Set("refund_status", "REFUND_SUCCESS") }),
			wantKind: aftersales.KindUnauthenticated},
		{name: "parameter removed after signing", header: formHeader,
			body:     tamper(func(v url.Values) { v.Del("subject") }),
			wantKind: aftersales.KindUnauthenticated},
		{name: "unsigned", header: formHeader,
			body:     tamper(func(v url.Values) { v.Del("sign") }),
			wantKind: aftersales.KindUnauthenticated},
		{name: "sign type other than RSA2", header: formHeader,
			body:     tamper(func(v url.Values) { v.Set("sign_type", "RSA") }),
			wantKind: aftersales.KindUnauthenticated},
		{name: "signature not base64", header: formHeader,
			body:     tamper(func(v url.Values) { v.Set("sign", "not base64!") }),
			wantKind: aftersales.KindUnauthenticated},
		{name: "certificate serial number of a forger", header: formHeader,
			body: func() string {
				v := refundNotification(fake.AppID())
				v.Set("alipay_cert_sn", "0123456789abcdef0123456789abcdef")
				return forger.SignNotification(v).Encode()
			}(),
			wantKind: aftersales.KindUnauthenticated},
		{name: "payment notification is not a refund", header: formHeader,
			body: signed(func(v url.Values) {
				v.Set("trade_status", "TRADE_SUCCESS")
				v.Del("out_biz_no")
				v.Del("refund_fee")
				v.Del("gmt_refund")
			}),
			wantKind: aftersales.KindInvalid, wantIs: alipay.ErrNotRefund},
		{name: "other notify type is not a refund", header: formHeader,
			body:     signed(func(v url.Values) { v.Set("notify_type", "fund_auth_freeze") }),
			wantKind: aftersales.KindInvalid, wantIs: alipay.ErrNotRefund},
		{name: "for another app", header: formHeader,
			body:     signed(func(v url.Values) { v.Set("app_id", "2021999999999999") }),
			wantKind: aftersales.KindInvalid},
		{name: "no notify_id", header: formHeader,
			body:     signed(func(v url.Values) { v.Del("notify_id") }),
			wantKind: aftersales.KindInvalid},
		{name: "refund fee not an amount", header: formHeader,
			body:     signed(func(v url.Values) { v.Set("refund_fee", "99.999") }),
			wantKind: aftersales.KindInvalid},
		{name: "refund time not a time", header: formHeader,
			body:     signed(func(v url.Values) { v.Set("gmt_refund", "2026-03-01T10:00:00+08:00") }),
			wantKind: aftersales.KindInvalid},
		{name: "body not a form", header: formHeader, body: "sign=%zz",
			wantKind: aftersales.KindInvalid},
		{name: "JSON body", header: http.Header{"Content-Type": {"application/json"}}, body: signed(nil),
			wantKind: aftersales.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			received := 3 * time.Second
			if tt.received != 0 {
				received = tt.received
			}
			n, err := alipay.NewNotifications(fake.Settings(gateway.URL), fixedClock(sent.Add(received)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := n.Parse(context.Background(), tt.header, []byte(tt.body))
			if tt.wantKind == aftersales.KindInternal { // success expected
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if got != tt.want {
					t.Fatalf("got %+v\nwant %+v", got, tt.want)
				}
				return
			}
			if k := aftersales.KindOf(err); k != tt.wantKind {
				t.Fatalf("kind %v, want %v (err %v)", k, tt.wantKind, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("errors.Is(%v, %v) is false", err, tt.wantIs)
			}
			if got != (aftersales.RefundNotice{}) {
				t.Fatalf("a refused notification returned %+v", got)
			}
		})
	}
	if hits := gatewayHits.Load(); hits != 0 {
		t.Fatalf("verifying notifications called the gateway %d times", hits)
	}
}

// fixedClock is a clock that stands still.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// fixtureNotified is the notify_time of events/webhooks/alipay-refund.json.
var fixtureNotified = time.Date(2026, 11, 27, 10, 0, 1, 0, time.UTC)

// TestNotificationFixture checks events/webhooks/alipay-refund.json: with
// its placeholders filled ({{case_id}}, then {{alipay_sign}} computed over
// the other parameters with the fake's Alipay key), it verifies and decodes.
func TestNotificationFixture(t *testing.T) {
	raw, err := os.ReadFile("../../events/webhooks/alipay-refund.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	fake, err := fakealipay.New(fakealipay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := strings.ReplaceAll(ev.Body, "{{case_id}}", "as_01JDXYZ")
	v, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	if v.Get("sign") != "{{alipay_sign}}" {
		t.Fatalf("the fixture's sign is %q, want the {{alipay_sign}} placeholder", v.Get("sign"))
	}
	n, err := alipay.NewNotifications(fake.Settings(""), fixedClock(fixtureNotified))
	if err != nil {
		t.Fatal(err)
	}
	got, err := n.Parse(context.Background(), http.Header{"Content-Type": {ev.Headers["content-type"]}},
		[]byte(fake.SignNotification(v).Encode()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.OutRefundNo != "as_01JDXYZ-1" || got.State != aftersales.StateSucceeded ||
		!got.ArrivedAt.Equal(time.Date(2026, 11, 27, 10, 0, 0, 320e6, time.UTC)) {
		t.Fatalf("got %+v", got)
	}
}
