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
// A fee account is kept like a line: an entry of the order's ledger with
// the id FeeShippingID or FeeTariffID, written from the snapshot's fees.
// Its id cannot clash with the mall's line ids: snapshots may not use the
// "fee:" prefix (Order.Validate). The names are those of the cross-border
// work of issue 17 (F17), which books customs refunds on the same
// accounts; a presale order's late-shipment compensation
// (PresaleCompensationID) is an account of the same kind. The ids and
// FeeLines are in autorefund.go.
// IsFeeAccount reports whether id names a fee account rather than a line.
func IsFeeAccount(id string) bool { return strings.HasPrefix(id, feePrefix) }

// Accounts are every account of the order's ledger with what was refunded
// of it and its hold: the lines, then the fees (see Account).
func (o *Order) Accounts() []OrderLine {
	out := append([]OrderLine(nil), o.Lines...)
	for _, f := range o.FeeLines() {
		a, _ := o.Account(f.LineID)
		out = append(out, *a)
	}
	return out
}

// Account returns a line or a fee account of the order by id, with its
// ledger; a fee the snapshot has but the ledger read did not fill (an
// order built in memory) is returned with nothing refunded.
func (o *Order) Account(id string) (*OrderLine, bool) {
	if !IsFeeAccount(id) {
		return o.Line(id)
	}
	if l, ok := o.Fee(id); ok {
		return l, true
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

// FeeShare is the share of fee account id (FeeShippingID or FeeTariffID) that
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
		if id == FeeTariffID {
			share = m.Tariff
		}
		return min(ProRata(share, quantity, l.Quantity), max(acct.PaidAmount-acct.Refunded, 0))
	}
	return 0
}
