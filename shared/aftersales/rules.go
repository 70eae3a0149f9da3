package aftersales

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// OutcomeKind is what a rule decides about a case (F7).
type OutcomeKind string

// The outcomes a rule can decide. Their values are what Decision.Outcome
// records.
const (
	OutcomeApprove         OutcomeKind = "approve"
	OutcomeReject          OutcomeKind = "reject"
	OutcomeManual          OutcomeKind = "manual"
	OutcomeRequestEvidence OutcomeKind = "request_evidence"
)

// Valid reports whether k is one of the outcomes.
func (k OutcomeKind) Valid() bool {
	switch k {
	case OutcomeApprove, OutcomeReject, OutcomeManual, OutcomeRequestEvidence:
		return true
	}
	return false
}

// Limits of a rule set. They keep one evaluation cheap and the texts shown to
// buyers short enough for a notification.
const (
	MaxRules                  = 200
	MaxRuleIDLen              = 64
	MaxRuleReasonRunes        = 200
	MaxRuleDescRunes          = 500
	maxConditionDays          = 3650
	DefaultAdminApprovalAbove = 50000 // 500.00 CNY, from the source's "超 500 元需管理员二次审核"
)

// RuleSet is the merchant's review policy: data, not code, so that it can
// change without a deployment (F7, F26), and versioned, so that every
// decision can say which policy made it (F8).
type RuleSet struct {
	// Version numbers the stored sets 1, 2, 3...; the store assigns it.
	Version int
	// Rules are tried in order; the first whose condition holds decides. The
	// last one has an empty condition, so every case is decided.
	Rules     []Rule
	Deadlines Deadlines
	// AdminApprovalAbove is the amount in minor units above which approving
	// a case needs the admin role (the source's "second review"). A manual
	// decision for a larger case is sent to admin level whatever its rule
	// says, because a reviewer could not approve it anyway.
	AdminApprovalAbove int64
	// Evidence are the settings of the evidence checks (issue 16).
	Evidence EvidenceSettings
	// Mall is what the mall hears of beyond refunds (issue 15).
	Mall MallSettings
	// Fees say who pays for a return and what it costs (F29).
	Fees FeeSettings
	// Perks are the member perks by tier, exactly as the mall sends it
	// (F24); the review promise of a tier stays in Deadlines.ReviewSLA.
	Perks map[string]Perk
	// VirtualGoods say how redemption of virtual goods is learnt (F18).
	VirtualGoods VirtualGoodsSettings
	// Bundles say how an application returning a bundle is handled (F20).
	Bundles BundleSettings
	// Presale are the merchant's presale terms (F19).
	Presale PresaleSettings
	// Interception are the interception terms (F30).
	Interception InterceptionSettings
	UpdatedAt    time.Time
	UpdatedBy    string
}

// Rule is one line of the merchant's policy: when a case matches When, Then
// is the decision.
type Rule struct {
	ID          string // stable, recorded on every decision it makes
	Description string // for staff
	When        Condition
	Then        Outcome
}

