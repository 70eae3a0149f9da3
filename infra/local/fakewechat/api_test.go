package fakewechat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
)

// TestAuthorization: only requests signed with the merchant's key, for this
// merchant, over exactly what was sent, are served; the others get 401
// SIGN_ERROR and change nothing.
func TestAuthorization(t *testing.T) {
	k, other := testKeys(t)
	const path = "/v3/refund/domestic/refunds"
	body := createBody("as_10-1", "4200000010", 100, 19800)
	tests := []struct {
		name       string
		method     string
		path       string
		auth       func(c rawClient) string
		sendBody   string
		wantStatus int
		wantCode   string
	}{
		{name: "signed by the merchant", auth: func(c rawClient) string { return c.authorization("POST", path, body) }, wantStatus: 200},
		{name: "no authorization", auth: func(rawClient) string { return "" }, wantStatus: 401, wantCode: "SIGN_ERROR"},
		{name: "another key", auth: func(c rawClient) string { c.key = other.MchPrivateKey; return c.authorization("POST", path, body) }, wantStatus: 401, wantCode: "SIGN_ERROR"},
		{name: "another serial", auth: func(c rawClient) string { c.serial = other.MchSerialNo; return c.authorization("POST", path, body) }, wantStatus: 401, wantCode: "SIGN_ERROR"},
		{name: "another merchant", auth: func(c rawClient) string { c.mchID = "1900000999"; return c.authorization("POST", path, body) }, wantStatus: 401, wantCode: "SIGN_ERROR"},
		{name: "body changed after signing", auth: func(c rawClient) string { return c.authorization("POST", path, body) },
			sendBody: strings.Replace(body, `"refund":100`, `"refund":19800`, 1), wantStatus: 401, wantCode: "SIGN_ERROR"},
		{name: "signed for another path", auth: func(c rawClient) string { return c.authorization("POST", path+"?x=1", body) }, wantStatus: 401, wantCode: "SIGN_ERROR"},
		{name: "another scheme", auth: func(c rawClient) string {
			return strings.Replace(c.authorization("POST", path, body), "WECHATPAY2-SHA256-RSA2048", "WECHATPAY2-SM2-WITH-SM3", 1)
		}, wantStatus: 401, wantCode: "SIGN_ERROR"},
		{name: "query unsigned", method: "GET", path: path + "/as_10-1", auth: func(rawClient) string { return "" }, wantStatus: 401, wantCode: "SIGN_ERROR"},
		{name: "query of an unknown refund", method: "GET", path: path + "/as_10-1", auth: func(c rawClient) string { return c.authorization("GET", path+"/as_10-1", "") },
			wantStatus: 404, wantCode: "RESOURCE_NOT_EXISTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fakewechat.Options{})
			c := rawClient{t: t, base: e.srv.URL, key: k.MchPrivateKey, serial: k.MchSerialNo, mchID: fakewechat.DefaultMchID}
			method, p, send := "POST", path, body
			if tt.method != "" {
				method, p, send = tt.method, tt.path, ""
			}
			if tt.sendBody != "" {
				send = tt.sendBody
			}
			status, code, resp, raw := c.do(method, p, send, tt.auth(c))
			if status != tt.wantStatus || code != tt.wantCode {
				t.Fatalf("answer %d %q (%s), want %d %q", status, code, raw, tt.wantStatus, tt.wantCode)
			}
			// Every answer, refusals included, is signed by the platform.
			msg := resp.Header.Get("Wechatpay-Timestamp") + "\n" + resp.Header.Get("Wechatpay-Nonce") + "\n" + string(raw) + "\n"
			v := verifiers.NewSHA256WithRSAPubkeyVerifier(k.PublicKeyID, k.PlatformPrivateKey.PublicKey)
			if err := v.Verify(context.Background(), resp.Header.Get("Wechatpay-Serial"), msg, resp.Header.Get("Wechatpay-Signature")); err != nil {
				t.Errorf("the answer's signature: %v", err)
			}
			wantRefunds := 0
			if status == 200 {
				wantRefunds = 1
			}
			if st := e.fake.Stats(); st.Refunds != wantRefunds {
				t.Errorf("%d refunds recorded, want %d", st.Refunds, wantRefunds)
			}
		})
	}
}

