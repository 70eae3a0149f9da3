package aftersales

import (
	"fmt"
	"slices"
	"time"
)

// The waits of a case workflow (F25). Each names a step where the case waits
// for someone, and each has a deadline after which its default outcome
// applies, so that no case can wait forever. They are the values of
// Case.WaitingFor.
const (
	WaitReview   = "review"   // merchant reviews; at the deadline: approved
	WaitEvidence = "evidence" // buyer adds evidence; at the deadline: closed
	WaitReturn   = "return"   // buyer ships the return; at the deadline: closed
	WaitReceipt  = "receipt"  // merchant confirms receipt (from delivery); at the deadline: treated as received (refunded)
	WaitReship   = "reship"   // merchant ships an exchange's replacement; at the deadline: staff are reminded
	WaitRefund   = "refund"   // provider notifies the refund; at the deadline: its status is queried
	WaitDispute  = "dispute"  // buyer may dispute a rejection; at the deadline: closed
	// WaitResolution: a dispute waits for the merchant's first answer
	// (DisputeAnswer from opening), then for the two sides to agree
	// (DisputeAgreement from opening); at either deadline: escalated.
	WaitResolution = "resolution"
	// WaitArbitration: an escalated dispute waits for the platform's
	// arbitrator; at the deadline the arbitrators are reminded (there is no
	// default verdict: money or goods would move on nobody's word).
	WaitArbitration = "arbitration"
)

// WaitNames lists every wait name, in the order a case meets them.
var WaitNames = []string{WaitReview, WaitEvidence, WaitReturn, WaitTransit, WaitReceipt, WaitReship, WaitRefund, WaitDispute,
	WaitResolution, WaitArbitration}

// MaxDeadline bounds every deadline: a longer wait would keep money and goods
// in limbo longer than any marketplace allows, and is most likely a typo
// ("720h" meant as "72h").
const MaxDeadline = 30 * 24 * time.Hour

// Deadlines are the merchant's time limits (F25, F26): how long each wait
// lasts before its default outcome applies.
type Deadlines struct {
	// ReviewUnshipped and ReviewShipped bound the merchant's review. An
	// unshipped order gets the shorter one: the buyer is waiting for money
	// the merchant has not earned yet.
	ReviewUnshipped time.Duration
	ReviewShipped   time.Duration
	// ReviewSLA is the review time promised to members of a tier (F24, e.g.
	// diamond: 1 h), keyed by the tier exactly as the mall sends it. It is
	// what the buyer is shown; missing it earns the member's compensation,
	// it does not approve the case: the default approval still waits for
	// ReviewUnshipped or ReviewShipped, so an admin-level review of a large
	// amount cannot be skipped by an hour's silence at night.
	ReviewSLA map[string]time.Duration
	Evidence  time.Duration // buyer adds evidence; then the case is closed
	Return    time.Duration // buyer ships the return; then the case is closed
	Receipt   time.Duration // merchant confirms receipt; then the case proceeds as received
	// Collection bounds the courier's collection of a tracked return from
	// its waybill, Stalled a tracked parcel's silence between two scans
	// (issue 15): a waybill never collected sends the case back to the
	// buyer to correct it; a stalled parcel is reported to staff and buyer.
	Collection time.Duration
	Stalled    time.Duration
	// Interception bounds the courier's interception of an outbound
	// parcel (F30), from the request; then the case is refunded.
	Interception time.Duration
	Reship       time.Duration // merchant ships an exchange's replacement; then staff are reminded
	Refund       time.Duration // provider's refund notification; then the refund status is queried
	Dispute      time.Duration // buyer may dispute a rejection or a partial refund; then the case is closed
	// DisputeAnswer bounds the merchant's first answer to a dispute (a
	// message or a proposal), DisputeAgreement the whole negotiation; both
	// count from the dispute's opening, and missing either escalates.
	DisputeAnswer    time.Duration
	DisputeAgreement time.Duration
	Arbitration      time.Duration // the platform decides an escalated dispute; then arbitrators are reminded
}

// DefaultDeadlines are the time limits of a merchant who set none, taken from
// common marketplace practice.
func DefaultDeadlines() Deadlines {
	return Deadlines{
		ReviewUnshipped: 48 * time.Hour,
		ReviewShipped:   5 * 24 * time.Hour,
		ReviewSLA:       map[string]time.Duration{"diamond": time.Hour},
		Evidence:        72 * time.Hour,
		Return:          7 * 24 * time.Hour,
		Receipt:         10 * 24 * time.Hour,
		Collection:      3 * 24 * time.Hour,
		Stalled:         3 * 24 * time.Hour,
		Interception:    5 * 24 * time.Hour,
		Reship:          3 * 24 * time.Hour,
		Refund:          10 * time.Minute,
		Dispute:         7 * 24 * time.Hour,

		DisputeAnswer:    48 * time.Hour,
		DisputeAgreement: 5 * 24 * time.Hour,
		Arbitration:      72 * time.Hour,
	}
}

