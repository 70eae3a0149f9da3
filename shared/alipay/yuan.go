package alipay

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FormatYuan renders an amount in fen as the yuan string Alipay expects,
// always with two decimals: 1234 is "12.34", 5 is "0.05", -150 is "-1.50".
// It is exact for every int64.
func FormatYuan(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign = "-"
		u = -u // two's complement: exact even for math.MinInt64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// ParseYuan reads an amount Alipay wrote in yuan ("12.34", "12.3", "12")
// and returns it in fen. It accepts digits with an optional decimal point
// followed by at least one digit; digits beyond the second decimal must be
// zeros ("12.340" is 1234 fen, "12.345" is an error, never rounded). Signs,
// exponents, spaces and amounts beyond int64 fen are errors.
func ParseYuan(s string) (int64, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if !digits(whole) || (dot && !digits(frac)) {
		return 0, fmt.Errorf("alipay: %q is not a yuan amount", s)
	}
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, fmt.Errorf("alipay: %q has fractions of a fen", s)
		}
		frac = frac[:2]
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // two digits: cannot fail
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || y > (math.MaxInt64-f)/100 {
		return 0, fmt.Errorf("alipay: %q is too large", s)
	}
	return y*100 + f, nil
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
