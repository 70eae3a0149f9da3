package aftersales

import "fmt"

// Money is an amount in minor units (fen for CNY) with its ISO 4217 currency.
// Amounts are never floating point; providers that speak in major units
// (Alipay's yuan strings) convert in their adapters only.
type Money struct {
	Amount   int64
	Currency string
}

// CNY is the currency of the stores this product was first built for.
const CNY = "CNY"

// String renders the amount for logs, e.g. "99.00 CNY" (assumes two minor digits).
func (m Money) String() string {
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, m.Currency)
}

// ProRata returns the share of total owed for part of whole units, rounding
// down so that the parts of one line never add up to more than the line; the
// last units of a line take the remainder because a refund of all units is
// the whole amount.
func ProRata(total int64, part, whole int) int64 {
	if whole <= 0 || part <= 0 {
		return 0
	}
	if part >= whole {
		return total
	}
	return total * int64(part) / int64(whole)
}
