package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/eventbus"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/outbox"
	"github.com/aftersales/aftersales/shared/storetest"
)

// chaos are the faults of one run, each a probability.
type chaos struct {
	callFails  float64 // PutEvents fails as a whole
	entryFails float64 // PutEvents refuses one entry (partial failure)
	markFails  float64 // the publisher crashes between the put and the removal
	crash      float64 // the function crashes after its work: the whole batch is retried
	duplicate  float64 // the stream hands a record over twice
}

// flakyBus is EventBridge with faults: what it accepted is what the mall
// sees, every copy of it.
type flakyBus struct {
	rnd  *rand.Rand
	c    chaos
	mu   sync.Mutex
	seen map[string][]string // event id -> the details put, in order
	hits int                 // faults injected
}

func (b *flakyBus) PutAll(_ context.Context, es []aftersales.DomainEvent) ([]error, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(es) > eventbus.MaxBatch {
		return nil, fmt.Errorf("%d entries", len(es))
	}
	if b.rnd.Float64() < b.c.callFails {
		b.hits++
		return nil, errors.New("ThrottlingException")
	}
	failed := make([]error, len(es))
	for i, e := range es {
		if b.rnd.Float64() < b.c.entryFails {
			b.hits++
			failed[i] = errors.New("InternalFailure")
			continue
		}
		body, _ := json.Marshal(eventbus.DetailOf(e))
		b.seen[e.ID] = append(b.seen[e.ID], string(body))
	}
	return failed, nil
}

// crashyOutbox fails removals: the event is on the bus, the outbox still
// holds it.
type crashyOutbox struct {
	aftersales.OutboxStore
	rnd  *rand.Rand
	p    float64
	hits int
}

func (o *crashyOutbox) MarkPublished(ctx context.Context, e aftersales.DomainEvent) error {
	if o.rnd.Float64() < o.p {
		o.hits++
		return errors.New("crashed before the removal")
	}
	return o.OutboxStore.MarkPublished(ctx, e)
}

// streamingStore is the store with DynamoDB Streams: each stored write
// appends its outbox items to the stream, in commit order.
type streamingStore struct {
	*memstore.Store
	mu     sync.Mutex
	stream []aftersales.DomainEvent
}

func (s *streamingStore) CreateCase(ctx context.Context, c *aftersales.Case, idem *aftersales.IdempotencyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.Store.CreateCase(ctx, c, idem)
	if err == nil {
		s.stream = append(s.stream, c.Raised...)
	}
	return err
}

func (s *streamingStore) UpdateCase(ctx context.Context, c *aftersales.Case, prev int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.Store.UpdateCase(ctx, c, prev)
	if err == nil {
		s.stream = append(s.stream, c.Raised...)
	}
	return err
}

// TestChaos writes cases that raise events, with writers racing (the
// losers' events must never appear), then runs the stream through the
// publisher as Lambda's event source mapping would (batches from the
// checkpoint, retried from the first failure reported, whole batches again
// after a crash) while EventBridge fails calls and entries, the publisher
// crashes between put and removal, and the stream repeats records. At the
// end every stored event was put (none lost), nothing else was (none
// invented), every copy of an event is the same, and the outbox is empty.
func TestChaos(t *testing.T) {
	tests := []struct {
		name string
		seed uint64
		c    chaos
	}{
		{"no faults", 1, chaos{}},
		{"eventbridge errors", 2, chaos{callFails: 0.3, entryFails: 0.2}},
		{"crashes between put and removal", 3, chaos{markFails: 0.3, crash: 0.2}},
		{"duplicate stream records", 4, chaos{duplicate: 0.4}},
		{"everything at once", 5, chaos{callFails: 0.2, entryFails: 0.2, markFails: 0.2, crash: 0.1, duplicate: 0.3}},
		{"everything, harder", 6, chaos{callFails: 0.4, entryFails: 0.3, markFails: 0.3, crash: 0.2, duplicate: 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(tc.seed, 15))
			clock := storetest.NewFakeClock(storetest.Epoch)
			store := &streamingStore{Store: memstore.New(clock)}
			stored, lost := writeCases(t, store, clock)
			if lost == 0 {
				t.Fatal("no write lost a race: the test proves nothing about the losers' events")
			}
			bus := &flakyBus{rnd: rnd, c: tc.c, seen: map[string][]string{}}
			box := &crashyOutbox{OutboxStore: store.Store, rnd: rnd, p: tc.c.markFails}
			pub := &outbox.Publisher{Bus: bus, Outbox: box, Logger: slog.New(slog.DiscardHandler)}
			runStream(t, pub, store.stream, rnd, tc.c)

			dups := 0
			for id, copies := range bus.seen {
				if _, ok := stored[id]; !ok {
					t.Errorf("event %s was put but never stored (invented)", id)
				}
				for _, c := range copies[1:] {
					if c != copies[0] {
						t.Errorf("event %s was put twice with different bodies:\n%s\n%s", id, copies[0], c)
					}
				}
				dups += len(copies) - 1
			}
			for id := range stored {
				if len(bus.seen[id]) == 0 {
					t.Errorf("event %s was stored but never put (lost)", id)
				}
			}
			left, err := store.PendingEvents(t.Context(), storetest.Epoch.Add(1000*time.Hour), 0)
			if err != nil || len(left) != 0 {
				t.Errorf("outbox after the run: %d events, %v", len(left), err)
			}
			faults := bus.hits + box.hits
			switch {
			case tc.c == (chaos{}) && dups != 0:
				t.Errorf("%d duplicates without a fault", dups)
			case tc.c != (chaos{}) && faults+dups == 0:
				t.Error("no fault was injected")
			}
			t.Logf("%d events stored, %d writes lost a race, %d duplicates put, %d faults", len(stored), lost, dups, faults)
		})
	}
}

