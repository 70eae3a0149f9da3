package alipay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/alipay"
)

// start is when the tests run: 2026-03-01 10:00:00 China time.
var start = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

// rig is a fake Alipay on a virtual clock, served over real HTTP, and a
// provider configured for it.
type rig struct {
	fake     *fakealipay.Server
	clock    *vclock.Clock
	endpoint string
	provider *alipay.Provider
}

func newRig(t *testing.T, opts fakealipay.Options) *rig {
	t.Helper()
	clock := vclock.New(start)
	opts.Now, opts.AfterFunc = clock.Now, clock.AfterFunc
	fake, err := fakealipay.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	r := &rig{fake: fake, clock: clock, endpoint: srv.URL + "/gateway.do"}
	r.provider = r.newProvider(t, fake.Settings(r.endpoint))
	return r
}

func (r *rig) newProvider(t *testing.T, settings alipay.Settings) *alipay.Provider {
	t.Helper()
	p, err := alipay.NewProvider(settings, r.clock)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// request is a refund of amount fen from trade T1 numbered no.
func request(no string, amount int64) aftersales.RefundRequest {
	return aftersales.RefundRequest{
		OutRefundNo: no, CaseID: "as_01", OrderID: "o-1", BuyerID: "b-1",
		Amount:        aftersales.Money{Amount: amount, Currency: aftersales.CNY},
		OrderTotal:    aftersales.Money{Amount: 9900, Currency: aftersales.CNY},
		TransactionID: "T1", Reason: "七天无理由退货",
	}
}

func TestProviderRefund(t *testing.T) {
	tests := []struct {
		name    string
		opts    fakealipay.Options
		setup   func(t *testing.T, r *rig)
		req     aftersales.RefundRequest
		want    aftersales.RefundResult
		wantErr aftersales.Kind // KindInternal with wantMsg "" means no error
		wantMsg string          // a part of the error message
		payouts int             // of req.OutRefundNo afterwards
	}{
		{name: "full refund is paid at once",
			setup:   func(t *testing.T, r *rig) { r.fake.SetTrade("T1", 9900) },
			req:     request("as_01-1", 9900),
			want:    aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "T1", ArrivedAt: start},
			payouts: 1},
		{name: "partial refund of one fen",
			setup:   func(t *testing.T, r *rig) { r.fake.SetTrade("T1", 9900) },
			req:     request("as_01-1", 1),
			want:    aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "T1", ArrivedAt: start},
			payouts: 1},
		{name: "a repeat answers the first refund and pays nothing",
			setup: func(t *testing.T, r *rig) {
				mustRefund(t, r, request("as_01-1", 500))
				r.clock.Advance(time.Hour)
			},
			req:     request("as_01-1", 500),
			want:    aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "T1", ArrivedAt: start},
			payouts: 1},
		{name: "beyond the payment is refused",
			setup:   func(t *testing.T, r *rig) { r.fake.SetTrade("T1", 100) },
			req:     request("as_01-1", 101),
			wantErr: aftersales.KindInvalid, wantMsg: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL: 退款金额超限"},
		{name: "unknown trade is refused",
			opts:    fakealipay.Options{RequireTrades: true},
			req:     request("as_01-1", 100),
			wantErr: aftersales.KindInvalid, wantMsg: "ACQ.TRADE_NOT_EXIST"},
		{name: "business refusal names sub code and message",
			setup: func(t *testing.T, r *rig) {
				r.fake.SetFaults(fakealipay.Faults{Fail: 1, FailSubCode: "ACQ.SELLER_BALANCE_NOT_ENOUGH", FailSubMsg: "卖家余额不足"})
			},
			req:     request("as_01-1", 100),
			wantErr: aftersales.KindInvalid, wantMsg: "ACQ.SELLER_BALANCE_NOT_ENOUGH: 卖家余额不足"},
		{name: "system busy is transient",
			setup:   func(t *testing.T, r *rig) { r.fake.SetFaults(fakealipay.Faults{SystemError: 1}) },
			req:     request("as_01-1", 100),
			wantErr: aftersales.KindTransient, wantMsg: "aop.ACQ.SYSTEM_ERROR"},
		{name: "a dropped connection after paying is transient",
			setup:   func(t *testing.T, r *rig) { r.fake.SetFaults(fakealipay.Faults{Timeout: 1}) },
			req:     request("as_01-1", 100),
			wantErr: aftersales.KindTransient, wantMsg: "could not be reached",
			payouts: 1},
		{name: "accepted but not yet paid is processing",
			setup:   func(t *testing.T, r *rig) { r.fake.SetFaults(fakealipay.Faults{Processing: 1}) },
			req:     request("as_01-1", 100),
			want:    aftersales.RefundResult{State: aftersales.StateProcessing, ProviderRefundID: "T1"},
			payouts: 1},
		{name: "same number with another amount is never closed automatically",
			setup:   func(t *testing.T, r *rig) { mustRefund(t, r, request("as_01-1", 100)) },
			req:     request("as_01-1", 200),
			wantErr: aftersales.KindInternal, wantMsg: "ACQ.DISCORDANT_REPEAT_REQUEST",
			payouts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.opts)
			if tt.setup != nil {
				tt.setup(t, r)
			}
			got, err := r.provider.Refund(context.Background(), tt.req)
			checkResult(t, got, err, tt.want, tt.wantErr, tt.wantMsg)
			if n := r.fake.Payouts(tt.req.OutRefundNo); n != tt.payouts {
				t.Fatalf("Payouts = %d, want %d", n, tt.payouts)
			}
		})
	}
}

