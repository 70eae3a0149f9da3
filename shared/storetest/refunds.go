package storetest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// RefundStores is one fresh, empty set of stores for RunRefunds: the stores
// of Run (the ledger is read through Orders, cases end through Cases) and
// the refund and notification stores, all on the same data. Clock must be
// the clock the stores judge expiry by: the suite moves it.
type RefundStores struct {
	Stores
	Refunds       aftersales.RefundStore
	Notifications aftersales.NotificationStore
}

// RunRefunds is the conformance suite of RefundStore and NotificationStore.
// Its point is the money invariant: a refund is booked on the order ledger
// with the refund, all or nothing, and never takes a line's refunds past
// what was paid for it — refused by the store itself, whatever the caller
// asks. open is called once per subtest and must return empty stores
// sharing a FakeClock set to Epoch.
func RunRefunds(t *testing.T, open func(t *testing.T) RefundStores) {
	runSuite(t, []test[RefundStores]{
		{"RefundRoundTrip", testRefundRoundTrip},
		{"RefundNumberTaken", testRefundNumberTaken},
		{"RefundsUpToPaid", testRefundsUpToPaid},
		{"FeeAccountsUpToPaid", testFeeAccountsUpToPaid},
		{"FeesBookedUpToPaid", testFeesBookedUpToPaid},
		{"RefundAmountPositiveAndBooked", testRefundAmountPositiveAndBooked},
		{"ConcurrentRefundsOneLine", testConcurrentRefunds},
		{"ConcurrentSnapshotsNewestWins", testConcurrentSnapshots},
		{"RefundStatusGuard", testRefundStatusGuard},
		{"ClosedRefundGivesBack", testClosedRefundGivesBack},
		{"CaseEndKeepsRefundBooking", testCaseEndKeepsBooking},
		{"CaseOpensAccount", testCaseOpensAccount},
		{"ListRefunds", testListRefunds},
		{"ListRefundsEmptyAndBadCursor", testListRefundsEdges},
		{"Notifications", testNotifications},
	}, open, func(s RefundStores) *FakeClock { return s.Clock })
}

// ---- builders and helpers ----

// newRefund is the refund the service begins for a case: number from the
// case id and sequence, the order's route and buyer, Amount the sum of the
// shares.
func newRefund(caseID string, seq int, o *aftersales.Order, at time.Time, shares map[string]int64) *aftersales.Refund {
	var total int64
	for _, v := range shares {
		total += v
	}
	return &aftersales.Refund{
		OutRefundNo: aftersales.OutRefundNo(caseID, seq), CaseID: caseID, Seq: seq,
		OrderID: o.ID, BuyerID: o.BuyerID, BuyerPhone: o.BuyerPhone,
		Amount: aftersales.Money{Amount: total, Currency: o.Currency}, Shares: shares,
		Channel: o.Payment.Channel, Destination: aftersales.RefundOriginal,
		TransactionID: o.Payment.TransactionID, OrderTotal: o.Payment.Amount, Reason: "damaged",
		Status: aftersales.RefundRequested, CreatedAt: at, UpdatedAt: at,
	}
}

// fullRefund has every field set, nanoseconds in its times and non-ASCII
// text, as a refund looks once it has arrived.
func fullRefund(o *aftersales.Order, shares map[string]int64) *aftersales.Refund {
	at := Epoch.Add(3*time.Hour + 123456789)
	r := newRefund("as_01JDFULL", 2, o, at, shares)
	r.Channel, r.Destination = aftersales.ChannelAlipay, aftersales.RefundBalance
	r.Reason = "外箱破损"
	r.Status = aftersales.RefundSucceeded
	r.ProviderRefundID = "50300000012026111100000001"
	r.Account = "支付用户零钱"
	r.Queries = 3
	r.ApprovedBy, r.ApprovedAt = "staff:s1", at.Add(-time.Minute+7)
	r.PaidBy, r.Sandbox = "staff:财务1", true
	r.UpdatedAt, r.ArrivedAt = at.Add(time.Hour+5), at.Add(time.Hour+3)
	return r
}

func cloneRefund(r *aftersales.Refund) *aftersales.Refund {
	out := *r
	out.Shares = maps.Clone(r.Shares)
	return &out
}

func begin(t *testing.T, s RefundStores, r *aftersales.Refund) {
	t.Helper()
	must(t, "begin refund "+r.OutRefundNo, s.Refunds.BeginRefund(t.Context(), r))
}

func getRefund(t *testing.T, s RefundStores, caseID, no string) *aftersales.Refund {
	t.Helper()
	r, err := s.Refunds.GetRefund(t.Context(), caseID, no)
	must(t, "get refund "+no, err)
	return r
}

func wantNoRefund(t *testing.T, s RefundStores, r *aftersales.Refund) {
	t.Helper()
	_, err := s.Refunds.GetRefund(t.Context(), r.CaseID, r.OutRefundNo)
	wantNotFound(t, "refund "+r.OutRefundNo+" that must not be stored", err)
}

// ledger returns the refunded amount of every line of an order.
func ledger(t *testing.T, s Stores, orderID string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, l := range getOrder(t, s, orderID).Lines {
		out[l.LineID] = l.Refunded
	}
	return out
}

// plus returns the ledger after booking shares on it.
func plus(l map[string]int64, shares map[string]int64) map[string]int64 {
	out := maps.Clone(l)
	for line, v := range shares {
		out[line] += v
	}
	return out
}

// ---- tests ----