// TestRequestValidation: malformed requests get PARAM_ERROR, requests
// against the rules INVALID_REQUEST, as WeChat Pay answers them.
func TestRequestValidation(t *testing.T) {
	k, _ := testKeys(t)
	const path = "/v3/refund/domestic/refunds"
	tests := []struct {
		name     string
		before   []string // bodies sent first, each must be accepted
		body     string
		wantCode string
	}{
		{name: "not JSON", body: `refund=1`, wantCode: "PARAM_ERROR"},
		{name: "no refund number", body: createBody("", "4200000011", 100, 19800), wantCode: "PARAM_ERROR"},
		{name: "refund number with a space", body: createBody("as 1", "4200000011", 100, 19800), wantCode: "PARAM_ERROR"},
		{name: "no transaction", body: createBody("as_11-1", "", 100, 19800), wantCode: "PARAM_ERROR"},
		{name: "zero refund", body: createBody("as_11-1", "4200000011", 0, 19800), wantCode: "PARAM_ERROR"},
		{name: "refund above total", body: createBody("as_11-1", "4200000011", 19801, 19800), wantCode: "PARAM_ERROR"},
		{name: "not CNY", body: strings.Replace(createBody("as_11-1", "4200000011", 100, 19800), "CNY", "USD", 1), wantCode: "PARAM_ERROR"},
		{name: "reason too long", body: strings.Replace(createBody("as_11-1", "4200000011", 100, 19800), "质量问题", strings.Repeat("长", 81), 1), wantCode: "PARAM_ERROR"},
		{
			name:     "refunds past the total",
			before:   []string{createBody("as_11-1", "4200000011", 10000, 19800)},
			body:     createBody("as_11-2", "4200000011", 9801, 19800),
			wantCode: "INVALID_REQUEST",
		},
		{
			name:     "total unlike the first refund's",
			before:   []string{createBody("as_11-1", "4200000011", 100, 19800)},
			body:     createBody("as_11-2", "4200000011", 100, 29800),
			wantCode: "INVALID_REQUEST",
		},
		{
			name:     "number reused with another amount",
			before:   []string{createBody("as_11-1", "4200000011", 100, 19800)},
			body:     createBody("as_11-1", "4200000011", 200, 19800),
			wantCode: "INVALID_REQUEST",
		},
		{
			name:     "number reused for another transaction",
			before:   []string{createBody("as_11-1", "4200000011", 100, 19800)},
			body:     createBody("as_11-1", "4200000012", 100, 19800),
			wantCode: "INVALID_REQUEST",
		},
		{
			name:   "refunds up to the total exactly",
			before: []string{createBody("as_11-1", "4200000011", 10000, 19800)},
			body:   createBody("as_11-2", "4200000011", 9800, 19800),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fakewechat.Options{})
			c := rawClient{t: t, base: e.srv.URL, key: k.MchPrivateKey, serial: k.MchSerialNo, mchID: fakewechat.DefaultMchID}
			for _, b := range tt.before {
				if status, code, _, raw := c.signed("POST", path, b); status != 200 {
					t.Fatalf("setup refused: %d %s %s", status, code, raw)
				}
			}
			status, code, _, raw := c.signed("POST", path, tt.body)
			wantStatus := 400
			if tt.wantCode == "" {
				wantStatus = 200
			}
			if status != wantStatus || code != tt.wantCode {
				t.Fatalf("answer %d %q (%s), want %d %q", status, code, raw, wantStatus, tt.wantCode)
			}
			wantRefunds := len(tt.before)
			if status == 200 {
				wantRefunds++
			}
			if st := e.fake.Stats(); st.Refunds != wantRefunds {
				t.Errorf("%d refunds recorded, want %d", st.Refunds, wantRefunds)
			}
		})
	}
}

// toServer sends the stock SDK's requests (hard-coded to the real host) to
// the fake.
type toServer struct{ u *url.URL }

func (t toServer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.u.Scheme, t.u.Host, t.u.Host
	return http.DefaultTransport.RoundTrip(r)
}

// TestStockSDKAcceptsAnswers: the official client, configured as WeChat
// Pay's documentation says (public key mode, its own response validator on
// the wall clock), talks to the fake unchanged, and reads every field.
func TestStockSDKAcceptsAnswers(t *testing.T) {
	k, _ := testKeys(t)
	fake, err := fakewechat.New(fakewechat.Options{Keys: &k}) // wall clock, as the SDK's validator uses
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	client, err := core.NewClient(context.Background(),
		option.WithWechatPayPublicKeyAuthCipher(fake.MchID(), k.MchSerialNo, k.MchPrivateKey, k.PublicKeyID, &k.PlatformPrivateKey.PublicKey),
		option.WithHTTPClient(&http.Client{Transport: toServer{u}, Timeout: 5 * time.Second}),
	)
	if err != nil {
		t.Fatal(err)
	}
	api := refunddomestic.RefundsApiService{Client: client}
	ctx := context.Background()
	before := time.Now().Truncate(time.Second)
	created, _, err := api.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String("4200000020"),
		OutRefundNo:   core.String("as_20-1"),
		Reason:        core.String("质量问题"),
		NotifyUrl:     core.String("https://merchant.example.com/webhooks/wechatpay"),
		Amount:        &refunddomestic.AmountReq{Refund: core.Int64(6000), Total: core.Int64(19800), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatal(err)
	}
	queried, _, err := api.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String("as_20-1")})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*refunddomestic.Refund{"create": created, "query": queried} {
		switch {
		case r.RefundId == nil || *r.RefundId == "":
			t.Errorf("%s: no refund_id", name)
		case *r.OutRefundNo != "as_20-1" || *r.TransactionId != "4200000020" || r.OutTradeNo == nil:
			t.Errorf("%s: ids %v %v %v", name, *r.OutRefundNo, *r.TransactionId, r.OutTradeNo)
		case *r.Status != refunddomestic.STATUS_PROCESSING || *r.Channel != refunddomestic.CHANNEL_ORIGINAL || r.SuccessTime != nil:
			t.Errorf("%s: status %v channel %v success %v", name, *r.Status, *r.Channel, r.SuccessTime)
		case *r.Amount.Refund != 6000 || *r.Amount.Total != 19800 || *r.Amount.PayerRefund != 6000 || *r.Amount.Currency != "CNY":
			t.Errorf("%s: amount %v", name, r.Amount)
		case r.CreateTime == nil || r.CreateTime.Before(before) || r.CreateTime.After(time.Now()):
			t.Errorf("%s: create_time %v not between %v and now", name, r.CreateTime, before)
		case r.UserReceivedAccount == nil || *r.UserReceivedAccount == "":
			t.Errorf("%s: no user_received_account", name)
		}
	}
	if *created.RefundId != *queried.RefundId {
		t.Errorf("create said %s, query %s", *created.RefundId, *queried.RefundId)
	}
}
