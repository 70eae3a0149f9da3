package usecase_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// idemFixture is the use cases on a memory store with order o1 of buyer b1
// (lines l1 and l2), and the store and clock behind them.
type idemFixture struct {
	svc   *usecase.Services
	store *memstore.Store
	clock *storetest.FakeClock
}

func newIdemFixture(t *testing.T, wrap func(storetest.Stores) storetest.Stores) idemFixture {
	t.Helper()
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.New(clock)
	ports := storetest.Stores{Cases: store, Idempotency: store, Orders: store, Clock: clock}
	if wrap != nil {
		ports = wrap(ports)
	}
	svc := usecase.New(usecase.Ports{Cases: ports.Cases, Orders: ports.Orders, Idempotency: ports.Idempotency,
		Evidence: noBlobs{}, Clock: clock, IDs: &storetest.SeqIDs{}})
	o := &aftersales.Order{ID: "o1", BuyerID: "b1", Status: aftersales.OrderDelivered, Currency: aftersales.CNY,
		ShippedAt: storetest.Epoch.Add(-48 * time.Hour), DeliveredAt: storetest.Epoch.Add(-24 * time.Hour),
		Payment: aftersales.Payment{Channel: aftersales.ChannelAlipay, Amount: 30000},
		Lines: []aftersales.OrderLine{
			{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 2, UnitPrice: 10000, PaidAmount: 20000},
			{LineID: "l2", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 10000, PaidAmount: 10000}}}
	if err := store.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return idemFixture{svc: svc, store: store, clock: clock}
}

// render is what the API remembers of a created case, cut down to what
// tells two answers apart.
func render(c *aftersales.Case) (int, []byte, error) {
	b, err := json.Marshal(map[string]any{"id": c.ID, "status": c.Status, "requested": c.Requested})
	return http.StatusCreated, b, err
}

// keyed is an application's idempotency part: the key and the hash of the
// body (the API hashes the canonical body; here the caller names it).
func keyed(key, body string) *aftersales.IdempotentRequest {
	return &aftersales.IdempotentRequest{Key: key, RequestHash: "sha256:" + body, Render: render}
}

// answer is what a client would see of one CreateCase: the status and the
// body, or the error.
type answer struct {
	status   int
	body     string
	replayed bool
	err      error
}

func answerOf(t *testing.T, res aftersales.CreateResult, err error) answer {
	t.Helper()
	switch {
	case err != nil:
		return answer{err: err}
	case res.Replayed != nil:
		return answer{status: res.Replayed.StatusCode, body: string(res.Replayed.Response), replayed: true}
	}
	status, body, rerr := render(res.Case)
	if rerr != nil {
		t.Error(rerr) // not Fatal: answers are taken in the requests' goroutines
	}
	return answer{status: status, body: string(body)}
}

