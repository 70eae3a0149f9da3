package wechatpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.RefundProvider = (*Provider)(nil)

// The provider's error codes this adapter treats specially.
const (
	// CodeResourceNotExists is WeChat Pay's 404 code for an unknown refund
	// (or transaction).
	CodeResourceNotExists = "RESOURCE_NOT_EXISTS"
)

// maxReason is WeChat Pay's limit on the refund reason, in characters; a
// longer one would make WeChat refuse the whole refund (PARAM_ERROR), so we
// cut it: it is only shown to the buyer.
const maxReason = 80

// outRefundNoPattern is what WeChat Pay accepts as out_refund_no.
var outRefundNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

// Provider pays refunds back through WeChat Pay (退款申请 and 查询单笔退款).
// It is safe for concurrent use.
type Provider struct {
	api       refunddomestic.RefundsApiService
	notifyURL string
}

// NewProvider builds the provider from s, parsing its keys. clock is the
// time responses' Wechatpay-Timestamp is checked against; nil means the
// system clock.
func NewProvider(s Settings, clock aftersales.Clock) (*Provider, error) {
	m, err := s.parse()
	if err == nil {
		err = m.validateAPI()
	}
	if err != nil {
		return nil, fmt.Errorf("wechatpay provider: %w", err)
	}
	if clock == nil {
		clock = aftersales.SystemClock{}
	}
	hc, err := m.client()
	if err != nil {
		return nil, fmt.Errorf("wechatpay provider: %w", err)
	}
	// The public key mode: requests signed with the merchant key, answers
	// verified with the platform public key, no certificate download.
	client, err := core.NewClient(context.Background(),
		option.WithWechatPayPublicKeyAuthCipher(m.mchID, m.mchSerialNo, m.mchPrivateKey, m.publicKeyID, m.publicKey),
		option.WithHTTPClient(hc),
	)
	if err != nil {
		return nil, fmt.Errorf("wechatpay provider: %w", err)
	}
	// Same verifier as the option above, but with the window on our clock.
	client = core.NewClientWithValidator(client, &responseValidator{
		verifier: verifiers.NewSHA256WithRSAPubkeyVerifier(m.publicKeyID, *m.publicKey),
		keyID:    m.publicKeyID,
		now:      clock.Now,
	})
	return &Provider{api: refunddomestic.RefundsApiService{Client: client}, notifyURL: m.notifyURL}, nil
}

// Refund asks WeChat Pay to pay r back. WeChat Pay deduplicates on
// out_refund_no, so asking again (after a timeout, say) returns the first
// refund and never pays twice.
func (p *Provider) Refund(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	const op = "wechatpay.refund"
	if err := validateRequest(op, r); err != nil {
		return aftersales.RefundResult{}, err
	}
	req := refunddomestic.CreateRequest{
		TransactionId: core.String(r.TransactionID),
		OutRefundNo:   core.String(r.OutRefundNo),
		Amount: &refunddomestic.AmountReq{
			Refund:   core.Int64(r.Amount.Amount),
			Total:    core.Int64(r.OrderTotal.Amount),
			Currency: core.String(aftersales.CNY),
		},
	}
	if reason := truncate(r.Reason, maxReason); reason != "" {
		req.Reason = core.String(reason)
	}
	if p.notifyURL != "" {
		req.NotifyUrl = core.String(p.notifyURL)
	}
	resp, _, err := p.api.Create(ctx, req)
	if err != nil {
		return aftersales.RefundResult{}, classify(op, err, false)
	}
	return resultOf(op, r.OutRefundNo, resp)
}

// Query returns what WeChat Pay knows of r now, and aftersales.ErrNotFound
// (KindNotFound) when it never received it, which tells the caller that
// sending the same OutRefundNo again is safe.
func (p *Provider) Query(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	const op = "wechatpay.query"
	if !outRefundNoPattern.MatchString(r.OutRefundNo) {
		return aftersales.RefundResult{}, invalid(op, "the refund number must be 1-64 letters, digits or _-|*@")
	}
	resp, _, err := p.api.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(r.OutRefundNo)})
	if err != nil {
		return aftersales.RefundResult{}, classify(op, err, true)
	}
	return resultOf(op, r.OutRefundNo, resp)
}

