package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// OutboxStores are fresh stores whose case writes carry their raised
// events into Outbox (the transactional outbox, issue 15).
type OutboxStores struct {
	Stores
	Outbox aftersales.OutboxStore
}

// RunOutbox runs the conformance suite of the outbox: events are stored
// if and only if the case change that raised them is, read back whole,
// oldest first, and leave once marked published.
func RunOutbox(t *testing.T, open func(t *testing.T) OutboxStores) {
	runSuite(t, []test[OutboxStores]{
		{"RaisedWithTheChange", testOutboxRaisedWithTheChange},
		{"NothingWithoutTheChange", testOutboxNothingWithoutTheChange},
		{"MarkPublishedIsIdempotent", testOutboxMarkPublished},
		{"SameIDIsOneEvent", testOutboxSameID},
		{"BeforeAndLimit", testOutboxBeforeAndLimit},
	}, open, func(s OutboxStores) *FakeClock { return s.Clock })
}

// restockOf is an event as a use case raises it: a detail with text,
// an exact amount larger than a float32 holds, a nested list.
func restockOf(c *aftersales.Case, at time.Time, n int) aftersales.DomainEvent {
	return aftersales.DomainEvent{ID: fmt.Sprintf("%s:%d:inventory.restock", c.ID, n), Type: aftersales.EventRestock,
		Version: 1, At: at, CaseID: c.ID, OrderID: c.OrderID, BuyerID: c.BuyerID,
		Detail: map[string]any{"sku": "SKU-l1", "quantity": 2, "amount": int64(9007199254740991), "lines": []any{"l1", "外箱"}}}
}

// pending reads every pending event.
func pending(t *testing.T, s OutboxStores) []aftersales.DomainEvent {
	t.Helper()
	es, err := s.Outbox.PendingEvents(t.Context(), Epoch.Add(1000*time.Hour), 0)
	must(t, "pending events", err)
	return es
}

// sameEvents compares events as JSON: detail numbers come back as
// json.Number from both stores, which prints as the number it holds.
func sameEvents(t *testing.T, what string, got, want []aftersales.DomainEvent) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("%s differ\n got: %s\nwant: %s", what, g, w)
	}
}

// testOutboxRaisedWithTheChange: the events a creation and an update raise
// are pending afterwards, field for field and oldest first; the case read
// back carries none of them.
func testOutboxRaisedWithTheChange(t *testing.T, s OutboxStores) {
	o := storedOrder(t, s.Stores, 9900)
	c := submitted(t, "as_1", o, aftersales.ReturnRefund, "damaged", Epoch, "l1")
	first := restockOf(c, Epoch.Add(123456789), 1)
	c.Raised = []aftersales.DomainEvent{first}
	create(t, s.Stores, c, nil)
	got := getCase(t, s.Stores, c.ID)
	if got.Raised != nil {
		t.Fatalf("a loaded case carries raised events %v", got.Raised)
	}
	apply(t, got, aftersales.ActSendToReview, "rules", Epoch.Add(time.Minute))
	second := restockOf(got, Epoch.Add(time.Minute), 2)
	second.Type, second.Detail = aftersales.EventPointsCompensation, nil
	got.Raised = []aftersales.DomainEvent{second}
	update(t, s.Stores, got, 1)
	sameEvents(t, "pending events", pending(t, s), []aftersales.DomainEvent{first, second})
}

