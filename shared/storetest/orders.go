package storetest

import (
	"testing"

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
	in := *o
	in.Lines = append([]aftersales.OrderLine(nil), o.Lines...)
	in.Lines[0].Refunded, in.Lines[0].ActiveCaseID = 500, "as_forged"
	putOrder(t, s, &in)

	same(t, "order", getOrder(t, s, "o-1"), o)

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
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			next := newOrder("o-1", "buyer-1", st.lines...)
			next.Status = aftersales.OrderCompleted
			putOrder(t, s, next)
			got := getOrder(t, s, "o-1")
			want := newOrder("o-1", "buyer-1", st.lines...)
			want.Status = aftersales.OrderCompleted
			want.Lines = append([]aftersales.OrderLine(nil), st.lines...)
			for i := range want.Lines {
				want.Lines[i].Refunded = 0
				want.Lines[i].ActiveCaseID = st.want[want.Lines[i].LineID]
			}
			same(t, "order after re-put", got, want)
		})
	}
}