// Condition says which cases a rule is for. Every field is optional and the
// zero value of a field (nil, or an empty list) means "any"; all fields that
// are given must hold. An empty Condition matches every case.
//
// Conditions on the order (statuses, days, tier, redemption) do not hold
// when the order is unknown, and "days since" conditions do not hold while
// the event has not happened: an unshipped order is neither shipped more
// than 7 days ago nor shipped within 7 days.
type Condition struct {
	CaseTypes     []CaseType    // the case is of one of these types
	OrderStatuses []OrderStatus // the order is in one of these statuses (paid means unshipped)

	// Days since the order was paid, shipped, delivered: "more than N days"
	// holds when more than N×24 h have passed, "within N days" when at most
	// N×24 h have. Exact elapsed time, not calendar days, so "within 1 day"
	// is the produce claim window of 24 h (F16) in every time zone.
	PaidMoreThanDays      *int
	PaidWithinDays        *int
	ShippedMoreThanDays   *int
	ShippedWithinDays     *int
	DeliveredMoreThanDays *int
	DeliveredWithinDays   *int

	LineKinds     []LineKind // some line of the case is of one of these kinds
	OnlyLineKinds []LineKind // every line of the case is of one of these kinds
	Categories    []string   // some line of the case is in one of these categories (exact match)

	// The case's amount in minor units: above is exclusive (> x), at most
	// inclusive (<= x), so "amount_above 50000" and "amount_at_most 50000"
	// split all cases in two. The amount is what the buyer requested; for an
	// exchange, which requests no money, it is what its lines are worth,
	// since that is the value of the replacement the merchant ships.
	AmountAbove  *int64
	AmountAtMost *int64

	MemberTiers []string // the buyer's member tier is one of these, exactly as the mall sends it

	// The buyer's completed refunds in the last 90 days, both bounds inclusive.
	RefundsAtLeast *int
	RefundsAtMost  *int

	// HasEvidence: the case has (true) or has not (false) at least one
	// evidence file that was not found invalid.
	HasEvidence *bool
	// EvidenceVerified: some evidence file of the case was verified (true),
	// or none was (false) (issue 16).
	EvidenceVerified *bool
	// EvidenceReused: some evidence file of the case is another claim's
	// photo again (true), or none is (false).
	EvidenceReused *bool
	// RecognizedDamage: image recognition saw damage on some evidence
	// photo (true), or on none (false: also when it did not run).
	RecognizedDamage *bool
	// RecognizedLabels: image recognition saw one of these labels on some
	// evidence photo ("Mobile Phone", "Strawberry"), compared ignoring case.
	RecognizedLabels []string
	// Reasons: the case's reason code is one of these preset codes.
	Reasons []string
	// VirtualUnused: true holds when the case has virtual lines and none of
	// them is redeemed; false holds when some virtual line of the case is
	// redeemed (F18). Neither holds for a case without virtual lines.
	VirtualUnused *bool

	// RefundRateDays is the period of the refund rate, in days (default
	// DefaultRefundRateDays); RefundRateAtLeast and RefundRateAtMost bound
	// the rate in percent, both inclusive. The rate is the share of the
	// buyer's cases opened in the period (this one not counted) that ended
	// with money back; it holds for neither bound when the buyer opened
	// none, since no rate can be told from nothing.
	RefundRateDays    *int
	RefundRateAtLeast *int
	RefundRateAtMost  *int
	// ReturnShippingPaidBy: the case's return postage is borne by this
	// payer (merchant or buyer, F29); never holds for a case that returns
	// nothing.
	ReturnShippingPaidBy *Payer
	// HasRestockingFee: the case pays a restocking fee (true) or none
	// (false).
	HasRestockingFee *bool
	// Perks: the buyer's member tier has one of these perks
	// (free_return_shipping, missed_promise_points).
	Perks []string
	// EvidenceSlotsFilled: every named photo the rule set's
	// evidence.slots require for the case's line kinds is there (true), or
	// one is missing (false) (F16: produce needs "item" and "label").
	EvidenceSlotsFilled *bool
}

// DefaultRefundRateDays is the period of a refund rate condition that names
// none: the 90 days of the refund count's conditions.
const DefaultRefundRateDays = 90

// RefundRate is a buyer's cases in a period and how many of them ended with
// money back.
type RefundRate struct {
	Cases, Refunded int
}

// rateDays is the period of w's refund rate condition.
func (w Condition) rateDays() int {
	if w.RefundRateDays != nil {
		return *w.RefundRateDays
	}
	return DefaultRefundRateDays
}

// UsesRefundRate reports the period of w's refund rate condition, if it has one.
func (w Condition) UsesRefundRate() (days int, ok bool) {
	return w.rateDays(), w.RefundRateAtLeast != nil || w.RefundRateAtMost != nil
}

// rateHolds checks the refund rate bounds against the buyer's rate.
func (w Condition) rateHolds(in DecisionInput) bool {
	if w.RefundRateAtLeast == nil && w.RefundRateAtMost == nil {
		return true
	}
	r, ok := in.RefundRates[w.rateDays()]
	if !ok || r.Cases == 0 {
		return false
	}
	// Compared as refunded×100 against bound×cases: exact, no rounding.
	pct := int64(r.Refunded) * 100
	return (w.RefundRateAtLeast == nil || pct >= int64(*w.RefundRateAtLeast)*int64(r.Cases)) &&
		(w.RefundRateAtMost == nil || pct <= int64(*w.RefundRateAtMost)*int64(r.Cases))
}

// perksHold reports whether the buyer's tier has one of the perks named.
func perksHold(names []string, rs *RuleSet, o *Order) bool {
	if len(names) == 0 {
		return true
	}
	if o == nil || rs == nil {
		return false
	}
	p, ok := rs.Perks[o.MemberTier]
	return ok && slices.ContainsFunc(p.PerkNames(), func(n string) bool { return slices.Contains(names, n) })
}

// Outcome is what a rule decides.
type Outcome struct {
	Decision OutcomeKind
	// Level is who reviews a manual case: RoleReviewer or RoleAdmin. Only
	// for manual outcomes.
	Level Role
	// Reason is shown to the buyer: why the case was rejected (required), or
	// what evidence to add (required). For approve and manual it is an
	// optional note for staff.
	Reason string
}