// For returns how long wait lasts for case c of order o before its default
// outcome applies: the timeout of the workflow's wait and the case's
// Deadline. It returns 0 for an unknown wait name; callers pass the Wait
// constants, and a caller that does not must not mistake 0 for "now".
func (d Deadlines) For(wait string, c *Case, o *Order) time.Duration {
	switch wait {
	case WaitReview:
		if unshipped(o) {
			return d.ReviewUnshipped
		}
		return d.ReviewShipped
	case WaitEvidence:
		return d.Evidence
	case WaitReturn:
		return d.Return
	case WaitReceipt:
		return d.Receipt
	case WaitTransit:
		if c == nil || c.Return == nil {
			return d.Receipt
		}
		return d.TransitDue(c).Sub(c.Return.At)
	case WaitInterception:
		return d.Interception
	case WaitReship:
		return d.Reship
	case WaitRefund:
		return d.Refund
	case WaitDispute:
		return d.Dispute
	case WaitResolution:
		return d.resolution(c)
	case WaitArbitration:
		return d.Arbitration
	}
	return 0
}

// Promised returns the deadline shown to the buyer for wait (F5, F24): the
// review SLA of the buyer's member tier when it is shorter than the review
// deadline, otherwise the same as For. A case whose review outlasts the
// promise is a missed SLA, not an approval.
func (d Deadlines) Promised(wait string, c *Case, o *Order) time.Duration {
	full := d.For(wait, c, o)
	if wait != WaitReview || o == nil {
		return full
	}
	if sla, ok := d.ReviewSLA[o.MemberTier]; ok && sla < full {
		return sla
	}
	return full
}

// resolution is how long a dispute's resolution wait lasts from its
// opening: until the merchant's answer is due while none came, then until
// the agreement is due. A case with no dispute gets the agreement's length.
func (d Deadlines) resolution(c *Case) time.Duration {
	if c != nil && c.Dispute != nil && c.Dispute.AnsweredAt.IsZero() {
		return min(d.DisputeAnswer, d.DisputeAgreement)
	}
	return d.DisputeAgreement
}

// unshipped reports whether the order's goods are still with the merchant.
// An unknown order counts as shipped, which gives the merchant the longer
// review time rather than approving behind their back.
func unshipped(o *Order) bool { return o != nil && o.Status == OrderPaid }

// validate records every invalid deadline under the codec's JSON names.
func (d Deadlines) validate(v *Validation) {
	check := func(field string, x time.Duration) {
		v.Check(x > 0 && x <= MaxDeadline, field, "must be positive and at most %s (a duration such as \"48h\"), not %s", FormatDuration(MaxDeadline), FormatDuration(x))
	}
	check("deadlines.review_unshipped", d.ReviewUnshipped)
	check("deadlines.review_shipped", d.ReviewShipped)
	tiers := make([]string, 0, len(d.ReviewSLA))
	for t := range d.ReviewSLA {
		tiers = append(tiers, t)
	}
	slices.Sort(tiers) // one error order for one input
	for _, t := range tiers {
		if v.Check(t != "", "deadlines.review_sla", "names a tier with an empty name") {
			check("deadlines.review_sla."+t, d.ReviewSLA[t])
		}
	}
	check("deadlines.evidence", d.Evidence)
	check("deadlines.return", d.Return)
	check("deadlines.receipt", d.Receipt)
	check("deadlines.collection", d.Collection)
	check("deadlines.stalled", d.Stalled)
	check("deadlines.interception", d.Interception)
	check("deadlines.reship", d.Reship)
	check("deadlines.refund", d.Refund)
	check("deadlines.dispute", d.Dispute)
	check("deadlines.dispute_answer", d.DisputeAnswer)
	check("deadlines.dispute_agreement", d.DisputeAgreement)
	check("deadlines.arbitration", d.Arbitration)
}

// FormatDuration writes a duration the way a merchant would ("120h", "10m")
// rather than Go's "120h0m0s"; time.ParseDuration reads it back.
func FormatDuration(d time.Duration) string {
	switch {
	case d != 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d != 0 && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d != 0 && d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}