// casesOf returns the ids of b1's cases.
func casesOf(t *testing.T, f idemFixture) []string {
	t.Helper()
	page, err := f.store.ListCases(t.Context(), aftersales.CaseQuery{BuyerID: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range page.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

// TestConcurrentRetriesOfOneKeyGetOneAnswer is the regression of issue 13
// defect 4: twenty copies of one application with one Idempotency-Key,
// all in flight at once, open exactly one case; each gets its answer, or,
// having stopped waiting for it, is told the key is in progress. None is
// told that the line already has an active case (its own twin's).
func TestConcurrentRetriesOfOneKeyGetOneAnswer(t *testing.T) {
	const n = 20
	tests := []struct {
		name string
		// pause is the duplicates' wait between looks at the key.
		pause func(race *storetest.Race) func(context.Context, time.Duration) error
		// allInOne: every answer is the case's, one fresh and the rest
		// replayed (the duplicates waited long enough).
		allInOne bool
	}{
		{"duplicates wait for the answer", func(race *storetest.Race) func(context.Context, time.Duration) error {
			// The next look, after the holder has written, sees the answer.
			return func(ctx context.Context, _ time.Duration) error { return race.Written(ctx) }
		}, true},
		{"duplicates may stop waiting first", func(*storetest.Race) func(context.Context, time.Duration) error {
			return func(context.Context, time.Duration) error { return nil }
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var race *storetest.Race
			f := newIdemFixture(t, func(s storetest.Stores) storetest.Stores {
				race = storetest.NewRace(s, n)
				return race.Stores
			})
			f.svc.Cases.Pause = tt.pause(race)
			// A broken schedule fails the requests rather than hanging the test.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()

			answers := make([]answer, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					res, err := f.svc.Cases.CreateCase(ctx, buyer, app("l1"), keyed("retry-1", "body-1"))
					answers[i] = answerOf(t, res, err)
				})
			}
			wg.Wait()

			ids := casesOf(t, f)
			if len(ids) != 1 {
				t.Fatalf("%d cases %v, want exactly one", len(ids), ids)
			}
			want := answer{status: http.StatusCreated, body: fmt.Sprintf(`{"id":%q,"requested":10000,"status":"submitted"}`, ids[0])}
			fresh, inProgress := 0, 0
			for i, a := range answers {
				switch {
				case errors.Is(a.err, aftersales.ErrLineHeld):
					t.Errorf("answer %d: the line-held conflict (%v), a business conflict with its own twin", i, a.err)
				case errors.Is(a.err, aftersales.ErrIdempotencyKeyInProgress) && !tt.allInOne:
					inProgress++
				case a.err != nil:
					t.Errorf("answer %d: %v, want the case's answer", i, a.err)
				case a.status != want.status || a.body != want.body:
					t.Errorf("answer %d: %d %s, want %d %s", i, a.status, a.body, want.status, want.body)
				case !a.replayed:
					fresh++
				}
			}
			if fresh != 1 {
				t.Errorf("%d answers were fresh creations, want one", fresh)
			}
			t.Logf("%d replayed, %d told the key is in progress", n-fresh-inProgress, inProgress)
		})
	}
}

// TestIdempotencyKeyLifecycle: what a request meets on its key (a claim in
// flight, a crashed one, one released or answered while it waits) and what
// it leaves behind when it fails.
func TestIdempotencyKeyLifecycle(t *testing.T) {
	inFlight := func(t *testing.T, f idemFixture, body string) {
		t.Helper()
		now := f.clock.Now()
		err := f.store.ClaimIdempotency(t.Context(), aftersales.IdempotencyRecord{Scope: "b1", Key: "k",
			RequestHash: "sha256:" + body, CaseID: "as_inflight", CreatedAt: now, ExpiresAt: now.Add(aftersales.IdempotencyClaimTTL)})
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		// before readies the key; onPause runs at the request's n-th pause.
		before  func(t *testing.T, f idemFixture)
		onPause func(t *testing.T, f idemFixture, n int)
		app     aftersales.Application
		body    string
		// want: the error (nil: a case), whether it is a replay, the
		// pauses, and what holds the key afterwards ("": nothing).
		want       error
		replayed   bool
		pauses     int
		keyHeldBy  string
		inProgress bool
	}{
		{name: "a free key", app: app("l1"), body: "a", keyHeldBy: "as_0001"},
		{name: "a duplicate of a request in flight waits, then is told to retry",
			before: func(t *testing.T, f idemFixture) { inFlight(t, f, "a") }, app: app("l1"), body: "a",
			want: aftersales.ErrIdempotencyKeyInProgress, pauses: 7, keyHeldBy: "as_inflight", inProgress: true},
		{name: "another body on a key in flight is refused at once",
			before: func(t *testing.T, f idemFixture) { inFlight(t, f, "a") }, app: app("l2"), body: "b",
			want: aftersales.E(aftersales.KindInvalid, "", ""), keyHeldBy: "as_inflight", inProgress: true},
		{name: "the answer arrives while waiting",
			before: func(t *testing.T, f idemFixture) { inFlight(t, f, "a") },
			onPause: func(t *testing.T, f idemFixture, n int) {
				if n != 1 {
					return
				}
				c, err := f.svc.Cases.GetCase(t.Context(), buyer, "as_inflight")
				if err == nil {
					t.Fatalf("case %s exists before its request wrote it", c.ID)
				}
				// The request in flight writes its case and its answer.
				c = &aftersales.Case{ID: "as_inflight", OrderID: "o1", BuyerID: "b1", Type: aftersales.ReturnRefund,
					Lines: []aftersales.CaseLine{{LineID: "l1", Quantity: 1, Amount: 10000}}, Requested: 10000}
				if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: buyer.Actor(), At: f.clock.Now()}); err != nil {
					t.Fatal(err)
				}
				_, body, _ := render(c)
				err = f.store.CreateCase(t.Context(), c, &aftersales.IdempotencyRecord{Scope: "b1", Key: "k", RequestHash: "sha256:a",
					CaseID: c.ID, StatusCode: http.StatusCreated, Response: body, CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(aftersales.IdempotencyTTL)})
				if err != nil {
					t.Fatal(err)
				}
			},
			app: app("l1"), body: "a", replayed: true, pauses: 1, keyHeldBy: "as_inflight"},
		{name: "a key released while waiting is taken",
			before: func(t *testing.T, f idemFixture) { inFlight(t, f, "a") },
			onPause: func(t *testing.T, f idemFixture, n int) {
				if err := f.store.ReleaseIdempotency(t.Context(), "b1", "k", "as_inflight"); err != nil {
					t.Fatal(err)
				}
			},
			app: app("l1"), body: "a", pauses: 1, keyHeldBy: "as_0001"},
		{name: "a crashed request's claim is taken over once expired",
			before: func(t *testing.T, f idemFixture) {
				inFlight(t, f, "a")
				f.clock.Advance(aftersales.IdempotencyClaimTTL)
			},
			app: app("l1"), body: "a", keyHeldBy: "as_0001"},
		{name: "a refused application frees its key", app: app("l9"), body: "a",
			want: aftersales.E(aftersales.KindInvalid, "", "")},
		{name: "a line held by another key's case frees the key",
			before: func(t *testing.T, f idemFixture) {
				if _, err := f.svc.Cases.CreateCase(t.Context(), buyer, app("l1"), keyed("other", "a")); err != nil {
					t.Fatal(err)
				}
			},
			app: app("l1"), body: "a", want: aftersales.ErrLineHeld},
		{name: "a request that may not apply frees its key", app: app("l1"), body: "a",
			want: aftersales.E(aftersales.KindForbidden, "", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newIdemFixture(t, nil)
			if tt.before != nil {
				tt.before(t, f)
			}
			var waited []time.Duration
			f.svc.Cases.Pause = func(_ context.Context, d time.Duration) error {
				waited = append(waited, d)
				if tt.onPause != nil {
					tt.onPause(t, f, len(waited))
				}
				return nil
			}
			p := buyer
			if aftersales.KindOf(tt.want) == aftersales.KindForbidden {
				p = reviewer
			}
			res, err := f.svc.Cases.CreateCase(t.Context(), p, tt.app, keyed("k", tt.body))
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("create: %v", err)
			case tt.want == nil:
				if (res.Replayed != nil) != tt.replayed {
					t.Errorf("replayed %v, want %v", res.Replayed != nil, tt.replayed)
				}
			case aftersales.KindOf(err) != aftersales.KindOf(tt.want) || (tt.want.(*aftersales.Error).Msg != "" && !errors.Is(err, tt.want)):
				t.Fatalf("create: %v, want %v", err, tt.want)
			}
			if len(waited) != tt.pauses {
				t.Errorf("paused %d times (%v), want %d", len(waited), waited, tt.pauses)
			}
			var total time.Duration
			for _, d := range waited {
				total += d
			}
			if total > 3*time.Second {
				t.Errorf("waited %v in all; a duplicate waits briefly", total)
			}
			rec, err := f.store.GetIdempotency(t.Context(), p.ID, "k")
			switch {
			case tt.keyHeldBy == "":
				if !errors.Is(err, aftersales.ErrNotFound) {
					t.Errorf("key held by %+v (%v), want it free", rec, err)
				}
			case err != nil:
				t.Errorf("key not held (%v), want it held by %s", err, tt.keyHeldBy)
			case rec.CaseID != tt.keyHeldBy || rec.InProgress() != tt.inProgress:
				t.Errorf("key held by %s (in progress %v), want %s (in progress %v)", rec.CaseID, rec.InProgress(), tt.keyHeldBy, tt.inProgress)
			}
		})
	}
}

