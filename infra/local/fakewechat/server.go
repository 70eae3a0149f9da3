// Package fakewechat is a local fake of the WeChat Pay API v3 refund API,
// for the local stack and for tests. It answers like the real service, so
// the real SDK and shared/wechatpay run against it unchanged:
//
//   - POST /v3/refund/domestic/refunds (申请退款) and
//     GET /v3/refund/domestic/refunds/{out_refund_no} (查询单笔退款), with the
//     documented JSON fields, status codes and error codes, the merchant's
//     Authorization signature checked, and every answer signed with the
//     platform key (Wechatpay-Signature, -Timestamp, -Nonce, -Serial).
//   - Refunds are deduplicated by out_refund_no and a transaction can never
//     be refunded more than its total.
//   - After a settle delay a refund succeeds (or closes, or turns abnormal)
//     and the fake posts the refund notification (退款结果通知), signed with
//     the platform key and its resource encrypted with the APIv3 key, to the
//     request's notify_url, retrying on failure as WeChat Pay does.
//
// It keeps a payout ledger (Payouts, TotalPaid) so tests can prove that no
// refund is ever paid twice, and it can be told to misbehave (Faults,
// Inject): delay, duplicate or reorder notifications, close refunds, fail
// calls, or drop connections after doing the work.
//
// All time comes from Options.Now and Options.AfterFunc, so the local
// stack's virtual clock drives settling and notification retries.
package fakewechat

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// DefaultMchID is the merchant id the fake serves when Options.MchID is
// empty (the id WeChat Pay's documentation uses in its examples).
const DefaultMchID = "1900000109"

// DefaultSettleDelay is how long a refund stays PROCESSING when
// Options.SettleDelay is zero: long enough that the create answer always
// comes first, short enough for a demo.
const DefaultSettleDelay = 2 * time.Second

// DefaultNotifyRetries is WeChat Pay's documented notification retry
// schedule (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h): the waits
// between a failed delivery and the next attempt.
var DefaultNotifyRetries = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute, 10 * time.Minute,
	20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, time.Hour,
	3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// The error codes the fake answers with, as WeChat Pay documents them.
const (
	CodeSignError         = "SIGN_ERROR"          // 401: the Authorization signature does not verify
	CodeParamError        = "PARAM_ERROR"         // 400: a field is missing or malformed
	CodeInvalidRequest    = "INVALID_REQUEST"     // 400: well formed but against the rules (over-refund, a reused number with other amounts)
	CodeResourceNotExists = "RESOURCE_NOT_EXISTS" // 404: no such refund (or transaction)
	CodeSystemError       = "SYSTEM_ERROR"        // 500: injected failure
)

// The refund statuses of the API.
const (
	StatusProcessing = "PROCESSING"
	StatusSuccess    = "SUCCESS"
	StatusClosed     = "CLOSED"
	StatusAbnormal   = "ABNORMAL"
)

// receivedAccount is where the fake says the money went (WeChat Pay's
// wording for the payer's WeChat balance).
const receivedAccount = "支付用户零钱"

// maxBody bounds a request body; real refund requests are a few hundred
// bytes.
const maxBody = 64 << 10

var (
	outRefundNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)
	// beijing is the time zone WeChat Pay writes its times in.
	beijing = time.FixedZone("CST", 8*60*60)
)

// Options configures a Server. The zero value works: wall time, a 2 s
// settle delay, fresh keys, no faults.
type Options struct {
	// Now is the fake's clock (signatures, create and success times).
	// Default time.Now.
	Now func() time.Time
	// AfterFunc schedules settling and notification retries; it must not
	// call f before returning. Default: time.AfterFunc. The local stack
	// passes its virtual clock's AfterFunc.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// OnSettle, when set, is given a function that returns once every
	// notification being posted has been answered; pass the virtual
	// clock's OnSettle so that Advance returns only after the notifications
	// its timers sent were received.
	OnSettle func(f func()) (remove func())
	// HTTPClient posts notifications. Default: a client with a 5 s timeout
	// (WeChat Pay gives up on a receiver after 5 s too).
	HTTPClient *http.Client
	// SettleDelay is how long a refund stays PROCESSING. Zero means
	// DefaultSettleDelay; a negative value settles on the clock's next
	// tick (a virtual clock's Advance(0)).
	SettleDelay time.Duration
	// NotifyURL, when set, receives every notification instead of the
	// request's notify_url.
	NotifyURL string
	// NotifyRetries are the waits between failed deliveries of one
	// notification. nil means DefaultNotifyRetries; an empty non-nil slice
	// means a single attempt.
	NotifyRetries []time.Duration
	// MchID is the merchant id the fake serves. Default DefaultMchID.
	MchID string
	// Keys is the key material; nil means GenerateKeys.
	Keys *Keys
	// StrictTransactions refuses refunds of transactions not declared with
	// AddTransaction (404 RESOURCE_NOT_EXISTS, as WeChat Pay answers for an
	// unknown order). Otherwise a transaction's total is learned from its
	// first refund and must be the same in every later one.
	StrictTransactions bool
	// Faults is the initial fault configuration (see SetFaults).
	Faults Faults
	// Logf, when set, receives a line for every refund event.
	Logf func(format string, args ...any)
}

