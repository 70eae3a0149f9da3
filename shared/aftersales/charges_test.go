package aftersales

import (
	"strings"
	"testing"
)

func TestChargesFor(t *testing.T) {
	fees := func(rs *RuleSet) {
		rs.Fees.Restocking = []RestockingFee{
			{Categories: []string{"phones"}, Percent: 10},
			{Categories: []string{"apparel"}, Fixed: 500},
		}
	}
	tests := []struct {
		name       string
		tier       string
		typ        CaseType
		reason     string
		category   string
		edit       func(*RuleSet)
		payer      Payer
		cap        int64
		free       bool
		restocking int64
	}{
		{"no-reason return of apparel: buyer pays, fixed fee", "gold", ReturnRefund, "no_reason_7_days", "apparel", fees, PayerBuyer, 0, false, 500},
		{"no-reason return of a phone: 10% of 99.00", "gold", ReturnRefund, "no_reason_7_days", "phones", fees, PayerBuyer, 0, false, 990},
		{"no-reason return of another category: no fee", "gold", ReturnRefund, "no_reason_7_days", "shoes", fees, PayerBuyer, 0, false, 0},
		{"quality return: merchant pays up to the cap, no fee", "gold", ReturnRefund, "quality_issue", "phones", fees, PayerMerchant, DefaultReturnPostageCap, false, 0},
		{"size return: buyer pays, not a restocking reason", "gold", ReturnRefund, "size_not_fit", "apparel", fees, PayerBuyer, 0, false, 0},
		{"platinum quality return: free, uncapped", "platinum", ReturnRefund, "quality_issue", "apparel", fees, PayerMerchant, 0, true, 0},
		{"platinum no-reason return: the perk is for quality faults", "platinum", ReturnRefund, "no_reason_7_days", "apparel", fees, PayerBuyer, 0, false, 500},
		{"perk for all returns", "vip", ReturnRefund, "no_reason_7_days", "apparel",
			func(rs *RuleSet) { fees(rs); rs.Perks["vip"] = Perk{FreeReturnShipping: FreeShippingAll} }, PayerMerchant, 0, true, 500},
		{"defective exchange: merchant pays", "gold", Exchange, "defective", "apparel", fees, PayerMerchant, DefaultReturnPostageCap, false, 0},
		{"fixed fee above the line: capped at the amount", "gold", ReturnRefund, "no_reason_7_days", "apparel",
			func(rs *RuleSet) { rs.Fees.Restocking = []RestockingFee{{Fixed: MaxAmount}} }, PayerBuyer, 0, false, 9900},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := DefaultRuleSet()
			tc.edit(rs)
			if err := rs.Validate(); err != nil {
				t.Fatalf("the test's rule set is invalid: %v", err)
			}
			o := ruleOrder()
			o.MemberTier = tc.tier
			c := ruleCase(tc.typ, tc.reason, "l1")
			c.Lines[0].Category = tc.category
			if tc.typ == Exchange {
				c.Requested = 0
			}
			ch := ChargesFor(rs, c, o)
			if ch == nil {
				t.Fatal("no charges for a return")
			}
			if ch.ReturnShippingPaidBy != tc.payer || ch.ReturnPostageCap != tc.cap || ch.FreeReturnShipping != tc.free {
				t.Errorf("shipping = %s cap %d free %v, want %s cap %d free %v", ch.ReturnShippingPaidBy, ch.ReturnPostageCap, ch.FreeReturnShipping, tc.payer, tc.cap, tc.free)
			}
			if tc.typ == Exchange {
				tc.restocking = 0 // an exchange refunds nothing to deduct from
			}
			if ch.RestockingFee != tc.restocking {
				t.Errorf("restocking fee = %d (%s), want %d", ch.RestockingFee, ch.RestockingNote, tc.restocking)
			}
		})
	}
	if ch := ChargesFor(DefaultRuleSet(), ruleCase(RefundOnly, "wrong_item", "l1"), ruleOrder()); ch != nil {
		t.Errorf("a refund-only case got charges %+v", ch)
	}
}