// DecisionInput is everything a decision may look at. Now comes from the
// caller's clock, so the same input always gives the same decision.
type DecisionInput struct {
	Case              *Case
	Order             *Order
	RefundsLast90Days int
	// RefundRates are the buyer's refund rates by period in days, for the
	// periods the rule set's conditions name.
	RefundRates map[int]RefundRate
	Now         time.Time
	// rules is the rule set deciding, for conditions on its perks.
	rules *RuleSet
	// Redemption are the coupon service's live answers for the case's
	// virtual lines (F18); nil when nobody asked (no virtual lines, or the
	// rule set trusts the snapshot).
	Redemption *RedemptionFacts
}

// byRules is Decision.By for decisions the rule set made.
const byRules = "rules"

// Decide applies the rule set to a case (F7): the first rule whose condition
// holds decides, and the decision records the rule and the rule set version
// (F8). It is pure: no clock, no I/O. A rule set that decides nothing (not
// validated, or nil) sends the case to a person rather than guessing.
func Decide(in DecisionInput, rs *RuleSet) Decision {
	if rs == nil {
		return Decision{Outcome: string(OutcomeManual), By: byRules, Level: RoleReviewer, Reason: "no rule set"}
	}
	d := Decision{Outcome: string(OutcomeManual), By: byRules, RuleSetVersion: rs.Version,
		Level: RoleReviewer, Reason: "no rule matched"}
	in.rules = rs
	live := in.Redemption
	switch {
	case in.Case == nil:
	case live != nil && live.Unavailable && rs.VirtualGoods.reviewsWhenUnavailable():
		// No rule refunds or refuses a code whose use nobody knows.
		d = unavailableDecision(rs, *live)
	default:
		if live != nil && !live.Unavailable {
			in.Order = live.Overlay(in.Order)
		}
		for _, r := range rs.Rules {
			if r.When.holds(in) {
				d = Decision{Outcome: string(r.Then.Decision), By: byRules, RuleID: r.ID,
					RuleSetVersion: rs.Version, Reason: r.Then.Reason}
				if r.Then.Decision == OutcomeManual {
					d.Level = r.Then.Level
				}
				if note := live.usedNoteFor(r, in.Case); note != "" {
					// The buyer is told what the mall saw, not only the rule.
					d.Reason += ": " + note
				}
				break
			}
		}
	}
	if d.Outcome == string(OutcomeApprove) && in.Case != nil && in.Case.EvidenceRequired() && !in.Case.HasVerifiedEvidence() {
		// A reason that needs evidence is never approved on files nobody
		// has checked (issue 16): without a usable file the buyer is asked
		// for one; with files still being checked, a person decides.
		if !hasValidEvidence(in.Case) {
			d.Outcome, d.Reason = string(OutcomeRequestEvidence), "add photos that show the problem; this reason needs verified evidence"
		} else {
			d.Outcome, d.Level, d.Reason = string(OutcomeManual), RoleReviewer, "the evidence this reason needs is not verified yet"
		}
	}
	if d.Outcome == string(OutcomeManual) {
		if d.Level != RoleAdmin && in.Case != nil && caseAmount(in.Case) > rs.AdminApprovalAbove {
			d.Level = RoleAdmin
		}
		if d.Level != RoleAdmin {
			// Also for a manual rule without a level in an unvalidated set:
			// someone must be able to pick the case up.
			d.Level = RoleReviewer
		}
	}
	return d
}