// Faults makes the fake misbehave at random, the way a real provider
// occasionally does, for chaos tests. Probabilities are per create call
// (Fail also per query call) and independent. It can be changed at any time
// with SetFaults.
type Faults struct {
	// Delay adds a uniformly random extra settle delay in [0, Delay), so
	// notifications arrive late and not in creation order.
	Delay time.Duration
	// Duplicate delivers the notification twice, concurrently, with the
	// same id.
	Duplicate float64
	// Reorder settles the refund and posts its notification before the
	// create call is answered; the answer still says PROCESSING, as it was
	// when the request was accepted. The merchant sees the result before it
	// has recorded that the refund was sent.
	Reorder float64
	// Close ends the refund CLOSED (REFUND.CLOSED): nothing is paid and the
	// amount becomes refundable again.
	Close float64
	// Abnormal ends the refund ABNORMAL (REFUND.ABNORMAL): the money left
	// the merchant but did not reach the buyer, so nothing is paid out.
	Abnormal float64
	// Timeout processes the create call (the refund is recorded and will be
	// paid) and then drops the connection without an answer, so the client
	// sees an error and must ask again with the same out_refund_no.
	Timeout float64
	// Fail answers a create or query call 500 SYSTEM_ERROR without doing
	// anything.
	Fail float64
	// Seed seeds the random draws, so a single-threaded run is
	// reproducible.
	Seed int64
}

// Fault is a set of misbehaviours forced on one refund with Inject. The
// flags mean what the Faults fields of the same names mean.
type Fault uint16

// The forcible faults.
const (
	FaultDuplicate Fault = 1 << iota
	FaultReorder
	FaultClose
	FaultAbnormal
	FaultTimeout
	FaultFail
)

// Stats counts what the fake has done.
type Stats struct {
	CreateCalls int // POST .../refunds calls that passed authentication
	QueryCalls  int // GET .../refunds/{no} calls that passed authentication
	Refunds     int // distinct refunds recorded
	Processing  int
	Succeeded   int
	Closed      int
	Abnormal    int
	TotalPaid   int64 // fen paid out to buyers (succeeded refunds)
	// Notification deliveries: attempts, 2xx answers, retries waiting on
	// the clock, and notifications given up after the last retry.
	NotificationsSent      int
	NotificationsDelivered int
	NotificationsPending   int
	NotificationsAbandoned int
}

// refund is the fake's record of one refund.
type refund struct {
	refundID      string
	outRefundNo   string
	transactionID string
	outTradeNo    string
	txnKey        string
	amount, total int64
	reason        string
	notifyURL     string
	status        string
	created       time.Time
	succeeded     time.Time
	faults        Fault
}

// txn is a transaction's refund ledger.
type txn struct {
	total    int64
	refunded int64 // by refunds not closed
}

// Server is the fake WeChat Pay. It is safe for concurrent use.
type Server struct {
	opts    Options
	mchID   string
	keys    Keys
	mchVer  auth.Verifier
	client  *http.Client
	handler http.Handler
	retries []time.Duration

	ctx    context.Context // cancelled by Close: stops deliveries in flight
	cancel context.CancelFunc

	mu       sync.Mutex
	idle     *sync.Cond // signalled when inflight drops to zero
	inflight int
	closed   bool
	faults   Faults
	rng      *mathrand.Rand
	forced   map[string]Fault
	refunds  map[string]*refund
	txns     map[string]*txn
	payouts  map[string]int
	timers   map[uint64]func() bool
	timerSeq uint64
	refSeq   uint64
	evSeq    uint64
	stats    Stats
	unsettle func()
}

