package memstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.OutboxStore = (*Store)(nil)

// outboxRef identifies an outbox item as the DynamoDB adapter's key does:
// the event's id and time.
type outboxRef struct {
	id string
	at int64
}

// raise puts the events c raised in the outbox; the caller holds the lock
// and has checked everything else the write needs, so that nothing is
// stored when the case is not. An event of a pending id and time replaces
// it.
func (s *Store) raise(op string, c *aftersales.Case) error {
	if len(c.Raised) > aftersales.MaxRaisedPerChange {
		return aftersales.Wrap(aftersales.KindInternal, op,
			fmt.Errorf("case %s: %d events raised by one change", c.ID, len(c.Raised)))
	}
	copies := make([]aftersales.DomainEvent, 0, len(c.Raised))
	for _, e := range c.Raised {
		cp, err := cloneEvent(e)
		if err != nil {
			return aftersales.Wrap(aftersales.KindInternal, op, err)
		}
		copies = append(copies, cp)
	}
	if s.outbox == nil {
		s.outbox = map[outboxRef]aftersales.DomainEvent{}
	}
	for _, e := range copies {
		s.outbox[outboxRef{e.ID, e.At.UnixNano()}] = e
	}
	return nil
}

// cloneEvent copies e with its detail passed through JSON, as the DynamoDB
// adapter stores it: numbers come back as json.Number.
func cloneEvent(e aftersales.DomainEvent) (aftersales.DomainEvent, error) {
	e.At = utc(e.At)
	e.Version = e.EventVersion()
	if e.Detail == nil {
		return e, nil
	}
	b, err := json.Marshal(e.Detail)
	if err != nil {
		return e, fmt.Errorf("event %s: detail: %w", e.ID, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var d map[string]any
	if err := dec.Decode(&d); err != nil {
		return e, fmt.Errorf("event %s: detail: %w", e.ID, err)
	}
	e.Detail = d
	return e, nil
}

// PendingEvents returns the events raised before before and not marked
// published, oldest first (ties by id, as the DynamoDB adapter sorts them).
func (s *Store) PendingEvents(_ context.Context, before time.Time, limit int) ([]aftersales.DomainEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []aftersales.DomainEvent
	for _, e := range s.outbox {
		if e.At.Before(before) {
			cp, _ := cloneEvent(e) // stored copies always encode
			out = append(out, cp)
		}
	}
	slices.SortFunc(out, func(a, b aftersales.DomainEvent) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// MarkPublished removes e from the outbox; an unknown event is no error.
func (s *Store) MarkPublished(_ context.Context, e aftersales.DomainEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.outbox, outboxRef{e.ID, utc(e.At).UnixNano()})
	return nil
}