// holds reports whether every given field of w holds for in.
func (w Condition) holds(in DecisionInput) bool {
	c, o := in.Case, in.Order
	var paid, shipped, delivered time.Time
	if o != nil {
		paid, shipped, delivered = o.PaidAt, o.ShippedAt, o.DeliveredAt
	}
	amount := caseAmount(c)
	return (len(w.CaseTypes) == 0 || slices.Contains(w.CaseTypes, c.Type)) &&
		(len(w.OrderStatuses) == 0 || o != nil && slices.Contains(w.OrderStatuses, o.Status)) &&
		daysHold(paid, in.Now, w.PaidMoreThanDays, w.PaidWithinDays) &&
		daysHold(shipped, in.Now, w.ShippedMoreThanDays, w.ShippedWithinDays) &&
		daysHold(delivered, in.Now, w.DeliveredMoreThanDays, w.DeliveredWithinDays) &&
		(len(w.LineKinds) == 0 || slices.ContainsFunc(c.Lines, func(l CaseLine) bool { return slices.Contains(w.LineKinds, l.Kind) })) &&
		(len(w.OnlyLineKinds) == 0 || len(c.Lines) > 0 && !slices.ContainsFunc(c.Lines, func(l CaseLine) bool { return l.Kind != KindFee && !slices.Contains(w.OnlyLineKinds, l.Kind) })) &&
		(len(w.Categories) == 0 || slices.ContainsFunc(c.Lines, func(l CaseLine) bool { return slices.Contains(w.Categories, l.Category) })) &&
		(w.AmountAbove == nil || amount > *w.AmountAbove) &&
		(w.AmountAtMost == nil || amount <= *w.AmountAtMost) &&
		(len(w.MemberTiers) == 0 || o != nil && slices.Contains(w.MemberTiers, o.MemberTier)) &&
		(w.RefundsAtLeast == nil || in.RefundsLast90Days >= *w.RefundsAtLeast) &&
		(w.RefundsAtMost == nil || in.RefundsLast90Days <= *w.RefundsAtMost) &&
		(w.HasEvidence == nil || hasValidEvidence(c) == *w.HasEvidence) &&
		(w.EvidenceVerified == nil || c.HasVerifiedEvidence() == *w.EvidenceVerified) &&
		(w.EvidenceReused == nil || hasReusedEvidence(c) == *w.EvidenceReused) &&
		(w.RecognizedDamage == nil || recognizedDamage(c) == *w.RecognizedDamage) &&
		(len(w.RecognizedLabels) == 0 || recognizedAny(c, w.RecognizedLabels)) &&
		(len(w.Reasons) == 0 || slices.Contains(w.Reasons, c.Reason)) &&
		(w.VirtualUnused == nil || virtualUnusedIs(c, o, *w.VirtualUnused)) &&
		w.rateHolds(in) &&
		(w.ReturnShippingPaidBy == nil || c.Charges != nil && c.Charges.ReturnShippingPaidBy == *w.ReturnShippingPaidBy) &&
		(w.HasRestockingFee == nil || (c.Charges != nil && c.Charges.RestockingFee > 0) == *w.HasRestockingFee) &&
		perksHold(w.Perks, in.rules, o) &&
		(w.EvidenceSlotsFilled == nil || in.rules != nil && (len(in.rules.Evidence.MissingSlots(c)) == 0) == *w.EvidenceSlotsFilled)
}

// empty reports whether w matches every case.
func (w Condition) empty() bool {
	return len(w.CaseTypes) == 0 && len(w.OrderStatuses) == 0 &&
		w.PaidMoreThanDays == nil && w.PaidWithinDays == nil &&
		w.ShippedMoreThanDays == nil && w.ShippedWithinDays == nil &&
		w.DeliveredMoreThanDays == nil && w.DeliveredWithinDays == nil &&
		len(w.LineKinds) == 0 && len(w.OnlyLineKinds) == 0 && len(w.Categories) == 0 &&
		w.AmountAbove == nil && w.AmountAtMost == nil && len(w.MemberTiers) == 0 &&
		w.RefundsAtLeast == nil && w.RefundsAtMost == nil && w.HasEvidence == nil && w.EvidenceVerified == nil && w.EvidenceReused == nil &&
		w.RecognizedDamage == nil && len(w.RecognizedLabels) == 0 &&
		len(w.Reasons) == 0 && w.VirtualUnused == nil &&
		w.RefundRateDays == nil && w.RefundRateAtLeast == nil && w.RefundRateAtMost == nil &&
		w.ReturnShippingPaidBy == nil && w.HasRestockingFee == nil && len(w.Perks) == 0 && w.EvidenceSlotsFilled == nil
}

const day = 24 * time.Hour

// daysHold checks "more than" and "within" bounds on the time elapsed since
// at; neither holds before the event (at is zero).
func daysHold(at, now time.Time, moreThan, within *int) bool {
	if moreThan == nil && within == nil {
		return true
	}
	if at.IsZero() {
		return false
	}
	elapsed := now.Sub(at)
	return (moreThan == nil || elapsed > time.Duration(*moreThan)*day) &&
		(within == nil || elapsed <= time.Duration(*within)*day)
}

// caseAmount is the amount amount conditions compare (see Condition).
func caseAmount(c *Case) int64 {
	if c.Type != Exchange {
		return c.Requested
	}
	var sum int64
	for _, l := range c.Lines {
		sum += l.Amount
	}
	return sum
}

// hasValidEvidence reports whether some evidence of c was not found invalid
// or reused: an invalid photo, or another claim's photo, is no evidence (F9).
func hasValidEvidence(c *Case) bool {
	return slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.Status != EvidenceInvalid && e.Status != EvidenceReused })
}

// hasReusedEvidence reports whether some evidence of c was found reused.
func hasReusedEvidence(c *Case) bool {
	return slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.Status == EvidenceReused })
}

// recognizedDamage reports whether recognition saw damage on some evidence.
func recognizedDamage(c *Case) bool {
	return slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.Damage })
}