// New builds a fake with its keys; serve Handler wherever you like
// (httptest.NewServer in tests, a port in the local stack).
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AfterFunc == nil {
		opts.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	switch {
	case opts.SettleDelay == 0:
		opts.SettleDelay = DefaultSettleDelay
	case opts.SettleDelay < 0:
		opts.SettleDelay = 0 // settle on the clock's next tick: a sandbox answering at once
	}
	if opts.MchID == "" {
		opts.MchID = DefaultMchID
	}
	var keys Keys
	if opts.Keys != nil {
		keys = *opts.Keys
	} else {
		k, err := GenerateKeys()
		if err != nil {
			return nil, fmt.Errorf("fakewechat: generate keys: %w", err)
		}
		keys = k
	}
	if err := keys.validate(); err != nil {
		return nil, fmt.Errorf("fakewechat: %w", err)
	}
	s := &Server{
		opts:    opts,
		mchID:   opts.MchID,
		keys:    keys,
		mchVer:  verifiers.NewSHA256WithRSAPubkeyVerifier(keys.MchSerialNo, keys.MchPrivateKey.PublicKey),
		client:  opts.HTTPClient,
		retries: opts.NotifyRetries,
		forced:  map[string]Fault{},
		refunds: map[string]*refund{},
		txns:    map[string]*txn{},
		payouts: map[string]int{},
		timers:  map[uint64]func() bool{},
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 5 * time.Second}
	}
	if s.retries == nil {
		s.retries = DefaultNotifyRetries
	}
	s.idle = sync.NewCond(&s.mu)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.setFaultsLocked(opts.Faults)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/refund/domestic/refunds", s.create)
	mux.HandleFunc("GET /v3/refund/domestic/refunds/{out_refund_no}", s.query)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "the fake serves only the refund API")
	})
	s.handler = mux

	if opts.OnSettle != nil {
		s.unsettle = opts.OnSettle(s.Quiesce)
	}
	return s, nil
}

// Handler serves the API. Mount it at the root of a host, or strip a path
// prefix first (the request signature covers the path the client signed).
func (s *Server) Handler() http.Handler { return s.handler }

// Keys returns the key material, including the platform private key.
func (s *Server) Keys() Keys { return s.keys }

// MchID returns the merchant id the fake serves.
func (s *Server) MchID() string { return s.mchID }

// Settings returns the adapter settings of the fake's merchant, keys as PEM
// text like a deployment's: endpoint is the URL the Handler is served at,
// notifyURL where notifications should go (both may be empty).
func (s *Server) Settings(endpoint, notifyURL string) wechatpay.Settings {
	return wechatpay.Settings{
		MchID:            s.mchID,
		MchSerialNo:      s.keys.MchSerialNo,
		MchPrivateKeyPEM: s.keys.MchPrivateKeyPEM(),
		APIv3Key:         s.keys.APIv3Key,
		PublicKeyID:      s.keys.PublicKeyID,
		PublicKeyPEM:     s.keys.PublicKeyPEM(),
		NotifyURL:        notifyURL,
		Endpoint:         endpoint,
	}
}

// Env is Settings as the WECHATPAY_* environment variables that
// config.Load reads, for functions started as processes.
func (s *Server) Env(endpoint, notifyURL string) map[string]string {
	p := s.Settings(endpoint, notifyURL)
	return map[string]string{
		config.EnvWeChatPayMchID:         p.MchID,
		config.EnvWeChatPayMchSerialNo:   p.MchSerialNo,
		config.EnvWeChatPayMchPrivateKey: p.MchPrivateKeyPEM,
		config.EnvWeChatPayAPIv3Key:      p.APIv3Key,
		config.EnvWeChatPayPublicKeyID:   p.PublicKeyID,
		config.EnvWeChatPayPublicKey:     p.PublicKeyPEM,
		config.EnvWeChatPayNotifyURL:     p.NotifyURL,
		config.EnvWeChatPayEndpoint:      p.Endpoint,
	}
}

// SetFaults replaces the random fault configuration, reseeding the draws.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaultsLocked(f)
}

func (s *Server) setFaultsLocked(f Faults) {
	s.faults = f
	s.rng = mathrand.New(mathrand.NewPCG(uint64(f.Seed), uint64(f.Seed)^0x9e3779b97f4a7c15))
}

// Inject forces faults on the next create call for outRefundNo, on top of
// the random ones; the call consumes them.
func (s *Server) Inject(outRefundNo string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced[outRefundNo] |= f
}

// AddTransaction declares a payment that can be refunded up to total fen.
func (s *Server) AddTransaction(transactionID string, total int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := "tx:" + transactionID
	if t, ok := s.txns[key]; ok {
		t.total = total
		return
	}
	s.txns[key] = &txn{total: total}
}

// Refund returns the refund as the query API would, and whether it exists.
func (s *Server) Refund(outRefundNo string) (refunddomestic.Refund, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rf, ok := s.refunds[outRefundNo]
	if !ok {
		return refunddomestic.Refund{}, false
	}
	return s.viewLocked(rf), true
}

