package aftersales

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Payer is who bears the postage of a return parcel (F29).
type Payer string

// The payers of a return's postage.
const (
	PayerMerchant Payer = "merchant"
	PayerBuyer    Payer = "buyer"
)

// FreeReturnShipping values of a member perk (F24): for which returns the
// merchant bears the whole postage, without the cap.
const (
	FreeShippingQualityFaults = "quality_faults" // the returns the merchant pays for anyway (FeeSettings.MerchantPaysReturnFor)
	FreeShippingAll           = "all"            // every return, no-reason ones too
)

// FeeSettings are the merchant's rules on who pays for a return (F29):
// rule set data, so that a merchant changes them without a deployment.
type FeeSettings struct {
	// MerchantPaysReturnFor are the reason codes (quality faults) whose
	// return postage the merchant bears; the buyer bears it for every other
	// reason (no-reason returns, sizes).
	MerchantPaysReturnFor []string
	// ReturnPostageCap is the most the merchant reimburses of a return's
	// postage when it bears it, in minor units; 0 means no cap.
	ReturnPostageCap int64
	// RestockingReasons are the reason codes whose returns pay a
	// restocking fee (no-reason returns).
	RestockingReasons []string
	// Restocking are the fees by category: for each line of such a return
	// the first entry that lists the line's category (or lists none) sets
	// its fee. No entry: no fee.
	Restocking []RestockingFee
	// RefundShippingFor are the reason codes whose refunds also give back
	// the claimed lines' share of the order's shipping fee (Allocation),
	// booked on the shipping fee's ledger account. None by default.
	RefundShippingFor []string
}

// RestockingFee is the fee a returned line pays when the return's reason is
// one of FeeSettings.RestockingReasons: a percentage of the line's amount,
// or a fixed amount per line (never more than the line's amount).
type RestockingFee struct {
	Categories []string // the categories it is for; empty: every category
	Percent    int      // 1-100 of the line's amount, rounded down; or
	Fixed      int64    // minor units per line
}

// Perk is what members of one tier get (F24), as rule set data.
type Perk struct {
	// FreeReturnShipping: "" (none), FreeShippingQualityFaults or
	// FreeShippingAll: the merchant bears the whole return postage of those
	// returns, without ReturnPostageCap.
	FreeReturnShipping string
	// MissedPromisePoints are the points a member is compensated with when
	// the review promised to the tier (deadlines.review_sla) is missed;
	// the mall's points service grants them on the event (issue 15).
	MissedPromisePoints int
}

// The perk names conditions test (Condition.Perks).
const (
	PerkFreeReturnShipping  = "free_return_shipping"
	PerkMissedPromisePoints = "missed_promise_points"
)

// qualityReasons are the preset reasons that are the merchant's fault: the
// default FeeSettings.MerchantPaysReturnFor.
var qualityReasons = []string{"damaged", "wrong_item_sent", "not_as_described", "quality_issue", "defective", "wrong_item_sent_exchange"}

// DefaultReturnPostageCap is the default cap of the return postage a
// merchant reimburses: 20.00 CNY, about an express parcel across China.
const DefaultReturnPostageCap = 2000

// DefaultFeeSettings are the fee rules of a merchant who set none:
// quality faults are the merchant's, reimbursed up to 20.00 CNY; no-reason
// returns are the buyer's, with no restocking fee (China's seven-day
// no-reason returns allow none for goods returned as sold).
func DefaultFeeSettings() FeeSettings {
	return FeeSettings{
		MerchantPaysReturnFor: slices.Clone(qualityReasons),
		ReturnPostageCap:      DefaultReturnPostageCap,
		RestockingReasons:     []string{"no_reason_7_days"},
	}
}

// DefaultPerks are the member perks of the source (F24): platinum members
// return quality faults free of postage, diamond members get 20 points
// when their one-hour review promise is missed.
func DefaultPerks() map[string]Perk {
	return map[string]Perk{
		"platinum": {FreeReturnShipping: FreeShippingQualityFaults},
		"diamond":  {MissedPromisePoints: 20},
	}
}

// PerkNames lists the perks a tier's Perk gives, by their condition names.
func (p Perk) PerkNames() []string {
	var out []string
	if p.FreeReturnShipping != "" {
		out = append(out, PerkFreeReturnShipping)
	}
	if p.MissedPromisePoints > 0 {
		out = append(out, PerkMissedPromisePoints)
	}
	return out
}

