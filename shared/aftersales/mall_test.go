package aftersales

import (
	"slices"
	"testing"
	"time"
)

// TestMallSettingsValidate: each mistake in the mall settings is refused,
// named by its JSON path; the defaults pass.
func TestMallSettingsValidate(t *testing.T) {
	three, minus := 3, int64(-1)
	tests := []struct {
		name   string
		change func(m *MallSettings)
		want   string // "" for valid
	}{
		{"the defaults", func(*MallSettings) {}, ""},
		{"a coupon without a code", func(m *MallSettings) { m.Coupons = []CouponRule{{ID: "a"}} }, "mall.coupons[0].coupon"},
		{"a coupon of negative value", func(m *MallSettings) { m.Coupons = []CouponRule{{ID: "a", Coupon: "X", Amount: -5}} }, "mall.coupons[0].amount"},
		{"two coupons of one id", func(m *MallSettings) {
			m.Coupons = []CouponRule{{ID: "a", Coupon: "X"}, {ID: "a", Coupon: "Y"}}
		}, "mall.coupons[1].id"},
		{"a coupon on refund history", func(m *MallSettings) {
			m.Coupons = []CouponRule{{ID: "a", Coupon: "X", When: Condition{RefundsAtMost: &three}}}
		}, "mall.coupons[0].when"},
		{"a coupon condition that is wrong", func(m *MallSettings) {
			m.Coupons = []CouponRule{{ID: "a", Coupon: "X", When: Condition{CaseTypes: []CaseType{"gift"}}}}
		}, "mall.coupons[0].when.case_types[0]"},
		{"an empty list of follow-up tiers", func(m *MallSettings) { m.FollowUp.MemberTiers = []string{} }, "mall.follow_up.member_tiers"},
		{"a negative follow-up amount", func(m *MallSettings) { m.FollowUp.OrderAmountAbove = &minus }, "mall.follow_up.order_amount_above"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := DefaultRuleSet()
			tc.change(&rs.Mall)
			var fields []string
			for _, f := range FieldsOf(rs.Validate()) {
				fields = append(fields, f.Field)
			}
			switch {
			case tc.want == "" && len(fields) != 0:
				t.Errorf("fields %v, want none", fields)
			case tc.want != "" && !slices.Contains(fields, tc.want):
				t.Errorf("fields %v, want %s", fields, tc.want)
			}
		})
	}
}

// TestHighValueAndCoupons: who is high-value, and which coupon rule holds.
func TestHighValueAndCoupons(t *testing.T) {
	m := DefaultMallSettings()
	buyers := []struct {
		name string
		o    *Order
		want bool
	}{
		{"a diamond member", &Order{MemberTier: "diamond", Payment: Payment{Amount: 100}}, true},
		{"a large order", &Order{MemberTier: "gold", Payment: Payment{Amount: 100001}}, true},
		{"exactly the threshold", &Order{MemberTier: "gold", Payment: Payment{Amount: 100000}}, false},
		{"an unknown order", nil, false},
	}
	for _, tc := range buyers {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.FollowUp.HighValue(tc.o); got != tc.want {
				t.Errorf("high value %v, want %v", got, tc.want)
			}
		})
	}
	m.Coupons = []CouponRule{
		{ID: "exchanges", Coupon: "EX", When: Condition{CaseTypes: []CaseType{Exchange}}},
		{ID: "any", Coupon: "ANY"},
	}
	c := &Case{Type: ReturnRefund}
	if r, ok := m.CouponFor(DecisionInput{Case: c, Now: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)}); !ok || r.ID != "any" {
		t.Errorf("coupon %+v %v, want the first rule that holds (any)", r, ok)
	}
	if _, ok := m.CouponFor(DecisionInput{}); ok {
		t.Error("a coupon without a case")
	}
}
