package wechatpay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// TestProviderLifecycle runs refunds through the fake over HTTP and checks
// what the provider reports at each step, and that the fake paid exactly
// what it should.
func TestProviderLifecycle(t *testing.T) {
	tests := []struct {
		name        string
		inject      fakewechat.Fault
		wantFinal   aftersales.RefundState
		wantPayouts int
	}{
		{"succeeds after settling", 0, aftersales.StateSucceeded, 1},
		{"closed by the provider", fakewechat.FaultClose, aftersales.StateClosed, 0},
		{"abnormal", fakewechat.FaultAbnormal, aftersales.StateAbnormal, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fakewechat.Options{})
			ctx := context.Background()
			req := request("as_01-1")
			e.fake.Inject(req.OutRefundNo, tt.inject)

			got, err := e.provider.Refund(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != aftersales.StateProcessing || got.ProviderRefundID == "" || got.Account == "" || !got.ArrivedAt.IsZero() {
				t.Fatalf("Refund = %+v, want processing with a refund id and account", got)
			}
			q, err := e.provider.Query(ctx, req)
			if err != nil || q.State != aftersales.StateProcessing {
				t.Fatalf("Query before settling = %+v, %v", q, err)
			}

			e.clock.Advance(fakewechat.DefaultSettleDelay)
			q, err = e.provider.Query(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if q.State != tt.wantFinal || q.ProviderRefundID != got.ProviderRefundID {
				t.Fatalf("Query after settling = %+v, want %s with id %s", q, tt.wantFinal, got.ProviderRefundID)
			}
			wantArrived := time.Time{}
			if tt.wantFinal == aftersales.StateSucceeded {
				wantArrived = t0.Add(fakewechat.DefaultSettleDelay)
			}
			if !q.ArrivedAt.Equal(wantArrived) || q.ArrivedAt.Location() != time.UTC {
				t.Errorf("ArrivedAt = %v, want %v in UTC", q.ArrivedAt, wantArrived)
			}
			if n := e.fake.Payouts(req.OutRefundNo); n != tt.wantPayouts {
				t.Errorf("Payouts = %d, want %d", n, tt.wantPayouts)
			}
		})
	}
}

// TestProviderRetriesNeverPayTwice sends the same refund number again after
// answers that leave the caller in doubt.
func TestProviderRetriesNeverPayTwice(t *testing.T) {
	tests := []struct {
		name      string
		inject    fakewechat.Fault
		firstKind aftersales.Kind // of the first call's error; KindInternal means no error
		calls     int
	}{
		{"answered twice", 0, aftersales.KindInternal, 2},
		{"connection dropped after processing", fakewechat.FaultTimeout, aftersales.KindTransient, 2},
		{"provider failed before processing", fakewechat.FaultFail, aftersales.KindTransient, 2},
		{"asked three times", 0, aftersales.KindInternal, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fakewechat.Options{})
			ctx := context.Background()
			req := request("as_02-1")
			e.fake.Inject(req.OutRefundNo, tt.inject)

			var ids []string
			first, err := e.provider.Refund(ctx, req)
			switch {
			case tt.firstKind == aftersales.KindInternal && err != nil:
				t.Fatalf("first call: %v", err)
			case tt.firstKind != aftersales.KindInternal && aftersales.KindOf(err) != tt.firstKind:
				t.Fatalf("first call: %v, want kind %s", err, tt.firstKind)
			case err == nil:
				ids = append(ids, first.ProviderRefundID)
			}
			for i := 1; i < tt.calls; i++ {
				got, err := e.provider.Refund(ctx, req)
				if err != nil || got.State != aftersales.StateProcessing {
					t.Fatalf("call %d = %+v, %v", i+1, got, err)
				}
				ids = append(ids, got.ProviderRefundID)
			}
			for _, id := range ids {
				if id != ids[0] {
					t.Fatalf("refund ids %v differ", ids)
				}
			}
			e.clock.Advance(time.Minute)
			again, err := e.provider.Refund(ctx, req)
			if err != nil || again.State != aftersales.StateSucceeded || again.ProviderRefundID != ids[0] {
				t.Fatalf("after settling, the same number again = %+v, %v; want the succeeded refund %s", again, err, ids[0])
			}
			if n := e.fake.Payouts(req.OutRefundNo); n != 1 {
				t.Errorf("Payouts = %d, want 1", n)
			}
			if paid := e.fake.TotalPaid(); paid != req.Amount.Amount {
				t.Errorf("TotalPaid = %d, want %d", paid, req.Amount.Amount)
			}
			if st := e.fake.Stats(); st.Refunds != 1 || st.CreateCalls != tt.calls+1 {
				t.Errorf("stats %+v, want 1 refund and %d create calls", st, tt.calls+1)
			}
		})
	}
}

