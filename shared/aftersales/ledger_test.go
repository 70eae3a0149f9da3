package aftersales

import (
	"math/rand/v2"
	"testing"
)

// ledgerOrder is a paid order of two lines, one discounted, with shipping
// and tariff: 19800 + 9000 goods (2000 off the first), 1000 shipping, 300
// tariff.
func ledgerOrder() *Order {
	return &Order{ID: "o-9", Version: 1, EventID: "e-1", BuyerID: "b", Status: OrderDelivered, Currency: CNY,
		Payment: Payment{Channel: ChannelWeChatPay, TransactionID: "t", Amount: 30100},
		Lines: []OrderLine{
			{LineID: "l1", Kind: KindCrossBorder, Quantity: 2, UnitPrice: 10900, PaidAmount: 19800, Discount: 2000},
			{LineID: "l2", Kind: KindCrossBorder, Quantity: 1, UnitPrice: 9000, PaidAmount: 9000},
		},
		Fees: Fees{Shipping: 1000, Tariff: 300}}
}

func TestAllocation(t *testing.T) {
	o := ledgerOrder()
	if err := o.Validate(); err != nil {
		t.Fatalf("the test's order is invalid: %v", err)
	}
	got := o.Allocation()
	want := []LineMoney{
		// 1000 × 19800/28800 = 687.5 → 687; the last line takes 313.
		{LineID: "l1", List: 21800, Discount: 2000, Paid: 19800, Shipping: 687, Tariff: 206},
		{LineID: "l2", List: 9000, Paid: 9000, Shipping: 313, Tariff: 94},
	}
	if len(got) != len(want) {
		t.Fatalf("allocation %+v", got)
	}
	var total int64
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
		total += got[i].Total()
	}
	if total != o.Payment.Amount {
		t.Errorf("lines and their fee shares add up to %d, paid %d", total, o.Payment.Amount)
	}
}

func TestFeeAccounts(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(*Order)
		account  string
		quantity int
		want     int64 // FeeShare of l1
	}{
		{"one of two units bears half the line's shipping share", func(*Order) {}, FeeShippingID, 1, 343},
		{"both units bear it all", func(*Order) {}, FeeShippingID, 2, 687},
		{"tariff share", func(*Order) {}, FeeTariffID, 2, 206},
		{"capped by what is left of the fee", func(o *Order) { o.FeeLedger = o.FeeLines(); o.FeeLedger[0].Refunded = 900 }, FeeShippingID, 2, 100},
		{"a held fee account has nothing for another case", func(o *Order) { o.FeeLedger = o.FeeLines(); o.FeeLedger[1].ActiveCaseID = "as_1" }, FeeTariffID, 2, 0},
		{"an order without the fee has no account", func(o *Order) { o.Fees.Tariff = 0 }, FeeTariffID, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ledgerOrder()
			tc.edit(o)
			l, _ := o.Line("l1")
			if got := o.FeeShare(tc.account, l, tc.quantity); got != tc.want {
				t.Errorf("FeeShare = %d, want %d", got, tc.want)
			}
		})
	}
	o := ledgerOrder()
	if got := len(o.Accounts()); got != 4 {
		t.Errorf("ledger lines %d, want 2 lines and 2 fee accounts", got)
	}
	if a, ok := o.Account(FeeShippingID); !ok || a.PaidAmount != 1000 || a.Kind != KindFee {
		t.Errorf("Account(%s) = %+v %v", FeeShippingID, a, ok)
	}
	o.FeeLedger = o.FeeLines()
	o.FeeLedger[0].Refunded = 900
	if acc := o.Accounts(); acc[2].LineID != FeeShippingID || acc[2].Refunded != 900 {
		t.Errorf("Accounts() reads the fee's ledger: %+v", acc[2])
	}
}

// TestAllocationAddsUp draws random orders: the lines' shares of each fee
// always add up to the fee exactly, none is negative, and lines with their
// shares never add up to more than was paid.
func TestAllocationAddsUp(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 29))
	for i := range 2000 {
		o := &Order{Fees: Fees{Shipping: r.Int64N(100000), Tariff: r.Int64N(100000)}}
		n := 1 + r.IntN(8)
		var paid int64
		for j := range n {
			p := r.Int64N(1000000)
			if r.IntN(5) == 0 {
				p = 0
			}
			o.Lines = append(o.Lines, OrderLine{LineID: string(rune('a' + j)), Quantity: 1 + r.IntN(5), PaidAmount: p})
			paid += p
		}
		var ship, tariff, total int64
		for _, m := range o.Allocation() {
			if m.Shipping < 0 || m.Tariff < 0 {
				t.Fatalf("order %d: negative share %+v", i, m)
			}
			ship, tariff, total = ship+m.Shipping, tariff+m.Tariff, total+m.Total()
		}
		if ship != o.Fees.Shipping || tariff != o.Fees.Tariff || total != paid+o.Fees.Shipping+o.Fees.Tariff {
			t.Fatalf("order %d: shares %d %d of fees %+v, total %d of %d", i, ship, tariff, o.Fees, total, paid+o.Fees.Shipping+o.Fees.Tariff)
		}
	}
}
