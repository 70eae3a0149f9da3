// Package mallcoupon is the adapter of the mall's coupon service (F18): it
// asks whether the coupon code or membership sold on a virtual order line
// has been used, at the moment a case is decided, instead of trusting the
// order snapshot, which may predate the use.
//
// The wire format is the mall's (docs/API.md, "The mall's coupon
// service"): POST <base>/coupons/redemption with a JSON body naming the
// order line, signed like the mall's order events (HMAC-SHA256 of
// "<timestamp>.<body>" in X-Mall-Signature, Unix seconds in
// X-Mall-Timestamp, with the secret the mall and the merchant share). The
// mall signs its answer the same way, and an answer whose signature does
// not verify is not believed: a forged "unused" would refund a used code.
package mallcoupon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// Path is the coupon service's redemption query, below its base URL.
const Path = "/coupons/redemption"

// Query is the body of a redemption query.
type Query struct {
	OrderID string `json:"order_id"`
	LineID  string `json:"line_id"`
	SKU     string `json:"sku"`
}

// Answer is the coupon service's answer.
type Answer struct {
	OrderID    string     `json:"order_id"`
	LineID     string     `json:"line_id"`
	Redeemed   bool       `json:"redeemed"`
	RedeemedAt *time.Time `json:"redeemed_at,omitempty"`
	Detail     string     `json:"detail,omitempty"`
}

// maxAnswer bounds an answer's body: a few hundred bytes in practice.
const maxAnswer = 64 << 10

// Timeout bounds one query: the decision step waits for it, and a service
// slower than this is treated as unavailable (the rule set says what then).
const Timeout = 3 * time.Second

// Client asks the mall's coupon service.
type Client struct {
	BaseURL string
	Secret  string
	HTTP    *http.Client
	Clock   aftersales.Clock
}

// New returns a client of the coupon service at baseURL with the shared
// secret, a 3 s timeout and the given clock.
func New(baseURL, secret string, clock aftersales.Clock) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Secret: secret, HTTP: &http.Client{Timeout: Timeout}, Clock: clock}
}

var _ aftersales.CouponService = (*Client)(nil)

// CheckRedemption asks whether the code of line (of order orderID) was
// used. Network failures, 5xx, 429 and answers that are not the mall's
// (bad signature, another line) are KindTransient; a 4xx is KindInvalid.
func (c *Client) CheckRedemption(ctx context.Context, orderID string, line aftersales.OrderLine) (aftersales.Redemption, error) {
	const op = "mallcoupon.check"
	body, err := json.Marshal(Query{OrderID: orderID, LineID: line.LineID, SKU: line.SKU})
	if err != nil {
		return aftersales.Redemption{}, aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+Path, bytes.NewReader(body))
	if err != nil {
		return aftersales.Redemption{}, aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	ts, sig := mallhook.Sign(c.Secret, c.Clock.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(mallhook.HeaderTimestamp, ts)
	req.Header.Set(mallhook.HeaderSignature, sig)
	res, err := c.HTTP.Do(req)
	if err != nil {
		return aftersales.Redemption{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	switch {
	case err != nil:
		return aftersales.Redemption{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	case len(raw) > maxAnswer:
		return aftersales.Redemption{}, aftersales.E(aftersales.KindTransient, op, "the answer is too large")
	case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
		return aftersales.Redemption{}, aftersales.E(aftersales.KindTransient, op, fmt.Sprintf("the coupon service answered %d", res.StatusCode))
	case res.StatusCode != http.StatusOK:
		return aftersales.Redemption{}, aftersales.E(aftersales.KindInvalid, op, fmt.Sprintf("the coupon service answered %d: %.200s", res.StatusCode, raw))
	}
	if err := mallhook.Verify(c.Secret, res.Header.Get(mallhook.HeaderTimestamp), res.Header.Get(mallhook.HeaderSignature), raw, c.Clock.Now()); err != nil {
		return aftersales.Redemption{}, aftersales.Wrap(aftersales.KindTransient, op, fmt.Errorf("the answer is not the mall's: %w", err))
	}
	var a Answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return aftersales.Redemption{}, aftersales.Wrap(aftersales.KindTransient, op, fmt.Errorf("the answer is not JSON: %w", err))
	}
	if a.OrderID != orderID || a.LineID != line.LineID {
		// A signed answer about another line (a replay) says nothing of this one.
		return aftersales.Redemption{}, aftersales.E(aftersales.KindTransient, op,
			fmt.Sprintf("the answer is about %s/%s, not %s/%s", a.OrderID, a.LineID, orderID, line.LineID))
	}
	r := aftersales.Redemption{Redeemed: a.Redeemed, Detail: a.Detail}
	if a.RedeemedAt != nil {
		r.RedeemedAt = a.RedeemedAt.UTC()
	}
	return r, nil
}
