package aftersales

import (
	"context"
	"fmt"
	"time"
)

// Raise records that the change being made to c raises the domain event
// typ (detail as documented with the type's constant). The store writes the
// raised events to its outbox in the same write as the case (CaseStore),
// so an event exists if and only if the change that caused it was stored;
// a publisher then delivers it at least once (OutboxStore).
//
// The event's id is key, which the caller makes unique per fact and stable
// across retries of the same change, so that the mall can deduplicate.
// Without a key it is <case id>:<version>:<type>, the version being the
// one the change produced (call Raise after Apply).
func (c *Case) Raise(typ, key string, at time.Time, detail map[string]any) {
	if key == "" {
		key = fmt.Sprintf("%s:%d:%s", c.ID, c.Version, typ)
	}
	c.Raised = append(c.Raised, DomainEvent{ID: key, Type: typ, Version: EventVersions[typ], At: at.UTC(),
		CaseID: c.ID, OrderID: c.OrderID, BuyerID: c.BuyerID, Detail: detail})
}

// OutboxStore is the publishing side of the transactional outbox: the
// events CaseStore wrote beside case changes, waiting to be published.
//
// In the cloud DynamoDB Streams hands each new outbox item to the publisher
// function; PendingEvents serves the local stack's poller (minidyn has no
// streams) and the redrive of what the stream could not deliver.
type OutboxStore interface {
	// PendingEvents returns up to limit events written before before and
	// not yet marked published, oldest first.
	PendingEvents(ctx context.Context, before time.Time, limit int) ([]DomainEvent, error)
	// MarkPublished removes e from the outbox once the bus has taken it.
	// It is idempotent: an event marked already, or never stored, is no
	// error.
	MarkPublished(ctx context.Context, e DomainEvent) error
}

// MaxRaisedPerChange bounds the events one case change may raise: they
// share the change's transaction (DynamoDB: 100 writes) with the case, its
// timeline entries and its order lines.
const MaxRaisedPerChange = 20
