package alipay_test

import (
	"math"
	"testing"

	"github.com/aftersales/aftersales/shared/alipay"
)

func TestFormatYuan(t *testing.T) {
	tests := []struct {
		name string
		fen  int64
		want string
	}{
		{"zero", 0, "0.00"},
		{"one fen", 1, "0.01"},
		{"ten fen", 10, "0.10"},
		{"one yuan", 100, "1.00"},
		{"yuan and fen", 1234, "12.34"},
		{"large", 10000000000, "100000000.00"},
		{"negative", -150, "-1.50"},
		{"max int64", math.MaxInt64, "92233720368547758.07"},
		{"min int64", math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alipay.FormatYuan(tt.fen); got != tt.want {
				t.Fatalf("FormatYuan(%d) = %q, want %q", tt.fen, got, tt.want)
			}
		})
	}
}

func TestParseYuan(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{"two decimals", "12.34", 1234, false},
		{"one decimal", "12.3", 1230, false},
		{"no decimals", "12", 1200, false},
		{"one fen", "0.01", 1, false},
		{"zero", "0.00", 0, false},
		{"leading zeros", "007.50", 750, false},
		{"trailing zeros beyond fen", "12.3400", 1234, false},
		{"max int64", "92233720368547758.07", math.MaxInt64, false},
		{"float trap", "0.29", 29, false}, // 0.29*100 is 28.999... in floating point
		{"float trap 2", "1.15", 115, false},
		{"fraction of a fen", "12.345", 0, true},
		{"overflow by a fen", "92233720368547758.08", 0, true},
		{"overflow", "100000000000000000000", 0, true},
		{"empty", "", 0, true},
		{"dot only", ".", 0, true},
		{"no whole part", ".5", 0, true},
		{"no fraction digits", "5.", 0, true},
		{"negative", "-1.00", 0, true},
		{"plus", "+1.00", 0, true},
		{"exponent", "1e2", 0, true},
		{"space", " 1.00", 0, true},
		{"comma", "1,000.00", 0, true},
		{"two dots", "1.0.0", 0, true},
		{"full-width digits", "１.００", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := alipay.ParseYuan(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseYuan(%q) = %d, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseYuan(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestYuanRoundTrip checks that every amount formatted parses back to itself,
// over the cent boundaries and a spread of magnitudes.
func TestYuanRoundTrip(t *testing.T) {
	for _, fen := range []int64{0, 1, 9, 10, 99, 100, 101, 12345, 99999999, 10000000000, math.MaxInt64} {
		s := alipay.FormatYuan(fen)
		got, err := alipay.ParseYuan(s)
		if err != nil || got != fen {
			t.Errorf("ParseYuan(FormatYuan(%d)=%q) = %d, %v", fen, s, got, err)
		}
	}
}
