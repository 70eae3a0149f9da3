package alipay

import (
	"cmp"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	alipaysdk "github.com/smartwalle/alipay/v3"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.RefundProvider = (*Provider)(nil)

// Alipay's answers this adapter acts on.
const (
	// FundChangeYes is fund_change of a refund that moved money in this
	// call: the refund is paid.
	FundChangeYes = "Y"
	// RefundSuccess is the refund query's refund_status of a paid refund.
	RefundSuccess = "REFUND_SUCCESS"
	// SubCodeTradeNotExist is Alipay's refusal for an unknown trade_no.
	SubCodeTradeNotExist = "ACQ.TRADE_NOT_EXIST"
	// SubCodeSystemError is Alipay's "try again with the same parameters".
	SubCodeSystemError = "ACQ.SYSTEM_ERROR"
	// SubCodeDiscordantRepeat is Alipay's refusal of an out_request_no it
	// already holds with other parameters.
	SubCodeDiscordantRepeat = "ACQ.DISCORDANT_REPEAT_REQUEST"
)

// timeLayout is how Alipay writes times (in China time); when parsing, Go
// also accepts the milliseconds some notifications carry ("...:57.320").
const timeLayout = "2006-01-02 15:04:05"

// maxReason is Alipay's limit on refund_reason (256). We count bytes, not
// characters, so that a reason is never refused whichever way Alipay counts:
// it is only shown to the buyer.
const maxReason = 256

// outRequestNoPattern is what we send as out_request_no (Alipay allows 64
// characters; the domain's numbers are "as_<ULID>-<n>").
var outRequestNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-]{1,64}$`)

// Provider pays refunds back through Alipay (alipay.trade.refund) and asks
// for their status (alipay.trade.fastpay.refund.query). It is safe for
// concurrent use.
type Provider struct {
	client    *alipaysdk.Client
	notifyURL string
	clock     aftersales.Clock
}

// NewProvider builds the provider from s, checking its keys. clock stamps
// refunds Alipay reports paid without saying when; nil means the system
// clock.
func NewProvider(s Settings, clock aftersales.Clock) (*Provider, error) {
	s = s.trimmed()
	c, err := newClient(s)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = aftersales.SystemClock{}
	}
	return &Provider{client: c, notifyURL: s.NotifyURL, clock: clock}, nil
}

// refundParam is alipay.trade.refund with the public notify_url parameter,
// which the library's TradeRefund does not carry.
type refundParam struct {
	alipaysdk.TradeRefund
	notifyURL string
}

// Params returns the public parameters of the request.
func (p refundParam) Params() map[string]string {
	m := p.TradeRefund.Params()
	m["notify_url"] = p.notifyURL // the library skips empty values
	return m
}

// refundResponse is the library's TradeRefundRsp with gmt_refund_pay, which
// Alipay returns and the library's type lacks.
type refundResponse struct {
	alipaysdk.TradeRefundRsp
	GmtRefundPay string `json:"gmt_refund_pay"`
}

// Refund asks Alipay to pay r back from trade r.TransactionID, with
// out_request_no = r.OutRefundNo. Alipay deduplicates on that number, so
// asking again (after a timeout, say) returns the first refund and never
// pays twice. A refund Alipay answers without moving money in this call (a
// repeat, or one still in progress) is looked up with a query: paid is
// StateSucceeded, anything else StateProcessing.
//
// Errors: KindInvalid for requests Alipay refuses (the message carries its
// sub_code and sub_msg) and for requests it would refuse; KindTransient for
// network failures, timeouts, unverifiable or non-200 answers, and Alipay's
// "system busy" codes; KindInternal when Alipay holds this number with other
// parameters (never to be closed automatically: it may have paid).
func (p *Provider) Refund(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	const op = "alipay.refund"
	if err := validateRequest(op, r); err != nil {
		return aftersales.RefundResult{}, err
	}
	param := refundParam{
		TradeRefund: alipaysdk.TradeRefund{
			TradeNo:      r.TransactionID,
			RefundAmount: FormatYuan(r.Amount.Amount),
			RefundReason: truncate(r.Reason, maxReason),
			OutRequestNo: r.OutRefundNo,
		},
		notifyURL: p.notifyURL,
	}
	var rsp refundResponse
	if err := p.client.Request(ctx, param, &rsp); err != nil {
		return aftersales.RefundResult{}, classify(op, err, false)
	}
	if rsp.Code != alipaysdk.CodeSuccess {
		return aftersales.RefundResult{}, refusal(op, rsp.Error, false)
	}
	tradeNo := cmp.Or(rsp.TradeNo, r.TransactionID)
	if rsp.FundChange == FundChangeYes {
		return aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: tradeNo,
			ArrivedAt: p.arrival(rsp.GmtRefundPay)}, nil
	}
	if res, err := p.Query(ctx, r); err == nil {
		return res, nil
	}
	// Accepted, but not known to be paid yet: the caller polls Query.
	return aftersales.RefundResult{State: aftersales.StateProcessing, ProviderRefundID: tradeNo}, nil
}

// Query returns what Alipay knows of r now (trade_no + out_request_no):
// REFUND_SUCCESS is StateSucceeded. An empty answer (Alipay has no such
// refund, or has not finished it) and an unknown trade are
// aftersales.ErrNotFound (KindNotFound), which tells the caller that sending
// the same OutRefundNo again is safe. Other errors are classified as for
// Refund.
func (p *Provider) Query(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	const op = "alipay.query"
	var v aftersales.Validation
	v.Check(outRequestNoPattern.MatchString(r.OutRefundNo), "out_refund_no", "must be 1-64 letters, digits, _ or -")
	v.Check(r.TransactionID != "" && len(r.TransactionID) <= 64, "transaction_id", "must be 1-64 characters")
	if err := v.Err(op); err != nil {
		return aftersales.RefundResult{}, err
	}
	rsp, err := p.client.TradeFastPayRefundQuery(ctx, alipaysdk.TradeFastPayRefundQuery{
		TradeNo:      r.TransactionID,
		OutRequestNo: r.OutRefundNo,
	})
	if err != nil {
		return aftersales.RefundResult{}, classify(op, err, true)
	}
	if rsp == nil {
		return aftersales.RefundResult{}, aftersales.E(aftersales.KindTransient, op, "Alipay answered with an empty body")
	}
	if rsp.Code != alipaysdk.CodeSuccess {
		return aftersales.RefundResult{}, refusal(op, rsp.Error, true)
	}
	if rsp.OutRequestNo != "" && rsp.OutRequestNo != r.OutRefundNo {
		return aftersales.RefundResult{}, aftersales.E(aftersales.KindInternal, op,
			fmt.Sprintf("Alipay answered about refund %q, not %q", rsp.OutRequestNo, r.OutRefundNo))
	}
	tradeNo := cmp.Or(rsp.TradeNo, r.TransactionID)
	switch rsp.RefundStatus {
	case "":
		// "未返回该字段表示退款请求未收到或者退款失败": not received, failed,
		// or not finished yet. Sending the same number again is safe in
		// all three cases.
		return aftersales.RefundResult{}, notFound(op, "Alipay has no paid refund with this number", nil)
	case RefundSuccess:
		return aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: tradeNo,
			ArrivedAt: p.arrival(rsp.GMTRefundPay)}, nil
	case "REFUND_FAIL":
		return aftersales.RefundResult{State: aftersales.StateClosed, ProviderRefundID: tradeNo}, nil
	default: // REFUND_PROCESSING, or a status added later: not final
		return aftersales.RefundResult{State: aftersales.StateProcessing, ProviderRefundID: tradeNo}, nil
	}
}

// validateRequest refuses what Alipay would refuse anyway, without a round
// trip.
func validateRequest(op string, r aftersales.RefundRequest) error {
	var v aftersales.Validation
	v.Check(outRequestNoPattern.MatchString(r.OutRefundNo), "out_refund_no", "must be 1-64 letters, digits, _ or -")
	v.Check(r.TransactionID != "" && len(r.TransactionID) <= 64, "transaction_id", "must be 1-64 characters")
	v.Check(r.Amount.Amount > 0, "amount", "must be positive")
	// Alipay's domestic refunds are in CNY only; empty means CNY.
	v.Check(r.Amount.Currency == "" || r.Amount.Currency == aftersales.CNY, "amount.currency", "must be CNY")
	return v.Err(op)
}

// arrival converts an Alipay time (China time) to UTC; an absent or
// unreadable one is now, since Alipay has just said the money moved.
func (p *Provider) arrival(s string) time.Time {
	if t, err := parseTime(s); err == nil {
		return t
	}
	return p.clock.Now().UTC()
}

// parseTime reads an Alipay time ("2026-03-01 15:04:05", optionally with
// milliseconds) in China time and returns it in UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(timeLayout, s, chinaTime)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// refusal classifies an answer whose code is not 10000.
func refusal(op string, e alipaysdk.Error, query bool) error {
	desc := describe(e)
	switch {
	case transientCode(e):
		return &aftersales.Error{Kind: aftersales.KindTransient, Op: op, Msg: "Alipay is busy: " + desc, Err: e}
	case query && e.SubCode == SubCodeTradeNotExist:
		return notFound(op, "Alipay does not know this trade: "+desc, e)
	case e.SubCode == SubCodeDiscordantRepeat:
		return &aftersales.Error{Kind: aftersales.KindInternal, Op: op,
			Msg: "Alipay holds this refund number with other parameters: " + desc, Err: e}
	default:
		return &aftersales.Error{Kind: aftersales.KindInvalid, Op: op, Msg: "Alipay refused: " + desc, Err: e}
	}
}

// transientCode reports Alipay's answers that a retry with the same
// parameters may change: 20000 (service unavailable), 40005 (call limit
// exceeded), ACQ.SYSTEM_ERROR (also as aop.ACQ.SYSTEM_ERROR) and the isp.*
// sub codes (Alipay's own failures).
func transientCode(e alipaysdk.Error) bool {
	return e.Code == alipaysdk.CodeUnknowError || e.Code == alipaysdk.CodeCallLimited ||
		e.SubCode == SubCodeSystemError || strings.HasSuffix(e.SubCode, "."+SubCodeSystemError) ||
		strings.HasPrefix(e.SubCode, "isp.")
}

// describe renders an Alipay error for a message: "sub_code: sub_msg",
// falling back to "code msg".
func describe(e alipaysdk.Error) string {
	if e.SubCode == "" {
		return strings.TrimSpace(fmt.Sprintf("%s %s", e.Code, e.Msg))
	}
	if e.SubMsg == "" {
		return e.SubCode
	}
	return e.SubCode + ": " + e.SubMsg
}

// notFound is aftersales.ErrNotFound for op, with cause.
func notFound(op, msg string, cause error) error {
	var err error = aftersales.ErrNotFound
	if cause != nil {
		err = fmt.Errorf("%w: %w", aftersales.ErrNotFound, cause)
	}
	return &aftersales.Error{Kind: aftersales.KindNotFound, Op: op, Msg: msg, Err: err}
}

// classify turns a library error into the domain's kinds. Alipay's error
// objects are classified by code (refusal); everything else happened on the
// way there or back (connection refused or dropped, timeouts, a cancelled
// context, a non-200 status, a body that is not Alipay's JSON, a signature
// that does not verify) and is transient: the outcome is unknown, and
// asking again with the same out_request_no is safe.
func classify(op string, err error, query bool) error {
	var pe *alipaysdk.Error
	if errors.As(err, &pe) && pe != nil {
		return refusal(op, *pe, query)
	}
	var ve alipaysdk.Error
	if errors.As(err, &ve) {
		return refusal(op, ve, query)
	}
	msg := "Alipay could not be reached"
	var se *statusError
	var b64 base64.CorruptInputError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		msg = fmt.Sprintf("Alipay's gateway answered HTTP %d", se.code)
	case errors.Is(err, rsa.ErrVerification), errors.Is(err, alipaysdk.ErrSignNotFound),
		errors.Is(err, alipaysdk.ErrAliPublicKeyNotFound), errors.As(err, &b64):
		// A proxy in the way, or the wrong Alipay public key configured.
		msg = "Alipay's answer did not verify"
	case errors.Is(err, alipaysdk.ErrBadResponse), errors.As(err, &syntax), errors.As(err, &typ):
		msg = "Alipay's answer was not understood"
	}
	return &aftersales.Error{Kind: aftersales.KindTransient, Op: op, Msg: msg, Err: err}
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
