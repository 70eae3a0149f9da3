package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	fixtures "github.com/aftersales/aftersales/events"
	"github.com/aftersales/aftersales/events/schemas"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/eventbus"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/outbox"
	"github.com/aftersales/aftersales/shared/storetest"
)

// listBus accepts every entry but those whose id is in refuse.
type listBus struct {
	refuse map[string]bool
	put    []string
}

func (b *listBus) PutAll(_ context.Context, es []aftersales.DomainEvent) ([]error, error) {
	failed := make([]error, len(es))
	for i, e := range es {
		if b.refuse[e.ID] {
			failed[i] = errors.New("InternalFailure")
			continue
		}
		b.put = append(b.put, e.ID)
	}
	return failed, nil
}

func event(id string) aftersales.DomainEvent {
	return aftersales.DomainEvent{ID: id, Type: aftersales.EventRestock, At: storetest.Epoch, CaseID: "as_1",
		Detail: map[string]any{"sku": "SKU-1", "quantity": 1, "line_id": "l1", "case_id": "as_1"}}
}

func record(t *testing.T, e aftersales.DomainEvent, seq int) events.DynamoDBEventRecord {
	t.Helper()
	r, err := outbox.Record(e, seq)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHandle: what the publisher puts and reports for a batch.
func TestHandle(t *testing.T) {
	removal := record(t, event("gone"), 90)
	removal.EventName = "REMOVE"
	other := record(t, event("x"), 91)
	other.Change.NewImage["entity"] = events.NewStringAttribute("case")
	unreadable := record(t, event("bad"), 92)
	unreadable.Change.NewImage["at"] = events.NewStringAttribute("yesterday")
	tests := []struct {
		name     string
		records  []events.DynamoDBEventRecord
		refuse   map[string]bool
		wantPut  []string
		wantFail string
	}{
		{"every event in order", []events.DynamoDBEventRecord{record(t, event("a"), 1), record(t, event("b"), 2)}, nil, []string{"a", "b"}, ""},
		{"removals and other items skipped", []events.DynamoDBEventRecord{removal, other, record(t, event("a"), 3)}, nil, []string{"a"}, ""},
		{"the first refused entry reported", []events.DynamoDBEventRecord{record(t, event("a"), 1), record(t, event("b"), 2), record(t, event("c"), 3)},
			map[string]bool{"b": true}, []string{"a", "c"}, record(t, event("b"), 2).Change.SequenceNumber},
		{"an unreadable item reported after what came before", []events.DynamoDBEventRecord{record(t, event("a"), 1), unreadable, record(t, event("c"), 3)},
			nil, []string{"a"}, unreadable.Change.SequenceNumber},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bus := &listBus{refuse: tc.refuse}
			store := memstore.New(storetest.NewFakeClock(storetest.Epoch))
			pub := &outbox.Publisher{Bus: bus, Outbox: store, Logger: slog.New(slog.DiscardHandler)}
			resp, err := pub.Handle(t.Context(), events.DynamoDBEvent{Records: tc.records})
			if err != nil {
				t.Fatal(err)
			}
			var failed string
			if len(resp.BatchItemFailures) > 0 {
				failed = resp.BatchItemFailures[0].ItemIdentifier
			}
			if failed != tc.wantFail || len(resp.BatchItemFailures) > 1 {
				t.Errorf("failures %v, want %q", resp.BatchItemFailures, tc.wantFail)
			}
			if len(bus.put) != len(tc.wantPut) {
				t.Fatalf("put %v, want %v", bus.put, tc.wantPut)
			}
			for i := range bus.put {
				if bus.put[i] != tc.wantPut[i] {
					t.Fatalf("put %v, want %v", bus.put, tc.wantPut)
				}
			}
		})
	}
}