// recognizedAny reports whether recognition saw one of labels on some
// evidence, ignoring case.
func recognizedAny(c *Case, labels []string) bool {
	for _, e := range c.Evidence {
		for _, l := range e.Labels {
			if slices.ContainsFunc(labels, func(w string) bool { return strings.EqualFold(w, l) }) {
				return true
			}
		}
	}
	return false
}

// virtualUnusedIs reports whether the case's virtual lines are all unused
// (want true) or some is redeemed (want false). Redemption is recorded on the
// order line, so a virtual line the order does not know makes neither hold:
// a rule should neither refund nor refuse what it cannot check.
func virtualUnusedIs(c *Case, o *Order, want bool) bool {
	if o == nil {
		return false
	}
	virtual, redeemed := 0, false
	for _, cl := range c.Lines {
		if cl.Kind != KindVirtual {
			continue
		}
		ol, ok := o.Line(cl.LineID)
		if !ok {
			return false
		}
		virtual++
		redeemed = redeemed || ol.Redeemed
	}
	return virtual > 0 && redeemed != want
}

// Validate checks a rule set before it is stored, naming every invalid field
// at once by its JSON path in the rule set codec (shared/ruleset), e.g.
// "rules[2].when.amount_above", so that a console can point at each mistake.
func (rs *RuleSet) Validate() error {
	var v Validation
	v.Check(rs.Version >= 0, "version", "must not be negative")
	v.Check(rs.AdminApprovalAbove >= 0, "admin_approval_above", "must not be negative (minor units: 50000 is 500.00 CNY)")
	rs.VirtualGoods.validate(&v)
	rs.Bundles.validate(&v)
	rs.Presale.validate(&v)
	rs.Interception.validate(&v)
	v.Check(rs.Evidence.ReuseMaxDistance >= 0 && rs.Evidence.ReuseMaxDistance <= MaxReuseMaxDistance,
		"evidence.reuse_max_distance", "must be from 0 to %d bits", MaxReuseMaxDistance)
	if v.Check(len(rs.Evidence.RecognitionCategories) <= MaxRules, "evidence.recognition_categories", "must list at most %d categories", MaxRules) {
		for i, c := range rs.Evidence.RecognitionCategories {
			v.Check(c != "" && utf8.RuneCountInString(c) <= 64, fmt.Sprintf("evidence.recognition_categories[%d]", i), "must be 1 to 64 characters")
		}
	}
	switch {
	case len(rs.Rules) == 0:
		v.Add("rules", "must list at least one rule; the last one, with an empty \"when\", decides every case the others do not")
	case len(rs.Rules) > MaxRules:
		v.Add("rules", "must list at most %d rules", MaxRules)
	}
	ids := map[string]int{}
	for i, r := range rs.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		checkUniqueID(&v, ids, "rules", i, r.ID, "decisions record them")
		v.Check(utf8.RuneCountInString(r.Description) <= MaxRuleDescRunes, p+".description", "must be at most %d characters", MaxRuleDescRunes)
		r.When.validate(&v, p+".when")
		r.Then.validate(&v, p+".then")
		switch last := i == len(rs.Rules)-1; {
		case r.When.empty() && !last:
			v.Add(p+".when", "is empty, so it matches every case and the rules after it could never apply; only the last rule may be a catch-all")
		case !r.When.empty() && last:
			v.Add(p+".when", "must be empty: the last rule is the catch-all that decides every case no other rule matched")
		}
	}
	rs.Deadlines.validate(&v)
	rs.Mall.validate(&v)
	rs.Fees.validate(&v)
	rs.Evidence.validateSlots(&v)
	validatePerks(rs.Perks, &v)
	return v.Err("ruleset.validate")
}