// Payouts returns how many times money was paid for outRefundNo: 0 or 1,
// unless the fake is broken.
func (s *Server) Payouts(outRefundNo string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.payouts[outRefundNo]
}

// TotalPaid returns the fen paid out to buyers so far.
func (s *Server) TotalPaid() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.TotalPaid
}

// CreateCalls returns how many authenticated create calls were made,
// deduplicated ones included.
func (s *Server) CreateCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.CreateCalls
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Refunds = len(s.refunds)
	for _, rf := range s.refunds {
		switch rf.status {
		case StatusProcessing:
			st.Processing++
		case StatusSuccess:
			st.Succeeded++
		case StatusClosed:
			st.Closed++
		case StatusAbnormal:
			st.Abnormal++
		}
	}
	return st
}

// Quiesce returns once no notification is being posted. Retries waiting on
// the clock are not waited for: they are timers, fired by the clock.
func (s *Server) Quiesce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.inflight > 0 {
		s.idle.Wait()
	}
}

// Close stops settling and notifying: pending timers are stopped and posts
// in flight are cancelled. The handler keeps answering.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	stops := make([]func() bool, 0, len(s.timers))
	for id, stop := range s.timers {
		if stop != nil {
			stops = append(stops, stop)
		}
		delete(s.timers, id)
	}
	s.stats.NotificationsPending = 0
	s.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	s.cancel()
	if s.unsettle != nil {
		s.unsettle()
	}
}

// --- the API -------------------------------------------------------------

// create is 申请退款: POST /v3/refund/domestic/refunds.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readAuthenticated(w, r)
	if !ok {
		return
	}
	var req refunddomestic.CreateRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, CodeParamError, "请求体不是合法的JSON: "+err.Error())
		return
	}
	if msg := validateCreate(&req); msg != "" {
		s.mu.Lock()
		s.stats.CreateCalls++
		s.mu.Unlock()
		s.fail(w, http.StatusBadRequest, CodeParamError, msg)
		return
	}
	no := *req.OutRefundNo
	amount, total := *req.Amount.Refund, *req.Amount.Total
	txnKey, transactionID, outTradeNo := "tx:"+deref(req.TransactionId), deref(req.TransactionId), deref(req.OutTradeNo)
	if transactionID == "" {
		txnKey = "ot:" + outTradeNo
	}

	s.mu.Lock()
	s.stats.CreateCalls++
	f := s.drawLocked(no, true)
	if f&FaultFail != 0 {
		s.mu.Unlock()
		s.logf("refund %s: injected SYSTEM_ERROR", no)
		s.fail(w, http.StatusInternalServerError, CodeSystemError, "系统错误")
		return
	}
	if rf, ok := s.refunds[no]; ok {
		// The same number again: the same refund, never a second payment,
		// unless the request disagrees with the first.
		if rf.txnKey != txnKey || rf.amount != amount || rf.total != total {
			s.mu.Unlock()
			s.fail(w, http.StatusBadRequest, CodeInvalidRequest, "订单金额或退款金额与之前请求不一致，请核实后再试")
			return
		}
		view := s.viewLocked(rf)
		s.mu.Unlock()
		s.logf("refund %s: repeated request, answered with the first refund (%s)", no, *view.Status)
		if f&FaultTimeout != 0 {
			drop(w)
			return
		}
		s.reply(w, http.StatusOK, view)
		return
	}
	t, known := s.txns[txnKey]
	switch {
	case !known && s.opts.StrictTransactions:
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, CodeResourceNotExists, "订单不存在")
		return
	case !known:
		t = &txn{total: total}
		s.txns[txnKey] = t
	case t.total != total:
		s.mu.Unlock()
		s.fail(w, http.StatusBadRequest, CodeInvalidRequest, "订单金额与原支付金额不一致")
		return
	}
	if t.refunded+amount > t.total {
		s.mu.Unlock()
		s.fail(w, http.StatusBadRequest, CodeInvalidRequest, "申请退款金额超过订单可退金额")
		return
	}
	t.refunded += amount
	s.refSeq++
	if transactionID == "" {
		transactionID = fmt.Sprintf("4200000000%018d", s.refSeq)
	}
	if outTradeNo == "" {
		outTradeNo = "fake-" + transactionID
	}
	rf := &refund{
		refundID:      fmt.Sprintf("50300%024d", s.refSeq),
		outRefundNo:   no,
		transactionID: transactionID,
		outTradeNo:    outTradeNo,
		txnKey:        txnKey,
		amount:        amount,
		total:         total,
		reason:        deref(req.Reason),
		notifyURL:     deref(req.NotifyUrl),
		status:        StatusProcessing,
		created:       s.opts.Now(),
		faults:        f,
	}
	s.refunds[no] = rf
	view := s.viewLocked(rf)
	delay := s.opts.SettleDelay
	if s.faults.Delay > 0 {
		delay += time.Duration(s.rng.Int64N(int64(s.faults.Delay)))
	}
	s.mu.Unlock()
	s.logf("refund %s: accepted %d of %d fen (faults %s)", no, amount, total, f)

	if f&FaultReorder != 0 {
		// The result overtakes the answer: settle and notify first.
		if d := s.settle(no); d != nil {
			s.deliver(d, 0)
			if f&FaultDuplicate != 0 {
				s.deliver(d, 0)
			}
		}
	} else {
		s.schedule(delay, func() {
			if d := s.settle(no); d != nil {
				s.sendAsync(d, 0)
				if f&FaultDuplicate != 0 {
					s.sendAsync(d, 0)
				}
			}
		})
	}
	if f&FaultTimeout != 0 {
		drop(w)
		return
	}
	s.reply(w, http.StatusOK, view)
}