// validateRequest refuses what WeChat Pay would refuse anyway, without a
// round trip.
func validateRequest(op string, r aftersales.RefundRequest) error {
	var v aftersales.Validation
	v.Check(outRefundNoPattern.MatchString(r.OutRefundNo), "out_refund_no", "must be 1-64 letters, digits or _-|*@")
	v.Check(r.TransactionID != "", "transaction_id", "is required")
	v.Check(r.Amount.Amount > 0, "amount", "must be positive")
	v.Check(r.OrderTotal.Amount > 0, "order_total", "must be positive")
	v.Check(r.Amount.Amount <= r.OrderTotal.Amount, "amount", "must not exceed the order total")
	// WeChat Pay domestic refunds are in CNY only; empty means CNY.
	v.Check(r.Amount.Currency == "" || r.Amount.Currency == aftersales.CNY, "amount.currency", "must be CNY")
	v.Check(r.OrderTotal.Currency == "" || r.OrderTotal.Currency == aftersales.CNY, "order_total.currency", "must be CNY")
	return v.Err(op)
}

// states maps WeChat Pay's refund statuses to the domain's.
var states = map[string]aftersales.RefundState{
	string(refunddomestic.STATUS_SUCCESS):    aftersales.StateSucceeded,
	string(refunddomestic.STATUS_PROCESSING): aftersales.StateProcessing,
	string(refunddomestic.STATUS_CLOSED):     aftersales.StateClosed,
	string(refunddomestic.STATUS_ABNORMAL):   aftersales.StateAbnormal,
}

// resultOf converts WeChat Pay's refund object. An answer about another
// refund or with an unknown status is WeChat's bug or a proxy's, never
// something to act on.
func resultOf(op, outRefundNo string, r *refunddomestic.Refund) (aftersales.RefundResult, error) {
	if r == nil || r.Status == nil {
		return aftersales.RefundResult{}, aftersales.E(aftersales.KindInternal, op, "WeChat Pay answered without a refund status")
	}
	if r.OutRefundNo != nil && *r.OutRefundNo != outRefundNo {
		return aftersales.RefundResult{}, aftersales.E(aftersales.KindInternal, op,
			fmt.Sprintf("WeChat Pay answered about refund %q, not %q", *r.OutRefundNo, outRefundNo))
	}
	state, ok := states[string(*r.Status)]
	if !ok {
		return aftersales.RefundResult{}, aftersales.E(aftersales.KindInternal, op, fmt.Sprintf("unknown WeChat Pay refund status %q", *r.Status))
	}
	res := aftersales.RefundResult{State: state, ProviderRefundID: deref(r.RefundId), Account: deref(r.UserReceivedAccount)}
	if state == aftersales.StateSucceeded {
		res.ArrivedAt = timeOf(r.SuccessTime)
	}
	return res, nil
}

// classify turns an SDK error into the domain's kinds: WeChat Pay's 5xx and
// 429, network failures, timeouts and unverifiable answers are transient
// (the call is idempotent, so retrying is always safe); other 4xx are
// refusals that a retry cannot change. For queries, RESOURCE_NOT_EXISTS is
// aftersales.ErrNotFound.
func classify(op string, err error, query bool) error {
	var api *core.APIError
	if errors.As(err, &api) {
		msg := fmt.Sprintf("WeChat Pay refused (HTTP %d %s): %s", api.StatusCode, api.Code, api.Message)
		switch {
		case query && api.StatusCode == http.StatusNotFound && api.Code == CodeResourceNotExists:
			return &aftersales.Error{Kind: aftersales.KindNotFound, Op: op, Msg: "WeChat Pay does not know this refund",
				Err: fmt.Errorf("%w: %w", aftersales.ErrNotFound, err)}
		case api.StatusCode >= 500 || api.StatusCode == http.StatusTooManyRequests:
			return &aftersales.Error{Kind: aftersales.KindTransient, Op: op,
				Msg: fmt.Sprintf("WeChat Pay is unavailable (HTTP %d %s)", api.StatusCode, api.Code), Err: err}
		case api.StatusCode >= 400:
			return &aftersales.Error{Kind: aftersales.KindInvalid, Op: op, Msg: msg, Err: err}
		}
		return &aftersales.Error{Kind: aftersales.KindTransient, Op: op, Msg: fmt.Sprintf("unexpected HTTP %d from WeChat Pay", api.StatusCode), Err: err}
	}
	if isSignatureError(err) {
		// Possibly a clock far off or an interposed proxy; the refund may
		// have been accepted, and asking again is safe.
		return &aftersales.Error{Kind: aftersales.KindTransient, Op: op, Msg: "WeChat Pay's answer did not verify", Err: err}
	}
	// Everything else happened on the way there or back: connection
	// refused or dropped, timeouts, a cancelled context, a truncated body.
	return &aftersales.Error{Kind: aftersales.KindTransient, Op: op, Msg: "WeChat Pay could not be reached", Err: err}
}

func invalid(op, msg string) error { return aftersales.E(aftersales.KindInvalid, op, msg) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// truncate cuts s to at most n characters (not bytes: reasons are Chinese).
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// timeOf returns an optional provider time in UTC, zero when absent.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
