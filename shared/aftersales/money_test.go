package aftersales

import (
	"math"
	"slices"
	"testing"
)

// TestShareCannotOverflow: a share of a large amount is computed exactly,
// however large the product of amount and part (a 128-bit intermediate).
func TestShareCannotOverflow(t *testing.T) {
	tests := []struct {
		name               string
		total, part, whole int64
		want               int64
	}{
		{"a small share", 10000, 1, 3, 3333},
		{"the whole", 10000, 7, 7, 10000},
		{"more than the whole is the whole", 10000, 8, 7, 10000},
		{"no part", 10000, 0, 7, 0},
		{"no whole", 10000, 1, 0, 0},
		{"negative total", -10000, 1, 2, 0},
		{"the largest amount by the largest weight", MaxAmount, MaxClaimWeight - 1, MaxClaimWeight, MaxAmount - MaxAmount/MaxClaimWeight},
		{"int64 limits", math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64, math.MaxInt64 - 1},
		{"a product of 10^19", 10000, 1e15, 1e15 + 1, 9999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Share(tt.total, tt.part, tt.whole); got != tt.want {
				t.Errorf("Share(%d, %d, %d) = %d, want %d", tt.total, tt.part, tt.whole, got, tt.want)
			}
		})
	}
}

// TestClaimAmount: a claim's amount from its details is exact for any
// valid input, and details that are out of bounds, or that would give a
// claim worth nothing, are refused naming the field.
func TestClaimAmount(t *testing.T) {
	two := []CaseLine{{LineID: "l1", Quantity: 2}}
	tests := []struct {
		name       string
		cd         ClaimDetails
		lines      []CaseLine
		refundable int64
		want       int64
		fields     []string
	}{
		{"a fifth by weight", ClaimDetails{SpoiledWeight: 500, TotalWeight: 2500}, two, 20000, 4000, nil},
		{"one of two units", ClaimDetails{SpoiledQuantity: 1}, two, 20000, 10000, nil},
		{"all by weight", ClaimDetails{SpoiledWeight: 2500, TotalWeight: 2500}, two, 20000, 20000, nil},
		// The attack of issue 13: 10000 * 10^15 wrapped to -8446 and was approved.
		{"weights of 10^15", ClaimDetails{SpoiledWeight: 1e15, TotalWeight: 1e15}, two, 10000, 0, []string{"claim.total_weight", "claim.spoiled_weight"}},
		{"spoiled above the bound", ClaimDetails{SpoiledWeight: MaxClaimWeight + 1, TotalWeight: MaxClaimWeight}, two, 10000, 0, []string{"claim.spoiled_weight"}},
		{"the largest amount by the largest weights", ClaimDetails{SpoiledWeight: MaxClaimWeight - 1, TotalWeight: MaxClaimWeight}, two, MaxAmount,
			MaxAmount - MaxAmount/MaxClaimWeight, nil},
		{"a share worth nothing by weight", ClaimDetails{SpoiledWeight: 1, TotalWeight: 1_000_000}, two, 20000, 0, []string{"claim.spoiled_weight"}},
		{"a share worth nothing by quantity", ClaimDetails{SpoiledQuantity: 1}, []CaseLine{{LineID: "l1", Quantity: 3}}, 2, 0, []string{"claim.spoiled_quantity"}},
		{"negative weights", ClaimDetails{SpoiledWeight: -5, TotalWeight: -1}, two, 10000, 0, []string{"claim.total_weight", "claim.spoiled_weight"}},
		{"negative quantity", ClaimDetails{SpoiledQuantity: -1}, two, 10000, 0, []string{"claim.spoiled_quantity"}},
		{"a weight without a total", ClaimDetails{SpoiledWeight: 500}, two, 20000, 0, []string{"claim.total_weight"}},
		{"more spoiled than delivered", ClaimDetails{SpoiledWeight: 501, TotalWeight: 500}, two, 20000, 0, []string{"claim.spoiled_weight"}},
		{"both measures", ClaimDetails{SpoiledQuantity: 1, SpoiledWeight: 1, TotalWeight: 2}, two, 20000, 0, []string{"claim"}},
		{"nothing said", ClaimDetails{}, two, 20000, 0, []string{"claim"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Validation
			got, note := ClaimAmount(&tt.cd, tt.lines, tt.refundable, &v)
			if fields := fieldNames(v.Err("test")); !slices.Equal(fields, tt.fields) {
				t.Fatalf("fields = %v, want %v (amount %d)", fields, tt.fields, got)
			}
			if got != tt.want || (tt.fields == nil) != (note != "") {
				t.Errorf("amount %d (note %q), want %d", got, note, tt.want)
			}
		})
	}
}