func TestDeductCharges(t *testing.T) {
	tests := []struct {
		name     string
		fee      int64
		approved int64
		refunded int64
		deducted int64
		want     int64 // approved after
		changed  bool
	}{
		{"fee taken once", 500, 9900, 0, 0, 9400, true},
		{"already deducted", 500, 9400, 0, 500, 9400, false},
		{"no fee", 0, 9900, 0, 0, 9900, false},
		{"fee above the approved amount takes it all, never more", 5000, 3000, 0, 0, 0, true},
		{"a second refund (a dispute's) pays no fee again", 500, 9900, 9400, 0, 9900, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ruleCase(ReturnRefund, "no_reason_7_days", "l1")
			c.Status, c.Approved, c.Refunded = StatusRefunding, tc.approved, tc.refunded
			c.Charges = &Charges{ReturnShippingPaidBy: PayerBuyer, RestockingFee: tc.fee, RestockingNote: "x", Deducted: tc.deducted}
			changed, err := c.DeductCharges(ruleNow)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed || c.Approved != tc.want {
				t.Errorf("changed %v approved %d, want %v %d", changed, c.Approved, tc.changed, tc.want)
			}
			if changed {
				last := c.Timeline[len(c.Timeline)-1]
				if last.Action != ActChargeFees || !strings.Contains(last.Note, "restocking fee") || last.Actor != ActorRules {
					t.Errorf("timeline line %+v", last)
				}
				if c.Approved+c.Charges.Deducted != tc.approved {
					t.Errorf("deducted %d + approved %d != %d", c.Charges.Deducted, c.Approved, tc.approved)
				}
			}
		})
	}
}

func TestFeeSettingsValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*RuleSet)
		field string // "" valid
	}{
		{"defaults", func(*RuleSet) {}, ""},
		{"percent and fixed", func(rs *RuleSet) { rs.Fees.Restocking = []RestockingFee{{Percent: 5, Fixed: 5}} }, "fees.restocking[0]"},
		{"neither", func(rs *RuleSet) { rs.Fees.Restocking = []RestockingFee{{Categories: []string{"x"}}} }, "fees.restocking[0]"},
		{"percent above 100", func(rs *RuleSet) { rs.Fees.Restocking = []RestockingFee{{Percent: 101}} }, "fees.restocking[0].percent"},
		{"negative fixed", func(rs *RuleSet) { rs.Fees.Restocking = []RestockingFee{{Fixed: -1}} }, "fees.restocking[0].fixed"},
		{"negative cap", func(rs *RuleSet) { rs.Fees.ReturnPostageCap = -1 }, "fees.return_postage_cap"},
		{"restocking reason of an exchange", func(rs *RuleSet) { rs.Fees.RestockingReasons = []string{"size_exchange"} }, "fees.restocking_reasons[0]"},
		{"merchant pays for an exchange reason", func(rs *RuleSet) { rs.Fees.MerchantPaysReturnFor = []string{"defective"} }, ""},
		{"unknown reason", func(rs *RuleSet) { rs.Fees.MerchantPaysReturnFor = []string{"bored"} }, "fees.merchant_pays_return_for[0]"},
		{"unknown free shipping", func(rs *RuleSet) { rs.Perks["gold"] = Perk{FreeReturnShipping: "some"} }, "perks.gold.free_return_shipping"},
		{"negative points", func(rs *RuleSet) { rs.Perks["gold"] = Perk{MissedPromisePoints: -1} }, "perks.gold.missed_promise_points"},
		{"refund rate above 100", func(rs *RuleSet) { rs.Rules[0].When = Condition{RefundRateAtLeast: rulePtr(101)} }, "rules[0].when.refund_rate_at_least"},
		{"refund rate period alone", func(rs *RuleSet) { rs.Rules[0].When = Condition{RefundRateDays: rulePtr(30)} }, "rules[0].when.refund_rate_days"},
		{"unknown perk", func(rs *RuleSet) { rs.Rules[0].When = Condition{Perks: []string{"cake"}} }, "rules[0].when.perks[0]"},
		{"unknown payer", func(rs *RuleSet) { rs.Rules[0].When = Condition{ReturnShippingPaidBy: rulePtr(Payer("courier"))} }, "rules[0].when.return_shipping_paid_by"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := DefaultRuleSet()
			tc.edit(rs)
			err := rs.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid set refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %v does not name %s", err, tc.field)
			}
		})
	}
}