// query is 查询单笔退款: GET /v3/refund/domestic/refunds/{out_refund_no}.
func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.readAuthenticated(w, r); !ok {
		return
	}
	no := r.PathValue("out_refund_no")
	s.mu.Lock()
	s.stats.QueryCalls++
	f := s.drawLocked(no, false)
	rf, ok := s.refunds[no]
	var view refunddomestic.Refund
	if ok {
		view = s.viewLocked(rf)
	}
	s.mu.Unlock()
	switch {
	case f&FaultFail != 0:
		s.fail(w, http.StatusInternalServerError, CodeSystemError, "系统错误")
	case !ok:
		s.fail(w, http.StatusNotFound, CodeResourceNotExists, "退款单不存在")
	default:
		s.reply(w, http.StatusOK, view)
	}
}

// validateCreate checks a create request as WeChat Pay's PARAM_ERROR does;
// it returns the message, empty when the request is well formed.
func validateCreate(req *refunddomestic.CreateRequest) string {
	switch {
	case req.OutRefundNo == nil || !outRefundNoPattern.MatchString(*req.OutRefundNo):
		return "out_refund_no 必须是1-64位数字、大小写字母或_-|*@"
	case deref(req.TransactionId) == "" && deref(req.OutTradeNo) == "":
		return "transaction_id 和 out_trade_no 必须二选一"
	case req.Amount == nil || req.Amount.Refund == nil || req.Amount.Total == nil || req.Amount.Currency == nil:
		return "amount.refund、amount.total、amount.currency 为必填"
	case *req.Amount.Currency != "CNY":
		return "amount.currency 只支持CNY"
	case *req.Amount.Refund <= 0 || *req.Amount.Total <= 0:
		return "退款金额和订单金额必须大于0"
	case *req.Amount.Refund > *req.Amount.Total:
		return "退款金额不能大于订单金额"
	case utf8.RuneCountInString(deref(req.Reason)) > 80:
		return "reason 不能超过80个字符"
	}
	if u := deref(req.NotifyUrl); u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" {
			return "notify_url 必须是不带参数的完整URL"
		}
	}
	return ""
}

// drawLocked decides the faults of one call: forced ones (create calls
// only) and random ones. Every probability is drawn on every call so that a
// seed gives the same sequence whatever the configuration.
func (s *Server) drawLocked(no string, create bool) Fault {
	var f Fault
	roll := func(p float64, bit Fault) {
		if x := s.rng.Float64(); p > 0 && x < p {
			f |= bit
		}
	}
	roll(s.faults.Fail, FaultFail)
	if !create {
		return f
	}
	f |= s.forced[no]
	delete(s.forced, no)
	roll(s.faults.Timeout, FaultTimeout)
	roll(s.faults.Reorder, FaultReorder)
	roll(s.faults.Duplicate, FaultDuplicate)
	roll(s.faults.Close, FaultClose)
	roll(s.faults.Abnormal, FaultAbnormal)
	return f
}