func validRuleID(id string) bool {
	if id == "" || len(id) > MaxRuleIDLen {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

// validate records every invalid field of the condition at path p.
func (w Condition) validate(v *Validation, p string) {
	// A list given but empty would read as "none of these" yet match any
	// case (an empty list is no condition): refuse it rather than guess.
	for _, l := range []struct {
		name  string
		given bool
	}{
		{"case_types", w.CaseTypes != nil && len(w.CaseTypes) == 0},
		{"order_statuses", w.OrderStatuses != nil && len(w.OrderStatuses) == 0},
		{"line_kinds", w.LineKinds != nil && len(w.LineKinds) == 0},
		{"only_line_kinds", w.OnlyLineKinds != nil && len(w.OnlyLineKinds) == 0},
		{"categories", w.Categories != nil && len(w.Categories) == 0},
		{"member_tiers", w.MemberTiers != nil && len(w.MemberTiers) == 0},
		{"reasons", w.Reasons != nil && len(w.Reasons) == 0},
		{"perks", w.Perks != nil && len(w.Perks) == 0},
	} {
		v.Check(!l.given, p+"."+l.name, "is an empty list; list at least one value, or leave it out to match any")
	}
	for j, t := range w.CaseTypes {
		v.Check(t.Valid(), fmt.Sprintf("%s.case_types[%d]", p, j), "must be one of refund_only, return_refund, exchange, claim")
	}
	for j, s := range w.OrderStatuses {
		v.Check(orderStatuses[s], fmt.Sprintf("%s.order_statuses[%d]", p, j), "must be one of paid, shipped, delivered, completed")
	}
	checkDays(v, p, "paid", w.PaidMoreThanDays, w.PaidWithinDays)
	checkDays(v, p, "shipped", w.ShippedMoreThanDays, w.ShippedWithinDays)
	checkDays(v, p, "delivered", w.DeliveredMoreThanDays, w.DeliveredWithinDays)
	for _, f := range []struct {
		name  string
		kinds []LineKind
	}{{"line_kinds", w.LineKinds}, {"only_line_kinds", w.OnlyLineKinds}} {
		for j, k := range f.kinds {
			v.Check(lineKinds[k], fmt.Sprintf("%s.%s[%d]", p, f.name, j), "must be one of physical, virtual, produce, appliance, cross_border, presale")
		}
	}
	for j, c := range w.Categories {
		v.Check(c != "", fmt.Sprintf("%s.categories[%d]", p, j), "must not be empty")
	}
	for j, t := range w.MemberTiers {
		v.Check(t != "", fmt.Sprintf("%s.member_tiers[%d]", p, j), "must not be empty")
	}
	if w.AmountAbove != nil {
		v.Check(*w.AmountAbove >= 0, p+".amount_above", "must not be negative (minor units)")
	}
	if w.AmountAtMost != nil {
		v.Check(*w.AmountAtMost >= 0, p+".amount_at_most", "must not be negative (minor units)")
		if w.AmountAbove != nil {
			v.Check(*w.AmountAbove < *w.AmountAtMost, p+".amount_at_most", "must be more than amount_above (%d), or no case can match", *w.AmountAbove)
		}
	}
	if w.RefundsAtLeast != nil {
		v.Check(*w.RefundsAtLeast >= 0, p+".refunds_90d_at_least", "must not be negative")
	}
	if w.RefundsAtMost != nil {
		v.Check(*w.RefundsAtMost >= 0, p+".refunds_90d_at_most", "must not be negative")
		if w.RefundsAtLeast != nil {
			v.Check(*w.RefundsAtLeast <= *w.RefundsAtMost, p+".refunds_90d_at_most", "must not be less than refunds_90d_at_least (%d), or no case can match", *w.RefundsAtLeast)
		}
	}
	if w.RefundRateDays != nil {
		v.Check(*w.RefundRateDays >= 1 && *w.RefundRateDays <= 365, p+".refund_rate_days", "must be between 1 and 365")
		v.Check(w.RefundRateAtLeast != nil || w.RefundRateAtMost != nil, p+".refund_rate_days",
			"is the period of refund_rate_at_least or refund_rate_at_most; give one of them")
	}
	for _, b := range []struct {
		name string
		x    *int
	}{{"refund_rate_at_least", w.RefundRateAtLeast}, {"refund_rate_at_most", w.RefundRateAtMost}} {
		if b.x != nil {
			v.Check(*b.x >= 0 && *b.x <= 100, p+"."+b.name, "must be a percentage from 0 to 100")
		}
	}
	if w.RefundRateAtLeast != nil && w.RefundRateAtMost != nil {
		v.Check(*w.RefundRateAtLeast <= *w.RefundRateAtMost, p+".refund_rate_at_most", "must not be less than refund_rate_at_least (%d), or no case can match", *w.RefundRateAtLeast)
	}
	v.Check(w.ReturnShippingPaidBy == nil || *w.ReturnShippingPaidBy == PayerMerchant || *w.ReturnShippingPaidBy == PayerBuyer,
		p+".return_shipping_paid_by", "must be merchant or buyer")
	for j, n := range w.Perks {
		v.Check(n == PerkFreeReturnShipping || n == PerkMissedPromisePoints, fmt.Sprintf("%s.perks[%d]", p, j),
			"must be one of %s, %s", PerkFreeReturnShipping, PerkMissedPromisePoints)
	}
	for j, code := range w.Reasons {
		f := fmt.Sprintf("%s.reasons[%d]", p, j)
		known, ofTypes := false, false
		for _, r := range reasons {
			if r.Code == code {
				known = true
				ofTypes = ofTypes || len(w.CaseTypes) == 0 || slices.Contains(w.CaseTypes, r.Type)
			}
		}
		if v.Check(known, f, "%q is not a preset reason code (GET /v1/reasons lists them)", code) {
			v.Check(ofTypes, f, "%q is not a reason of the rule's case_types, so no case can match", code)
		}
	}
}

// checkDays validates one pair of "days since" bounds; event is "paid",
// "shipped" or "delivered".
func checkDays(v *Validation, p, event string, moreThan, within *int) {
	mf, wf := p+"."+event+"_more_than_days", p+"."+event+"_within_days"
	if moreThan != nil {
		v.Check(*moreThan >= 0 && *moreThan <= maxConditionDays, mf, "must be between 0 and %d", maxConditionDays)
	}
	if within != nil {
		v.Check(*within >= 0 && *within <= maxConditionDays, wf, "must be between 0 and %d", maxConditionDays)
		if moreThan != nil {
			v.Check(*moreThan < *within, wf, "must be more than %s_more_than_days (%d), or no case can match", event, *moreThan)
		}
	}
}

// validate records every invalid field of the outcome at path p.
func (o Outcome) validate(v *Validation, p string) {
	if v.Check(o.Decision.Valid(), p+".decision", "must be one of approve, reject, manual, request_evidence") {
		if o.Decision == OutcomeManual {
			v.Check(o.Level == RoleReviewer || o.Level == RoleAdmin, p+".level", "must be reviewer or admin: who reviews the case")
		} else {
			v.Check(o.Level == "", p+".level", "is only for manual decisions")
		}
	}
	switch o.Decision {
	case OutcomeReject:
		v.Check(o.Reason != "", p+".reason", "is required: the buyer is told why the case was rejected")
	case OutcomeRequestEvidence:
		v.Check(o.Reason != "", p+".reason", "is required: the buyer is told what evidence to add")
	}
	v.Check(utf8.RuneCountInString(o.Reason) <= MaxRuleReasonRunes, p+".reason", "must be at most %d characters", MaxRuleReasonRunes)
}

// maxRuleNameRunes bounds a category or member tier that a condition names.
const maxRuleNameRunes = 64

// ValidateText checks the rule set's free text with CheckText: rule
// descriptions (staff read them), outcome reasons (buyers read them) and
// the category and tier names of conditions, each named by its JSON path.
// It is checked when a rule set is stored, not in Validate, which also
// runs when one is read: a version stored before these checks stays
// readable, and the next one stored must pass them.
func (rs *RuleSet) ValidateText() error {
	var v Validation
	for i, r := range rs.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		CheckText(&v, p+".description", r.Description, MultiLine, 0)
		CheckText(&v, p+".then.reason", r.Then.Reason, OneLine, 0)
		for j, c := range r.When.Categories {
			CheckText(&v, fmt.Sprintf("%s.when.categories[%d]", p, j), c, OneLine, maxRuleNameRunes)
		}
		for j, t := range r.When.MemberTiers {
			CheckText(&v, fmt.Sprintf("%s.when.member_tiers[%d]", p, j), t, OneLine, maxRuleNameRunes)
		}
	}
	// The mall settings' words reach the mall's services in events.
	for i, c := range rs.Mall.Coupons {
		p := fmt.Sprintf("mall.coupons[%d]", i)
		CheckText(&v, p+".coupon", c.Coupon, OneLine, MaxCouponCodeLen)
		for j, cat := range c.When.Categories {
			CheckText(&v, fmt.Sprintf("%s.when.categories[%d]", p, j), cat, OneLine, maxRuleNameRunes)
		}
		for j, t := range c.When.MemberTiers {
			CheckText(&v, fmt.Sprintf("%s.when.member_tiers[%d]", p, j), t, OneLine, maxRuleNameRunes)
		}
	}
	for j, t := range rs.Mall.FollowUp.MemberTiers {
		CheckText(&v, fmt.Sprintf("mall.follow_up.member_tiers[%d]", j), t, OneLine, maxRuleNameRunes)
	}
	return v.Err("ruleset.validate")
}

// DefaultRuleSet is the policy of a merchant who has not written one: the
// source's examples (F7, F16, F18), ordered so that each behaves as stated
// where they overlap:
//
//   - a redeemed virtual line is refused before any rule could approve it by
//     amount or order status (F18);
//   - a claim without evidence is asked for it before anything else looks at
//     it: nobody can judge a claim without photos (F16);
//   - an unshipped refund-only case and an all-virtual unused case are
//     approved at any amount: the merchant still holds the goods or voids
//     the code, so there is nothing for a person to check ("in seconds");
//   - above 500 CNY an admin reviews, which beats the produce and shipping
//     rules (who would send it to a reviewer) and never meets the 50 CNY
//     rule (the amounts do not overlap);
//   - produce claims and orders shipped more than 7 days ago go to a person
//     even for small amounts: they are exactly the cases the source says
//     need one;
//   - what is left up to 50 CNY is approved, the rest reviewed.
func DefaultRuleSet() *RuleSet {
	return &RuleSet{
		Version: 1,
		Rules: []Rule{
			{ID: "virtual-redeemed", Description: "used coupon codes and memberships are not refunded (F18)",
				When: Condition{VirtualUnused: rulePtr(false)},
				Then: Outcome{Decision: OutcomeReject, Reason: "used virtual goods are not refundable"}},
			{ID: "produce-claim-window", Description: "spoiled produce is claimed within 24 h of delivery (F16)",
				When: Condition{CaseTypes: []CaseType{Claim}, LineKinds: []LineKind{KindProduce}, DeliveredMoreThanDays: rulePtr(1)},
				Then: Outcome{Decision: OutcomeReject, Reason: "spoiled produce must be claimed within 24 hours of delivery"}},
			{ID: "claim-without-evidence", Description: "a claim needs photos before anyone can judge it (F16)",
				When: Condition{CaseTypes: []CaseType{Claim}, HasEvidence: rulePtr(false)},
				Then: Outcome{Decision: OutcomeRequestEvidence, Reason: "add photos of the damaged or spoiled items and of the parcel label"}},
			{ID: "produce-photo-slots", Description: "a produce claim needs a photo of the items and one of the parcel label (F16)",
				When: Condition{CaseTypes: []CaseType{Claim}, LineKinds: []LineKind{KindProduce}, EvidenceSlotsFilled: rulePtr(false)},
				Then: Outcome{Decision: OutcomeRequestEvidence, Reason: "add a photo of the spoiled items (slot item) and one of the parcel label (slot label)"}},
			{ID: "unshipped-refund", Description: "refund-only before shipment: approved in seconds",
				When: Condition{CaseTypes: []CaseType{RefundOnly}, OrderStatuses: []OrderStatus{OrderPaid}},
				Then: Outcome{Decision: OutcomeApprove}},
			{ID: "virtual-unused", Description: "unused coupon codes and memberships are refunded automatically (F18)",
				When: Condition{OnlyLineKinds: []LineKind{KindVirtual}, VirtualUnused: rulePtr(true)},
				Then: Outcome{Decision: OutcomeApprove}},
			{ID: "admin-above-500", Description: "more than 500 CNY needs an admin's second review",
				When: Condition{AmountAbove: rulePtr[int64](50000)},
				Then: Outcome{Decision: OutcomeManual, Level: RoleAdmin, Reason: "more than 500 CNY"}},
			{ID: "produce-claim", Description: "spoiled produce claims are checked by a person (F16)",
				When: Condition{CaseTypes: []CaseType{Claim}, LineKinds: []LineKind{KindProduce}},
				Then: Outcome{Decision: OutcomeManual, Level: RoleReviewer, Reason: "produce claim: check the photos and the spoiled count"}},
			{ID: "shipped-over-7-days", Description: "shipped more than 7 days ago needs a person",
				When: Condition{ShippedMoreThanDays: rulePtr(7)},
				Then: Outcome{Decision: OutcomeManual, Level: RoleReviewer, Reason: "shipped more than 7 days ago"}},
			{ID: "small-amount", Description: "up to 50 CNY is approved automatically",
				When: Condition{AmountAtMost: rulePtr[int64](5000)},
				Then: Outcome{Decision: OutcomeApprove}},
			{ID: "default", Description: "everything else is reviewed by staff",
				Then: Outcome{Decision: OutcomeManual, Level: RoleReviewer}},
		},
		Deadlines:          DefaultDeadlines(),
		AdminApprovalAbove: DefaultAdminApprovalAbove,
		Evidence:           DefaultEvidenceSettings(),
		Mall:               DefaultMallSettings(),
		Fees:               DefaultFeeSettings(),
		Perks:              DefaultPerks(),
		VirtualGoods:       DefaultVirtualGoodsSettings(),
		Bundles:            DefaultBundleSettings(),
		Presale:            DefaultPresaleSettings(),
		Interception:       DefaultInterceptionSettings(),
	}
}

func rulePtr[T any](v T) *T { return &v }

// checkUniqueID records at list[i].id an id that is not a rule id, or one
// that repeats an earlier one of list (seen: id -> index); why says what
// makes ids worth keeping unique.
func checkUniqueID(v *Validation, seen map[string]int, list string, i int, id, why string) {
	p := fmt.Sprintf("%s[%d].id", list, i)
	if !v.Check(validRuleID(id), p, "must be 1 to %d letters, digits, '-', '_' or '.'", MaxRuleIDLen) {
		return
	}
	if j, dup := seen[id]; dup {
		v.Add(p, "repeats the id of %s[%d]; ids must be unique because %s", list, j, why)
		return
	}
	seen[id] = i
}