// testRefundRoundTrip: a begun refund reads back field for field and books
// its shares on the ledger — with every field set, and with only what a
// refund needs (no empty values coming back non-nil); a zero share books
// nothing. Unknown numbers, and a number under another case, are not found;
// nothing the caller holds aliases what is stored.
func testRefundRoundTrip(t *testing.T, s RefundStores) {
	o := storedMixedOrder(t, s.Stores)
	tests := []struct {
		name   string
		r      *aftersales.Refund
		booked map[string]int64 // what the ledger gains
	}{
		{"every field", fullRefund(o, map[string]int64{"l1": 12345, "l2": 100000}),
			map[string]int64{"l1": 12345, "l2": 100000}},
		{"only what a refund needs", &aftersales.Refund{OutRefundNo: "as_min-1", CaseID: "as_min", OrderID: "o-1",
			Amount: aftersales.Money{Amount: 100}, Shares: map[string]int64{"l3": 100}, Status: aftersales.RefundRequested},
			map[string]int64{"l3": 100}},
		// Zero shares (a line worth nothing in the split) touch no line:
		// not a line refunded in full, not a line the order lacks.
		{"a zero share books nothing", newRefund("as_zero", 1, o, Epoch, map[string]int64{"l1": 55, "l3": 0, "l9": 0}),
			map[string]int64{"l1": 55}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := ledger(t, s.Stores, "o-1")
			want := cloneRefund(tc.r)
			begin(t, s, tc.r)
			same(t, "refund", getRefund(t, s, tc.r.CaseID, tc.r.OutRefundNo), want)
			same(t, "ledger", ledger(t, s.Stores, "o-1"), plus(before, tc.booked))
		})
	}

	t.Run("not found", func(t *testing.T) {
		for _, k := range []struct{ caseID, no string }{
			{"as_01JDFULL", "as_01JDFULL-1"}, // the case's other number
			{"as_other", "as_01JDFULL-2"},    // the number under another case
			{"as_unknown", "as_unknown-1"},
		} {
			_, err := s.Refunds.GetRefund(t.Context(), k.caseID, k.no)
			wantNotFound(t, fmt.Sprintf("get refund %s of %s", k.no, k.caseID), err)
		}
	})

	t.Run("no aliasing", func(t *testing.T) {
		r := newRefund("as_alias", 1, o, Epoch, map[string]int64{"l1": 1})
		want := cloneRefund(r)
		begin(t, s, r)
		r.Shares["l1"], r.Reason = 999, "scribbled"
		got := getRefund(t, s, r.CaseID, r.OutRefundNo)
		got.Shares["l1"] = 777
		same(t, "refund", getRefund(t, s, r.CaseID, r.OutRefundNo), want)
	})
}

// testRefundNumberTaken: a second refund with a number already stored is
// ErrRefundExists — also when it would not fit on the ledger, because a
// retried step must learn that its refund was stored — and writes nothing:
// the ledger and the stored refund stay as they were.
func testRefundNumberTaken(t *testing.T, s RefundStores) {
	o := storedOrder(t, s.Stores, 9900, 5000)
	first := newRefund("as_1", 1, o, Epoch, map[string]int64{"l1": 3000})
	want := cloneRefund(first)
	begin(t, s, first)
	booked := ledger(t, s.Stores, "o-1")
	same(t, "ledger after the first refund", booked, map[string]int64{"l1": 3000, "l2": 0})

	tests := []struct {
		name   string
		shares map[string]int64
	}{
		{"the same refund again (a retried step)", map[string]int64{"l1": 3000}},
		{"other shares", map[string]int64{"l1": 1000, "l2": 2000}},
		{"shares that would not fit", map[string]int64{"l1": 9900, "l2": 5001}},
		{"a line the order lacks", map[string]int64{"l9": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRefund("as_1", 1, o, Epoch.Add(time.Minute), tc.shares)
			r.Reason = "a retry"
			wantErr(t, "begin with a taken number", s.Refunds.BeginRefund(t.Context(), r), aftersales.ErrRefundExists)
			same(t, "ledger", ledger(t, s.Stores, "o-1"), booked)
			same(t, "stored refund", getRefund(t, s, "as_1", first.OutRefundNo), want)
		})
	}
}

// testRefundsUpToPaid: partial refunds of a line succeed up to exactly what
// was paid for it, and the store itself refuses the one beyond with
// ErrOverRefund: the calls go straight to BeginRefund with amounts the
// domain would never ask for, so only the store's own condition stands in
// the way. A refused refund writes nothing — no refund item, no booking on
// any of its lines, including the ones it would have fitted. The bound
// follows the paid amount of the latest snapshot.
func testRefundsUpToPaid(t *testing.T, s RefundStores) {
	o := storedOrder(t, s.Stores, 9900, 5000)
	other := newOrder("o-2", "buyer-1", orderLine("l1", aftersales.KindPhysical, 1, 100000))
	putOrder(t, s.Stores, other)

	steps := []struct {
		name   string
		before func(t *testing.T)
		order  *aftersales.Order
		shares map[string]int64
		want   *aftersales.Error // nil: booked
		kind   aftersales.Kind   // for refusals without a sentinel
	}{
		{"a partial refund", nil, o, map[string]int64{"l1": 3000}, nil, 0},
		{"another partial refund", nil, o, map[string]int64{"l1": 4000}, nil, 0},
		{"up to exactly the paid amount", nil, o, map[string]int64{"l1": 2900}, nil, 0},
		{"one fen beyond", nil, o, map[string]int64{"l1": 1}, aftersales.ErrOverRefund, 0},
		{"two lines, one of them full", nil, o, map[string]int64{"l1": 1, "l2": 100}, aftersales.ErrOverRefund, 0},
		{"more than a fresh line was paid", nil, o, map[string]int64{"l2": 5001}, aftersales.ErrOverRefund, 0},
		{"a line the order lacks", nil, o, map[string]int64{"l2": 100, "l9": 1}, aftersales.ErrOverRefund, 0},
		{"an order never stored", nil, newOrder("o-unknown", "buyer-1", orderLine("l1", aftersales.KindPhysical, 1, 9900)),
			map[string]int64{"l1": 1}, aftersales.ErrOverRefund, 0},
		{"another order's line of the same id", nil, other, map[string]int64{"l1": 20000}, nil, 0},
		{"a negative share", nil, o, map[string]int64{"l1": -5000, "l2": 100}, nil, aftersales.KindInvalid},
		{"the mall lowers a line's paid amount", func(t *testing.T) {
			putOrder(t, s.Stores, versioned(newOrder("o-1", "buyer-1",
				orderLine("l1", aftersales.KindPhysical, 1, 9900),
				orderLine("l2", aftersales.KindPhysical, 1, 3000)), 2))
		}, o, map[string]int64{"l2": 3001}, aftersales.ErrOverRefund, 0},
		{"a replay of the first snapshot does not raise it back", func(t *testing.T) {
			wantErr(t, "replay the first snapshot", s.Orders.PutOrder(t.Context(), newOrder("o-1", "buyer-1",
				orderLine("l1", aftersales.KindPhysical, 1, 9900),
				orderLine("l2", aftersales.KindPhysical, 1, 5000))), aftersales.ErrOrderNotNewer)
		}, o, map[string]int64{"l2": 3001}, aftersales.ErrOverRefund, 0},
		{"the rest of the lowered line", nil, o, map[string]int64{"l2": 3000}, nil, 0},
		{"a fen of a line refunded in full", nil, o, map[string]int64{"l2": 1}, aftersales.ErrOverRefund, 0},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != nil {
				st.before(t)
			}
			before := map[string]map[string]int64{"o-1": ledger(t, s.Stores, "o-1"), "o-2": ledger(t, s.Stores, "o-2")}
			r := newRefund(fmt.Sprintf("as_%d", i), 1, st.order, Epoch.Add(time.Duration(i)*time.Minute), st.shares)
			want := cloneRefund(r)
			err := s.Refunds.BeginRefund(t.Context(), r)
			after := before
			switch {
			case st.want != nil:
				wantErr(t, "begin", err, st.want)
				wantNoRefund(t, s, r)
			case st.kind != 0:
				if aftersales.KindOf(err) != st.kind {
					t.Fatalf("begin: got %v (kind %v), want kind %v", err, aftersales.KindOf(err), st.kind)
				}
				wantNoRefund(t, s, r)
			default:
				must(t, "begin", err)
				same(t, "refund", getRefund(t, s, r.CaseID, r.OutRefundNo), want)
				after = maps.Clone(before)
				after[st.order.ID] = plus(before[st.order.ID], st.shares)
			}
			same(t, "ledger of o-1", ledger(t, s.Stores, "o-1"), after["o-1"])
			same(t, "ledger of o-2", ledger(t, s.Stores, "o-2"), after["o-2"])
		})
	}
	same(t, "final ledger", ledger(t, s.Stores, "o-1"), map[string]int64{"l1": 9900, "l2": 3000})
}

