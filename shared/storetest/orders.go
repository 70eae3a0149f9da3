package storetest

import (
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// testOrderRoundTrip: a snapshot reads back field for field, its lines with
// an empty ledger whatever ledger the snapshot claimed (the ledger is ours,
// not the mall's), and an unknown order is not found.
func testOrderRoundTrip(t *testing.T, s Stores) {
	o := newOrder("o-1", "buyer-1",
		orderLine("l1", aftersales.KindPhysical, 2, 19800),
		orderLine("l2", aftersales.KindAppliance, 1, 259900))
	o.Lines[1].Bundle = "phone+insurance"
	// A presale order's payments read back too, with the compensation's
	// ledger entry (F19).
	o.Presale = &aftersales.Presale{
		Deposit:       aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "4200-d", Amount: 50000},
		DepositPaidAt: Epoch.Add(-96*time.Hour + 987654321),
		Balance:       aftersales.Payment{Channel: aftersales.ChannelAlipay, TransactionID: "2026-b", Amount: 228700},
		BalancePaidAt: Epoch.Add(-72 * time.Hour),
	}
	// So does the parcel carrying the goods out (F30).
	o.Outbound = &aftersales.Shipment{Courier: "zhongtong", TrackingNumber: "ZT75310000001"}
	in := *o
	in.Lines = append([]aftersales.OrderLine(nil), o.Lines...)
	in.Lines[0].Refunded, in.Lines[0].ActiveCaseID = 500, "as_forged"
	putOrder(t, s, &in)

	same(t, "order", getOrder(t, s, "o-1"), ledgered(o))

	_, err := s.Orders.GetOrder(t.Context(), "o-unknown")
	wantNotFound(t, "get unknown order", err)
}

// testOrderRePutKeepsLedger: a new snapshot updates the mall's fields and
// adds new lines but never releases or forges a hold, including on a line a
// snapshot left out and a later one brought back.
func testOrderRePutKeepsLedger(t *testing.T, s Stores) {
	o := storedOrder(t, s, 9900, 5000)
	c1 := submitted(t, "as_1", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
	c2 := submitted(t, "as_2", o, aftersales.RefundOnly, "wrong_item", Epoch, "l2")
	create(t, s, c1, nil)
	create(t, s, c2, nil)

	steps := []struct {
		name  string
		lines []aftersales.OrderLine
		want  map[string]string // line -> holder
	}{
		{"snapshot changes a held line and adds one", []aftersales.OrderLine{
			{LineID: "l1", SKU: "SKU-l1b", Name: "renamed", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 8900, PaidAmount: 8900, ActiveCaseID: "", Refunded: 77},
			orderLine("l2", aftersales.KindPhysical, 1, 5000),
			orderLine("l3", aftersales.KindVirtual, 1, 1000),
		}, map[string]string{"l1": "as_1", "l2": "as_2", "l3": ""}},
		{"snapshot leaves a held line out", []aftersales.OrderLine{
			orderLine("l1", aftersales.KindPhysical, 1, 8900),
		}, map[string]string{"l1": "as_1"}},
		{"snapshot brings it back", []aftersales.OrderLine{
			orderLine("l1", aftersales.KindPhysical, 1, 8900),
			{LineID: "l2", SKU: "SKU-l2", Name: "back", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 5000, PaidAmount: 5000, ActiveCaseID: "as_forged"},
		}, map[string]string{"l1": "as_1", "l2": "as_2"}},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			next := versioned(newOrder("o-1", "buyer-1", st.lines...), int64(i+2))
			next.Status = aftersales.OrderCompleted
			putOrder(t, s, next)
			got := getOrder(t, s, "o-1")
			want := versioned(newOrder("o-1", "buyer-1", st.lines...), int64(i+2))
			want.Status = aftersales.OrderCompleted
			want.Lines = append([]aftersales.OrderLine(nil), st.lines...)
			for i := range want.Lines {
				want.Lines[i].Refunded = 0
				want.Lines[i].ActiveCaseID = st.want[want.Lines[i].LineID]
			}
			same(t, "order after re-put", got, ledgered(want))
		})
	}
}

// testOrderNotNewerRefused: a snapshot is stored only if it supersedes the
// stored one, a higher version from another event. A replay, an older or an
// equal version, or a higher one reusing the stored event's id is
// ErrOrderNotNewer and changes nothing; the next newer one is stored. The
// issue-13 scenario is the second step: the paid snapshot sent again after
// shipped must not make the order unshipped.
func testOrderNotNewerRefused(t *testing.T, s Stores) {
	at := func(version int64, status aftersales.OrderStatus, paid int64) *aftersales.Order {
		o := versioned(newOrder("o-1", "buyer-1", orderLine("l1", aftersales.KindPhysical, 1, paid)), version)
		o.Status = status
		if status == aftersales.OrderPaid {
			o.ShippedAt, o.DeliveredAt = time.Time{}, time.Time{}
		}
		return o
	}
	stored := at(2, aftersales.OrderShipped, 9900)
	putOrder(t, s, stored)

	reused := at(3, aftersales.OrderPaid, 100)
	reused.EventID = stored.EventID
	sameVersion := at(2, aftersales.OrderPaid, 100)
	sameVersion.EventID = "ev-other"
	steps := []struct {
		name   string
		offer  *aftersales.Order
		stored bool
	}{
		{"a replay of the stored event", at(2, aftersales.OrderShipped, 9900), false},
		{"the paid snapshot re-sent after shipped", at(1, aftersales.OrderPaid, 100), false},
		{"the same version from another event", sameVersion, false},
		{"a higher version reusing the stored event id", reused, false},
		{"a newer version", at(3, aftersales.OrderDelivered, 9000), true},
		{"the shipped snapshot, late", at(2, aftersales.OrderShipped, 9900), false},
		{"a version far ahead", at(1<<53-1, aftersales.OrderCompleted, 9000), true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := s.Orders.PutOrder(t.Context(), st.offer)
			if st.stored {
				must(t, "put a newer snapshot", err)
				stored = st.offer
			} else {
				wantErr(t, "put a snapshot not newer", err, aftersales.ErrOrderNotNewer)
			}
			same(t, "stored order", getOrder(t, s, "o-1"), ledgered(stored))
		})
	}
}

// testOrderWithoutVersionSuperseded: a snapshot stored before the mall sent
// versions (version 0, no event id) is replaced by the first versioned one,
// never by another unversioned one.
func testOrderWithoutVersionSuperseded(t *testing.T, s Stores) {
	legacy := newOrder("o-1", "buyer-1", orderLine("l1", aftersales.KindPhysical, 1, 9900))
	legacy.Version, legacy.EventID = 0, ""
	putOrder(t, s, legacy)
	same(t, "legacy order", getOrder(t, s, "o-1"), ledgered(legacy))

	again := newOrder("o-1", "buyer-1", orderLine("l1", aftersales.KindPhysical, 1, 100))
	again.Version, again.EventID = 0, ""
	wantErr(t, "another unversioned snapshot", s.Orders.PutOrder(t.Context(), again), aftersales.ErrOrderNotNewer)

	first := newOrder("o-1", "buyer-1", orderLine("l1", aftersales.KindPhysical, 1, 9000))
	first.Status = aftersales.OrderCompleted
	putOrder(t, s, first)
	same(t, "first versioned order", getOrder(t, s, "o-1"), ledgered(first))
}
