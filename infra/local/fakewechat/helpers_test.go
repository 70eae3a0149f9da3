package fakewechat_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/credentials"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/signers"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// t0 is far from the wall clock: anything that reads the wall clock instead
// of the injected one fails the five-minute checks.
var t0 = time.Date(2031, 3, 1, 2, 0, 0, 0, time.UTC)

var (
	keysOnce         sync.Once
	keys, impostor   fakewechat.Keys
	keysErr, impoErr error
)

// testKeys generates key material once per test binary (RSA key generation
// is slow under -race); impostor plays a merchant or platform with other keys.
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

// env is the fake served over HTTP, a receiver for its notifications, and
// the real adapter as the merchant, all on one virtual clock.
type env struct {
	clock    *vclock.Clock
	fake     *fakewechat.Server
	srv      *httptest.Server
	recv     *receiver
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
	recv := newReceiver(t, fake.Settings("", ""), clock)
	hook := httptest.NewServer(recv)
	t.Cleanup(func() { fake.Close(); srv.Close(); hook.Close() })
	p, err := wechatpay.NewProvider(fake.Settings(srv.URL, hook.URL+"/webhooks/wechatpay"), clock)
	if err != nil {
		t.Fatal(err)
	}
	return &env{clock: clock, fake: fake, srv: srv, recv: recv, provider: p}
}

// receiver is the merchant's webhook: it verifies every notification with
// the adapter and records what it took.
type receiver struct {
	n *wechatpay.Notifications

	mu       sync.Mutex
	posts    int
	failFor  int     // answer 500 to the first failFor verified posts
	failRate float64 // and then to this share of them
	rng      *rand.Rand
	notices  []aftersales.RefundNotice
	errs     []error
}

func newReceiver(t *testing.T, settings wechatpay.Settings, clock aftersales.Clock) *receiver {
	t.Helper()
	n, err := wechatpay.NewNotifications(settings, clock)
	if err != nil {
		t.Fatal(err)
	}
	return &receiver{n: n, rng: rand.New(rand.NewPCG(7, 7))}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	notice, err := r.n.Parse(req.Context(), req.Header, body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts++
	if err != nil {
		r.errs = append(r.errs, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.posts <= r.failFor || r.failRate > 0 && r.rng.Float64() < r.failRate {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	r.notices = append(r.notices, notice)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) snapshot() (posts int, notices []aftersales.RefundNotice, errs []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posts, append([]aftersales.RefundNotice(nil), r.notices...), append([]error(nil), r.errs...)
}

// request is a valid refund of 60.00 of a 198.00 order.
func request(no, transactionID string) aftersales.RefundRequest {
	return aftersales.RefundRequest{
		OutRefundNo:   no,
		Amount:        aftersales.Money{Amount: 6000, Currency: aftersales.CNY},
		OrderTotal:    aftersales.Money{Amount: 19800, Currency: aftersales.CNY},
		TransactionID: transactionID,
		Reason:        "质量问题",
	}
}

// rawClient sends hand-made requests, signed like the SDK signs them.
type rawClient struct {
	t      *testing.T
	base   string
	key    *rsa.PrivateKey
	serial string
	mchID  string
}

func (c rawClient) authorization(method, uri, body string) string {
	c.t.Helper()
	cred := credentials.WechatPayCredentials{Signer: &signers.SHA256WithRSASigner{MchID: c.mchID, CertificateSerialNo: c.serial, PrivateKey: c.key}}
	a, err := cred.GenerateAuthorizationHeader(context.Background(), method, uri, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return a
}

// do sends body to path with the given Authorization ("" for none) and
// returns the status, the error code if any, and the raw answer.
func (c rawClient) do(method, path, body, authorization string) (int, string, *http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	var e struct{ Code string }
	_ = json.Unmarshal(raw, &e)
	return resp.StatusCode, e.Code, resp, raw
}

// signed sends a correctly signed request.
func (c rawClient) signed(method, path, body string) (int, string, *http.Response, []byte) {
	c.t.Helper()
	return c.do(method, path, body, c.authorization(method, path, body))
}

func createBody(no, transactionID string, refund, total int64) string {
	b, _ := json.Marshal(map[string]any{
		"transaction_id": transactionID,
		"out_refund_no":  no,
		"reason":         "质量问题",
		"amount":         map[string]any{"refund": refund, "total": total, "currency": "CNY"},
	})
	return string(b)
}