// TestPollerDrains: the poller hands every pending event to the publisher
// and leaves the outbox empty; a refused event stays for the next round.
func TestPollerDrains(t *testing.T) {
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.New(clock)
	o := &aftersales.Order{ID: "o-1", Version: 1, EventID: "e", BuyerID: "b", Lines: []aftersales.OrderLine{{LineID: "l1", Quantity: 1, PaidAmount: 100}}}
	if err := store.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	c := &aftersales.Case{ID: "as_1", OrderID: "o-1", BuyerID: "b", Type: aftersales.RefundOnly, Lines: []aftersales.CaseLine{{LineID: "l1", Quantity: 1}}}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: "buyer:b", At: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		c.Raise(aftersales.EventRestock, id, clock.Now(), map[string]any{"sku": "S"})
	}
	if err := store.CreateCase(t.Context(), c, nil); err != nil {
		t.Fatal(err)
	}
	bus := &listBus{refuse: map[string]bool{"b": true}}
	p := &outbox.Poller{Outbox: store, Clock: clock, Batch: 2,
		Publisher: &outbox.Publisher{Bus: bus, Outbox: store, Logger: slog.New(slog.DiscardHandler)}}
	if n, err := p.Drain(t.Context()); err == nil || n != 1 {
		t.Fatalf("first drain: %d, %v; want 1 and the refusal", n, err)
	}
	bus.refuse = nil
	if n, err := p.Drain(t.Context()); err != nil || n != 2 {
		t.Fatalf("second drain: %d, %v; want 2", n, err)
	}
	left, _ := store.PendingEvents(t.Context(), clock.Now().Add(time.Hour), 0)
	if len(left) != 0 || len(bus.put) != 3 {
		t.Fatalf("left %v, put %v", left, bus.put)
	}
}

// TestFunctionRoutes: the function takes stream batches and the redrive
// schedule's events, and refuses anything else.
func TestFunctionRoutes(t *testing.T) {
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.New(clock)
	bus := &listBus{}
	pub := &outbox.Publisher{Bus: bus, Outbox: store, Logger: slog.New(slog.DiscardHandler)}
	f := &outbox.Function{Publisher: pub, Redrive: &outbox.Poller{Outbox: store, Publisher: pub, Clock: clock, MinAge: outbox.RedriveAge}}
	rec, err := json.Marshal(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(t, event("a"), 1)}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		payload string
		want    string
		wantErr bool
	}{
		{"stream batch", string(rec), `{"batchItemFailures":null}`, false},
		{"schedule", `{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`, `{"redriven":0}`, false},
		{"something else", `{"source":"aws.s3"}`, `null`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.Invoke(t.Context(), json.RawMessage(tc.payload))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if b, _ := json.Marshal(out); string(b) != tc.want {
				t.Errorf("answer %s, want %s", b, tc.want)
			}
		})
	}
	if len(bus.put) != 1 || bus.put[0] != "a" {
		t.Errorf("put %v, want the stream's event", bus.put)
	}
}

// TestStreamFixtures replays the stream batches of events/streams through
// the publisher as Lambda delivers them: the new outbox item is put on the
// bus under its id, following its schema; the removal is skipped.
func TestStreamFixtures(t *testing.T) {
	fixtures.Each(t, "streams", map[string][]string{
		"streams/outbox.json": {"as_01JDFULL:7:inventory.restock:l1"},
	}, func(t *testing.T, name string, want []string) {
		var batch events.DynamoDBEvent
		fixtures.Load(t, name, nil, &batch)
		var put []aftersales.DomainEvent
		bus := busFunc(func(es []aftersales.DomainEvent) { put = append(put, es...) })
		store := memstore.New(storetest.NewFakeClock(storetest.Epoch))
		resp, err := (&outbox.Publisher{Bus: bus, Outbox: store, Logger: slog.New(slog.DiscardHandler)}).Handle(t.Context(), batch)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("handle: %v %v", resp, err)
		}
		if len(put) != len(want) {
			t.Fatalf("put %+v, want %v", put, want)
		}
		for i, e := range put {
			b, _ := json.Marshal(eventbus.DetailOf(e))
			if e.ID != want[i] {
				t.Errorf("put %s, want %s", e.ID, want[i])
			}
			if err := schemas.Validate(b); err != nil {
				t.Errorf("%s: %v\n%s", e.ID, err, b)
			}
		}
	})
}

// busFunc is a bus that takes every entry and hands them to a function.
type busFunc func([]aftersales.DomainEvent)

func (f busFunc) PutAll(_ context.Context, es []aftersales.DomainEvent) ([]error, error) {
	f(es)
	return make([]error, len(es)), nil
}