// testFeeAccountsUpToPaid: an order's fees are ledger accounts of their
// own (issue 17), written with the snapshot and bounded like lines. Random
// refunds over the lines and the shipping account are booked or refused
// exactly as a model of the ledger says, and in the end no account holds
// more than was paid into it and the refunds of the order never add up to
// more than the payment. A fee the order does not have has no account.
func testFeeAccountsUpToPaid(t *testing.T, s RefundStores) {
	o := storedOrder(t, s.Stores, 9900, 5000) // and 800 of shipping
	paid := map[string]int64{"l1": 9900, "l2": 5000, aftersales.FeeShippingID: 800}
	model := map[string]int64{}
	accounts := []string{"l1", "l2", aftersales.FeeShippingID}
	rng := rand.New(rand.NewPCG(17, 2026))
	var booked int64
	for i := range 60 {
		shares := map[string]int64{}
		for _, a := range accounts {
			if rng.IntN(2) == 0 {
				shares[a] = 1 + rng.Int64N(paid[a]/3+1)
			}
		}
		if len(shares) == 0 {
			shares[aftersales.FeeShippingID] = 1 + rng.Int64N(300)
		}
		fits := true
		for a, x := range shares {
			fits = fits && model[a]+x <= paid[a]
		}
		r := newRefund(fmt.Sprintf("as_fee%d", i), 1, o, Epoch.Add(time.Duration(i)*time.Second), shares)
		err := s.Refunds.BeginRefund(t.Context(), r)
		switch {
		case fits:
			must(t, fmt.Sprintf("refund %d %v", i, shares), err)
			for a, x := range shares {
				model[a] += x
				booked += x
			}
		default:
			wantErr(t, fmt.Sprintf("refund %d %v beyond an account", i, shares), err, aftersales.ErrOverRefund)
		}
	}
	got := getOrder(t, s.Stores, o.ID)
	for _, l := range append(got.Lines, got.FeeLedger...) {
		if l.Refunded != model[l.LineID] || l.Refunded > l.PaidAmount {
			t.Errorf("account %s: refunded %d, model %d, paid %d", l.LineID, l.Refunded, model[l.LineID], l.PaidAmount)
		}
	}
	if booked > o.Payment.Amount {
		t.Errorf("refunds add up to %d, more than the %d paid", booked, o.Payment.Amount)
	}
	if model[aftersales.FeeShippingID] == 0 {
		t.Error("no refund was booked on the shipping account; the draw tests nothing")
	}
	wantErr(t, "refund of a tariff the order has not", s.Refunds.BeginRefund(t.Context(),
		newRefund("as_tariff", 1, o, Epoch, map[string]int64{aftersales.FeeTariffID: 1})), aftersales.ErrOverRefund)
}

// testRefundAmountPositiveAndBooked: the store refuses to begin a refund
// that pays nothing or less, pays more than MaxAmount, or whose shares do
// not add up to its amount (so that the ledger's bound covers every minor
// unit it pays): KindInvalid, and nothing is stored or booked. Issue 13
// sent a refund of -84.46 CNY, with nothing booked, to WeChat Pay.
func testRefundAmountPositiveAndBooked(t *testing.T, s RefundStores) {
	o := storedOrder(t, s.Stores, 9900, 5000)
	tests := []struct {
		name   string
		amount int64
		shares map[string]int64
	}{
		{"a negative amount booking nothing", -8446, map[string]int64{}},
		{"a zero amount", 0, map[string]int64{"l1": 0}},
		{"shares short of the amount", 5000, map[string]int64{"l1": 100}},
		{"shares beyond the amount", 100, map[string]int64{"l1": 3000, "l2": 2000}},
		{"an amount above MaxAmount", aftersales.MaxAmount + 1, map[string]int64{"l1": aftersales.MaxAmount + 1}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := ledger(t, s.Stores, "o-1")
			r := newRefund(fmt.Sprintf("as_%d", i), 1, o, Epoch, tc.shares)
			r.Amount.Amount = tc.amount
			if err := s.Refunds.BeginRefund(t.Context(), r); aftersales.KindOf(err) != aftersales.KindInvalid {
				t.Fatalf("begin a refund of %d booking %v: %v, want Invalid", tc.amount, tc.shares, err)
			}
			wantNoRefund(t, s, r)
			same(t, "ledger", ledger(t, s.Stores, "o-1"), before)
		})
	}
}

