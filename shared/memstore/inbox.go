package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var (
	_ aftersales.InboxStore    = (*Inbox)(nil)
	_ aftersales.DeliveryStore = (*Inbox)(nil)
)

// Inbox keeps in-app inboxes and send records in memory, with the same
// write-once rules as the DynamoDB adapter.
type Inbox struct {
	mu         sync.Mutex
	items      map[string]map[string]aftersales.InboxItem // recipient -> id -> item
	deliveries map[string]aftersales.Delivery             // event id + channel -> record
}

// NewInbox returns empty inboxes.
func NewInbox() *Inbox {
	return &Inbox{items: map[string]map[string]aftersales.InboxItem{}, deliveries: map[string]aftersales.Delivery{}}
}

// PutInboxItem writes n unless its recipient has the item already.
func (s *Inbox) PutInboxItem(_ context.Context, n *aftersales.InboxItem) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	box := s.items[n.Recipient]
	if box == nil {
		box = map[string]aftersales.InboxItem{}
		s.items[n.Recipient] = box
	}
	if _, ok := box[n.ID]; ok {
		return false, nil
	}
	c := *n
	c.CreatedAt, c.ReadAt = utc(c.CreatedAt), utc(c.ReadAt)
	box[n.ID] = c
	return true, nil
}

// ListInbox returns a page of the recipient's inbox, newest first.
func (s *Inbox) ListInbox(_ context.Context, q aftersales.InboxQuery) (aftersales.InboxPage, error) {
	w, err := q.Window("memstore.list_inbox")
	if err != nil {
		return aftersales.InboxPage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []aftersales.InboxItem
	unread := 0
	for _, n := range s.items[q.Recipient] {
		all = append(all, n)
		if !n.Read() {
			unread++
		}
	}
	items, next := aftersales.Page(w, all, func(n aftersales.InboxItem) string { return aftersales.InboxPosition(&n) })
	return aftersales.InboxPage{Items: items, NextCursor: next, Unread: unread}, nil
}

// MarkInboxRead marks the recipient's item read, once.
func (s *Inbox) MarkInboxRead(_ context.Context, recipient, id string, at time.Time) (*aftersales.InboxItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.items[recipient][id]
	if !ok {
		return nil, aftersales.NotFound("memstore.mark_inbox_read", "no such notification")
	}
	if !n.Read() {
		n.ReadAt = at.UTC()
		s.items[recipient][id] = n
	}
	return &n, nil
}

func deliveryKey(eventID string, ch aftersales.Channel) string {
	return eventID + "\x00" + string(ch)
}

// ClaimDelivery claims a send unless it is done or claimed by a live claim.
func (s *Inbox) ClaimDelivery(_ context.Context, eventID string, ch aftersales.Channel, now, until time.Time) error {
	const op = "memstore.claim_delivery"
	s.mu.Lock()
	defer s.mu.Unlock()
	k := deliveryKey(eventID, ch)
	if d, ok := s.deliveries[k]; ok {
		if d.Status != aftersales.DeliveryClaimed {
			return aftersales.ErrDelivered.For(op)
		}
		if now.Before(d.Until) {
			return aftersales.ErrDeliveryBusy.For(op)
		}
	}
	s.deliveries[k] = aftersales.Delivery{EventID: eventID, Channel: ch, Status: aftersales.DeliveryClaimed, Until: until.UTC(), At: now.UTC()}
	return nil
}

// FinishDelivery records a send's outcome for good.
func (s *Inbox) FinishDelivery(_ context.Context, d aftersales.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.At, d.Until = utc(d.At), time.Time{}
	s.deliveries[deliveryKey(d.EventID, d.Channel)] = d
	return nil
}

// ReleaseDelivery drops a claim; a finished record stays.
func (s *Inbox) ReleaseDelivery(_ context.Context, eventID string, ch aftersales.Channel) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := deliveryKey(eventID, ch)
	if d, ok := s.deliveries[k]; ok && d.Status == aftersales.DeliveryClaimed {
		delete(s.deliveries, k)
	}
	return nil
}

// GetDelivery returns a send's record.
func (s *Inbox) GetDelivery(_ context.Context, eventID string, ch aftersales.Channel) (aftersales.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[deliveryKey(eventID, ch)]
	if !ok {
		return aftersales.Delivery{}, aftersales.NotFound("memstore.get_delivery", "no such delivery")
	}
	return d, nil
}