// TestProviderRefusals checks the errors the caller branches on.
func TestProviderRefusals(t *testing.T) {
	tests := []struct {
		name      string
		opts      fakewechat.Options
		setup     func(t *testing.T, e *env)
		change    func(r *aftersales.RefundRequest)
		query     bool
		wantKind  aftersales.Kind
		wantInMsg string
		notFound  bool
		calls     int // create calls the fake saw, the setup's included
	}{
		{
			name: "over-refund of the transaction",
			setup: func(t *testing.T, e *env) {
				r := request("as_03-1")
				r.Amount.Amount = 15000
				if _, err := e.provider.Refund(context.Background(), r); err != nil {
					t.Fatal(err)
				}
			},
			wantKind: aftersales.KindInvalid, wantInMsg: "INVALID_REQUEST", calls: 2,
		},
		{
			name: "number reused with another amount",
			setup: func(t *testing.T, e *env) {
				r := request("as_03-2")
				r.Amount.Amount = 100
				if _, err := e.provider.Refund(context.Background(), r); err != nil {
					t.Fatal(err)
				}
			},
			change:   func(r *aftersales.RefundRequest) { r.OutRefundNo = "as_03-2" },
			wantKind: aftersales.KindInvalid, wantInMsg: "INVALID_REQUEST", calls: 2,
		},
		{
			name:     "transaction unknown to the provider",
			opts:     fakewechat.Options{StrictTransactions: true},
			wantKind: aftersales.KindInvalid, wantInMsg: "RESOURCE_NOT_EXISTS", calls: 1,
		},
		{
			name:     "order total differs from the paid one",
			setup:    func(t *testing.T, e *env) { e.fake.AddTransaction("4200000001", 29800) },
			wantKind: aftersales.KindInvalid, wantInMsg: "INVALID_REQUEST", calls: 1,
		},
		{
			name:     "provider system error",
			setup:    func(t *testing.T, e *env) { e.fake.Inject("as_01-1", fakewechat.FaultFail) },
			wantKind: aftersales.KindTransient, wantInMsg: "SYSTEM_ERROR", calls: 1,
		},
		{name: "query of a refund never sent", query: true, wantKind: aftersales.KindNotFound, notFound: true},
		{name: "zero amount", change: func(r *aftersales.RefundRequest) { r.Amount.Amount = 0 }, wantKind: aftersales.KindInvalid},
		{name: "more than the order", change: func(r *aftersales.RefundRequest) { r.Amount.Amount = 19801 }, wantKind: aftersales.KindInvalid},
		{name: "not CNY", change: func(r *aftersales.RefundRequest) { r.Amount.Currency = "USD" }, wantKind: aftersales.KindInvalid},
		{name: "no transaction", change: func(r *aftersales.RefundRequest) { r.TransactionID = "" }, wantKind: aftersales.KindInvalid},
		{name: "number with a space", change: func(r *aftersales.RefundRequest) { r.OutRefundNo = "as 1" }, wantKind: aftersales.KindInvalid},
		{name: "number too long", change: func(r *aftersales.RefundRequest) { r.OutRefundNo = strings.Repeat("a", 65) }, wantKind: aftersales.KindInvalid},
		{name: "query with a bad number", query: true, change: func(r *aftersales.RefundRequest) { r.OutRefundNo = "" }, wantKind: aftersales.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			req := request("as_01-1")
			if tt.change != nil {
				tt.change(&req)
			}
			var err error
			if tt.query {
				_, err = e.provider.Query(context.Background(), req)
			} else {
				_, err = e.provider.Refund(context.Background(), req)
			}
			if aftersales.KindOf(err) != tt.wantKind {
				t.Fatalf("err = %v, want kind %s", err, tt.wantKind)
			}
			if !strings.Contains(aftersales.MessageOf(err), tt.wantInMsg) {
				t.Errorf("message %q lacks %q", aftersales.MessageOf(err), tt.wantInMsg)
			}
			if errors.Is(err, aftersales.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", !tt.notFound, tt.notFound)
			}
			if n := e.fake.CreateCalls(); n != tt.calls {
				t.Errorf("the fake saw %d create calls, want %d", n, tt.calls)
			}
			if e.fake.TotalPaid() != 0 {
				t.Errorf("paid %d before settling", e.fake.TotalPaid())
			}
		})
	}
}