func mustRefund(t *testing.T, r *rig, req aftersales.RefundRequest) aftersales.RefundResult {
	t.Helper()
	res, err := r.provider.Refund(context.Background(), req)
	if err != nil {
		t.Fatalf("Refund(%s): %v", req.OutRefundNo, err)
	}
	return res
}

// checkResult compares a provider answer with the expected result or error
// kind and message part.
func checkResult(t *testing.T, got aftersales.RefundResult, err error, want aftersales.RefundResult, wantKind aftersales.Kind, wantMsg string) {
	t.Helper()
	if wantMsg == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if got.State != want.State || got.ProviderRefundID != want.ProviderRefundID || !got.ArrivedAt.Equal(want.ArrivedAt) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		if !got.ArrivedAt.IsZero() && got.ArrivedAt.Location() != time.UTC {
			t.Fatalf("ArrivedAt %v is not UTC", got.ArrivedAt)
		}
		return
	}
	if err == nil {
		t.Fatalf("got %+v, want a %v error", got, wantKind)
	}
	if k := aftersales.KindOf(err); k != wantKind {
		t.Fatalf("kind %v, want %v (%v)", k, wantKind, err)
	}
	if !strings.Contains(err.Error(), wantMsg) {
		t.Fatalf("error %q does not mention %q", err, wantMsg)
	}
}

func TestProviderRefundSendsTheRequestAsAlipayNeedsIt(t *testing.T) {
	r := newRig(t, fakealipay.Options{})
	settings := r.fake.Settings(r.endpoint)
	settings.NotifyURL = "https://api.example.com/webhooks/alipay"
	p := r.newProvider(t, settings)
	req := request("as_01HZX5-2", 1234)
	req.Reason = strings.Repeat("退", 100) // 300 bytes: cut to 85 characters (255 bytes)
	mustRefund(t, &rig{fake: r.fake, clock: r.clock, provider: p}, req)

	rf, ok := r.fake.LookupRefund("T1", "as_01HZX5-2")
	if !ok {
		t.Fatal("the fake has no refund (trade_no T1, out_request_no as_01HZX5-2)")
	}
	if rf.Amount != 1234 || rf.Reason != strings.Repeat("退", 85) || rf.NotifyURL != settings.NotifyURL {
		t.Fatalf("recorded %+v", rf)
	}
}

