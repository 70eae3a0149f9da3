package fakealipay_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	alipaysdk "github.com/smartwalle/alipay/v3"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/alipay"
)

// start is the virtual time the tests run at: 2026-03-01 10:00:00 in
// China, 02:00 UTC.
var start = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

// env is a fake served over real HTTP and a library client for it.
type env struct {
	fake   *fakealipay.Server
	clock  *vclock.Clock
	url    string
	client *alipaysdk.Client
}

func newEnv(t *testing.T, opts fakealipay.Options) *env {
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
	return &env{fake: fake, clock: clock, url: srv.URL + "/gateway.do",
		client: newClient(t, fake.AppID(), fake.AppPrivateKeyPEM(), fake.AlipayPublicKeyPEM(), srv.URL+"/gateway.do")}
}

// newClient is the library's client in the public key mode, pointed at url.
func newClient(t *testing.T, appID, appKey, alipayPub, url string) *alipaysdk.Client {
	t.Helper()
	c, err := alipaysdk.New(appID, appKey, false, alipaysdk.WithSandboxGateway(url))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.LoadAliPayPublicKey(alipayPub); err != nil {
		t.Fatal(err)
	}
	return c
}

// refundRsp is the refund answer with gmt_refund_pay.
type refundRsp struct {
	alipaysdk.TradeRefundRsp
	GmtRefundPay string `json:"gmt_refund_pay"`
}

func (e *env) refund(t *testing.T, tradeNo, outRequestNo, amount string) (refundRsp, error) {
	t.Helper()
	var rsp refundRsp
	err := e.client.Request(context.Background(), alipaysdk.TradeRefund{
		TradeNo: tradeNo, OutRequestNo: outRequestNo, RefundAmount: amount, RefundReason: "质量问题",
	}, &rsp)
	return rsp, err
}

func (e *env) query(t *testing.T, tradeNo, outRequestNo string) *alipaysdk.TradeFastPayRefundQueryRsp {
	t.Helper()
	rsp, err := e.client.TradeFastPayRefundQuery(context.Background(),
		alipaysdk.TradeFastPayRefundQuery{TradeNo: tradeNo, OutRequestNo: outRequestNo})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	return rsp
}

func otherKeyPEM(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func TestRequestSignatureChecked(t *testing.T) {
	e := newEnv(t, fakealipay.Options{})
	tests := []struct {
		name        string
		client      func() *alipaysdk.Client
		tamper      func(url.Values)
		wantCode    string
		wantSubCode string
	}{
		{name: "signed with another app key",
			client: func() *alipaysdk.Client {
				return newClient(t, e.fake.AppID(), otherKeyPEM(t), e.fake.AlipayPublicKeyPEM(), e.url)
			},
			wantCode: "40002", wantSubCode: "isv.invalid-signature"},
		{name: "another app id",
			client: func() *alipaysdk.Client {
				return newClient(t, "2021999999999999", e.fake.AppPrivateKeyPEM(), e.fake.AlipayPublicKeyPEM(), e.url)
			},
			wantCode: "40002", wantSubCode: "isv.invalid-app-id"},
		{name: "amount changed after signing",
			tamper:   func(v url.Values) { v.Set("biz_content", strings.Replace(v.Get("biz_content"), "1.00", "100.00", 1)) },
			wantCode: "40002", wantSubCode: "isv.invalid-signature"},
		{name: "parameter added after signing",
			tamper:   func(v url.Values) { v.Set("notify_url", "https://attacker.example/notify") },
			wantCode: "40002", wantSubCode: "isv.invalid-signature"},
		{name: "signature removed",
			tamper:   func(v url.Values) { v.Del("sign") },
			wantCode: "40001", wantSubCode: "isv.missing-signature"},
		{name: "sign type downgraded",
			tamper:   func(v url.Values) { v.Set("sign_type", "RSA") },
			wantCode: "40002", wantSubCode: "isv.invalid-signature-type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			param := alipaysdk.TradeRefund{TradeNo: "T1", OutRequestNo: "R1", RefundAmount: "1.00"}
			var got alipaysdk.Error
			if tt.client != nil {
				rsp, err := tt.client().TradeRefund(context.Background(), param)
				if err != nil {
					t.Fatalf("TradeRefund: %v", err)
				}
				got = rsp.Error
			} else {
				v, err := e.client.URLValues(param)
				if err != nil {
					t.Fatal(err)
				}
				tt.tamper(v)
				got = postRaw(t, e, v)
			}
			if string(got.Code) != tt.wantCode || got.SubCode != tt.wantSubCode {
				t.Fatalf("answer %s %s, want %s %s", got.Code, got.SubCode, tt.wantCode, tt.wantSubCode)
			}
			if n := e.fake.RefundCalls(); n != 0 {
				t.Fatalf("RefundCalls = %d, want 0: refused requests must not count", n)
			}
			if paid := e.fake.TotalPaid(); paid != 0 {
				t.Fatalf("TotalPaid = %d, want 0", paid)
			}
		})
	}
}