// TestProviderClassifiesAnswers checks the kinds of answers the fake does
// not give: a scripted server answers each.
func TestProviderClassifiesAnswers(t *testing.T) {
	k, _ := testKeys(t)
	tests := []struct {
		name     string
		status   int
		body     string
		ctx      func() (context.Context, context.CancelFunc)
		wantKind aftersales.Kind
		wantMsg  string
	}{
		{name: "rate limited", status: 429, body: `{"code":"FREQUENCY_LIMITED","message":"频率超限"}`, wantKind: aftersales.KindTransient},
		{name: "unavailable", status: 503, body: `{"code":"SYSTEM_ERROR","message":"系统繁忙"}`, wantKind: aftersales.KindTransient},
		{name: "bad gateway without a body", status: 502, wantKind: aftersales.KindTransient},
		{name: "merchant balance too low", status: 403, body: `{"code":"NOT_ENOUGH","message":"余额不足"}`, wantKind: aftersales.KindInvalid, wantMsg: "403 NOT_ENOUGH): 余额不足"},
		{name: "signature refused", status: 401, body: `{"code":"SIGN_ERROR","message":"签名错误"}`, wantKind: aftersales.KindInvalid, wantMsg: "SIGN_ERROR"},
		{name: "unsigned success", status: 200, body: `{"refund_id":"1","out_refund_no":"as_01-1","status":"SUCCESS"}`, wantKind: aftersales.KindTransient, wantMsg: "did not verify"},
		{
			name: "deadline passed", status: 200,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithDeadline(context.Background(), time.Now())
			},
			wantKind: aftersales.KindTransient,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			settings := merchantSettings(k, srv.URL)
			p, err := wechatpay.NewProvider(settings, fixedClock(t0))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, err = p.Refund(ctx, request("as_01-1"))
			if aftersales.KindOf(err) != tt.wantKind || !strings.Contains(aftersales.MessageOf(err), tt.wantMsg) {
				t.Fatalf("err = %v, want kind %s with %q", err, tt.wantKind, tt.wantMsg)
			}
		})
	}

	t.Run("nobody listening", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		p, err := wechatpay.NewProvider(merchantSettings(k, url), fixedClock(t0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Query(context.Background(), request("as_01-1")); aftersales.KindOf(err) != aftersales.KindTransient {
			t.Fatalf("err = %v, want transient", err)
		}
	})
}