func TestProviderRetryAfterDroppedConnectionPaysOnce(t *testing.T) {
	r := newRig(t, fakealipay.Options{})
	r.fake.SetTrade("T1", 9900)
	r.fake.SetFaults(fakealipay.Faults{Timeout: 1})
	req := request("as_01-1", 9900)
	if _, err := r.provider.Refund(context.Background(), req); aftersales.KindOf(err) != aftersales.KindTransient {
		t.Fatalf("first attempt: %v, want transient", err)
	}
	r.fake.SetFaults(fakealipay.Faults{})
	r.clock.Advance(30 * time.Second) // the workflow's retry interval
	got := mustRefund(t, r, req)
	want := aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "T1", ArrivedAt: start}
	checkResult(t, got, nil, want, 0, "")
	if n, paid := r.fake.Payouts("as_01-1"), r.fake.TotalPaid(); n != 1 || paid != 9900 {
		t.Fatalf("Payouts = %d, TotalPaid = %d; want 1 and 9900", n, paid)
	}
}

func TestProviderRefundValidates(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*aftersales.RefundRequest)
		field string
	}{
		{"zero amount", func(r *aftersales.RefundRequest) { r.Amount.Amount = 0 }, "amount"},
		{"negative amount", func(r *aftersales.RefundRequest) { r.Amount.Amount = -1 }, "amount"},
		{"foreign currency", func(r *aftersales.RefundRequest) { r.Amount.Currency = "USD" }, "amount.currency"},
		{"no refund number", func(r *aftersales.RefundRequest) { r.OutRefundNo = "" }, "out_refund_no"},
		{"refund number too long", func(r *aftersales.RefundRequest) { r.OutRefundNo = strings.Repeat("a", 65) }, "out_refund_no"},
		{"refund number with a space", func(r *aftersales.RefundRequest) { r.OutRefundNo = "as 1-1" }, "out_refund_no"},
		{"no transaction", func(r *aftersales.RefundRequest) { r.TransactionID = "" }, "transaction_id"},
	}
	r := newRig(t, fakealipay.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request("as_01-1", 100)
			tt.edit(&req)
			_, err := r.provider.Refund(context.Background(), req)
			if aftersales.KindOf(err) != aftersales.KindInvalid {
				t.Fatalf("err %v, want KindInvalid", err)
			}
			fields := aftersales.FieldsOf(err)
			if len(fields) != 1 || fields[0].Field != tt.field {
				t.Fatalf("fields %+v, want %s", fields, tt.field)
			}
		})
	}
	if n := r.fake.RefundCalls(); n != 0 {
		t.Fatalf("RefundCalls = %d, want 0: invalid requests are refused before a round trip", n)
	}
}

func TestProviderTransportFailures(t *testing.T) {
	r := newRig(t, fakealipay.Options{})
	other, err := fakealipay.New(fakealipay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	badGateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
	}))
	t.Cleanup(badGateway.Close)
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html>maintenance</html>"))
	}))
	t.Cleanup(notJSON.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name     string
		change   func(alipay.Settings) alipay.Settings
		ctx      context.Context
		wantKind aftersales.Kind
		wantMsg  string
	}{
		{name: "gateway answers 502", change: func(c alipay.Settings) alipay.Settings { c.Endpoint = badGateway.URL; return c },
			wantKind: aftersales.KindTransient, wantMsg: "HTTP 502"},
		{name: "gateway answers something else than JSON", change: func(c alipay.Settings) alipay.Settings { c.Endpoint = notJSON.URL; return c },
			wantKind: aftersales.KindTransient, wantMsg: "not understood"},
		{name: "connection refused", change: func(c alipay.Settings) alipay.Settings { c.Endpoint = closed.URL; return c },
			wantKind: aftersales.KindTransient, wantMsg: "could not be reached"},
		{name: "context cancelled", ctx: cancelled,
			wantKind: aftersales.KindTransient, wantMsg: "could not be reached"},
		{name: "answer signed by another key", change: func(c alipay.Settings) alipay.Settings { c.AlipayPublicKey = other.AlipayPublicKeyPEM(); return c },
			wantKind: aftersales.KindTransient, wantMsg: "did not verify"},
		{name: "request signed by a key Alipay does not know", change: func(c alipay.Settings) alipay.Settings { c.AppPrivateKey = other.AppPrivateKeyPEM(); return c },
			wantKind: aftersales.KindInvalid, wantMsg: "isv.invalid-signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := r.fake.Settings(r.endpoint)
			if tt.change != nil {
				settings = tt.change(settings)
			}
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			p := r.newProvider(t, settings)
			_, err := p.Refund(ctx, request("as_01-1", 100))
			checkResult(t, aftersales.RefundResult{}, err, aftersales.RefundResult{}, tt.wantKind, tt.wantMsg)
			_, err = p.Query(ctx, request("as_01-1", 100))
			if aftersales.KindOf(err) != tt.wantKind {
				t.Fatalf("Query: kind %v, want %v (%v)", aftersales.KindOf(err), tt.wantKind, err)
			}
		})
	}
}

