package wechatpay_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// t0 is years from the wall clock on purpose: every time check must use the
// injected clock (the SDK's own checks, on the wall clock, would fail).
var t0 = time.Date(2031, 3, 1, 2, 0, 0, 0, time.UTC)

// Key generation is slow (RSA-2048, more so under -race): two sets per test
// binary, the second one to play an impostor.
var (
	keysOnce         sync.Once
	keys, impostor   fakewechat.Keys
	keysErr, impoErr error
)

func testKeys(t *testing.T) (fakewechat.Keys, fakewechat.Keys) {
	t.Helper()
	keysOnce.Do(func() {
		keys, keysErr = fakewechat.GenerateKeys()
		impostor, impoErr = fakewechat.GenerateKeys()
	})
	if keysErr != nil || impoErr != nil {
		t.Fatal(keysErr, impoErr)
	}
	return keys, impostor
}

// env is a fake WeChat Pay served over real HTTP and a provider talking to
// it, both on one virtual clock.
type env struct {
	clock    *vclock.Clock
	fake     *fakewechat.Server
	srv      *httptest.Server
	settings wechatpay.Settings
	provider *wechatpay.Provider
}

func newEnv(t *testing.T, opts fakewechat.Options) *env {
	t.Helper()
	k, _ := testKeys(t)
	clock := vclock.New(t0)
	opts.Keys = &k
	opts.Now = clock.Now
	opts.AfterFunc = clock.AfterFunc
	opts.OnSettle = clock.OnSettle
	fake, err := fakewechat.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(func() { fake.Close(); srv.Close() })
	settings := fake.Settings(srv.URL, "")
	p, err := wechatpay.NewProvider(settings, clock)
	if err != nil {
		t.Fatal(err)
	}
	return &env{clock: clock, fake: fake, srv: srv, settings: settings, provider: p}
}

// request is a valid refund of 99.00 of a 198.00 order.
func request(no string) aftersales.RefundRequest {
	return aftersales.RefundRequest{
		OutRefundNo:   no,
		CaseID:        "as_01",
		OrderID:       "o-1",
		BuyerID:       "buyer-1",
		Amount:        aftersales.Money{Amount: 9900, Currency: aftersales.CNY},
		OrderTotal:    aftersales.Money{Amount: 19800, Currency: aftersales.CNY},
		TransactionID: "4200000001",
		Reason:        "尺码不合适",
	}
}

// fixedClock is a clock that stands still.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