// viewLocked is the refund object of the API.
func (s *Server) viewLocked(rf *refund) refunddomestic.Refund {
	status := refunddomestic.Status(rf.status)
	v := refunddomestic.Refund{
		RefundId:            ptr(rf.refundID),
		OutRefundNo:         ptr(rf.outRefundNo),
		TransactionId:       ptr(rf.transactionID),
		OutTradeNo:          ptr(rf.outTradeNo),
		Channel:             refunddomestic.CHANNEL_ORIGINAL.Ptr(),
		UserReceivedAccount: ptr(receivedAccount),
		CreateTime:          ptr(rf.created.In(beijing)),
		Status:              &status,
		FundsAccount:        refunddomestic.FUNDSACCOUNT_AVAILABLE.Ptr(),
		Amount: &refunddomestic.Amount{
			Total:            ptr(rf.total),
			Refund:           ptr(rf.amount),
			PayerTotal:       ptr(rf.total),
			PayerRefund:      ptr(rf.amount),
			SettlementRefund: ptr(rf.amount),
			SettlementTotal:  ptr(rf.total),
			DiscountRefund:   ptr(int64(0)),
			Currency:         ptr("CNY"),
		},
	}
	if rf.status == StatusSuccess {
		v.SuccessTime = ptr(rf.succeeded.In(beijing))
	}
	return v
}

// --- settling and notifications ------------------------------------------

// delivery is one notification to post (and re-post on failure).
type delivery struct {
	url         string
	body        []byte
	id          string
	outRefundNo string
}

// refundResource is the plaintext of a refund notification's resource,
// with the field names WeChat Pay documents (defined here, not shared with
// the adapter, so a wrong name on either side shows up in tests).
type refundResource struct {
	MchID               string         `json:"mchid"`
	TransactionID       string         `json:"transaction_id"`
	OutTradeNo          string         `json:"out_trade_no"`
	RefundID            string         `json:"refund_id"`
	OutRefundNo         string         `json:"out_refund_no"`
	RefundStatus        string         `json:"refund_status"`
	SuccessTime         string         `json:"success_time,omitempty"`
	UserReceivedAccount string         `json:"user_received_account"`
	Amount              resourceAmount `json:"amount"`
}

type resourceAmount struct {
	Total       int64 `json:"total"`
	Refund      int64 `json:"refund"`
	PayerTotal  int64 `json:"payer_total"`
	PayerRefund int64 `json:"payer_refund"`
}

// envelope is the notification body.
type envelope struct {
	ID           string   `json:"id"`
	CreateTime   string   `json:"create_time"`
	ResourceType string   `json:"resource_type"`
	EventType    string   `json:"event_type"`
	Summary      string   `json:"summary"`
	Resource     resource `json:"resource"`
}

type resource struct {
	OriginalType   string `json:"original_type"`
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
}

// events maps a final status to its event type and summary.
var events = map[string][2]string{
	StatusSuccess:  {"REFUND.SUCCESS", "退款成功"},
	StatusClosed:   {"REFUND.CLOSED", "退款关闭"},
	StatusAbnormal: {"REFUND.ABNORMAL", "退款异常"},
}

// settle ends a processing refund as its faults say, pays it if it
// succeeded, and returns its notification (nil when there is nowhere to
// send it or it was settled already).
func (s *Server) settle(no string) *delivery {
	s.mu.Lock()
	rf, ok := s.refunds[no]
	if !ok || rf.status != StatusProcessing {
		s.mu.Unlock()
		return nil
	}
	now := s.opts.Now()
	switch {
	case rf.faults&FaultClose != 0:
		rf.status = StatusClosed
		s.txns[rf.txnKey].refunded -= rf.amount
	case rf.faults&FaultAbnormal != 0:
		rf.status = StatusAbnormal
	default:
		rf.status = StatusSuccess
		rf.succeeded = now
		s.payouts[no]++
		s.stats.TotalPaid += rf.amount
	}
	res := refundResource{
		MchID:               s.mchID,
		TransactionID:       rf.transactionID,
		OutTradeNo:          rf.outTradeNo,
		RefundID:            rf.refundID,
		OutRefundNo:         rf.outRefundNo,
		RefundStatus:        rf.status,
		UserReceivedAccount: receivedAccount,
		Amount:              resourceAmount{Total: rf.total, Refund: rf.amount, PayerTotal: rf.total, PayerRefund: rf.amount},
	}
	if rf.status == StatusSuccess {
		res.SuccessTime = rf.succeeded.In(beijing).Format(time.RFC3339)
	}
	target := rf.notifyURL
	if s.opts.NotifyURL != "" {
		target = s.opts.NotifyURL
	}
	s.mu.Unlock()
	s.logf("refund %s: %s", no, res.RefundStatus)

	if target == "" {
		s.logf("refund %s: no notify_url, nothing posted", no)
		return nil
	}
	plain, err := json.Marshal(res)
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	ev := events[res.RefundStatus]
	body, id, err := s.seal(ev[0], ev[1], plain)
	if err != nil {
		s.logf("refund %s: cannot build the notification: %v", no, err)
		return nil
	}
	return &delivery{url: target, body: body, id: id, outRefundNo: no}
}

