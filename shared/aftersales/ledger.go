package aftersales

import "strings"

// The order ledger (issue 17) has one account per order line and one per
// order fee: what was paid into it, and what was refunded or is being
// refunded out of it. Every refund, whatever opened it (a buyer's case, a
// dispute's settlement, a goodwill refund, a customs failure), books its
// shares on these accounts, and the store refuses a booking that would
// take an account past what was paid into it (RefundStore.BeginRefund), so
// the refunds of an order never add up to more than was paid for it.
//
// A fee account is kept like a line: an item of the order's ledger with
// the id FeeShipping or FeeTariff, written from the snapshot's fees. Its id
// cannot clash with the mall's line ids: snapshots may not use the "fee:"
// prefix (Order.Validate).
const (
	FeeShipping = "fee:shipping" // the order's shipping fee
	FeeTariff   = "fee:tariff"   // the order's import tariff (cross-border)

	feePrefix = "fee:"
)

// KindFee is the kind of a fee account when it stands as a line (a case
// line refunding part of a fee). The mall never sends it.
const KindFee LineKind = "fee"

// IsFeeAccount reports whether id names a fee account rather than a line.
func IsFeeAccount(id string) bool { return strings.HasPrefix(id, feePrefix) }

// FeeLedger is our ledger of one fee account: the stores fill it from the
// account's item; the mall's snapshot never sets it.
type FeeLedger struct {
	Refunded     int64
	ActiveCaseID string
}

// FeeLines are the order's fee accounts with something paid into them, as
// lines of quantity 1 (kind KindFee) carrying their ledgers: what stores
// write beside the lines, and what a case refunding a fee names.
func (o *Order) FeeLines() []OrderLine {
	var out []OrderLine
	for _, f := range []struct {
		id, name string
		paid     int64
	}{{FeeShipping, "Shipping fee", o.Fees.Shipping}, {FeeTariff, "Import tariff", o.Fees.Tariff}} {
		if f.paid <= 0 {
			continue
		}
		led := o.FeeLedgers[f.id]
		out = append(out, OrderLine{LineID: f.id, SKU: f.id, Name: f.name, Kind: KindFee, Quantity: 1, UnitPrice: f.paid,
			PaidAmount: f.paid, Refunded: led.Refunded, ActiveCaseID: led.ActiveCaseID})
	}
	return out
}

// LedgerLines are every account of the order's ledger: its lines, then its
// fee accounts.
func (o *Order) LedgerLines() []OrderLine {
	return append(append(make([]OrderLine, 0, len(o.Lines)+2), o.Lines...), o.FeeLines()...)
}

// Account returns a line or a fee account of the order by id (a copy for
// a fee account: change the ledger through FeeLedgers).
func (o *Order) Account(id string) (*OrderLine, bool) {
	if !IsFeeAccount(id) {
		return o.Line(id)
	}
	for _, f := range o.FeeLines() {
		if f.LineID == id {
			return &f, true
		}
	}
	return nil, false
}

// LineMoney is what one line's buyer paid, taken apart: the list price of
// its units, the part of the order's discounts the mall allocated to it,
// what was paid for it (list price less discount), and its share of the
// order's shipping fee and tariff.
type LineMoney struct {
	LineID   string
	List     int64 // quantity × unit price
	Discount int64 // the snapshot's allocation of the order's discounts
	Paid     int64 // PaidAmount
	Shipping int64 // share of Fees.Shipping
	Tariff   int64 // share of Fees.Tariff
}

// Total is everything the buyer paid for the line: the line and its share
// of the fees.
func (m LineMoney) Total() int64 { return m.Paid + m.Shipping + m.Tariff }

// Allocation takes the order's payment apart by line (issue 17): the
// discounts as the snapshot allocated them, and the fees in proportion to
// the lines' paid amounts, rounded down with the last line taking the
// remainder, so that the lines' shares add up to each fee exactly. An
// order whose lines paid nothing shares its fees equally by line.
func (o *Order) Allocation() []LineMoney {
	out := make([]LineMoney, len(o.Lines))
	var paid int64
	for i, l := range o.Lines {
		out[i] = LineMoney{LineID: l.LineID, List: l.UnitPrice * int64(l.Quantity), Discount: l.Discount, Paid: l.PaidAmount}
		paid += max(l.PaidAmount, 0)
	}
	spread := func(fee int64, set func(*LineMoney, int64)) {
		left := fee
		for i := range out {
			share := left
			if i < len(out)-1 {
				if paid > 0 {
					share = Share(fee, out[i].Paid, paid)
				} else {
					share = fee / int64(len(out))
				}
			}
			set(&out[i], share)
			left -= share
		}
	}
	if len(out) > 0 {
		spread(o.Fees.Shipping, func(m *LineMoney, x int64) { m.Shipping = x })
		spread(o.Fees.Tariff, func(m *LineMoney, x int64) { m.Tariff = x })
	}
	return out
}

// FeeShare is the share of fee account id (FeeShipping or FeeTariff) that
// quantity units of line l bear (Allocation, pro rata to the units),
// capped by what is left in the account: what a case refunding the line's
// share of the fee may claim.
func (o *Order) FeeShare(id string, l *OrderLine, quantity int) int64 {
	acct, ok := o.Account(id)
	if !ok || acct.ActiveCaseID != "" {
		return 0
	}
	for _, m := range o.Allocation() {
		if m.LineID != l.LineID {
			continue
		}
		share := m.Shipping
		if id == FeeTariff {
			share = m.Tariff
		}
		return min(ProRata(share, quantity, l.Quantity), max(acct.PaidAmount-acct.Refunded, 0))
	}
	return 0
}
