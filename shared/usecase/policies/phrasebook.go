package policies

import (
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// phrasebook is one language's words for the policy: names of the domain's
// values, and a sentence for each thing a rule or a deadline can say.
// Each language fills one (zh.go, en.go); a test checks that none leaves a
// phrase out.
type phrasebook struct {
	titles      map[string]string // section title by topic
	rulesIntro  string
	sentenceSep string // between the sentences of a summary

	caseTypes     map[aftersales.CaseType]string
	orderStatuses map[aftersales.OrderStatus]string
	lineKinds     map[aftersales.LineKind]string
	events        map[string]string // paid, shipped, delivered

	quote       func(name string) string // a name or text the merchant chose
	or          func(items []string) string
	and         func(items []string) string
	list        func(items []string) string
	money       func(minor int64) string                  // an amount of the rule set (minor units of CNY)
	moneyIn     func(minor int64, currency string) string // an amount of a case
	duration    func(d time.Duration) string
	reasonLabel func(r aftersales.Reason) string

	// A rule: "if conditions: outcome", and the catch-all.
	rule      func(conds, outcome string) string
	otherwise func(outcome string) string

	// Conditions.
	caseTypeIs     func(types string) string
	reasonIs       func(reasons string) string
	orderIs        func(statuses string) string
	moreThanDays   func(event, days string) string // event from events, days a duration
	withinDays     func(event, days string) string
	someLineIs     func(kinds string) string
	everyLineIs    func(kinds string) string
	categoryIs     func(categories string) string
	amountAbove    func(amount string) string
	amountAtMost   func(amount string) string
	tierIs         func(tiers string) string
	refundsAtLeast func(n int) string
	refundsAtMost  func(n int) string
	evidence       map[bool]string // has_evidence
	// The evidence checks' conditions (issue 16): evidence_verified,
	// evidence_reused, recognized_damage, recognized_labels.
	evidenceVerified map[bool]string
	evidenceReused   map[bool]string
	damageSeen       map[bool]string
	labelsSeen       func(labels string) string
	virtualUnused    map[bool]string // virtual_unused
	// The money rules' conditions (issue 17): refund_rate_*,
	// return_shipping_paid_by, has_restocking_fee, perks.
	refundRateAtLeast func(percent int, period string) string
	refundRateAtMost  func(percent int, period string) string
	shippingPaidBy    map[aftersales.Payer]string
	restockingFee     map[bool]string
	perkIs            func(perks string) string
	perkNames         map[string]string
	slotsFilled       map[bool]string // evidence_slots_filled

	// Outcomes.
	approve         string
	reject          func(reason string) string
	manual          map[aftersales.Role]string
	requestEvidence func(reason string) string

	// Review time, photos, time limits.
	reviewTime    func(unshipped, shipped string) string
	tierReview    func(tier, unshipped, shipped string) string
	photoReasons  func(caseType, reasons string) string
	maxFiles      func(n int) string
	evidenceLimit func(d string) string
	returnLimit   func(d string) string
	receiptLimit  func(d string) string
	disputeLimit  func(d string) string

	// A preview's summary.
	decidedBy       func(rule, decision string) string
	undecided       func(decision string) string
	exchangeAmount  string
	refundAmount    func(amount string) string
	requestedAmount func(amount string) string
	// What a return costs (F29): who pays its postage, the restocking fee.
	postageBuyer       string
	postageMerchant    string
	postageMerchantCap func(limit string) string
	postageFree        string
	restocking         func(fee, note string) string

	// The fees section (F29, F24).
	postageAllBuyer    string
	postageByReason    func(reasons string) string
	postageByReasonCap func(reasons, limit string) string
	freePostage        func(tier string, all bool) string
	percentOf          func(percent int) string
	restockingLine     func(reasons, what, categories string) string // categories may be empty
	shippingShare      func(reasons string) string
	nextStep           map[string]string                // by NextStep.Action
	next               func(step, within string) string // step from nextStep (see stepOf); within may be empty
}

// outcome says what a rule's outcome does to an application.
func (pb *phrasebook) outcome(o aftersales.Outcome) string {
	switch o.Decision {
	case aftersales.OutcomeApprove:
		return pb.approve
	case aftersales.OutcomeReject:
		return pb.reject(pb.quote(o.Reason))
	case aftersales.OutcomeRequestEvidence:
		return pb.requestEvidence(pb.quote(o.Reason))
	}
	if o.Level == aftersales.RoleAdmin {
		return pb.manual[aftersales.RoleAdmin]
	}
	return pb.manual[aftersales.RoleReviewer]
}

// decision says a recorded decision as the outcome it stands for.
func (pb *phrasebook) decision(d aftersales.Decision) string {
	return pb.outcome(aftersales.Outcome{Decision: aftersales.OutcomeKind(d.Outcome), Level: d.Level, Reason: d.Reason})
}

// stepOf says a next step's action, or names it when the phrasebook does
// not know it (a status added later still reads, if less kindly).
func (pb *phrasebook) stepOf(action string) string {
	if s, ok := pb.nextStep[action]; ok {
		return s
	}
	return action
}

// decimal writes minor units with two decimals: money is integer minor
// units everywhere, and only words show it as yuan.
func decimal(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

// splitDuration picks the unit a person would say a deadline in: whole
// days from 3 days up, else whole hours, else minutes (rounded down).
func splitDuration(d time.Duration) (n int64, unit string) {
	const day = 24 * time.Hour
	switch {
	case d >= 3*day && d%day == 0:
		return int64(d / day), "day"
	case d >= time.Hour && d%time.Hour == 0:
		return int64(d / time.Hour), "hour"
	}
	return int64(d / time.Minute), "minute"
}

// days says n days of a days condition, which counts whole days of 24 h.
func (pb *phrasebook) days(n int) string {
	if n == 0 {
		return pb.duration(0)
	}
	return pb.duration(time.Duration(n) * 24 * time.Hour)
}