// testConcurrentRefunds: refunds racing for one line, together worth far
// more than was paid, book exactly as many as fit and no more; every other
// one is refused with ErrOverRefund and stores nothing. DynamoDB may cancel
// a transaction that collides with one in flight (Transient): the caller
// retries it, as Step Functions does, until it is booked or refused.
func testConcurrentRefunds(t *testing.T, s RefundStores) {
	const paid, each, n = 9900, 700, 20 // 14 fit (9800), 6 do not
	o := storedOrder(t, s.Stores, paid)
	refunds := make([]*aftersales.Refund, n)
	for i := range refunds {
		refunds[i] = newRefund(fmt.Sprintf("as_%02d", i), 1, o, Epoch, map[string]int64{"l1": each})
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range refunds {
		wg.Go(func() {
			<-start
			for attempt := 0; attempt < 50; attempt++ {
				errs[i] = s.Refunds.BeginRefund(t.Context(), refunds[i])
				if aftersales.KindOf(errs[i]) != aftersales.KindTransient {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	booked := 0
	for i, err := range errs {
		switch {
		case err == nil:
			booked++
			getRefund(t, s, refunds[i].CaseID, refunds[i].OutRefundNo)
		case errors.Is(err, aftersales.ErrOverRefund):
			wantNoRefund(t, s, refunds[i])
		default:
			t.Errorf("refund %s: got %v (kind %v), want success or ErrOverRefund", refunds[i].OutRefundNo, err, aftersales.KindOf(err))
		}
	}
	refunded := ledger(t, s.Stores, "o-1")["l1"]
	if refunded > paid {
		t.Fatalf("the line's refunds are %d, more than the %d paid", refunded, paid)
	}
	if want := int64(booked * each); refunded != want {
		t.Errorf("the line's refunds are %d, but %d refunds of %d were booked", refunded, booked, each)
	}
	if booked != paid/each {
		t.Errorf("%d refunds booked, want %d: every refund that fits must be booked", booked, paid/each)
	}
}

// testConcurrentSnapshots: snapshots of one order delivered all at once in
// any order (the mall's retries racing its next events) leave the newest
// stored, and the ledger bounds refunds by the newest paid amounts: an
// older snapshot never wins a race. Each version pays less than the one
// before, so a line item written by any but the newest lets through a
// refund the newest forbids. Versions past 99 lines take more than one
// transaction: the race must hold across them. A Transient answer (a
// transaction collided) is retried, as the mall retries a 503.
func testConcurrentSnapshots(t *testing.T, s RefundStores) {
	for _, lines := range []int{2, 120} {
		t.Run(fmt.Sprintf("%d lines", lines), func(t *testing.T) {
			const n = 12
			orderID := fmt.Sprintf("o-%d", lines)
			snapshot := func(version int64) *aftersales.Order {
				ls := make([]aftersales.OrderLine, lines)
				for j := range ls {
					ls[j] = orderLine(fmt.Sprintf("l%d", j+1), aftersales.KindPhysical, 1, 1000*(n+1-version))
				}
				return versioned(newOrder(orderID, "buyer-1", ls...), version)
			}
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					for range 50 {
						errs[i] = s.Orders.PutOrder(t.Context(), snapshot(int64(i+1)))
						if aftersales.KindOf(errs[i]) != aftersales.KindTransient {
							return
						}
					}
				})
			}
			close(start)
			wg.Wait()

			for i, err := range errs {
				if err != nil && !errors.Is(err, aftersales.ErrOrderNotNewer) {
					t.Errorf("version %d: got %v (kind %v), want success or ErrOrderNotNewer", i+1, err, aftersales.KindOf(err))
				}
			}
			if errs[n-1] != nil {
				t.Errorf("the newest version was refused: %v", errs[n-1])
			}
			newest := snapshot(n)
			same(t, "stored order", getOrder(t, s.Stores, orderID), ledgered(newest))
			for _, l := range []string{"l1", fmt.Sprintf("l%d", lines)} {
				over := newRefund("as_over_"+orderID+l, 1, newest, Epoch, map[string]int64{l: 1001})
				wantErr(t, "a refund above the newest paid amount of "+l, s.Refunds.BeginRefund(t.Context(), over), aftersales.ErrOverRefund)
				begin(t, s, newRefund("as_fits_"+orderID+l, 1, newest, Epoch, map[string]int64{l: 1000}))
			}
		})
	}
}

// testRefundStatusGuard: a refund changes only if its status is still the
// one its writer read; a stale writer is refused and changes nothing.
func testRefundStatusGuard(t *testing.T, s RefundStores) {
	o := storedOrder(t, s.Stores, 9900)
	r := newRefund("as_1", 1, o, Epoch, map[string]int64{"l1": 3000})
	begin(t, s, r)
	stored := cloneRefund(r)
	booked := map[string]int64{"l1": 3000}

	steps := []struct {
		name string
		edit func(r *aftersales.Refund)
		prev aftersales.RefundStatus
		want *aftersales.Error // nil: stored
	}{
		{"the provider accepts it", func(r *aftersales.Refund) {
			r.Status, r.ProviderRefundID, r.UpdatedAt = aftersales.RefundProcessing, "5030001", Epoch.Add(time.Minute)
		}, aftersales.RefundRequested, nil},
		{"a stale writer that read it requested", func(r *aftersales.Refund) {
			r.Status, r.UpdatedAt = aftersales.RefundSucceeded, Epoch.Add(2*time.Minute)
		}, aftersales.RefundRequested, aftersales.ErrRefundChanged},
		{"a stale writer that thinks it closed", func(r *aftersales.Refund) {
			r.Status = aftersales.RefundProcessing
		}, aftersales.RefundSucceeded, aftersales.ErrRefundChanged},
		{"a status query that changes only the count", func(r *aftersales.Refund) {
			r.Queries++
			r.UpdatedAt = Epoch.Add(3 * time.Minute)
		}, aftersales.RefundProcessing, nil},
		{"the money arrives", func(r *aftersales.Refund) {
			r.Status, r.Account, r.ArrivedAt = aftersales.RefundSucceeded, "支付用户零钱", Epoch.Add(4*time.Minute)
		}, aftersales.RefundProcessing, nil},
		{"a late answer of the provider", func(r *aftersales.Refund) {
			r.Status = aftersales.RefundClosed
		}, aftersales.RefundProcessing, aftersales.ErrRefundChanged},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			next := cloneRefund(stored)
			st.edit(next)
			want := cloneRefund(next)
			err := s.Refunds.UpdateRefund(t.Context(), next, st.prev)
			if st.want != nil {
				wantErr(t, "update", err, st.want)
			} else {
				must(t, "update", err)
				stored = want
			}
			same(t, "stored refund", getRefund(t, s, "as_1", r.OutRefundNo), stored)
			same(t, "ledger", ledger(t, s.Stores, "o-1"), booked)
		})
	}

	t.Run("an unknown refund", func(t *testing.T) {
		unknown := newRefund("as_2", 1, o, Epoch, map[string]int64{"l1": 100})
		unknown.Status = aftersales.RefundClosed
		wantNotFound(t, "update", s.Refunds.UpdateRefund(t.Context(), unknown, aftersales.RefundRequested))
		wantNoRefund(t, s, unknown)
		same(t, "ledger", ledger(t, s.Stores, "o-1"), booked)
	})
}

// testClosedRefundGivesBack: a refund the provider closes gives its
// booking back to the ledger in the same write, once, so the money can be
// refunded again; one that succeeds or turns abnormal keeps it (the money
// left). Manual refunds (finance pays by hand) book and keep or give back
// the same way. Other refunds' bookings on the same lines stay, and a
// closed refund never comes back to life.
func testClosedRefundGivesBack(t *testing.T, s RefundStores) {
	tests := []struct {
		name     string
		begun    aftersales.RefundStatus // "": requested
		path     []aftersales.RefundStatus
		giveBack bool
	}{
		{"closed while requested", "", []aftersales.RefundStatus{aftersales.RefundClosed}, true},
		{"closed while processing", "", []aftersales.RefundStatus{aftersales.RefundProcessing, aftersales.RefundClosed}, true},
		{"succeeded", "", []aftersales.RefundStatus{aftersales.RefundProcessing, aftersales.RefundSucceeded}, false},
		{"abnormal", "", []aftersales.RefundStatus{aftersales.RefundProcessing, aftersales.RefundAbnormal}, false},
		{"manual, paid by hand", aftersales.RefundManual, []aftersales.RefundStatus{aftersales.RefundSucceeded}, false},
		{"manual, closed", aftersales.RefundManual, []aftersales.RefundStatus{aftersales.RefundClosed}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrder(fmt.Sprintf("o-%d", i), "buyer-1",
				orderLine("l1", aftersales.KindPhysical, 1, 9900),
				orderLine("l2", aftersales.KindPhysical, 1, 5000))
			putOrder(t, s.Stores, o)
			kept := newRefund(fmt.Sprintf("as_%d_kept", i), 1, o, Epoch, map[string]int64{"l1": 1000})
			begin(t, s, kept)
			r := newRefund(fmt.Sprintf("as_%d", i), 1, o, Epoch.Add(time.Minute), map[string]int64{"l1": 8900, "l2": 5000})
			if tc.begun != "" {
				r.Status = tc.begun
			}
			begin(t, s, r)
			full := map[string]int64{"l1": 9900, "l2": 5000}
			same(t, "ledger after both refunds", ledger(t, s.Stores, o.ID), full)

			prev := r.Status
			for j, next := range tc.path {
				r.Status, r.UpdatedAt = next, Epoch.Add(time.Duration(j+2)*time.Minute)
				must(t, fmt.Sprintf("update %s -> %s", prev, next), s.Refunds.UpdateRefund(t.Context(), r, prev))
				if !next.Final() {
					same(t, "ledger while "+string(next), ledger(t, s.Stores, o.ID), full)
				}
				prev = next
			}
			want := full
			if tc.giveBack {
				want = map[string]int64{"l1": 1000, "l2": 0}
			}
			same(t, "ledger after "+tc.name, ledger(t, s.Stores, o.ID), want)
			same(t, "stored refund", getRefund(t, s, r.CaseID, r.OutRefundNo), r)

			// The same final status again (a replayed notification) gives
			// nothing back twice; a stale writer is refused.
			must(t, "update to the same final status", s.Refunds.UpdateRefund(t.Context(), r, prev))
			same(t, "ledger after a repeated final update", ledger(t, s.Stores, o.ID), want)
			stale := cloneRefund(r)
			stale.Status = aftersales.RefundClosed
			stalePrev := aftersales.RefundRequested
			if len(tc.path) == 1 {
				stalePrev = aftersales.RefundProcessing
			}
			wantErr(t, "a stale close", s.Refunds.UpdateRefund(t.Context(), stale, stalePrev), aftersales.ErrRefundChanged)
			same(t, "ledger after a stale close", ledger(t, s.Stores, o.ID), want)

			if !tc.giveBack {
				retry := newRefund(r.CaseID, 2, o, Epoch.Add(time.Hour), map[string]int64{"l2": 1})
				wantErr(t, "a retry while the money is booked", s.Refunds.BeginRefund(t.Context(), retry), aftersales.ErrOverRefund)
				return
			}
			revived := cloneRefund(r)
			revived.Status = aftersales.RefundRequested
			err := s.Refunds.UpdateRefund(t.Context(), revived, aftersales.RefundClosed)
			if aftersales.KindOf(err) != aftersales.KindConflict {
				t.Fatalf("reopening a closed refund: got %v (kind %v), want KindConflict", err, aftersales.KindOf(err))
			}
			same(t, "stored refund after the refused reopening", getRefund(t, s, r.CaseID, r.OutRefundNo), r)
			same(t, "ledger after the refused reopening", ledger(t, s.Stores, o.ID), want)

			// Staff retry the refund under a new number: the money given
			// back can be refunded again, to the fen.
			retry := newRefund(r.CaseID, 2, o, Epoch.Add(time.Hour), map[string]int64{"l1": 8900, "l2": 5000})
			begin(t, s, retry)
			same(t, "ledger after the retry", ledger(t, s.Stores, o.ID), full)
		})
	}
}