func TestProviderQuery(t *testing.T) {
	tests := []struct {
		name    string
		opts    fakealipay.Options
		setup   func(t *testing.T, r *rig)
		want    aftersales.RefundResult
		wantErr aftersales.Kind
		wantMsg string
	}{
		{name: "unknown refund is not found",
			wantErr: aftersales.KindNotFound, wantMsg: "no paid refund"},
		{name: "unknown trade is not found",
			opts:    fakealipay.Options{RequireTrades: true},
			wantErr: aftersales.KindNotFound, wantMsg: "ACQ.TRADE_NOT_EXIST"},
		{name: "paid refund succeeded when paid",
			setup: func(t *testing.T, r *rig) {
				mustRefund(t, r, request("as_01-1", 100))
				r.clock.Advance(time.Hour)
			},
			want: aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "T1", ArrivedAt: start}},
		{name: "processing refund is not found before it is paid",
			setup: func(t *testing.T, r *rig) {
				r.fake.SetFaults(fakealipay.Faults{Processing: 1, ProcessingFor: 10 * time.Minute})
				mustRefund(t, r, request("as_01-1", 100))
				r.clock.Advance(9 * time.Minute)
			},
			wantErr: aftersales.KindNotFound, wantMsg: "no paid refund"},
		{name: "processing refund succeeded once paid",
			setup: func(t *testing.T, r *rig) {
				r.fake.SetFaults(fakealipay.Faults{Processing: 1, ProcessingFor: 10 * time.Minute})
				mustRefund(t, r, request("as_01-1", 100))
				r.clock.Advance(time.Hour)
			},
			want: aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "T1", ArrivedAt: start.Add(10 * time.Minute)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.opts)
			if tt.setup != nil {
				tt.setup(t, r)
			}
			got, err := r.provider.Query(context.Background(), request("as_01-1", 100))
			checkResult(t, got, err, tt.want, tt.wantErr, tt.wantMsg)
			if tt.wantErr == aftersales.KindNotFound && !errors.Is(err, aftersales.ErrNotFound) {
				t.Fatalf("errors.Is(%v, ErrNotFound) is false", err)
			}
		})
	}
}

func TestProviderProcessingRefundRepeatedOncePaid(t *testing.T) {
	r := newRig(t, fakealipay.Options{})
	r.fake.SetFaults(fakealipay.Faults{Processing: 1, ProcessingFor: 10 * time.Minute})
	req := request("as_01-1", 100)
	if got := mustRefund(t, r, req); got.State != aftersales.StateProcessing {
		t.Fatalf("first answer %+v, want processing", got)
	}
	r.clock.Advance(10 * time.Minute)
	got := mustRefund(t, r, req) // a repeat: no fund change, settled by the query
	want := aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "T1", ArrivedAt: start.Add(10 * time.Minute)}
	checkResult(t, got, nil, want, 0, "")
	if n := r.fake.Payouts("as_01-1"); n != 1 {
		t.Fatalf("Payouts = %d, want 1", n)
	}
}