// Charges are the money rules applied to one case (F29, F24), worked out
// when it is opened so that the buyer sees them before shipping anything,
// and applied when it is refunded.
type Charges struct {
	// ReturnShippingPaidBy is who bears the return postage; empty for a
	// case that returns no goods.
	ReturnShippingPaidBy Payer
	// ReturnPostageCap is the most the merchant reimburses of the postage
	// when it bears it; 0 when uncapped or when the buyer bears it.
	ReturnPostageCap int64
	// FreeReturnShipping says a member perk makes the whole postage the
	// merchant's, without the cap.
	FreeReturnShipping bool
	// RestockingFee is deducted from the refund; RestockingNote says how
	// it was computed ("10% of 399.00 CNY (phones)").
	RestockingFee  int64
	RestockingNote string
	// Deducted is the restocking fee taken off the approved amount when the
	// refund was made; 0 until then. It makes the deduction happen once.
	Deducted int64
	// PostagePaid is what the buyer stated the courier charged for the
	// return parcel, with the waybill; PostageReimbursed is what the
	// merchant pays back of it, fixed then (Reimbursement): the refund
	// pays it on a ledger account of its own (ReturnPostageID).
	PostagePaid       int64
	PostageReimbursed int64
}

// ChargesFor works out the charges of case c of order o under the rule
// set's fees and perks; nil when none apply (a refund-only case or a claim,
// which return nothing and pay no fee).
func ChargesFor(rs *RuleSet, c *Case, o *Order) *Charges {
	if rs == nil || !c.Type.ReturnsGoods() {
		return nil
	}
	fees := rs.Fees
	ch := &Charges{ReturnShippingPaidBy: PayerBuyer}
	var perk Perk
	if o != nil {
		perk = rs.Perks[o.MemberTier]
	}
	quality := slices.Contains(fees.MerchantPaysReturnFor, c.Reason)
	if quality {
		ch.ReturnShippingPaidBy, ch.ReturnPostageCap = PayerMerchant, fees.ReturnPostageCap
	}
	if perk.FreeReturnShipping == FreeShippingAll || perk.FreeReturnShipping == FreeShippingQualityFaults && quality {
		ch.ReturnShippingPaidBy, ch.ReturnPostageCap, ch.FreeReturnShipping = PayerMerchant, 0, true
	}
	if c.Type == ReturnRefund && slices.Contains(fees.RestockingReasons, c.Reason) {
		var notes []string
		for _, l := range c.Lines {
			fee, note := fees.restocking(l, c.Currency)
			ch.RestockingFee += fee
			if fee > 0 {
				notes = append(notes, note)
			}
		}
		// Never more than the case asks for: a fee cannot turn a refund
		// into a charge.
		ch.RestockingFee = min(ch.RestockingFee, c.Requested)
		ch.RestockingNote = strings.Join(notes, "; ")
	}
	return ch
}

// restocking is the fee of one returned line and how it was computed.
func (f FeeSettings) restocking(l CaseLine, currency string) (int64, string) {
	for _, r := range f.Restocking {
		if len(r.Categories) > 0 && !slices.Contains(r.Categories, l.Category) {
			continue
		}
		if r.Percent > 0 {
			return Share(l.Amount, int64(r.Percent), 100), fmt.Sprintf("%d%% of %s (%s)", r.Percent, Money{l.Amount, currency}, lineLabel(l))
		}
		fee := min(r.Fixed, l.Amount)
		return fee, fmt.Sprintf("%s (%s)", Money{fee, currency}, lineLabel(l))
	}
	return 0, ""
}

func lineLabel(l CaseLine) string {
	if l.Category != "" {
		return l.Category
	}
	return l.LineID
}

// DeductCharges takes the case's restocking fee off its approved amount,
// once, before its first refund is made, with a line on the timeline
// saying so (F29). It reports whether it changed the case. The deduction
// is never more than was approved, so a refund never turns negative.
func (c *Case) DeductCharges(at time.Time) (bool, error) {
	ch := c.Charges
	if ch == nil || ch.RestockingFee <= 0 || ch.Deducted > 0 || c.Refunded > 0 {
		return false, nil
	}
	fee := min(ch.RestockingFee, c.Approved)
	if fee <= 0 {
		return false, nil
	}
	note := fmt.Sprintf("restocking fee %s deducted (%s): refund %s of %s approved",
		Money{fee, c.Currency}, ch.RestockingNote, Money{c.Approved - fee, c.Currency}, Money{c.Approved, c.Currency})
	if err := c.Apply(Change{Action: ActChargeFees, Actor: ActorRules, At: at, Note: note}); err != nil {
		return false, err
	}
	c.Approved -= fee
	ch.Deducted = fee
	return true, nil
}

