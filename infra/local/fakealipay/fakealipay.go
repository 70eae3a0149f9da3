// Package fakealipay is a local stand-in for Alipay's open API gateway, as
// far as refunds go: one URL where the form parameter "method" selects the
// API, requests signed by the app (RSA2 over the sorted parameters) and
// JSON answers {"<method>_response":{...},"sign":"..."} signed with an
// Alipay key, exactly as github.com/smartwalle/alipay/v3 sends and verifies
// them. It serves alipay.trade.refund and alipay.trade.fastpay.refund.query,
// and can post signed trade status notifications after refunds.
//
// New generates two RSA key pairs at start: the app's (the fake verifies
// requests with its public key; Settings hands out its private key) and
// Alipay's (the fake signs answers and notifications with its private key;
// Settings hands out its public key). Nothing is shared with the real
// Alipay and nothing is read from disk.
//
// Like Alipay, the fake
//   - deduplicates refunds on (trade_no, out_request_no): the same request
//     again is answered with the first refund (fund_change "N") and pays
//     nothing; the same number with another amount is refused
//     (ACQ.DISCORDANT_REPEAT_REQUEST);
//   - answers a new refund synchronously with fund_change "Y" and
//     gmt_refund_pay;
//   - refuses refunds beyond what a trade registered with SetTrade was paid
//     (ACQ.REFUND_AMT_NOT_EQUAL_TOTAL); other trades have no limit unless
//     Options.RequireTrades is set (ACQ.TRADE_NOT_EXIST);
//   - answers a query about an unknown or unfinished refund with code 10000
//     and no out_request_no or refund_status.
//
// It does not check the request timestamp: the library stamps requests with
// the wall clock, and the local stack may run on a virtual clock days away.
//
// Faults (SetFaults) make it misbehave on purpose, with probabilities drawn
// from a seeded generator: answering "system busy", refusing refunds,
// paying but dropping the connection before answering, paying later than
// it answers, and delaying or duplicating notifications.
//
// Time comes from Options.Now and timers from Options.AfterFunc, so the
// local stack's virtual clock drives it; the fake never sleeps.
package fakealipay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aftersales/aftersales/shared/alipay"
)

// DefaultAppID is the app id of a fake built without Options.AppID.
const DefaultAppID = "2021000000000001"

// The APIs the fake serves (the "method" parameter).
const (
	MethodRefund      = "alipay.trade.refund"
	MethodRefundQuery = "alipay.trade.fastpay.refund.query"
)

// keyBits is the size of the generated RSA keys (Alipay's RSA2 keys are
// 2048 bits).
const keyBits = 2048

// timeLayout is how Alipay writes times, in China time.
const timeLayout = "2006-01-02 15:04:05"

// chinaTime is UTC+8, Alipay's zone (no daylight saving since 1991).
var chinaTime = time.FixedZone("CST", 8*60*60)

// AlipayNotifyRetries is Alipay's schedule for resending a notification that
// was not answered "success": 4m, 10m, 10m, 1h, 2h, 6h, 15h after the
// previous attempt.
var AlipayNotifyRetries = []time.Duration{4 * time.Minute, 10 * time.Minute, 10 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 15 * time.Hour}

// Options configures a fake. The zero value is a fake on the wall clock that
// accepts any trade and sends no notifications.
type Options struct {
	// AppID is the app the fake serves; requests for another are refused
	// (isv.invalid-app-id). Empty means DefaultAppID.
	AppID string
	// Now is the fake's clock (gmt_refund_pay, notify_time, processing
	// delays); nil means time.Now.
	Now func() time.Time
	// AfterFunc calls f once d has passed on the fake's clock and returns a
	// function that cancels it; nil means time.AfterFunc. It must not call
	// f before returning (vclock.Clock.AfterFunc and time.AfterFunc do not).
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// RequireTrades refuses refunds and queries for trades not registered
	// with SetTrade (ACQ.TRADE_NOT_EXIST). By default any trade_no is a
	// trade with no paid limit.
	RequireTrades bool
	// Notify turns on trade status notifications after refunds (off by
	// default), posted to NotifyURL or, when that is empty, to the
	// notify_url of the refund request. A refund with neither has none.
	Notify bool
	// NotifyURL overrides where notifications go.
	NotifyURL string
	// NotifyClient posts notifications; nil means a client with a 10 s
	// timeout. Delivery runs on the timer's goroutine (under a virtual
	// clock: inside Advance), so a notification has been answered when the
	// clock call that fired it returns.
	NotifyClient *http.Client
	// NotifyRetries is the resend schedule for notifications not answered
	// "success"; nil means AlipayNotifyRetries, an empty slice no resends.
	NotifyRetries []time.Duration
}

