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
		Evidence: noBlobs{}, Clock: clock, IDs: &seqIDs{}})
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