// maxFeeEntries bounds the restocking entries and reason lists of a rule set.
const maxFeeEntries = 100

// validate records every invalid fee setting under the codec's JSON names.
func (f FeeSettings) validate(v *Validation) {
	v.Check(f.ReturnPostageCap >= 0 && f.ReturnPostageCap <= MaxAmount, "fees.return_postage_cap", "must be between 0 (no cap) and %d (minor units)", MaxAmount)
	for _, l := range []struct {
		name  string
		codes []string
	}{{"merchant_pays_return_for", f.MerchantPaysReturnFor}, {"restocking_reasons", f.RestockingReasons}, {"refund_shipping_for", f.RefundShippingFor}} {
		if !v.Check(len(l.codes) <= maxFeeEntries, "fees."+l.name, "must list at most %d reasons", maxFeeEntries) {
			continue
		}
		for i, code := range l.codes {
			if l.name == "refund_shipping_for" {
				_, ro := LookupReason(RefundOnly, code)
				_, ret := LookupReason(ReturnRefund, code)
				v.Check(ro || ret, fmt.Sprintf("fees.%s[%d]", l.name, i),
					"%q is not a reason of a refund-only case or a return (GET /v1/reasons lists them)", code)
				continue
			}
			_, ret := LookupReason(ReturnRefund, code)
			_, exch := LookupReason(Exchange, code)
			// Restocking fees come off refunds, so only returns' reasons.
			v.Check(ret || exch && l.name == "merchant_pays_return_for", fmt.Sprintf("fees.%s[%d]", l.name, i),
				"%q is not a reason of a return%s (GET /v1/reasons lists them)", code, map[bool]string{true: " or an exchange"}[l.name == "merchant_pays_return_for"])
		}
	}
	if !v.Check(len(f.Restocking) <= maxFeeEntries, "fees.restocking", "must list at most %d entries", maxFeeEntries) {
		return
	}
	for i, r := range f.Restocking {
		p := fmt.Sprintf("fees.restocking[%d]", i)
		switch {
		case r.Percent != 0 && r.Fixed != 0:
			v.Add(p, "give percent or fixed, not both")
		case r.Percent == 0 && r.Fixed == 0:
			v.Add(p, "give percent (1-100) or fixed (minor units)")
		case r.Percent != 0:
			v.Check(r.Percent >= 1 && r.Percent <= 100, p+".percent", "must be between 1 and 100")
		default:
			v.Check(r.Fixed >= 1 && r.Fixed <= MaxAmount, p+".fixed", "must be between 1 and %d (minor units)", MaxAmount)
		}
		for j, c := range r.Categories {
			v.Check(c != "" && utf8.RuneCountInString(c) <= maxRuleNameRunes, fmt.Sprintf("%s.categories[%d]", p, j), "must be 1 to %d characters", maxRuleNameRunes)
		}
	}
}

// validatePerks records every invalid perk under the codec's JSON names.
func validatePerks(perks map[string]Perk, v *Validation) {
	tiers := make([]string, 0, len(perks))
	for t := range perks {
		tiers = append(tiers, t)
	}
	slices.Sort(tiers) // one error order for one input
	v.Check(len(tiers) <= maxFeeEntries, "perks", "must name at most %d tiers", maxFeeEntries)
	for _, t := range tiers {
		if !v.Check(t != "" && utf8.RuneCountInString(t) <= maxRuleNameRunes, "perks", "names a tier of 0 or more than %d characters", maxRuleNameRunes) {
			continue
		}
		p := perks[t]
		v.Check(p.FreeReturnShipping == "" || p.FreeReturnShipping == FreeShippingQualityFaults || p.FreeReturnShipping == FreeShippingAll,
			"perks."+t+".free_return_shipping", "must be quality_faults or all")
		v.Check(p.MissedPromisePoints >= 0 && p.MissedPromisePoints <= 1_000_000, "perks."+t+".missed_promise_points", "must be between 0 and 1000000")
	}
}