// Faults makes the fake misbehave on purpose. Probabilities are in [0, 1];
// every refund request draws, in order, SystemError, Timeout, Fail and
// Processing from a generator seeded with Seed (reset by SetFaults), and
// every scheduled notification draws Duplicate, so a seed replays the same
// run. The zero value is a well-behaved Alipay.
type Faults struct {
	// Seed seeds the generator.
	Seed int64
	// SystemError answers code 20000 / aop.ACQ.SYSTEM_ERROR ("try again")
	// and records nothing.
	SystemError float64
	// Fail refuses a new refund with a business error (code 40004,
	// FailSubCode) and records nothing. Repeats of a recorded refund are
	// never refused.
	Fail float64
	// FailSubCode and FailSubMsg are the refusal; empty means
	// ACQ.SELLER_BALANCE_NOT_ENOUGH.
	FailSubCode, FailSubMsg string
	// Timeout processes the refund (recorded and paid, or answered from the
	// record if it is a repeat) and then drops the connection without an
	// answer, as a gateway timeout looks to the caller.
	Timeout float64
	// Processing answers a new refund without fund change; Alipay pays it
	// ProcessingFor later (queries before that find nothing).
	Processing float64
	// ProcessingFor is how long a Processing refund takes; zero means one
	// minute.
	ProcessingFor time.Duration
	// NotifyDelay delays every notification past the moment the refund is
	// paid.
	NotifyDelay time.Duration
	// Duplicate sends a notification twice (same notify_id).
	Duplicate float64
}

// Refund is a refund the fake recorded.
type Refund struct {
	TradeNo      string
	OutRequestNo string
	Amount       int64 // fen
	Reason       string
	NotifyURL    string    // the request's notify_url
	CreatedAt    time.Time // when the request was taken
	PaidAt       time.Time // when Alipay reports it paid: CreatedAt, or later under the Processing fault
}

// Delivery is one attempt at posting a notification.
type Delivery struct {
	NotifyID     string
	OutRequestNo string
	URL          string
	Attempt      int // 1 for the first post, 2 for the first resend, ...
	At           time.Time
	StatusCode   int    // 0 when the post failed
	Acked        bool   // answered 200 "success"
	Err          string // why the post failed, if it did
}

// trade is a payment refunds are made against.
type trade struct {
	no, outTradeNo string
	paid           int64 // fen; 0: no limit
	refunded       int64
	refunds        map[string]*Refund // by out_request_no
}

// Server is the fake gateway. It is safe for concurrent use.
type Server struct {
	opts         Options
	appID        string
	appPub       *rsa.PublicKey
	alipayKey    *rsa.PrivateKey
	appKeyPEM    string
	appPubPEM    string
	alipayPubPEM string
	notifyClient *http.Client

	mu          sync.Mutex
	faults      Faults
	rng         *mrand.Rand
	trades      map[string]*trade
	payouts     map[string]int // by out_request_no
	totalPaid   int64
	refundCalls int
	queryCalls  int
	deliveries  []Delivery
	timers      map[uint64]func() bool
	timerSeq    uint64
	notifySeq   uint64
	closed      bool
}

// New builds a fake with freshly generated app and Alipay key pairs.
func New(opts Options) (*Server, error) {
	if opts.AppID == "" {
		opts.AppID = DefaultAppID
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AfterFunc == nil {
		opts.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if opts.NotifyRetries == nil {
		opts.NotifyRetries = AlipayNotifyRetries
	}
	appKey, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("fakealipay: app key: %w", err)
	}
	alipayKey, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("fakealipay: alipay key: %w", err)
	}
	appPub, err := publicPEM(&appKey.PublicKey)
	if err != nil {
		return nil, err
	}
	alipayPub, err := publicPEM(&alipayKey.PublicKey)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:         opts,
		appID:        opts.AppID,
		appPub:       &appKey.PublicKey,
		alipayKey:    alipayKey,
		appKeyPEM:    string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)})),
		appPubPEM:    appPub,
		alipayPubPEM: alipayPub,
		notifyClient: opts.NotifyClient,
		trades:       make(map[string]*trade),
		payouts:      make(map[string]int),
		timers:       make(map[uint64]func() bool),
	}
	if s.notifyClient == nil {
		s.notifyClient = &http.Client{Timeout: 10 * time.Second}
	}
	s.SetFaults(Faults{})
	return s, nil
}

