package aftersales

import (
	"context"
	"time"
)

// DomainEvent is something that happened here that other systems act on:
// the mall credits a balance refund, restocks returned goods, sends a
// coupon. Each is stored if and only if the case change that causes it is
// (the outbox), and delivered at least once; ID is stable across
// redeliveries, so consumers deduplicate on it.
type DomainEvent struct {
	ID   string
	Type string // e.g. EventBalanceCredited
	// Version is the version of the type's schema
	// (events/schemas/<type>.json) the detail follows; 0 means the type's
	// current version (EventVersion).
	Version int
	At      time.Time
	CaseID  string
	OrderID string
	BuyerID string
	Detail  map[string]any // JSON-encodable; each type's fields are listed with its constant below
}

// The domain event types.
const (
	// EventBalanceCredited asks the mall to credit a refund to the buyer's
	// store balance (detail: out_refund_no, amount, currency).
	EventBalanceCredited = "refund.balance_credited"
	// EventRefundFailed says a refund failed and waits for staff (detail:
	// out_refund_no, amount, currency, note); the stack alarms on it.
	EventRefundFailed = "refund.failed"
	// EventRefundManual says a refund has no payment route and waits for
	// finance to pay it by hand and mark it paid (detail: out_refund_no,
	// amount, currency, channel, note); the stack alarms on it.
	EventRefundManual = "refund.manual_required"

	// EventRestock asks the mall to put returned goods back on sale: the
	// return was received in sellable condition (detail: sku, line_id,
	// quantity, case_id). One event per line of the case.
	EventRestock = "inventory.restock"
	// EventDefective tells the mall's warehouse that returned goods were
	// received defective and are kept off sale (detail: sku, line_id,
	// quantity, case_id, note). One event per line of the case.
	EventDefective = "inventory.defective"
	// EventCouponGrant asks the mall's marketing service to give the buyer
	// a coupon after a completed case, by the merchant's rule (F23; detail:
	// rule_id, coupon, amount, currency).
	EventCouponGrant = "marketing.coupon_grant"
	// EventFollowUp asks the merchant's staff to call a high-value buyer
	// about their first case (F23; detail: reason, order_amount, currency,
	// member_tier).
	EventFollowUp = "staff.follow_up"
	// EventPointsCompensation asks the mall's membership service to credit
	// a member whose promised review time was missed (F24; detail:
	// member_tier, points, promised_by).
	EventPointsCompensation = "membership.points_compensation"
)

// EventVersions are the current schema versions of the event types; a
// type's schema is events/schemas/<type>.json. A change a consumer could
// trip over (a field removed, renamed or retyped) raises the version.
var EventVersions = map[string]int{
	EventBalanceCredited: 1, EventRefundFailed: 1, EventRefundManual: 1,
	EventRestock: 1, EventDefective: 1, EventCouponGrant: 1, EventFollowUp: 1, EventPointsCompensation: 1,
}

// EventVersion is the version of e's schema: its own, or its type's
// current one.
func (e DomainEvent) EventVersion() int {
	if e.Version != 0 {
		return e.Version
	}
	return EventVersions[e.Type]
}

// EventPublisher publishes a domain event (EventBridge in the cloud). Use
// cases never call one: their events leave through the outbox, raised on
// the case change that causes them (Case.Raise), and the outbox publisher
// puts them on the bus.
type EventPublisher interface {
	Publish(ctx context.Context, e DomainEvent) error
}