// testOutboxNothingWithoutTheChange: a creation or an update that fails
// (a held line, a stale version) leaves no event behind.
func testOutboxNothingWithoutTheChange(t *testing.T, s OutboxStores) {
	o := storedOrder(t, s.Stores, 9900)
	c := submitted(t, "as_1", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
	create(t, s.Stores, c, nil)
	tests := []struct {
		name  string
		write func(ev aftersales.DomainEvent) error
	}{
		{"create on a held line", func(ev aftersales.DomainEvent) error {
			d := submitted(t, "as_2", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
			d.Raised = []aftersales.DomainEvent{ev}
			return s.Cases.CreateCase(t.Context(), d, nil)
		}},
		{"update of a stale version", func(ev aftersales.DomainEvent) error {
			y := getCase(t, s.Stores, c.ID)
			apply(t, y, aftersales.ActCancel, "buyer:buyer-1", Epoch.Add(time.Minute))
			y.Raised = []aftersales.DomainEvent{ev}
			return s.Cases.UpdateCase(t.Context(), y, 0)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(restockOf(c, Epoch, 9)); err == nil {
				t.Fatal("the write succeeded")
			}
			if es := pending(t, s); len(es) != 0 {
				t.Fatalf("a failed write left events %v", es)
			}
		})
	}
}

// testOutboxMarkPublished: a published event leaves the outbox; marking it
// again, or an event never stored, is no error and changes nothing.
func testOutboxMarkPublished(t *testing.T, s OutboxStores) {
	o := storedOrder(t, s.Stores, 9900, 500)
	c := submitted(t, "as_1", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
	a, b := restockOf(c, Epoch, 1), restockOf(c, Epoch.Add(time.Second), 2)
	c.Raised = []aftersales.DomainEvent{a, b}
	create(t, s.Stores, c, nil)
	for _, e := range []aftersales.DomainEvent{a, a, restockOf(c, Epoch, 7)} {
		must(t, "mark published "+e.ID, s.Outbox.MarkPublished(t.Context(), e))
	}
	sameEvents(t, "pending events", pending(t, s), []aftersales.DomainEvent{b})
}

// testOutboxSameID: raising an event of the id and time of one still
// pending (a fact raised again) leaves one event; the same id at another
// time is a second copy, and marking one published leaves the other.
func testOutboxSameID(t *testing.T, s OutboxStores) {
	o := storedOrder(t, s.Stores, 9900)
	c := submitted(t, "as_1", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
	e := restockOf(c, Epoch, 1)
	c.Raised = []aftersales.DomainEvent{e}
	create(t, s.Stores, c, nil)
	got := getCase(t, s.Stores, c.ID)
	apply(t, got, aftersales.ActSendToReview, "rules", Epoch.Add(time.Minute))
	got.Raised = []aftersales.DomainEvent{e}
	update(t, s.Stores, got, 1)
	sameEvents(t, "pending events", pending(t, s), []aftersales.DomainEvent{e})

	later := e
	later.At = Epoch.Add(time.Hour)
	got = getCase(t, s.Stores, c.ID)
	apply(t, got, aftersales.ActCancel, "buyer:buyer-1", later.At)
	got.Raised = []aftersales.DomainEvent{later}
	update(t, s.Stores, got, 2)
	sameEvents(t, "pending events", pending(t, s), []aftersales.DomainEvent{e, later})
	must(t, "mark published", s.Outbox.MarkPublished(t.Context(), e))
	sameEvents(t, "pending events", pending(t, s), []aftersales.DomainEvent{later})
}

// testOutboxBeforeAndLimit: PendingEvents returns only events raised
// before the time given, at most limit of them, the oldest.
func testOutboxBeforeAndLimit(t *testing.T, s OutboxStores) {
	o := storedOrder(t, s.Stores, 100, 200, 300)
	var all []aftersales.DomainEvent
	for i, l := range []string{"l1", "l2", "l3"} {
		c := submitted(t, fmt.Sprintf("as_%d", i), o, aftersales.RefundOnly, "wrong_item", Epoch, l)
		// Raised in reverse order of the ids, so the order is by time.
		e := restockOf(c, Epoch.Add(time.Duration(3-i)*time.Minute), 1)
		c.Raised = []aftersales.DomainEvent{e}
		create(t, s.Stores, c, nil)
		all = append([]aftersales.DomainEvent{e}, all...)
	}
	tests := []struct {
		name   string
		before time.Time
		limit  int
		want   []aftersales.DomainEvent
	}{
		{"all", Epoch.Add(time.Hour), 0, all},
		{"the oldest two", Epoch.Add(time.Hour), 2, all[:2]},
		{"before the last", all[2].At, 0, all[:2]},
		{"before the first", all[0].At, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Outbox.PendingEvents(t.Context(), tc.before, tc.limit)
			must(t, "pending events", err)
			sameEvents(t, "pending events", got, tc.want)
		})
	}
}