// SealNotification builds a notification as WeChat Pay sends it: a new id,
// the resource encrypted with the APIv3 key, and signed headers. Tests use
// it to make notifications about any refund.
func (s *Server) SealNotification(eventType, summary string, plaintext []byte) (http.Header, []byte, error) {
	body, _, err := s.seal(eventType, summary, plaintext)
	if err != nil {
		return nil, nil, err
	}
	h, err := s.SignHeaders(body)
	if err != nil {
		return nil, nil, err
	}
	h.Set("Content-Type", "application/json")
	return h, body, nil
}

func (s *Server) seal(eventType, summary string, plaintext []byte) (body []byte, id string, err error) {
	nonce, ciphertext, err := s.encrypt(plaintext)
	if err != nil {
		return nil, "", err
	}
	now := s.opts.Now().In(beijing)
	s.mu.Lock()
	s.evSeq++
	id = fmt.Sprintf("EV-%s%08d", now.Format("20060102150405"), s.evSeq)
	s.mu.Unlock()
	body, err = json.Marshal(envelope{
		ID:           id,
		CreateTime:   now.Format(time.RFC3339),
		ResourceType: "encrypt-resource",
		EventType:    eventType,
		Summary:      summary,
		Resource: resource{
			OriginalType:   "refund",
			Algorithm:      "AEAD_AES_256_GCM",
			Ciphertext:     ciphertext,
			AssociatedData: "refund",
			Nonce:          nonce,
		},
	})
	return body, id, err
}

// encrypt seals plaintext with AES-256-GCM under the APIv3 key, with a
// random 12-character nonce and associated data "refund", as WeChat Pay
// does (the SDK only decrypts, so the fake uses the standard library).
func (s *Server) encrypt(plaintext []byte) (nonce, ciphertext string, err error) {
	block, err := aes.NewCipher([]byte(s.keys.APIv3Key))
	if err != nil {
		return "", "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", "", err
	}
	nonce, err = randomString(gcm.NonceSize())
	if err != nil {
		return "", "", err
	}
	sealed := gcm.Seal(nil, []byte(nonce), plaintext, []byte("refund"))
	return nonce, base64.StdEncoding.EncodeToString(sealed), nil
}

// SignHeaders signs body with the platform key at the fake's current time:
// the Wechatpay-Timestamp, -Nonce, -Signature and -Serial headers of an
// answer or a notification.
func (s *Server) SignHeaders(body []byte) (http.Header, error) {
	ts := strconv.FormatInt(s.opts.Now().Unix(), 10)
	nonce, err := utils.GenerateNonce()
	if err != nil {
		return nil, err
	}
	sig, err := utils.SignSHA256WithRSA(ts+"\n"+nonce+"\n"+string(body)+"\n", s.keys.PlatformPrivateKey)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", s.keys.PublicKeyID)
	h.Set("Wechatpay-Signature-Type", wechatpay.SignatureType)
	return h, nil
}

// sendAsync makes delivery attempt number attempt of d on its own
// goroutine, counted for Quiesce, as WeChat Pay's notifier runs
// independently of its API.
func (s *Server) sendAsync(d *delivery, attempt int) {
	s.mu.Lock()
	s.inflight++
	s.mu.Unlock()
	go func() {
		defer func() {
			s.mu.Lock()
			s.inflight--
			if s.inflight == 0 {
				s.idle.Broadcast()
			}
			s.mu.Unlock()
		}()
		s.deliver(d, attempt)
	}()
}

// deliver posts d; on failure it schedules the next attempt on the clock,
// until the retry schedule runs out.
func (s *Server) deliver(d *delivery, attempt int) {
	if s.post(d) {
		return
	}
	s.mu.Lock()
	if attempt >= len(s.retries) || s.closed {
		s.stats.NotificationsAbandoned++
		s.mu.Unlock()
		s.logf("refund %s: notification %s abandoned after %d attempts", d.outRefundNo, d.id, attempt+1)
		return
	}
	s.stats.NotificationsPending++
	s.mu.Unlock()
	s.schedule(s.retries[attempt], func() {
		s.mu.Lock()
		s.stats.NotificationsPending--
		s.mu.Unlock()
		s.sendAsync(d, attempt+1)
	})
}