// publicPEM encodes a public key as PKIX PEM ("PUBLIC KEY"), the form
// Alipay hands out.
func publicPEM(k *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", fmt.Errorf("fakealipay: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// AppID returns the app id the fake serves.
func (s *Server) AppID() string { return s.appID }

// AppPrivateKeyPEM returns the app private key (PKCS#1 PEM) that requests
// must be signed with.
func (s *Server) AppPrivateKeyPEM() string { return s.appKeyPEM }

// AppPublicKeyPEM returns the app public key (PKIX PEM) the fake verifies
// requests with.
func (s *Server) AppPublicKeyPEM() string { return s.appPubPEM }

// AlipayPublicKeyPEM returns the public key (PKIX PEM) of the fake Alipay
// key that signs answers and notifications.
func (s *Server) AlipayPublicKeyPEM() string { return s.alipayPubPEM }

// Settings returns the adapter settings for talking to this fake served at
// endpoint (the URL its Handler is mounted at, e.g. an httptest.Server's
// URL). NotifyURL is Options.NotifyURL.
func (s *Server) Settings(endpoint string) alipay.Settings {
	return alipay.Settings{
		AppID:           s.appID,
		AppPrivateKey:   s.appKeyPEM,
		AlipayPublicKey: s.alipayPubPEM,
		NotifyURL:       s.opts.NotifyURL,
		Endpoint:        endpoint,
	}
}

// SetTrade registers trade tradeNo as paid paidFen, the most its refunds
// may add up to; paidFen <= 0 removes the limit. Refunds already made are
// kept.
func (s *Server) SetTrade(tradeNo string, paidFen int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tradeLocked(tradeNo)
	t.paid = max(paidFen, 0)
}

// SetFaults replaces the faults and reseeds the generator. It may be called
// at any time, also while requests are being served.
func (s *Server) SetFaults(f Faults) {
	if f.FailSubCode == "" {
		f.FailSubCode, f.FailSubMsg = "ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足"
	}
	if f.ProcessingFor <= 0 {
		f.ProcessingFor = time.Minute
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.rng = mrand.New(mrand.NewPCG(uint64(f.Seed), 0x5eed))
}

// Payouts returns how many times money was paid out for refunds numbered
// outRequestNo, over all trades. A refund counts as paid when it is
// recorded, also under the Processing fault. Anything but 0 or 1 means the
// caller used one number twice for different trades.
func (s *Server) Payouts(outRequestNo string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.payouts[outRequestNo]
}

// TotalPaid returns the fen paid out by all refunds.
func (s *Server) TotalPaid() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalPaid
}

// RefundCalls returns how many alipay.trade.refund requests passed the
// signature check, repeats and refused ones included.
func (s *Server) RefundCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refundCalls
}

// QueryCalls returns how many alipay.trade.fastpay.refund.query requests
// passed the signature check.
func (s *Server) QueryCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queryCalls
}

// LookupRefund returns the refund recorded for (tradeNo, outRequestNo).
func (s *Server) LookupRefund(tradeNo, outRequestNo string) (Refund, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.trades[tradeNo]; ok {
		if rf, ok := t.refunds[outRequestNo]; ok {
			return *rf, true
		}
	}
	return Refund{}, false
}