// postRaw posts form values as they are and decodes the answer's object
// (without verifying it: the other tests do that through the library).
func postRaw(t *testing.T, e *env, v url.Values) alipaysdk.Error {
	t.Helper()
	resp, err := http.Post(e.url, "application/x-www-form-urlencoded;charset=utf-8", strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got struct {
		R alipaysdk.Error `json:"alipay_trade_refund_response"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return got.R
}

func TestRefundPaysOnceAndRepeatsAnswerTheFirst(t *testing.T) {
	e := newEnv(t, fakealipay.Options{})
	e.fake.SetTrade("T100", 10000)

	first, err := e.refund(t, "T100", "as_01-1", "12.34")
	if err != nil || first.Code != alipaysdk.CodeSuccess {
		t.Fatalf("first refund: %+v, %v", first, err)
	}
	if first.FundChange != "Y" || first.RefundFee != "12.34" || first.GmtRefundPay != "2026-03-01 10:00:00" {
		t.Fatalf("first refund: fund_change %q refund_fee %q gmt_refund_pay %q", first.FundChange, first.RefundFee, first.GmtRefundPay)
	}
	e.clock.Advance(time.Hour)
	again, err := e.refund(t, "T100", "as_01-1", "12.34")
	if err != nil || again.Code != alipaysdk.CodeSuccess {
		t.Fatalf("repeat: %+v, %v", again, err)
	}
	if again.FundChange != "N" || again.RefundFee != "12.34" || again.GmtRefundPay != "2026-03-01 10:00:00" {
		t.Fatalf("repeat: fund_change %q refund_fee %q gmt_refund_pay %q; want the first refund without fund change",
			again.FundChange, again.RefundFee, again.GmtRefundPay)
	}
	discordant, err := e.refund(t, "T100", "as_01-1", "10.00")
	if err != nil || discordant.SubCode != "ACQ.DISCORDANT_REPEAT_REQUEST" {
		t.Fatalf("same number, other amount: %+v, %v", discordant, err)
	}
	if got := e.fake.Payouts("as_01-1"); got != 1 {
		t.Fatalf("Payouts = %d, want 1", got)
	}
	if got := e.fake.TotalPaid(); got != 1234 {
		t.Fatalf("TotalPaid = %d, want 1234", got)
	}
	if got := e.fake.RefundCalls(); got != 3 {
		t.Fatalf("RefundCalls = %d, want 3", got)
	}
	rf, ok := e.fake.LookupRefund("T100", "as_01-1")
	if !ok || rf.Amount != 1234 || rf.Reason != "质量问题" || !rf.PaidAt.Equal(start) {
		t.Fatalf("LookupRefund = %+v, %v", rf, ok)
	}
}

func TestRefundLimitsAndTrades(t *testing.T) {
	tests := []struct {
		name        string
		opts        fakealipay.Options
		paid        int64 // 0: trade not registered
		amounts     []string
		wantSubs    []string // "" for success
		wantPaidFen int64
	}{
		{name: "partial refunds up to the payment", paid: 1000,
			amounts: []string{"6.00", "5.00", "4.00"}, wantSubs: []string{"", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", ""}, wantPaidFen: 1000},
		{name: "unregistered trade has no limit",
			amounts: []string{"600.00", "5000.00"}, wantSubs: []string{"", ""}, wantPaidFen: 560000},
		{name: "unregistered trade refused when trades are required", opts: fakealipay.Options{RequireTrades: true},
			amounts: []string{"1.00"}, wantSubs: []string{"ACQ.TRADE_NOT_EXIST"}, wantPaidFen: 0},
		{name: "malformed amount", paid: 1000,
			amounts: []string{"1.234"}, wantSubs: []string{"ACQ.INVALID_PARAMETER"}, wantPaidFen: 0},
		{name: "zero amount", paid: 1000,
			amounts: []string{"0.00"}, wantSubs: []string{"ACQ.INVALID_PARAMETER"}, wantPaidFen: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			if tt.paid > 0 {
				e.fake.SetTrade("T1", tt.paid)
			}
			for i, amount := range tt.amounts {
				rsp, err := e.refund(t, "T1", "R"+string(rune('a'+i)), amount)
				if err != nil {
					t.Fatalf("refund %s: %v", amount, err)
				}
				if rsp.SubCode != tt.wantSubs[i] || (tt.wantSubs[i] == "") != (rsp.Code == alipaysdk.CodeSuccess) {
					t.Fatalf("refund %s: %s %s, want sub code %q", amount, rsp.Code, rsp.SubCode, tt.wantSubs[i])
				}
			}
			if got := e.fake.TotalPaid(); got != tt.wantPaidFen {
				t.Fatalf("TotalPaid = %d, want %d", got, tt.wantPaidFen)
			}
		})
	}
}

func TestQuery(t *testing.T) {
	e := newEnv(t, fakealipay.Options{})
	e.fake.SetTrade("T2", 5000)

	unknown := e.query(t, "T2", "nope")
	if unknown.Code != alipaysdk.CodeSuccess || unknown.OutRequestNo != "" || unknown.RefundStatus != "" {
		t.Fatalf("unknown refund: %+v; want code 10000 without out_request_no and refund_status", unknown)
	}
	if _, err := e.refund(t, "T2", "R1", "20.00"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	got := e.query(t, "T2", "R1")
	if got.RefundStatus != alipay.RefundSuccess || got.OutRequestNo != "R1" || got.RefundAmount != "20.00" ||
		got.TotalAmount != "50.00" || got.GMTRefundPay != "2026-03-01 10:00:00" {
		t.Fatalf("paid refund: %+v", got)
	}
	if n := e.fake.QueryCalls(); n != 2 {
		t.Fatalf("QueryCalls = %d, want 2", n)
	}
}

func TestFaults(t *testing.T) {
	t.Run("system error records nothing", func(t *testing.T) {
		e := newEnv(t, fakealipay.Options{})
		e.fake.SetFaults(fakealipay.Faults{SystemError: 1})
		rsp, err := e.refund(t, "T1", "R1", "1.00")
		if err != nil || rsp.Code != "20000" {
			t.Fatalf("got %+v, %v; want code 20000", rsp, err)
		}
		if _, ok := e.fake.LookupRefund("T1", "R1"); ok || e.fake.TotalPaid() != 0 {
			t.Fatal("a refused refund was recorded")
		}
	})
	t.Run("fail refuses with the configured sub code", func(t *testing.T) {
		e := newEnv(t, fakealipay.Options{})
		e.fake.SetFaults(fakealipay.Faults{Fail: 1, FailSubCode: "ACQ.TRADE_HAS_FINISHED", FailSubMsg: "交易已完结"})
		rsp, err := e.refund(t, "T1", "R1", "1.00")
		if err != nil || rsp.Code != "40004" || rsp.SubCode != "ACQ.TRADE_HAS_FINISHED" {
			t.Fatalf("got %+v, %v", rsp, err)
		}
		if e.fake.TotalPaid() != 0 {
			t.Fatal("a refused refund was paid")
		}
	})
	t.Run("fail never refuses a recorded refund", func(t *testing.T) {
		e := newEnv(t, fakealipay.Options{})
		if _, err := e.refund(t, "T1", "R1", "1.00"); err != nil {
			t.Fatal(err)
		}
		e.fake.SetFaults(fakealipay.Faults{Fail: 1})
		rsp, err := e.refund(t, "T1", "R1", "1.00")
		if err != nil || rsp.Code != alipaysdk.CodeSuccess || rsp.FundChange != "N" {
			t.Fatalf("repeat under Fail: %+v, %v", rsp, err)
		}
	})
	t.Run("timeout pays and drops the connection", func(t *testing.T) {
		e := newEnv(t, fakealipay.Options{})
		e.fake.SetFaults(fakealipay.Faults{Timeout: 1})
		if _, err := e.refund(t, "T1", "R1", "3.00"); err == nil {
			t.Fatal("want a transport error")
		}
		if got := e.fake.Payouts("R1"); got != 1 {
			t.Fatalf("Payouts = %d, want 1: the refund is processed before the drop", got)
		}
		e.fake.SetFaults(fakealipay.Faults{})
		rsp, err := e.refund(t, "T1", "R1", "3.00")
		if err != nil || rsp.FundChange != "N" {
			t.Fatalf("retry: %+v, %v", rsp, err)
		}
		if got, calls := e.fake.Payouts("R1"), e.fake.RefundCalls(); got != 1 || calls != 2 {
			t.Fatalf("Payouts = %d, RefundCalls = %d; want 1 and 2", got, calls)
		}
	})
	t.Run("processing pays later", func(t *testing.T) {
		e := newEnv(t, fakealipay.Options{})
		e.fake.SetFaults(fakealipay.Faults{Processing: 1, ProcessingFor: 10 * time.Minute})
		rsp, err := e.refund(t, "T1", "R1", "3.00")
		if err != nil || rsp.Code != alipaysdk.CodeSuccess || rsp.FundChange != "N" || rsp.GmtRefundPay != "" {
			t.Fatalf("got %+v, %v; want success without fund change", rsp, err)
		}
		e.clock.Advance(9 * time.Minute)
		if q := e.query(t, "T1", "R1"); q.RefundStatus != "" {
			t.Fatalf("query before it is paid: %q", q.RefundStatus)
		}
		e.clock.Advance(time.Minute)
		if q := e.query(t, "T1", "R1"); q.RefundStatus != alipay.RefundSuccess || q.GMTRefundPay != "2026-03-01 10:10:00" {
			t.Fatalf("query once paid: %+v", q)
		}
	})
	t.Run("a seed replays the same run", func(t *testing.T) {
		e := newEnv(t, fakealipay.Options{})
		run := func(prefix string) string {
			e.fake.SetFaults(fakealipay.Faults{Seed: 42, Fail: 0.5})
			var b strings.Builder
			for i := range 16 {
				rsp, err := e.refund(t, "T1", prefix+string(rune('a'+i)), "0.01")
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString(string(rsp.Code)[:1])
			}
			return b.String()
		}
		a, b := run("x"), run("y")
		if a != b || !strings.Contains(a, "1") || !strings.Contains(a, "4") {
			t.Fatalf("runs %s and %s: want equal, mixing successes (1) and refusals (4)", a, b)
		}
	})
}

// receiver is a notify_url that records notifications and answers the
// bodies it is given in turn ("success" once they run out).
type receiver struct {
	mu      sync.Mutex
	answers []string
	got     []url.Values
	srv     *httptest.Server
}

func newReceiver(t *testing.T, answers ...string) *receiver {
	r := &receiver{answers: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		v, err := url.ParseQuery(string(body))
		if err != nil || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			t.Errorf("notification is not a form: %v %q", err, req.Header.Get("Content-Type"))
		}
		r.mu.Lock()
		r.got = append(r.got, v)
		answer := "success"
		if len(r.answers) > 0 {
			answer, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]url.Values(nil), r.got...)
}

func TestNotifications(t *testing.T) {
	tests := []struct {
		name      string
		faults    fakealipay.Faults
		answers   []string
		steps     []time.Duration // clock advances; the count received after each
		wantAfter []int
		wantAcked bool
	}{
		{name: "sent when paid", steps: []time.Duration{0}, wantAfter: []int{1}, wantAcked: true},
		{name: "delayed", faults: fakealipay.Faults{NotifyDelay: 30 * time.Second},
			steps: []time.Duration{29 * time.Second, time.Second}, wantAfter: []int{0, 1}, wantAcked: true},
		{name: "duplicated", faults: fakealipay.Faults{Duplicate: 1},
			steps: []time.Duration{0}, wantAfter: []int{2}, wantAcked: true},
		{name: "resent until answered success", answers: []string{"fail", "fail"},
			steps: []time.Duration{0, 4 * time.Minute, 10 * time.Minute}, wantAfter: []int{1, 2, 3}, wantAcked: true},
		{name: "after a processing refund is paid", faults: fakealipay.Faults{Processing: 1, ProcessingFor: time.Hour},
			steps: []time.Duration{59 * time.Minute, time.Minute}, wantAfter: []int{0, 1}, wantAcked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.answers...)
			e := newEnv(t, fakealipay.Options{Notify: true, NotifyURL: rcv.srv.URL})
			e.fake.SetFaults(tt.faults)
			e.fake.SetTrade("T9", 2000)
			if _, err := e.refund(t, "T9", "as_09-1", "20.00"); err != nil {
				t.Fatal(err)
			}
			for i, d := range tt.steps {
				e.clock.Advance(d)
				if got := len(rcv.received()); got != tt.wantAfter[i] {
					t.Fatalf("after step %d: %d notifications, want %d", i, got, tt.wantAfter[i])
				}
			}
			ds := e.fake.Deliveries()
			if last := ds[len(ds)-1]; last.Acked != tt.wantAcked {
				t.Fatalf("last delivery %+v, want acked %v", last, tt.wantAcked)
			}
			// Every notification verifies with the adapter and reports the refund.
			n, err := alipay.NewNotifications(e.fake.Settings(e.url), e.clock)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for _, v := range rcv.received() {
				notice, err := n.Parse(context.Background(), http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}, []byte(v.Encode()))
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if notice.OutRefundNo != "as_09-1" || v.Get("refund_fee") != "20.00" || v.Get("trade_status") != "TRADE_CLOSED" {
					t.Fatalf("notice %+v from %v", notice, v)
				}
				ids[notice.NotificationID] = true
			}
			if len(ids) != 1 {
				t.Fatalf("notify_ids %v: resends and duplicates must carry one id", ids)
			}
		})
	}
}

func TestNotificationsOffByDefault(t *testing.T) {
	rcv := newReceiver(t)
	e := newEnv(t, fakealipay.Options{NotifyURL: rcv.srv.URL})
	if _, err := e.refund(t, "T1", "R1", "1.00"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour)
	if got := len(rcv.received()); got != 0 || e.clock.Pending() != 0 {
		t.Fatalf("%d notifications, %d timers; want none", got, e.clock.Pending())
	}
}

func TestCloseCancelsNotifications(t *testing.T) {
	rcv := newReceiver(t)
	e := newEnv(t, fakealipay.Options{Notify: true, NotifyURL: rcv.srv.URL})
	e.fake.SetFaults(fakealipay.Faults{NotifyDelay: time.Minute})
	if _, err := e.refund(t, "T1", "R1", "1.00"); err != nil {
		t.Fatal(err)
	}
	e.fake.Close()
	e.clock.Advance(time.Hour)
	if got := len(rcv.received()); got != 0 {
		t.Fatalf("%d notifications after Close, want 0", got)
	}
}