// testCaseEndKeepsBooking: a case whose refund was booked ends (completed)
// without booking its refunded amount again, and releases its lines; the
// ledger still bounds later refunds exactly.
func testCaseEndKeepsBooking(t *testing.T, s RefundStores) {
	o := newOrder("o-1", "buyer-1",
		orderLine("l1", aftersales.KindProduce, 1, 9900),
		orderLine("l2", aftersales.KindProduce, 1, 5000))
	putOrder(t, s.Stores, o)
	c := submitted(t, "as_1", o, aftersales.Claim, "produce_spoiled", Epoch, "l1", "l2")
	create(t, s.Stores, c, nil)
	prev := c.Version
	apply(t, c, aftersales.ActApprove, "staff:s1", Epoch.Add(time.Hour))
	c.Approved, c.RefundSeq = 9000, 1
	update(t, s.Stores, c, prev)

	shares := map[string]int64{"l1": 6000, "l2": 3000}
	r := newRefund(c.ID, 1, o, Epoch.Add(2*time.Hour), shares)
	begin(t, s, r)
	r.Status = aftersales.RefundSucceeded
	must(t, "refund succeeded", s.Refunds.UpdateRefund(t.Context(), r, aftersales.RefundRequested))

	prev = c.Version
	c.Refunded = 9000
	apply(t, c, aftersales.ActRefundSucceeded, "provider:wechatpay", Epoch.Add(3*time.Hour))
	if c.Status != aftersales.StatusCompleted {
		t.Fatalf("test setup: case is %s, want completed", c.Status)
	}
	update(t, s.Stores, c, prev)

	same(t, "ledger after the case completed", ledger(t, s.Stores, "o-1"), shares)
	for _, line := range []string{"l1", "l2"} {
		if got := holder(t, s.Stores, "o-1", line); got != "" {
			t.Errorf("line %s still held by %q after the case ended", line, got)
		}
	}
	got := getCase(t, s.Stores, c.ID)
	if got.RefundSeq != 1 || got.Refunded != 9000 {
		t.Errorf("stored case: refund seq %d, refunded %d; want 1 and 9000", got.RefundSeq, got.Refunded)
	}

	next := newRefund("as_2", 1, o, Epoch.Add(4*time.Hour), map[string]int64{"l1": 3901})
	wantErr(t, "a refund past the rest of l1", s.Refunds.BeginRefund(t.Context(), next), aftersales.ErrOverRefund)
	next.Amount.Amount, next.Shares = 3900, map[string]int64{"l1": 3900}
	begin(t, s, next)
	same(t, "ledger", ledger(t, s.Stores, "o-1"), map[string]int64{"l1": 9900, "l2": 3000})
}