// stall holds the first call of a step until release is closed, after
// closing arrived: the request that makes it stalls while holding its key.
type stall struct {
	once             sync.Once
	arrived, release chan struct{}
}

func newStall() *stall { return &stall{arrived: make(chan struct{}), release: make(chan struct{})} }

func (s *stall) wait(ctx context.Context) error {
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return nil
	}
	close(s.arrived)
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stalledOrders stalls the first read of an order.
type stalledOrders struct {
	aftersales.OrderStore
	*stall
}

func (h stalledOrders) GetOrder(ctx context.Context, id string) (*aftersales.Order, error) {
	if err := h.wait(ctx); err != nil {
		return nil, err
	}
	return h.OrderStore.GetOrder(ctx, id)
}

// TestClaimTakenOverWhileStalled: a request that stalls past its claim's
// expiry, while a retry with its key takes the key over and opens the
// case, answers with the retry's case rather than an error of its own
// (the hold of that case on the line, or the key it lost) or a second case.
func TestClaimTakenOverWhileStalled(t *testing.T) {
	tests := []struct {
		name  string
		where string // "order": before reading the order, "render": after building its case
	}{
		{"stalled before reading the order", "order"},
		{"stalled with its case built", "render"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStall()
			f := newIdemFixture(t, func(s storetest.Stores) storetest.Stores {
				if tt.where == "order" {
					s.Orders = stalledOrders{s.Orders, st}
				}
				return s
			})
			first := keyed("k", "a")
			if tt.where == "render" {
				first.Render = func(c *aftersales.Case) (int, []byte, error) {
					if err := st.wait(t.Context()); err != nil {
						return 0, nil, err
					}
					return render(c)
				}
			}
			var stalled answer
			done := make(chan struct{})
			go func() {
				defer close(done)
				res, err := f.svc.Cases.CreateCase(t.Context(), buyer, app("l1"), first)
				stalled = answerOf(t, res, err)
			}()
			<-st.arrived
			f.clock.Advance(aftersales.IdempotencyClaimTTL)
			res, err := f.svc.Cases.CreateCase(t.Context(), buyer, app("l1"), keyed("k", "a"))
			retry := answerOf(t, res, err)
			close(st.release)
			<-done

			if retry.err != nil || retry.replayed {
				t.Fatalf("the retry that took the key over: %+v, want a fresh case", retry)
			}
			if stalled.err != nil || !stalled.replayed || stalled.status != retry.status || stalled.body != retry.body {
				t.Errorf("the stalled request answered %+v (%v), want the retry's answer replayed: %+v", stalled, stalled.err, retry)
			}
			if ids := casesOf(t, f); len(ids) != 1 {
				t.Errorf("cases %v, want one", ids)
			}
		})
	}
}
