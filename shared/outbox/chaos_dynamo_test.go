package outbox_test

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/emulators"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/outbox"
	"github.com/aftersales/aftersales/shared/storetest"
)

// TestChaosOnDynamoDB is the chaos test on the DynamoDB adapter, through
// the real SDK on minidyn, with writers truly concurrent: on each case
// three writers race from the same version, each raising an event of its
// own in its transaction, while a poller (the local stack's stand-in for
// the stream, the same publisher) drains the outbox through a failing bus
// and a publisher that crashes between put and removal. Every event of a
// write that was stored is put, none of a write that lost, and the outbox
// ends empty.
func TestChaosOnDynamoDB(t *testing.T) {
	d, err := emulators.StartDynamo("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	client := d.Client()
	if err := dynamo.CreateTable(t.Context(), client, "chaos"); err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := dynamo.New(client, "chaos", dynamo.WithClock(clock))
	ctx := t.Context()

	const cases = 12
	o := &aftersales.Order{ID: "o-1", Version: 1, EventID: "e1", BuyerID: "b-1", Currency: aftersales.CNY, Status: aftersales.OrderDelivered}
	for i := range cases {
		o.Lines = append(o.Lines, aftersales.OrderLine{LineID: fmt.Sprintf("l%d", i), SKU: fmt.Sprintf("SKU-%d", i),
			Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 100, PaidAmount: 100})
	}
	if err := store.PutOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	stored := map[string]bool{}
	lost := 0
	for i := range cases {
		c := &aftersales.Case{ID: fmt.Sprintf("as_%02d", i), OrderID: o.ID, BuyerID: o.BuyerID, Type: aftersales.ReturnRefund,
			Lines: []aftersales.CaseLine{{LineID: fmt.Sprintf("l%d", i), SKU: fmt.Sprintf("SKU-%d", i), Quantity: 1, Amount: 100}}}
		if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: "buyer:b-1", At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		c.Raise(aftersales.EventFollowUp, "", clock.Now(), map[string]any{"reason": "first case"})
		if err := store.CreateCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		stored[c.Raised[0].ID] = true
	}
	// Every writer reads before any writes: all race from version 1.
	readers := make([][]*aftersales.Case, cases)
	for i := range cases {
		for range 3 {
			c, err := store.GetCase(ctx, fmt.Sprintf("as_%02d", i))
			if err != nil {
				t.Fatal(err)
			}
			readers[i] = append(readers[i], c)
		}
	}
	var wg sync.WaitGroup
	for i := range cases {
		for w := range 3 {
			wg.Go(func() {
				id, c := fmt.Sprintf("as_%02d", i), readers[i][w]
				at := storetest.Epoch.Add(time.Duration(w+1) * time.Second)
				if err := c.Apply(aftersales.Change{Action: aftersales.ActSendToReview, Actor: "rules", At: at}); err != nil {
					t.Error(err)
					return
				}
				c.Raise(aftersales.EventRestock, fmt.Sprintf("%s:writer-%d", id, w), at, map[string]any{"sku": c.Lines[0].SKU, "quantity": 1})
				switch err := store.UpdateCase(ctx, c, 1); {
				case err == nil:
					mu.Lock()
					stored[c.Raised[0].ID] = true
					mu.Unlock()
				case errors.Is(err, aftersales.ErrVersionConflict):
					mu.Lock()
					lost++
					mu.Unlock()
				default:
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if len(stored) != 2*cases || lost != 2*cases {
		t.Fatalf("%d events stored and %d writes lost, want one winner of three per case", len(stored), lost)
	}

	clock.Advance(time.Minute) // the writes' times are in the poller's past
	rnd := rand.New(rand.NewPCG(15, 22))
	bus := &flakyBus{rnd: rnd, c: chaos{callFails: 0.3, entryFails: 0.2}, seen: map[string][]string{}}
	box := &crashyOutbox{OutboxStore: store, rnd: rnd, p: 0.3}
	pub := &outbox.Publisher{Bus: bus, Outbox: box, Logger: slog.New(slog.DiscardHandler)}
	p := &outbox.Poller{Outbox: store, Publisher: pub, Clock: clock, Batch: 7}
	for round := 0; ; round++ {
		if round > 500 {
			t.Fatal("the outbox never drained")
		}
		left, err := store.PendingEvents(ctx, storetest.Epoch.Add(time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		_, _ = p.Drain(ctx) // failures are the point: the next round takes them up
	}
	for id, copies := range bus.seen {
		if !stored[id] {
			t.Errorf("event %s was put but never stored (invented)", id)
		}
		for _, c := range copies[1:] {
			if c != copies[0] {
				t.Errorf("event %s put with different bodies", id)
			}
		}
	}
	for id := range stored {
		if len(bus.seen[id]) == 0 {
			t.Errorf("event %s was stored but never put (lost)", id)
		}
	}
	if bus.hits+box.hits == 0 {
		t.Error("no fault was injected")
	}
	t.Logf("%d events stored, %d writes lost a race, %d faults", len(stored), lost, bus.hits+box.hits)
}