// ---- the ledger list ----

var phones = []string{"13800000001", "13800000002", "13800000003"}

// seedRefunds writes 24 refunds of 24 cases over four orders (orders 0 and
// 1 share a buyer phone), created minutes and nanoseconds apart — except
// numbers 11 and 12, created at the same instant, whose order the number
// decides — in several statuses. The cases are stored too, so that case
// and refund items share the table and its indexes. It returns the refunds
// as stored.
func seedRefunds(t *testing.T, s RefundStores) []*aftersales.Refund {
	t.Helper()
	orders := make([]*aftersales.Order, 4)
	for k := range orders {
		var lines []aftersales.OrderLine
		for j := range 6 {
			lines = append(lines, orderLine(fmt.Sprintf("l%d", j), aftersales.KindPhysical, 1, 100000))
		}
		orders[k] = newOrder(fmt.Sprintf("o-%d", k), fmt.Sprintf("buyer-%d", k), lines...)
		orders[k].BuyerPhone = phones[max(k-1, 0)] // o-0 and o-1 share phones[0]
		putOrder(t, s.Stores, orders[k])
	}
	statuses := []aftersales.RefundStatus{aftersales.RefundRequested, aftersales.RefundProcessing, aftersales.RefundSucceeded, aftersales.RefundClosed}
	var out []*aftersales.Refund
	for i := range 24 {
		o := orders[i%4]
		line := fmt.Sprintf("l%d", i/4)
		at := Epoch.Add(time.Duration(i)*5*time.Minute + time.Duration(i%3))
		if i == 12 {
			at = out[11].CreatedAt
		}
		id := fmt.Sprintf("as_%02d", i)
		c := submitted(t, id, o, aftersales.RefundOnly, "wrong_item", at, line)
		create(t, s.Stores, c, nil)
		r := newRefund(id, 1, o, at, map[string]int64{line: int64(1000 + i)})
		begin(t, s, r)
		if st := statuses[i%len(statuses)]; st != aftersales.RefundRequested {
			r.Status, r.UpdatedAt = st, at.Add(time.Minute)
			must(t, "update refund", s.Refunds.UpdateRefund(t.Context(), r, aftersales.RefundRequested))
		}
		out = append(out, r)
	}
	return out
}

// expectRefunds is the reference answer to q over the seeded refunds.
func expectRefunds(seeded []*aftersales.Refund, q aftersales.RefundQuery) []string {
	return reference(seeded, q.Matches, aftersales.RefundListPosition, func(r *aftersales.Refund) string { return r.OutRefundNo })
}

// collectRefunds reads every page of q, checking the shape of each page.
func collectRefunds(t *testing.T, s RefundStores, q aftersales.RefundQuery) []aftersales.Refund {
	t.Helper()
	return collectPages(t, q.Limit, q.Cursor, func(cursor string) ([]aftersales.Refund, string, error) {
		q.Cursor = cursor
		page, err := s.Refunds.ListRefunds(t.Context(), q)
		return page.Items, page.NextCursor, err
	})
}

// testListRefunds: the ledger by date range (across every shard), by order
// and by phone, alone and combined, read in pages of several sizes, gives
// exactly the reference sequence — newest first, no duplicate, no gap —
// of whole refunds, and never a case.
func testListRefunds(t *testing.T, s RefundStores) {
	seeded := seedRefunds(t, s)
	byNo := map[string]*aftersales.Refund{}
	for _, r := range seeded {
		byNo[r.OutRefundNo] = r
	}
	from, to := seeded[5].CreatedAt, seeded[11].CreatedAt // number 12 shares to's instant: both excluded
	queries := []struct {
		name  string
		q     aftersales.RefundQuery
		every bool // page with every limit from 1 to past the end
	}{
		{"everything", aftersales.RefundQuery{}, true},
		{"from", aftersales.RefundQuery{From: from}, false},
		{"to", aftersales.RefundQuery{To: to}, false},
		{"from and to", aftersales.RefundQuery{From: from, To: to}, true},
		{"a range with nothing in it", aftersales.RefundQuery{From: Epoch.Add(-time.Hour), To: Epoch}, false},
		{"reversed range", aftersales.RefundQuery{From: to, To: from}, false},
		{"order", aftersales.RefundQuery{OrderID: "o-1"}, true},
		{"order and range", aftersales.RefundQuery{OrderID: "o-2", From: from, To: seeded[20].CreatedAt}, false},
		{"order nobody refunded", aftersales.RefundQuery{OrderID: "o-9"}, false},
		{"phone of two orders", aftersales.RefundQuery{Phone: phones[0]}, true},
		{"phone and range", aftersales.RefundQuery{Phone: phones[0], From: from, To: to}, false},
		{"phone of one order", aftersales.RefundQuery{Phone: phones[2]}, false},
		{"phone nobody has", aftersales.RefundQuery{Phone: "13900000000"}, false},
		{"order and its phone", aftersales.RefundQuery{OrderID: "o-1", Phone: phones[0]}, false},
		{"order and another order's phone", aftersales.RefundQuery{OrderID: "o-1", Phone: phones[1]}, false},
	}
	for _, qc := range queries {
		want := expectRefunds(seeded, qc.q)
		for _, limit := range pageLimits(qc.every, len(want)) {
			t.Run(fmt.Sprintf("%s limit %d", qc.name, limit), func(t *testing.T) {
				q := qc.q
				q.Limit = limit
				got := collectRefunds(t, s, q)
				nos := make([]string, len(got))
				for i, r := range got {
					nos[i] = r.OutRefundNo
					same(t, "listed refund", &got[i], byNo[r.OutRefundNo])
				}
				sameIDs(t, "refunds", nos, want)
			})
		}
	}
	// The data set must make the filters bite, or the test proves nothing.
	for _, qc := range []aftersales.RefundQuery{{From: from, To: to}, {OrderID: "o-1"}, {Phone: phones[0]}, {OrderID: "o-2", From: from, To: seeded[20].CreatedAt}} {
		if n, all := len(expectRefunds(seeded, qc)), len(seeded); n < 2 || n == all {
			t.Errorf("query %+v matches %d of %d seeded refunds; the data set should make it bite", qc, n, all)
		}
	}
	if got := len(expectRefunds(seeded, aftersales.RefundQuery{Phone: phones[0]})); got != len(expectRefunds(seeded, aftersales.RefundQuery{OrderID: "o-0"}))*2 {
		t.Errorf("the shared phone matches %d refunds; the data set gives it two orders' worth", got)
	}

	t.Run("cases stay out of the ledger and refunds out of case lists", func(t *testing.T) {
		page, err := s.Cases.ListCases(t.Context(), aftersales.CaseQuery{Limit: aftersales.MaxPageSize})
		must(t, "list cases", err)
		if len(page.Items) != len(seeded) {
			t.Fatalf("case list has %d items, want the %d cases", len(page.Items), len(seeded))
		}
		for _, c := range page.Items {
			if c.ID == "" || c.Status != aftersales.StatusSubmitted {
				t.Fatalf("case list shows something that is not a case: %+v", c)
			}
		}
	})

	t.Run("the cursor survives a change of the last refund", func(t *testing.T) {
		q := aftersales.RefundQuery{Limit: 3}
		want := expectRefunds(seeded, q)
		page, err := s.Refunds.ListRefunds(t.Context(), q)
		must(t, "first page", err)
		nos := []string{page.Items[0].OutRefundNo, page.Items[1].OutRefundNo, page.Items[2].OutRefundNo}
		sameIDs(t, "first page", nos, want[:3])
		last := getRefund(t, s, byNo[want[2]].CaseID, want[2])
		if !last.Status.Open() {
			t.Fatalf("test setup: refund %s is %s, want an open one", last.OutRefundNo, last.Status)
		}
		prev := last.Status
		last.Status, last.Queries = aftersales.RefundSucceeded, last.Queries+1
		must(t, "update the last refund", s.Refunds.UpdateRefund(t.Context(), last, prev))
		q.Cursor, q.Limit = page.NextCursor, 4
		rest := collectRefunds(t, s, q)
		restNos := make([]string, len(rest))
		for i, r := range rest {
			restNos[i] = r.OutRefundNo
		}
		sameIDs(t, "the pages after", restNos, want[3:])
	})
}

