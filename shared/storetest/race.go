package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/cases"
)

// Race schedules concurrent copies of one application the way duplicates
// race in production, through the ports of its Stores: each request is
// held after its first read of the idempotency record (or before its read
// of the order, once it owns the key) until all n have got that far; then
// the first to read the order goes on alone, and any other reads the order
// only once the first has written its case. A request that finds no record
// and then builds a case of its own meets its twin's hold on the line.
type Race struct {
	Stores // the ports to hand the use case: the stores under test, scheduled

	gate      chan struct{} // closed when n requests have arrived
	mu        sync.Mutex
	n         int
	readOrder bool
	once      sync.Once
	written   chan struct{} // closed when the first CreateCase has returned
}

// NewRace schedules n requests through s.
func NewRace(s Stores, n int) *Race {
	r := &Race{n: n, gate: make(chan struct{}), written: make(chan struct{})}
	r.Stores = Stores{Cases: raceCases{s.Cases, r}, Idempotency: raceIdempotency{s.Idempotency, r},
		Orders: raceOrders{s.Orders, r}, Clock: s.Clock}
	return r
}

// Written returns once the first request's CreateCase has returned (or ctx
// is done): a waiting duplicate that polls after it sees that request's
// outcome.
func (r *Race) Written(ctx context.Context) error {
	select {
	case <-r.written:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// arrive counts a request in and holds it until all n are in.
func (r *Race) arrive(ctx context.Context) error {
	r.mu.Lock()
	if r.n--; r.n == 0 {
		close(r.gate)
	}
	r.mu.Unlock()
	select {
	case <-r.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type raceIdempotency struct {
	aftersales.IdempotencyStore
	r *Race
}

func (s raceIdempotency) GetIdempotency(ctx context.Context, scope, key string) (aftersales.IdempotencyRecord, error) {
	rec, err := s.IdempotencyStore.GetIdempotency(ctx, scope, key) // read, then wait: what it read is what it acts on
	if werr := s.r.arrive(ctx); werr != nil {
		return aftersales.IdempotencyRecord{}, werr
	}
	return rec, err
}

type raceOrders struct {
	aftersales.OrderStore
	r *Race
}

func (s raceOrders) GetOrder(ctx context.Context, id string) (*aftersales.Order, error) {
	if err := s.r.arrive(ctx); err != nil {
		return nil, err
	}
	s.r.mu.Lock()
	first := !s.r.readOrder
	s.r.readOrder = true
	s.r.mu.Unlock()
	if !first {
		if err := s.r.Written(ctx); err != nil {
			return nil, err
		}
	}
	return s.OrderStore.GetOrder(ctx, id)
}

type raceCases struct {
	aftersales.CaseStore
	r *Race
}

func (s raceCases) CreateCase(ctx context.Context, c *aftersales.Case, idem *aftersales.IdempotencyRecord) error {
	defer s.r.once.Do(func() { close(s.r.written) })
	return s.CaseStore.CreateCase(ctx, c, idem)
}

// testConcurrentRetries: twenty copies of one application with one
// Idempotency-Key, all in flight at once through the case use case on the
// store, open exactly one case and all get its answer; none is told that
// the line already has an active case (its own twin's). The store's part
// is to let exactly one request own the key and to show the others its
// answer (issue 13, defect 4).
func testConcurrentRetries(t *testing.T, s Stores) {
	storedOrder(t, s, 9900)
	const n = 20
	race := NewRace(s, n)
	svc := &cases.Service{Cases: race.Cases, Orders: race.Orders, Idempotency: race.Idempotency,
		Clock: s.Clock, IDs: &SeqIDs{Tag: "race"},
		// A duplicate waits until the request that holds the key has
		// written; its next look sees the answer.
		Pause: func(ctx context.Context, _ time.Duration) error { return race.Written(ctx) }}
	app := aftersales.Application{OrderID: "o-1", Type: aftersales.RefundOnly, Reason: "wrong_item",
		Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 1}}}
	render := func(c *aftersales.Case) (int, []byte, error) {
		return 201, []byte(fmt.Sprintf(`{"id":%q,"requested":%d}`, c.ID, c.Requested)), nil
	}
	// A broken schedule fails the requests rather than hanging the test.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	type answer struct {
		status int
		body   string
		err    error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := svc.CreateCase(ctx, aftersales.Principal{ID: "buyer-1", Roles: []aftersales.Role{aftersales.RoleBuyer}},
				app, &aftersales.IdempotentRequest{Key: "retry-1", RequestHash: "sha256:app", Render: render})
			switch {
			case err != nil:
				answers[i] = answer{err: err}
			case res.Replayed != nil:
				answers[i] = answer{status: res.Replayed.StatusCode, body: string(res.Replayed.Response)}
			default:
				status, body, _ := render(res.Case)
				answers[i] = answer{status: status, body: string(body)}
			}
		})
	}
	wg.Wait()

	page, err := s.Cases.ListCases(t.Context(), aftersales.CaseQuery{BuyerID: "buyer-1"})
	must(t, "list cases", err)
	if len(page.Items) != 1 {
		t.Fatalf("%d cases, want exactly one", len(page.Items))
	}
	id := page.Items[0].ID
	if got := holder(t, s, "o-1", "l1"); got != id {
		t.Errorf("line held by %q, want %q", got, id)
	}
	want := answer{status: 201, body: fmt.Sprintf(`{"id":%q,"requested":9900}`, id)}
	for i, a := range answers {
		switch {
		case errors.Is(a.err, aftersales.ErrLineHeld):
			t.Errorf("answer %d: the line-held conflict (%v), a business conflict with its own twin", i, a.err)
		case a.err != nil:
			t.Errorf("answer %d: %v, want the case's answer", i, a.err)
		case a != want:
			t.Errorf("answer %d: %d %s, want %d %s", i, a.status, a.body, want.status, want.body)
		}
	}
}
