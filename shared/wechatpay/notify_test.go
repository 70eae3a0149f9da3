package wechatpay_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// resourceJSON is a refund notification's plaintext resource.
func resourceJSON(t *testing.T, status string, change func(m map[string]any)) []byte {
	t.Helper()
	m := map[string]any{
		"mchid":                 fakewechat.DefaultMchID,
		"transaction_id":        "4200000001",
		"out_trade_no":          "o-1",
		"refund_id":             "50300000000000000000000000007",
		"out_refund_no":         "as_01-1",
		"refund_status":         status,
		"user_received_account": "支付用户零钱",
		"amount":                map[string]any{"total": 19800, "refund": 9900, "payer_total": 19800, "payer_refund": 9900},
	}
	if status == "SUCCESS" {
		m["success_time"] = "2031-03-01T09:59:58+08:00" // t0 - 2 s, Beijing time
	}
	if change != nil {
		change(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNotificationsParse(t *testing.T) {
	k, other := testKeys(t)
	fake, err := fakewechat.New(fakewechat.Options{Keys: &k, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	seal := func(t *testing.T, event string, plain []byte) (http.Header, []byte) {
		t.Helper()
		h, body, err := fake.SealNotification(event, "退款", plain)
		if err != nil {
			t.Fatal(err)
		}
		return h, body
	}
	resign := func(t *testing.T, body []byte) http.Header {
		t.Helper()
		h, err := fake.SignHeaders(body)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	valid := func(t *testing.T) (http.Header, []byte) {
		return seal(t, wechatpay.EventRefundSuccess, resourceJSON(t, "SUCCESS", nil))
	}

	tests := []struct {
		name     string
		build    func(t *testing.T) (http.Header, []byte)
		clock    time.Time // the receiver's clock; zero means t0
		apiV3Key string    // the receiver's key; empty means the right one
		wantKind aftersales.Kind
		want     aftersales.RefundResult // when wantKind is KindInternal (no error)
	}{
		{
			name:  "valid success",
			build: valid,
			want: aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "50300000000000000000000000007",
				Account: "支付用户零钱", ArrivedAt: t0.Add(-2 * time.Second)},
		},
		{
			name: "valid closed",
			build: func(t *testing.T) (http.Header, []byte) {
				return seal(t, wechatpay.EventRefundClosed, resourceJSON(t, "CLOSED", nil))
			},
			want: aftersales.RefundResult{State: aftersales.StateClosed, ProviderRefundID: "50300000000000000000000000007", Account: "支付用户零钱"},
		},
		{
			name: "valid abnormal",
			build: func(t *testing.T) (http.Header, []byte) {
				return seal(t, wechatpay.EventRefundAbnormal, resourceJSON(t, "ABNORMAL", nil))
			},
			want: aftersales.RefundResult{State: aftersales.StateAbnormal, ProviderRefundID: "50300000000000000000000000007", Account: "支付用户零钱"},
		},
		{
			name:  "signed four minutes ago",
			build: valid,
			clock: t0.Add(4 * time.Minute),
			want: aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "50300000000000000000000000007",
				Account: "支付用户零钱", ArrivedAt: t0.Add(-2 * time.Second)},
		},
		{
			name: "forged signature (another key, our key id)",
			build: func(t *testing.T) (http.Header, []byte) {
				h, body := valid(t)
				msg := h.Get("Wechatpay-Timestamp") + "\n" + h.Get("Wechatpay-Nonce") + "\n" + string(body) + "\n"
				sig, err := utils.SignSHA256WithRSA(msg, other.PlatformPrivateKey)
				if err != nil {
					t.Fatal(err)
				}
				h.Set("Wechatpay-Signature", sig)
				return h, body
			},
			wantKind: aftersales.KindUnauthenticated,
		},
		{
			name: "tampered body",
			build: func(t *testing.T) (http.Header, []byte) {
				h, body := valid(t)
				return h, []byte(strings.Replace(string(body), `"REFUND.SUCCESS"`, `"REFUND.CLOSED"`, 1))
			},
			wantKind: aftersales.KindUnauthenticated,
		},
		{
			name: "wrong serial",
			build: func(t *testing.T) (http.Header, []byte) {
				h, body := valid(t)
				h.Set("Wechatpay-Serial", other.PublicKeyID)
				return h, body
			},
			wantKind: aftersales.KindUnauthenticated,
		},
		{name: "six minutes old", build: valid, clock: t0.Add(6 * time.Minute), wantKind: aftersales.KindUnauthenticated},
		{name: "six minutes in the future", build: valid, clock: t0.Add(-6 * time.Minute), wantKind: aftersales.KindUnauthenticated},
		{
			name: "no signature",
			build: func(t *testing.T) (http.Header, []byte) {
				h, body := valid(t)
				h.Del("Wechatpay-Signature")
				return h, body
			},
			wantKind: aftersales.KindUnauthenticated,
		},
		{
			name: "signature probe",
			build: func(t *testing.T) (http.Header, []byte) {
				// WeChat Pay sends these to check that merchants verify.
				h, body := valid(t)
				h.Set("Wechatpay-Signature", "WECHATPAY/SIGNTEST/"+h.Get("Wechatpay-Signature"))
				return h, body
			},
			wantKind: aftersales.KindUnauthenticated,
		},
		{
			name: "timestamp not a number",
			build: func(t *testing.T) (http.Header, []byte) {
				h, body := valid(t)
				h.Set("Wechatpay-Timestamp", "yesterday")
				return h, body
			},
			wantKind: aftersales.KindUnauthenticated,
		},
		{
			name: "bad ciphertext, correctly signed",
			build: func(t *testing.T) (http.Header, []byte) {
				_, body := valid(t)
				var env map[string]any
				if err := json.Unmarshal(body, &env); err != nil {
					t.Fatal(err)
				}
				res := env["resource"].(map[string]any)
				ct := []byte(res["ciphertext"].(string))
				ct[5] ^= 'A' ^ 'B' // still base64, no longer the sealed bytes
				if ct[5] == '=' || ct[5] == '+' {
					ct[5] = 'Q'
				}
				res["ciphertext"] = string(ct)
				body, err := json.Marshal(env)
				if err != nil {
					t.Fatal(err)
				}
				return resign(t, body), body
			},
			wantKind: aftersales.KindInvalid,
		},
		{name: "another APIv3 key", build: valid, apiV3Key: other.APIv3Key, wantKind: aftersales.KindInvalid},
		{
			name: "not a refund event",
			build: func(t *testing.T) (http.Header, []byte) {
				return seal(t, "TRANSACTION.SUCCESS", resourceJSON(t, "SUCCESS", nil))
			},
			wantKind: aftersales.KindInvalid,
		},
		{
			name: "event and status disagree",
			build: func(t *testing.T) (http.Header, []byte) {
				return seal(t, wechatpay.EventRefundSuccess, resourceJSON(t, "CLOSED", nil))
			},
			wantKind: aftersales.KindInvalid,
		},
		{
			name: "another merchant's refund",
			build: func(t *testing.T) (http.Header, []byte) {
				return seal(t, wechatpay.EventRefundSuccess, resourceJSON(t, "SUCCESS", func(m map[string]any) { m["mchid"] = "1900000999" }))
			},
			wantKind: aftersales.KindInvalid,
		},
		{
			name: "no refund number",
			build: func(t *testing.T) (http.Header, []byte) {
				return seal(t, wechatpay.EventRefundSuccess, resourceJSON(t, "SUCCESS", func(m map[string]any) { delete(m, "out_refund_no") }))
			},
			wantKind: aftersales.KindInvalid,
		},
		{
			name: "resource not JSON",
			build: func(t *testing.T) (http.Header, []byte) {
				return seal(t, wechatpay.EventRefundSuccess, []byte("refund ok"))
			},
			wantKind: aftersales.KindInvalid,
		},
		{
			name: "body not JSON, correctly signed",
			build: func(t *testing.T) (http.Header, []byte) {
				body := []byte("<xml>refund</xml>")
				return resign(t, body), body
			},
			wantKind: aftersales.KindInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := fake.Settings("", "")
			if tt.apiV3Key != "" {
				settings.APIv3Key = tt.apiV3Key
			}
			now := t0
			if !tt.clock.IsZero() {
				now = tt.clock
			}
			n, err := wechatpay.NewNotifications(settings, fixedClock(now))
			if err != nil {
				t.Fatal(err)
			}
			h, body := tt.build(t)
			got, err := n.Parse(context.Background(), h, body)
			if tt.wantKind != aftersales.KindInternal {
				if aftersales.KindOf(err) != tt.wantKind {
					t.Fatalf("err = %v, want kind %s", err, tt.wantKind)
				}
				t.Log(err)
				if got != (aftersales.RefundNotice{}) {
					t.Errorf("returned %+v with the error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var env struct{ ID string }
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatal(err)
			}
			want := aftersales.RefundNotice{Channel: aftersales.ChannelWeChatPay, NotificationID: env.ID, OutRefundNo: "as_01-1", RefundResult: tt.want}
			if env.ID == "" || got != want {
				t.Fatalf("Parse = %+v,\nwant    %+v", got, want)
			}
			if got.State == aftersales.StateSucceeded && got.ArrivedAt.Location() != time.UTC {
				t.Errorf("ArrivedAt %v is not UTC", got.ArrivedAt)
			}
		})
	}
}

func TestNewNotificationsRefusesIncompleteSettings(t *testing.T) {
	k, _ := testKeys(t)
	tests := []struct {
		name   string
		change func(c *wechatpay.Settings)
	}{
		{"short APIv3 key", func(c *wechatpay.Settings) { c.APIv3Key = "0123456789" }},
		{"no public key id", func(c *wechatpay.Settings) { c.PublicKeyID = " " }},
		{"no public key", func(c *wechatpay.Settings) { c.PublicKeyPEM = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := merchantSettings(k, "")
			tt.change(&settings)
			if _, err := wechatpay.NewNotifications(settings, nil); err == nil {
				t.Fatal("NewNotifications accepted it")
			}
		})
	}
}