// testListRefundsEdges: an empty ledger lists nothing and no cursor; a
// cursor the store did not make is a client error naming the cursor field.
func testListRefundsEdges(t *testing.T, s RefundStores) {
	for _, q := range []aftersales.RefundQuery{{}, {OrderID: "o-1"}, {Phone: phones[0]}, {From: Epoch, To: Epoch.Add(time.Hour)}} {
		page, err := s.Refunds.ListRefunds(t.Context(), q)
		must(t, "list", err)
		if len(page.Items) != 0 || page.NextCursor != "" {
			t.Fatalf("empty ledger, query %+v: got %d items and cursor %q", q, len(page.Items), page.NextCursor)
		}
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for name, cursor := range map[string]string{
		"not base64":                     "%%%",
		"not JSON":                       b64([]byte("hello")),
		"a position that is no list key": b64([]byte(`{"after":"as_01-1"}`)),
	} {
		for _, q := range []aftersales.RefundQuery{{Cursor: cursor}, {OrderID: "o-1", Cursor: cursor}, {Phone: phones[0], Cursor: cursor}} {
			t.Run(name, func(t *testing.T) {
				_, err := s.Refunds.ListRefunds(t.Context(), q)
				if aftersales.KindOf(err) != aftersales.KindInvalid {
					t.Fatalf("got %v (kind %v), want KindInvalid", err, aftersales.KindOf(err))
				}
				if !slices.ContainsFunc(aftersales.FieldsOf(err), func(f aftersales.FieldError) bool { return f.Field == "cursor" }) {
					t.Fatalf("fields %v do not name the cursor", aftersales.FieldsOf(err))
				}
			})
		}
	}
}

// testNotifications: a notification is recorded once per provider and id
// (separators in either do not make two receipts one), seen while its
// receipt lives, and may be recorded again once the receipt has expired,
// even though an expired receipt may still be stored.
func testNotifications(t *testing.T, s RefundStores) {
	expiry := Epoch.Add(aftersales.NotificationTTL)
	steps := []struct {
		name     string
		at       time.Time // where the clock stands; the receipt's time too
		provider string
		id       string
		seen     bool // before recording
		recorded bool
	}{
		{"a first notification", Epoch, "wechatpay", "n1", false, true},
		{"its replay", Epoch.Add(time.Minute), "wechatpay", "n1", true, false},
		{"the same id from another provider", Epoch.Add(time.Minute), "alipay", "n1", false, true},
		{"another id from the same provider", Epoch.Add(time.Minute), "wechatpay", "n2", false, true},
		{"a provider with a separator", Epoch.Add(time.Minute), "a#b", "c", false, true},
		{"an id with a separator", Epoch.Add(time.Minute), "a", "b#c", false, true},
		{"a replay a nanosecond before expiry", expiry.Add(-1), "wechatpay", "n1", true, false},
		{"a replay at expiry", expiry, "wechatpay", "n1", false, true},
		{"a replay of the new receipt", expiry.Add(time.Hour), "wechatpay", "n1", true, false},
		{"the other provider's receipt, expired", expiry.Add(time.Hour), "alipay", "n1", false, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			s.Clock.Set(st.at)
			seen, err := s.Notifications.NotificationSeen(t.Context(), st.provider, st.id)
			must(t, "seen", err)
			if seen != st.seen {
				t.Errorf("seen before recording: %v, want %v", seen, st.seen)
			}
			got, err := s.Notifications.RecordNotification(t.Context(), st.provider, st.id, st.at)
			must(t, "record", err)
			if got != st.recorded {
				t.Errorf("recorded: %v, want %v", got, st.recorded)
			}
			seen, err = s.Notifications.NotificationSeen(t.Context(), st.provider, st.id)
			must(t, "seen", err)
			if !seen {
				t.Error("not seen after recording")
			}
		})
	}
}

