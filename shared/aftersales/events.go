package aftersales

import (
	"context"
	"time"
)

// DomainEvent is something that happened here that other systems act on:
// the mall credits a balance refund, restocks returned goods, sends a
// coupon. Events are delivered at least once; ID is stable across
// redeliveries, so consumers deduplicate on it.
type DomainEvent struct {
	ID      string
	Type    string // e.g. EventBalanceCredited
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
)

// EventPublisher publishes domain events (EventBridge in the cloud).
type EventPublisher interface {
	Publish(ctx context.Context, e DomainEvent) error
}
