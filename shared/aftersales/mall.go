package aftersales

import (
	"fmt"
	"slices"
	"time"
)

// MallSettings are the merchant's rules for what the mall hears of a case
// beyond refunds (issue 15): retention coupons and follow-up calls (F23).
// The points a member is credited for a missed review promise (F24) are a
// perk of the tier (RuleSet.Perks, MissedPromisePoints). They are part of
// the rule set: data, versioned, changed without a deployment.
type MallSettings struct {
	// Coupons are tried in order when a case completes for the first
	// time; the first whose condition holds grants its coupon. None: no
	// coupons.
	Coupons []CouponRule
	// FollowUp says who is a high-value buyer, whose first case staff call
	// about.
	FollowUp FollowUpRule
}

// CouponRule grants a coupon after a completed case whose condition holds.
type CouponRule struct {
	ID     string    // stable, carried in the event (rule_id)
	When   Condition // the rule set's conditions, on the completed case and its order
	Coupon string    // the mall's coupon (template) code
	Amount int64     // the coupon's face value in minor units, for the mall's records; 0: not given
}

// FollowUpRule says which buyers are high-value: a member of one of
// MemberTiers, or a buyer whose order paid more than OrderAmountAbove
// (minor units). Either left out holds for nobody; both left out turn
// follow-ups off.
type FollowUpRule struct {
	MemberTiers      []string
	OrderAmountAbove *int64
}

// Limits of the mall settings.
const (
	MaxCouponRules   = 50
	MaxCouponCodeLen = 64
)

// DefaultMallSettings are the settings of a merchant who set none: a
// follow-up for diamond members and orders above 1,000 CNY, no coupons.
func DefaultMallSettings() MallSettings {
	above := int64(100000)
	return MallSettings{FollowUp: FollowUpRule{MemberTiers: []string{"diamond"}, OrderAmountAbove: &above}}
}

// HighValue reports whether the buyer of order o is high-value by r.
func (r FollowUpRule) HighValue(o *Order) bool {
	if o == nil {
		return false
	}
	return slices.Contains(r.MemberTiers, o.MemberTier) || r.OrderAmountAbove != nil && o.Payment.Amount > *r.OrderAmountAbove
}

// CouponFor returns the first coupon rule whose condition holds for the
// completed case in in.
func (m MallSettings) CouponFor(in DecisionInput) (CouponRule, bool) {
	if in.Case == nil {
		return CouponRule{}, false
	}
	for _, r := range m.Coupons {
		if r.When.holds(in) {
			return r, true
		}
	}
	return CouponRule{}, false
}

// validate records every invalid field under "mall".
func (m MallSettings) validate(v *Validation) {
	v.Check(len(m.Coupons) <= MaxCouponRules, "mall.coupons", "must list at most %d rules", MaxCouponRules)
	ids := map[string]int{}
	for i, r := range m.Coupons {
		p := fmt.Sprintf("mall.coupons[%d]", i)
		checkUniqueID(v, ids, "mall.coupons", i, r.ID, "events carry them")
		v.Check(r.Coupon != "" && len(r.Coupon) <= MaxCouponCodeLen, p+".coupon", "must be the mall's coupon code, 1 to %d bytes", MaxCouponCodeLen)
		v.Check(r.Amount >= 0, p+".amount", "must not be negative (minor units: 1000 is 10.00 CNY)")
		// The buyer's refund history is not read for coupons: a condition
		// on it would silently never see it.
		v.Check(r.When.RefundsAtLeast == nil && r.When.RefundsAtMost == nil, p+".when",
			"refunds_90d_at_least and refunds_90d_at_most are for review rules only")
		r.When.validate(v, p+".when")
	}
	v.Check(m.FollowUp.MemberTiers == nil || len(m.FollowUp.MemberTiers) > 0, "mall.follow_up.member_tiers",
		"is an empty list; list at least one tier, or leave it out")
	v.Check(m.FollowUp.OrderAmountAbove == nil || *m.FollowUp.OrderAmountAbove >= 0, "mall.follow_up.order_amount_above", "must not be negative")
}

// PromiseMissed reports whether the review time promised to c's buyer (a
// member tier's SLA, F24) has passed with the case still waiting for
// review: the miss is recorded once (MissPromise clears the promise).
func (c *Case) PromiseMissed(now time.Time) bool {
	return c.Status == StatusPendingReview && !c.PromisedBy.IsZero() && !now.Before(c.PromisedBy)
}

// MissPromise records on the timeline that the review promise passed
// unmet (staff are told; the member's compensation is raised with this
// change) and drops the promise: from now on the buyer is shown the
// review's own deadline, and the miss is never recorded twice.
func (c *Case) MissPromise(at time.Time) error {
	due := c.PromisedBy
	if err := c.Apply(Change{Action: ActRemind, Actor: ActorWorkflow, At: at,
		Note: fmt.Sprintf("review promised by %s missed", due.UTC().Format(time.RFC3339))}); err != nil {
		return err
	}
	c.PromisedBy = time.Time{}
	return nil
}
