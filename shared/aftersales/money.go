package aftersales

import (
	"fmt"
	"math/bits"
)

// Money is an amount in minor units (fen for CNY) with its ISO 4217 currency.
// Amounts are never floating point; providers that speak in major units
// (Alipay's yuan strings) convert in their adapters only.
type Money struct {
	Amount   int64
	Currency string
}

// CNY is the currency of the stores this product was first built for.
const CNY = "CNY"

// MaxAmount bounds every amount the system takes in, in minor units:
// 10^12 (10,000,000,000.00 CNY), a hundred times Alipay's largest single
// payment (100,000,000.00 yuan). Amounts within it add up without overflow
// (int64 holds nine million of them), and shares of them are computed in
// 128 bits (Share), so no arithmetic on money can wrap around.
const MaxAmount int64 = 1_000_000_000_000

// String renders the amount for logs, e.g. "99.00 CNY" (assumes two minor digits).
func (m Money) String() string {
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, m.Currency)
}

// Share returns the part/whole share of total, rounded down. The product
// total×part is taken in 128 bits, so no input can overflow it, and the
// result lies between 0 and total: nothing when total, part or whole is
// not positive, total when part is the whole or more.
func Share(total, part, whole int64) int64 {
	if total <= 0 || part <= 0 || whole <= 0 {
		return 0
	}
	if part >= whole {
		return total
	}
	hi, lo := bits.Mul64(uint64(total), uint64(part))
	// hi < whole because total×part < total×whole < 2^63×whole, so Div64
	// cannot overflow, and the quotient is below total.
	q, _ := bits.Div64(hi, lo, uint64(whole))
	return int64(q)
}

// ProRata returns the share of total owed for part of whole units, rounding
// down so that the parts of one line never add up to more than the line; the
// last units of a line take the remainder because a refund of all units is
// the whole amount.
func ProRata(total int64, part, whole int) int64 {
	return Share(total, int64(part), int64(whole))
}