// TestProviderChecksAnswerTime: an answer signed more than five minutes
// from the provider's clock is not trusted (it could be a replay).
func TestProviderChecksAnswerTime(t *testing.T) {
	tests := []struct {
		name     string
		skew     time.Duration
		wantKind aftersales.Kind
	}{
		{"in time", 4 * time.Minute, aftersales.KindInternal},
		{"six minutes late", 6 * time.Minute, aftersales.KindTransient},
		{"six minutes early", -6 * time.Minute, aftersales.KindTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fakewechat.Options{})
			p, err := wechatpay.NewProvider(e.settings, fixedClock(t0.Add(tt.skew)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Refund(context.Background(), request("as_04-1"))
			if tt.wantKind == aftersales.KindInternal && err != nil || tt.wantKind != aftersales.KindInternal && aftersales.KindOf(err) != tt.wantKind {
				t.Fatalf("err = %v, want kind %s", err, tt.wantKind)
			}
		})
	}
}

// TestEndpointRewrite: with an endpoint configured, every request goes
// there (path prefix included), never to api.mch.weixin.qq.com, and the
// signatures still verify.
func TestEndpointRewrite(t *testing.T) {
	e := newEnv(t, fakewechat.Options{})
	mux := http.NewServeMux()
	mux.Handle("/sandbox/wechat/", http.StripPrefix("/sandbox/wechat", e.fake.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	rec := &recorder{base: http.DefaultTransport}
	settings := e.settings
	settings.Endpoint = srv.URL + "/sandbox/wechat/"
	settings.HTTPClient = &http.Client{Transport: rec, Timeout: 5 * time.Second}
	p, err := wechatpay.NewProvider(settings, e.clock)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		no   string
	}{
		{"plain number", "as_05-1"},
		{"number with characters a path escapes", "as_05|x*y@z-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(tt.no)
			req.Amount.Amount = 100
			if _, err := p.Refund(context.Background(), req); err != nil {
				t.Fatalf("Refund: %v", err)
			}
			got, err := p.Query(context.Background(), req)
			if err != nil || got.State != aftersales.StateProcessing {
				t.Fatalf("Query = %+v, %v", got, err)
			}
		})
	}
	if settings.HTTPClient.Transport != rec {
		t.Error("NewProvider modified the caller's http.Client")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.urls) != 4 {
		t.Fatalf("sent %d requests, want 4: %v", len(rec.urls), rec.urls)
	}
	for _, u := range rec.urls {
		if !strings.HasPrefix(u, srv.URL+"/sandbox/wechat/v3/refund/domestic/refunds") {
			t.Errorf("request went to %s, want the endpoint", u)
		}
	}
}

type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	urls []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.String())
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// merchantSettings are the settings of a merchant keyed with k, without a
// fake server: for the tests that serve answers themselves.
func merchantSettings(k fakewechat.Keys, endpoint string) wechatpay.Settings {
	return wechatpay.Settings{
		MchID:            fakewechat.DefaultMchID,
		MchSerialNo:      k.MchSerialNo,
		MchPrivateKeyPEM: k.MchPrivateKeyPEM(),
		APIv3Key:         k.APIv3Key,
		PublicKeyID:      k.PublicKeyID,
		PublicKeyPEM:     k.PublicKeyPEM(),
		Endpoint:         endpoint,
	}
}

// TestNewProviderRefusesIncompleteSettings: a missing key is a deployment
// error, reported at start rather than at the first refund.
func TestNewProviderRefusesIncompleteSettings(t *testing.T) {
	k, _ := testKeys(t)
	tests := []struct {
		name   string
		change func(c *wechatpay.Settings)
	}{
		{"no merchant id", func(c *wechatpay.Settings) { c.MchID = "" }},
		{"no serial", func(c *wechatpay.Settings) { c.MchSerialNo = "" }},
		{"no private key", func(c *wechatpay.Settings) { c.MchPrivateKeyPEM = "" }},
		{"no public key id", func(c *wechatpay.Settings) { c.PublicKeyID = "" }},
		{"no public key", func(c *wechatpay.Settings) { c.PublicKeyPEM = "" }},
		{"relative endpoint", func(c *wechatpay.Settings) { c.Endpoint = "localhost:8080" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := merchantSettings(k, "")
			tt.change(&settings)
			if _, err := wechatpay.NewProvider(settings, nil); err == nil {
				t.Fatal("NewProvider accepted it")
			}
		})
	}
}