// post makes one delivery attempt, freshly signed (a retry hours later must
// carry a current timestamp). Only a 2xx answer counts as received.
func (s *Server) post(d *delivery) bool {
	h, err := s.SignHeaders(d.body)
	if err != nil {
		s.logf("refund %s: sign notification: %v", d.outRefundNo, err)
		return false
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		s.logf("refund %s: notify_url %q: %v", d.outRefundNo, d.url, err)
		return false
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	s.mu.Lock()
	s.stats.NotificationsSent++
	s.mu.Unlock()
	resp, err := s.client.Do(req)
	if err != nil {
		s.logf("refund %s: notification %s: %v", d.outRefundNo, d.id, err)
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		s.logf("refund %s: notification %s answered %d", d.outRefundNo, d.id, resp.StatusCode)
		return false
	}
	s.mu.Lock()
	s.stats.NotificationsDelivered++
	s.mu.Unlock()
	return true
}

// schedule runs f after d on the injected clock, unless Close comes first.
// AfterFunc is called without the lock held, so a clock that fires at once
// cannot deadlock.
func (s *Server) schedule(d time.Duration, f func()) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.timerSeq++
	id := s.timerSeq
	s.timers[id] = nil
	s.mu.Unlock()
	stop := s.opts.AfterFunc(d, func() {
		s.mu.Lock()
		_, live := s.timers[id]
		delete(s.timers, id)
		s.mu.Unlock()
		if live {
			f()
		}
	})
	s.mu.Lock()
	if _, live := s.timers[id]; live {
		s.timers[id] = stop
	}
	s.mu.Unlock()
}

// --- HTTP plumbing -------------------------------------------------------

// readAuthenticated reads the body and checks the merchant's signature,
// answering 401 SIGN_ERROR when it does not verify.
func (s *Server) readAuthenticated(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		s.fail(w, http.StatusBadRequest, CodeParamError, "请求体过大或读取失败")
		return nil, false
	}
	if err := s.authenticate(r, body); err != nil {
		s.logf("%s %s: %v", r.Method, r.URL.Path, err)
		s.fail(w, http.StatusUnauthorized, CodeSignError, "签名错误")
		return nil, false
	}
	return body, true
}

// authenticate verifies the Authorization header: WECHATPAY2-SHA256-RSA2048
// with mchid, nonce_str, timestamp, serial_no and signature over
// "METHOD\nURL\ntimestamp\nnonce\nbody\n", checked with the merchant's
// public key by the SDK's verifier. The timestamp is not compared with the
// fake's clock: the SDK stamps requests with the wall clock, and the fake
// may run on a virtual one.
func (s *Server) authenticate(r *http.Request, body []byte) error {
	scheme, params, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || scheme != wechatpay.SignatureType {
		return fmt.Errorf("authorization scheme %q is not %s", scheme, wechatpay.SignatureType)
	}
	kv := map[string]string{}
	for _, part := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("malformed authorization parameter %q", part)
		}
		kv[k] = strings.Trim(v, `"`)
	}
	for _, k := range []string{"mchid", "nonce_str", "timestamp", "serial_no", "signature"} {
		if kv[k] == "" {
			return fmt.Errorf("authorization lacks %s", k)
		}
	}
	if kv["mchid"] != s.mchID {
		return fmt.Errorf("mchid %q is not %q", kv["mchid"], s.mchID)
	}
	message := r.Method + "\n" + r.URL.RequestURI() + "\n" + kv["timestamp"] + "\n" + kv["nonce_str"] + "\n" + string(body) + "\n"
	return s.mchVer.Verify(r.Context(), kv["serial_no"], message, kv["signature"])
}

// reply writes v as JSON with signed headers, as every WeChat Pay answer is.
func (s *Server) reply(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"code":"SYSTEM_ERROR","message":"系统错误"}`)
	}
	if h, err := s.SignHeaders(body); err == nil {
		for k, vs := range h {
			w.Header()[k] = vs
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if id, err := randomString(32); err == nil {
		w.Header().Set("Request-ID", id)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail answers with WeChat Pay's error body.
func (s *Server) fail(w http.ResponseWriter, status int, code, message string) {
	s.reply(w, status, map[string]string{"code": code, "message": message})
}

// drop closes the connection without an answer: the client cannot know
// whether the request was processed.
func drop(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	// Not hijackable (HTTP/2): the server resets the stream instead.
	panic(http.ErrAbortHandler)
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("fakewechat: "+format, args...)
	}
}

// String names the faults in a set, for logs.
func (f Fault) String() string {
	if f == 0 {
		return "none"
	}
	var names []string
	for _, n := range []struct {
		bit  Fault
		name string
	}{{FaultDuplicate, "duplicate"}, {FaultReorder, "reorder"}, {FaultClose, "close"}, {FaultAbnormal, "abnormal"}, {FaultTimeout, "timeout"}, {FaultFail, "fail"}} {
		if f&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, "+")
}

// randomString returns n random letters and digits.
func randomString(n int) (string, error) {
	const symbols = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = symbols[int(b[i])%len(symbols)]
	}
	return string(b), nil
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