// testFeesBookedUpToPaid (F17): an order's fees have ledger entries of
// their own (aftersales.FeeShippingID, FeeTariffID): a refund books on
// them beside the goods, they read back in the order's FeeLedger, and the
// database refuses a refund past what was paid for a fee as for a line.
func testFeesBookedUpToPaid(t *testing.T, s RefundStores) {
	o := newOrder("o-1", "buyer-1", orderLine("l1", aftersales.KindCrossBorder, 1, 27000))
	o.Fees = aftersales.Fees{Shipping: 2000, Tariff: 3000}
	o.Payment.Amount = 32000
	putOrder(t, s.Stores, o)

	over := newRefund("as_fee0", 1, o, Epoch, map[string]int64{"l1": 27000, aftersales.FeeTariffID: 3001})
	if err := s.Refunds.BeginRefund(t.Context(), over); !errors.Is(err, aftersales.ErrOverRefund) {
		t.Fatalf("a tariff refund past the tariff paid: %v, want ErrOverRefund", err)
	}
	wantNoRefund(t, s, over)
	all := map[string]int64{"l1": 27000, aftersales.FeeShippingID: 2000, aftersales.FeeTariffID: 3000}
	begin(t, s, newRefund("as_fee1", 1, o, Epoch, all))
	got := getOrder(t, s.Stores, "o-1")
	fees := map[string]int64{}
	for _, f := range got.FeeLedger {
		fees[f.LineID] = f.Refunded
	}
	if want := map[string]int64{aftersales.FeeShippingID: 2000, aftersales.FeeTariffID: 3000}; !maps.Equal(fees, want) || got.Lines[0].Refunded != 27000 {
		t.Errorf("ledger after the refund: fees %v, line %d; want %v, 27000", fees, got.Lines[0].Refunded, want)
	}
	again := newRefund("as_fee2", 1, o, Epoch, map[string]int64{aftersales.FeeShippingID: 1})
	if err := s.Refunds.BeginRefund(t.Context(), again); !errors.Is(err, aftersales.ErrOverRefund) {
		t.Errorf("one fen more of shipping: %v, want ErrOverRefund", err)
	}
}

// testCaseOpensAccount: a case change may open a ledger account of the
// case's own (the return postage the merchant reimburses, F29), written
// with the case in one write. Refunds then book on it up to its paid
// amount and no further: the database refuses a second reimbursement. A
// change that opens it again sets its amount while nothing is booked on
// it (a new waybill); once something is, a retry with the same amount
// changes nothing on it, one with another amount is refused, and the case
// change with it.
func testCaseOpensAccount(t *testing.T, s RefundStores) {
	o := storedOrder(t, s.Stores, 9900)
	c := submitted(t, "as_post1", o, aftersales.ReturnRefund, "quality_issue", Epoch, "l1")
	create(t, s.Stores, c, nil)
	id := aftersales.ReturnPostageID(c.ID)
	account := aftersales.OrderLine{LineID: id, SKU: id, Kind: aftersales.KindCompensation, Quantity: 1, UnitPrice: 1200, PaidAmount: 1200}

	// Before the change opens it, the account takes nothing.
	wantErr(t, "refund on an account not opened", s.Refunds.BeginRefund(t.Context(),
		newRefund(c.ID, 9, o, Epoch, map[string]int64{id: 1})), aftersales.ErrOverRefund)

	prev := c.Version
	apply(t, c, aftersales.ActSendToReview, "system:workflow", Epoch.Add(time.Minute))
	c.Opened = []aftersales.OrderLine{account}
	update(t, s.Stores, c, prev)
	if got := getCase(t, s.Stores, c.ID); len(got.Opened) != 0 {
		t.Errorf("a loaded case carries the accounts it opened: %+v", got.Opened)
	}

	// A new waybill (the first was never collected) sets another amount
	// while nothing is booked on the account.
	reopen := func(paid int64, at time.Duration) {
		t.Helper()
		prev := c.Version
		apply(t, c, aftersales.ActAttachEvidence, "buyer:buyer-1", Epoch.Add(at))
		a := account
		a.UnitPrice, a.PaidAmount = paid, paid
		c.Opened = []aftersales.OrderLine{a}
		update(t, s.Stores, c, prev)
	}
	reopen(800, 90*time.Second)
	wantErr(t, "a booking past the new amount", s.Refunds.BeginRefund(t.Context(),
		newRefund(c.ID, 8, o, Epoch.Add(100*time.Second), map[string]int64{id: 801})), aftersales.ErrOverRefund)
	reopen(1200, 110*time.Second)

	// A retry of the change (the same amount) keeps what was booked.
	begin(t, s, newRefund(c.ID, 1, o, Epoch.Add(2*time.Minute), map[string]int64{id: 700}))
	prev = c.Version
	apply(t, c, aftersales.ActAttachEvidence, "buyer:buyer-1", Epoch.Add(3*time.Minute))
	c.Opened = []aftersales.OrderLine{account}
	update(t, s.Stores, c, prev)

	// Up to the reimbursement, and not a fen further.
	wantErr(t, "a booking past the reimbursement", s.Refunds.BeginRefund(t.Context(),
		newRefund(c.ID, 2, o, Epoch.Add(4*time.Minute), map[string]int64{id: 501})), aftersales.ErrOverRefund)
	begin(t, s, newRefund(c.ID, 3, o, Epoch.Add(5*time.Minute), map[string]int64{id: 500}))
	wantErr(t, "a second reimbursement", s.Refunds.BeginRefund(t.Context(),
		newRefund(c.ID, 4, o, Epoch.Add(6*time.Minute), map[string]int64{id: 1})), aftersales.ErrOverRefund)

	// Another amount for the same account is a conflict: nothing written.
	prev = c.Version
	apply(t, c, aftersales.ActAttachEvidence, "buyer:buyer-1", Epoch.Add(7*time.Minute))
	c.Opened = []aftersales.OrderLine{{LineID: id, SKU: id, Kind: aftersales.KindCompensation, Quantity: 1, UnitPrice: 5000, PaidAmount: 5000}}
	err := s.Cases.UpdateCase(t.Context(), c, prev)
	if aftersales.KindOf(err) != aftersales.KindConflict {
		t.Fatalf("reopening the account with another amount: got %v, want a conflict", err)
	}
	if got := getCase(t, s.Stores, c.ID); got.Version != prev {
		t.Errorf("the refused change was written: version %d, want %d", got.Version, prev)
	}
	wantErr(t, "a booking after the refused reopening", s.Refunds.BeginRefund(t.Context(),
		newRefund(c.ID, 5, o, Epoch.Add(8*time.Minute), map[string]int64{id: 1})), aftersales.ErrOverRefund)
	// The goods' line is untouched by all of it.
	same(t, "goods ledger", ledger(t, s.Stores, o.ID), map[string]int64{"l1": 0})
}