// writeCases creates 30 cases, each raising an event, then races two
// writers on each (both raising an event of their own); it returns the
// ids of the events whose changes were stored and how many writes lost.
func writeCases(t *testing.T, store *streamingStore, clock *storetest.FakeClock) (map[string]bool, int) {
	t.Helper()
	ctx := t.Context()
	o := &aftersales.Order{ID: "o-1", Version: 1, EventID: "e1", BuyerID: "b-1", Currency: aftersales.CNY, Status: aftersales.OrderDelivered}
	for i := range 30 {
		o.Lines = append(o.Lines, aftersales.OrderLine{LineID: fmt.Sprintf("l%d", i), SKU: fmt.Sprintf("SKU-%d", i),
			Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 100, PaidAmount: 100})
	}
	if err := store.PutOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	lost := 0
	for i := range 30 {
		c := &aftersales.Case{ID: fmt.Sprintf("as_%02d", i), OrderID: o.ID, BuyerID: o.BuyerID, Type: aftersales.ReturnRefund,
			Lines: []aftersales.CaseLine{{LineID: fmt.Sprintf("l%d", i), SKU: fmt.Sprintf("SKU-%d", i), Quantity: 1, Amount: 100}}}
		at := clock.Advance(time.Second)
		if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: "buyer:b-1", At: at}); err != nil {
			t.Fatal(err)
		}
		c.Raise(aftersales.EventFollowUp, "", at, map[string]any{"reason": "first case", "order_amount": 100})
		if err := store.CreateCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		stored[c.Raised[0].ID] = true
		// Two writers read the same version; one of them loses.
		a, _ := store.GetCase(ctx, c.ID)
		b, _ := store.GetCase(ctx, c.ID)
		for j, w := range []*aftersales.Case{a, b} {
			at := clock.Advance(time.Second)
			if err := w.Apply(aftersales.Change{Action: aftersales.ActSendToReview, Actor: "rules", At: at}); err != nil {
				t.Fatal(err)
			}
			w.Raise(aftersales.EventRestock, fmt.Sprintf("%s:writer-%d", c.ID, j), at,
				map[string]any{"sku": c.Lines[0].SKU, "quantity": 1, "line_id": c.Lines[0].LineID, "case_id": c.ID})
			err := store.UpdateCase(ctx, w, 1)
			switch {
			case err == nil:
				stored[w.Raised[0].ID] = true
			case errors.Is(err, aftersales.ErrVersionConflict):
				lost++
			default:
				t.Fatal(err)
			}
		}
	}
	return stored, lost
}

// runStream is the event source mapping: batches of 1 to 25 records from
// the checkpoint; a reported failure moves the checkpoint to the failed
// record, a crash leaves it where it was, success moves it past the batch.
func runStream(t *testing.T, pub *outbox.Publisher, stream []aftersales.DomainEvent, rnd *rand.Rand, c chaos) {
	t.Helper()
	records := make([]events.DynamoDBEventRecord, len(stream))
	for i, e := range stream {
		r, err := outbox.Record(e, i+1)
		if err != nil {
			t.Fatal(err)
		}
		records[i] = r
	}
	checkpoint := 0
	for round := 0; checkpoint < len(records); round++ {
		if round > 10000 {
			t.Fatalf("the stream is stuck at record %d of %d", checkpoint, len(records))
		}
		end := min(checkpoint+1+rnd.IntN(25), len(records))
		var batch events.DynamoDBEvent
		for _, r := range records[checkpoint:end] {
			batch.Records = append(batch.Records, r)
			if rnd.Float64() < c.duplicate {
				batch.Records = append(batch.Records, r) // at-least-once: the same record again
			}
		}
		resp, err := pub.Handle(t.Context(), batch)
		switch {
		case err != nil:
			t.Fatal(err)
		case rnd.Float64() < c.crash:
			continue // the function died after its work: the batch comes again
		case len(resp.BatchItemFailures) > 0:
			failed := resp.BatchItemFailures[0].ItemIdentifier
			for i := checkpoint; i < end; i++ {
				if records[i].Change.SequenceNumber == failed {
					checkpoint = i
					break
				}
			}
		default:
			checkpoint = end
		}
	}
}