// Deliveries returns the notification posts made so far, in order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// Close cancels the pending notifications and resends. The handler keeps
// answering.
func (s *Server) Close() {
	s.mu.Lock()
	stops := s.timers
	s.timers, s.closed = nil, true
	s.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// tradeLocked returns trade no, creating it without a limit.
func (s *Server) tradeLocked(no string) *trade {
	t, ok := s.trades[no]
	if !ok {
		t = &trade{no: no, outTradeNo: "fake-order-" + no, refunds: make(map[string]*Refund)}
		s.trades[no] = t
	}
	return t
}

// afterLocked runs f after d on the fake's clock unless Close comes first.
func (s *Server) afterLocked(d time.Duration, f func()) {
	if s.closed {
		return
	}
	s.timerSeq++
	id := s.timerSeq
	s.timers[id] = s.opts.AfterFunc(d, func() {
		s.mu.Lock()
		_, live := s.timers[id]
		delete(s.timers, id)
		s.mu.Unlock()
		if live {
			f()
		}
	})
}

// sign signs data with the fake Alipay key: base64 of RSA PKCS#1 v1.5 over
// SHA-256 (Alipay's RSA2).
func (s *Server) sign(data []byte) string {
	sum := sha256.Sum256(data)
	sig, err := rsa.SignPKCS1v15(nil, s.alipayKey, crypto.SHA256, sum[:])
	if err != nil {
		panic("fakealipay: signing: " + err.Error()) // cannot happen with a valid key
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// signContent is the string Alipay signs for a set of parameters: name=value
// pairs sorted by name, joined by '&', without the names in skip. Empty
// values are left out when skipEmpty is set (requests), kept otherwise
// (notifications: "every parameter sent is signed").
func signContent(v url.Values, skipEmpty bool, skip ...string) []byte {
	keys := make([]string, 0, len(v))
	for k := range v {
		if !slices.Contains(skip, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, val := range v[k] {
			if skipEmpty && val == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(val)
		}
	}
	return []byte(b.String())
}

// SignNotification returns a copy of values signed as Alipay signs a
// notification: sign_type RSA2 and sign over every other parameter. Tests
// use it to build notifications of their own.
func (s *Server) SignNotification(values url.Values) url.Values {
	v := url.Values{}
	for k, vals := range values {
		v[k] = slices.Clone(vals)
	}
	v.Del("sign")
	v.Set("sign_type", alipay.SignTypeRSA2)
	v.Set("sign", s.sign(signContent(v, false, "sign", "sign_type")))
	return v
}

// RefundNotification returns the signed trade status notification the fake
// sends for refund (tradeNo, outRequestNo), with a fresh notify_id, and
// false if there is no such refund.
func (s *Server) RefundNotification(tradeNo, outRequestNo string) (url.Values, bool) {
	s.mu.Lock()
	t, ok := s.trades[tradeNo]
	var rf *Refund
	if ok {
		rf, ok = t.refunds[outRequestNo]
	}
	if !ok {
		s.mu.Unlock()
		return nil, false
	}
	v := s.notificationLocked(t, rf, s.notifyIDLocked())
	s.mu.Unlock()
	return s.SignNotification(v), true
}

// notifyIDLocked returns the next notify_id.
func (s *Server) notifyIDLocked() string {
	s.notifySeq++
	return fmt.Sprintf("fake%028d", s.notifySeq)
}

// notificationLocked builds the unsigned trade status notification for rf,
// as Alipay sends after a refund: trade_status TRADE_CLOSED once the whole
// payment is refunded, TRADE_SUCCESS before; out_biz_no is the refund's
// out_request_no and refund_fee the trade's refunded total.
func (s *Server) notificationLocked(t *trade, rf *Refund, notifyID string) url.Values {
	v := url.Values{}
	v.Set("notify_time", s.opts.Now().In(chinaTime).Format(timeLayout))
	v.Set("notify_type", alipay.NotifyTypeTradeStatusSync)
	v.Set("notify_id", notifyID)
	v.Set("app_id", s.appID)
	v.Set("charset", "utf-8")
	v.Set("version", "1.0")
	v.Set("trade_no", t.no)
	v.Set("out_trade_no", t.outTradeNo)
	v.Set("out_biz_no", rf.OutRequestNo)
	v.Set("buyer_id", "2088102177846880")
	v.Set("seller_id", "2088101117955611")
	v.Set("subject", "售后测试订单 "+t.no)
	status := "TRADE_SUCCESS"
	if t.paid > 0 {
		v.Set("total_amount", alipay.FormatYuan(t.paid))
		v.Set("receipt_amount", alipay.FormatYuan(t.paid))
		if t.refunded >= t.paid {
			status = "TRADE_CLOSED"
		}
	}
	v.Set("trade_status", status)
	v.Set("refund_fee", alipay.FormatYuan(t.refunded))
	v.Set("gmt_refund", rf.PaidAt.In(chinaTime).Format(timeLayout+".000"))
	return v
}

// drawLocked reports whether an event of probability p happens; it always
// consumes one number so that a seed replays the same run.
func (s *Server) drawLocked(p float64) bool {
	return s.rng.Float64() < p
}
