package casework

import (
	"context"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// RefundHistoryDays is how far back the buyer's refund count, which rules
// may look at (refunds_90d_*), reaches.
const RefundHistoryDays = 90

// Decide applies the merchant's current rule set to case c of order o at
// now (F7, F8): what the workflow does to a new case, and what a preview
// shows before the case exists. It reads the rule set and, only when a
// rule looks at it, the buyer's refund history; for a case with virtual
// lines it asks coupons whether they were used (F18), unless the rule set
// trusts the snapshot or no coupon service is configured (nil). It writes
// nothing. The rule set it used is returned for the deadlines that follow.
func Decide(ctx context.Context, cases aftersales.CaseStore, rules aftersales.RuleSetStore, coupons aftersales.CouponService, c *aftersales.Case, o *aftersales.Order, now time.Time) (aftersales.Decision, *aftersales.RuleSet, error) {
	rs, err := RuleSet(ctx, rules)
	if err != nil {
		return aftersales.Decision{}, nil, err
	}
	refunds := 0
	if usesRefundHistory(rs) {
		// Only rules that look at the buyer's history pay for reading it.
		if refunds, err = refundsSince(ctx, cases, c.BuyerID, now.Add(-RefundHistoryDays*24*time.Hour)); err != nil {
			return aftersales.Decision{}, nil, err
		}
	}
	rates := map[int]aftersales.RefundRate{}
	for _, r := range rs.Rules {
		days, ok := r.When.UsesRefundRate()
		if _, done := rates[days]; !ok || done {
			continue
		}
		// One read per period the rules name, only when some rule does.
		if rates[days], err = refundRate(ctx, cases, c, now.Add(-time.Duration(days)*24*time.Hour)); err != nil {
			return aftersales.Decision{}, nil, err
		}
	}
	in := aftersales.DecisionInput{Case: c, Order: o, RefundsLast90Days: refunds, RefundRates: rates, Now: now}
	if coupons != nil && rs.VirtualGoods.ChecksLive() {
		if in.Redemption, err = redemptions(ctx, coupons, c, o); err != nil {
			return aftersales.Decision{}, nil, err
		}
	}
	return aftersales.Decide(in, rs), rs, nil
}

// redemptions asks the coupon service about each virtual line of c; nil
// when c has none. A line the service cannot answer for makes the facts
// Unavailable (the rule set says what then); only the caller's own
// cancellation is an error.
func redemptions(ctx context.Context, coupons aftersales.CouponService, c *aftersales.Case, o *aftersales.Order) (*aftersales.RedemptionFacts, error) {
	lines := aftersales.VirtualLines(c, o)
	if len(lines) == 0 {
		return nil, nil
	}
	f := &aftersales.RedemptionFacts{Lines: make(map[string]aftersales.Redemption, len(lines))}
	for _, l := range lines {
		r, err := coupons.CheckRedemption(ctx, o.ID, l)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return &aftersales.RedemptionFacts{Unavailable: true, Cause: fmt.Sprintf("line %s: %v", l.LineID, err)}, nil
		}
		f.Lines[l.LineID] = r
	}
	return f, nil
}

// ApplyDecision turns a rules decision into the case change it stands for:
// approved (for the amount requested), rejected or asked for evidence with
// the rule's reason, or sent to review at the decision's level.
func ApplyDecision(c *aftersales.Case, d aftersales.Decision, at time.Time) error {
	ch := aftersales.Change{Actor: aftersales.ActorRules, At: at, Note: fmt.Sprintf("rule %s (rule set v%d)", d.RuleID, d.RuleSetVersion)}
	switch d.Outcome {
	case string(aftersales.OutcomeApprove):
		ch.Action = aftersales.ActApprove
		c.Approved = c.Requested
	case string(aftersales.OutcomeReject):
		ch.Action, ch.Note = aftersales.ActReject, d.Reason+"; "+ch.Note
	case string(aftersales.OutcomeRequestEvidence):
		ch.Action, ch.Note = aftersales.ActRequestEvidence, d.Reason+"; "+ch.Note
	default:
		ch.Action = aftersales.ActSendToReview
		ch.Note = fmt.Sprintf("%s review; %s", d.Level, ch.Note)
	}
	dd := d
	c.Decision = &dd
	return c.Apply(ch)
}

// usesRefundHistory reports whether any rule has a condition on the buyer's
// refund count.
func usesRefundHistory(rs *aftersales.RuleSet) bool {
	for _, r := range rs.Rules {
		if r.When.RefundsAtLeast != nil || r.When.RefundsAtMost != nil {
			return true
		}
	}
	return false
}

// refundsSince counts the buyer's cases created since t that ended with money back.
func refundsSince(ctx context.Context, cases aftersales.CaseStore, buyer string, t time.Time) (int, error) {
	n := 0
	q := aftersales.CaseQuery{BuyerID: buyer, From: t, Limit: aftersales.MaxPageSize}
	err := EachPage(ctx, cases, q, func(c aftersales.Case) error {
		if c.Status == aftersales.StatusCompleted && c.Refunded > 0 {
			n++
		}
		return nil
	})
	return n, err
}

// refundRate counts the buyer's cases created since t, other than c, and
// those of them that ended with money back: the buyer's refund rate.
func refundRate(ctx context.Context, cases aftersales.CaseStore, c *aftersales.Case, t time.Time) (aftersales.RefundRate, error) {
	var r aftersales.RefundRate
	q := aftersales.CaseQuery{BuyerID: c.BuyerID, From: t, Limit: aftersales.MaxPageSize}
	err := EachPage(ctx, cases, q, func(x aftersales.Case) error {
		if x.ID == c.ID || x.Type == aftersales.Goodwill {
			return nil // the case decided, and the merchant's own refunds, say nothing of the buyer
		}
		r.Cases++
		if x.Status == aftersales.StatusCompleted && x.Refunded > 0 {
			r.Refunded++
		}
		return nil
	})
	return r, err
}
