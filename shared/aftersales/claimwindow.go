package aftersales

import (
	"slices"
	"time"
)

// ProduceClaimWindow is how long after delivery the rule set accepts
// spoiled-produce claims (F16): the days of the first rule that rejects
// claims including produce delivered more than N days ago (the default
// set's produce-claim-window: 24 h). The reminder at delivery promises
// exactly this window, so the buyer is never told a time the rules do not
// keep. ok is false when no rule limits produce claims: then there is no
// window to remind of.
func ProduceClaimWindow(rs *RuleSet) (window time.Duration, ok bool) {
	if rs == nil {
		return 0, false
	}
	for _, r := range rs.Rules {
		w := r.When
		if r.Then.Decision != OutcomeReject || w.DeliveredMoreThanDays == nil ||
			len(w.CaseTypes) > 0 && !slices.Contains(w.CaseTypes, Claim) ||
			!slices.Contains(w.LineKinds, KindProduce) && !slices.Contains(w.OnlyLineKinds, KindProduce) {
			continue
		}
		return time.Duration(*w.DeliveredMoreThanDays) * day, true
	}
	return 0, false
}

// NeedsClaimReminder reports whether a stored snapshot is a delivered
// order with produce on it: its buyer is reminded of the claim window.
func NeedsClaimReminder(o *Order) bool {
	return o != nil && o.Status == OrderDelivered && !o.DeliveredAt.IsZero() &&
		slices.ContainsFunc(o.Lines, func(l OrderLine) bool { return l.Kind == KindProduce })
}

// ClaimWindowEventID is the event of an order's claim-window reminder: one
// per order, however many snapshots say it was delivered, so that the
// notifier's deduplication (inbox item, per-channel delivery) tells the
// buyer once.
func ClaimWindowEventID(orderID string) string { return "claim_window:" + orderID }
