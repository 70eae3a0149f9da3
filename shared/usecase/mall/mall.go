// Package mall decides which case changes the rest of the mall hears of
// beyond refunds (issue 15, F22, F23): goods back on sale or kept off it
// after the merchant's inspection, a retention coupon after a completed
// case, a call from staff about a high-value buyer's first case. Raising
// wraps the case store, so every use case's change is looked at, and the
// events go into the outbox with the change that caused them (published if
// and only if it is stored; see package outbox). The points for a missed
// review promise (F24) are raised by the sweeper, which knows the promise.
package mall

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Raising is a CaseStore that adds the mall's events to each change it
// writes, by the merchant's rule set (aftersales.MallSettings).
type Raising struct {
	aftersales.CaseStore
	Orders aftersales.OrderStore
	Rules  aftersales.RuleSetStore
}

// CreateCase stores c with the follow-up of a high-value buyer's first
// case, if it is one.
func (s *Raising) CreateCase(ctx context.Context, c *aftersales.Case, idem *aftersales.IdempotencyRecord) error {
	cc, err := s.raise(ctx, c, 0, true)
	if err != nil {
		return err
	}
	return s.CaseStore.CreateCase(ctx, cc, idem)
}

// UpdateCase stores c with the events of its entries after prev.
func (s *Raising) UpdateCase(ctx context.Context, c *aftersales.Case, prev int) error {
	cc, err := s.raise(ctx, c, prev, false)
	if err != nil {
		return err
	}
	return s.CaseStore.UpdateCase(ctx, cc, prev)
}

// raise returns c, or a copy of it with the mall's events added (the
// caller's case is left as it was: it may write it again).
func (s *Raising) raise(ctx context.Context, c *aftersales.Case, prev int, created bool) (*aftersales.Case, error) {
	var entries []aftersales.TimelineEntry
	for _, e := range c.Timeline {
		if e.Seq > prev && (e.Action == aftersales.ActConfirmReceipt || e.To == aftersales.StatusCompleted) {
			entries = append(entries, e)
		}
	}
	if !created && len(entries) == 0 {
		return c, nil // nothing the mall hears of: no reads
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return nil, err
	}
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if errors.Is(err, aftersales.ErrNotFound) {
		o, err = nil, nil // rules on the order then hold for nothing
	}
	if err != nil {
		return nil, err
	}
	cc := *c
	cc.Raised = slices.Clone(c.Raised)
	if created {
		if err := s.followUp(ctx, &cc, rs, o); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		switch {
		case e.Action == aftersales.ActConfirmReceipt:
			stock(&cc, e)
		case e.To == aftersales.StatusCompleted && firstCompletion(c, e.Seq):
			coupon(&cc, rs, o, e)
		}
	}
	return &cc, nil
}

// stock raises, for each line of a return the merchant received and
// inspected, inventory.restock (sellable) or inventory.defective. A
// receipt nobody inspected (the receipt deadline's default) says nothing
// of the goods' condition, so it raises neither.
func stock(c *aftersales.Case, e aftersales.TimelineEntry) {
	typ := ""
	switch c.ReturnCondition {
	case aftersales.ConditionSellable:
		typ = aftersales.EventRestock
	case aftersales.ConditionDefective:
		typ = aftersales.EventDefective
	default:
		return
	}
	for _, l := range c.Lines {
		d := map[string]any{"sku": l.SKU, "line_id": l.LineID, "quantity": l.Quantity, "case_id": c.ID}
		if typ == aftersales.EventDefective {
			d["note"] = e.Note
		}
		c.Raise(typ, fmt.Sprintf("%s:%d:%s:%s", c.ID, e.Seq, typ, l.LineID), e.At, d)
	}
}

// firstCompletion reports whether no entry before seq completed the case:
// a case completed again after a dispute of its amount gets no second
// coupon.
func firstCompletion(c *aftersales.Case, seq int) bool {
	return !slices.ContainsFunc(c.Timeline, func(x aftersales.TimelineEntry) bool {
		return x.Seq < seq && x.To == aftersales.StatusCompleted
	})
}

// coupon raises the coupon of the first coupon rule that holds for the
// completed case (F23), once per case (the id has no version).
func coupon(c *aftersales.Case, rs *aftersales.RuleSet, o *aftersales.Order, e aftersales.TimelineEntry) {
	r, ok := rs.Mall.CouponFor(aftersales.DecisionInput{Case: c, Order: o, Now: e.At})
	if !ok {
		return
	}
	c.Raise(aftersales.EventCouponGrant, c.ID+":"+aftersales.EventCouponGrant, e.At, map[string]any{
		"rule_id": r.ID, "coupon": r.Coupon, "amount": r.Amount, "currency": c.Currency,
		"ruleset_version": rs.Version})
}

// followUp raises staff.follow_up when a high-value buyer opens their
// first case (F23). The id is the buyer's, not the case's: two first cases
// racing each other (or a list index a moment behind) raise the same
// event, which the mall takes once.
func (s *Raising) followUp(ctx context.Context, c *aftersales.Case, rs *aftersales.RuleSet, o *aftersales.Order) error {
	if !rs.Mall.FollowUp.HighValue(o) {
		return nil
	}
	page, err := s.CaseStore.ListCases(ctx, aftersales.CaseQuery{BuyerID: c.BuyerID, Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Items) > 0 {
		return nil // not the first
	}
	c.Raise(aftersales.EventFollowUp, "buyer:"+c.BuyerID+":"+aftersales.EventFollowUp, c.CreatedAt, map[string]any{
		"reason": "first case of a high-value buyer", "member_tier": o.MemberTier,
		"order_amount": o.Payment.Amount, "currency": o.Currency, "case_type": string(c.Type), "requested": c.Requested})
	return nil
}
