package aftersales

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var ruleNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// ruleOrder is a shipped order of a gold member: a T-shirt, an unused coupon
// and a box of strawberries, paid 5 days ago and shipped 3 days ago.
func ruleOrder() *Order {
	return &Order{
		ID: "o-1", BuyerID: "buyer-1", Status: OrderShipped, Currency: CNY, MemberTier: "gold",
		PaidAt: ruleNow.Add(-5 * day), ShippedAt: ruleNow.Add(-3 * day),
		Payment: Payment{Channel: ChannelWeChatPay, Amount: 18900},
		Lines: []OrderLine{
			{LineID: "l1", SKU: "TSHIRT-M", Kind: KindPhysical, Category: "apparel", Quantity: 1, UnitPrice: 9900, PaidAmount: 9900},
			{LineID: "v1", SKU: "COUPON-30", Kind: KindVirtual, Category: "coupons", Quantity: 1, UnitPrice: 3000, PaidAmount: 3000},
			{LineID: "p1", SKU: "STRAWBERRY-5J", Kind: KindProduce, Category: "fruit", Quantity: 1, UnitPrice: 6000, PaidAmount: 6000},
		},
	}
}

// ruleCase is a case of type t on the given lines of ruleOrder, requesting
// their whole amount, with one uploaded photo.
func ruleCase(t CaseType, reason string, lineIDs ...string) *Case {
	o := ruleOrder()
	c := &Case{ID: "as-1", OrderID: o.ID, BuyerID: o.BuyerID, Type: t, Reason: reason, Currency: CNY,
		Status: StatusSubmitted, Evidence: []Evidence{{ID: "ev-1", ContentType: "image/jpeg", Size: 1000, Status: "uploaded"}}}
	for _, id := range lineIDs {
		l, _ := o.Line(id)
		c.Lines = append(c.Lines, CaseLine{LineID: l.LineID, SKU: l.SKU, Kind: l.Kind, Category: l.Category, Quantity: l.Quantity, Amount: l.PaidAmount})
		c.Requested += l.PaidAmount
	}
	if t == Exchange {
		c.Requested = 0
	}
	return c
}

// recognizedInput is the default input whose one photo was recognised.
func recognizedInput(damage bool, labels ...string) DecisionInput {
	c := ruleCase(ReturnRefund, "size_not_fit", "l1")
	c.Evidence[0].Status, c.Evidence[0].Labels, c.Evidence[0].Damage = EvidenceVerified, labels, damage
	return ruleInput(c, ruleOrder())
}

// withEvidence replaces the case's evidence with files of the statuses.
func withEvidence(c *Case, statuses ...string) *Case {
	c.Evidence = nil
	for i, st := range statuses {
		c.Evidence = append(c.Evidence, Evidence{ID: fmt.Sprintf("ev-%d", i+1), ContentType: "image/jpeg", Size: 1000, Status: st})
	}
	return c
}

func ruleInput(c *Case, o *Order) DecisionInput {
	return DecisionInput{Case: c, Order: o, RefundsLast90Days: 2, Now: ruleNow}
}

// oneRule is a valid rule set whose rule "r" approves when w holds and whose
// catch-all sends everything else to a reviewer.
func oneRule(w Condition) *RuleSet {
	rs := &RuleSet{Version: 3, AdminApprovalAbove: 1 << 40, Deadlines: DefaultDeadlines(), Rules: []Rule{
		{ID: "r", When: w, Then: Outcome{Decision: OutcomeApprove}},
		{ID: "default", Then: Outcome{Decision: OutcomeManual, Level: RoleReviewer}},
	}, Fees: DefaultFeeSettings(), Perks: DefaultPerks(), Evidence: DefaultEvidenceSettings()}
	return rs
}

var conditionCases = []struct {
	name  string
	when  Condition
	input func() DecisionInput // nil: a size return of the T-shirt
	holds bool
}{
	{"case type listed", Condition{CaseTypes: []CaseType{RefundOnly, ReturnRefund}}, nil, true},
	{"case type not listed", Condition{CaseTypes: []CaseType{Claim}}, nil, false},

	{"order status listed", Condition{OrderStatuses: []OrderStatus{OrderShipped}}, nil, true},
	{"order status not listed", Condition{OrderStatuses: []OrderStatus{OrderPaid}}, nil, false},
	{"order status of an unknown order", Condition{OrderStatuses: []OrderStatus{OrderShipped}},
		func() DecisionInput { return ruleInput(ruleCase(ReturnRefund, "size_not_fit", "l1"), nil) }, false},

	{"paid more than 4 days ago (5 days)", Condition{PaidMoreThanDays: rulePtr(4)}, nil, true},
	{"paid more than 5 days ago (exactly 5 days)", Condition{PaidMoreThanDays: rulePtr(5)}, nil, false},
	{"paid within 5 days (exactly 5 days)", Condition{PaidWithinDays: rulePtr(5)}, nil, true},
	{"paid within 4 days (5 days)", Condition{PaidWithinDays: rulePtr(4)}, nil, false},

	{"shipped more than 2 days ago (3 days)", Condition{ShippedMoreThanDays: rulePtr(2)}, nil, true},
	{"shipped more than 3 days ago (exactly 3 days)", Condition{ShippedMoreThanDays: rulePtr(3)}, nil, false},
	{"shipped within 3 days (exactly 3 days)", Condition{ShippedWithinDays: rulePtr(3)}, nil, true},
	{"shipped within 2 days (3 days)", Condition{ShippedWithinDays: rulePtr(2)}, nil, false},
	{"shipped more than 0 days: not for an unshipped order", Condition{ShippedMoreThanDays: rulePtr(0)},
		func() DecisionInput { return unshippedInput() }, false},
	{"shipped within 100 days: not for an unshipped order", Condition{ShippedWithinDays: rulePtr(100)},
		func() DecisionInput { return unshippedInput() }, false},
	{"shipped 2 to 7 days ago (3 days)", Condition{ShippedMoreThanDays: rulePtr(2), ShippedWithinDays: rulePtr(7)}, nil, true},

	{"delivered within 1 day (23 hours)", Condition{DeliveredWithinDays: rulePtr(1)},
		func() DecisionInput { return deliveredInput(23 * time.Hour) }, true},
	{"delivered within 1 day (25 hours)", Condition{DeliveredWithinDays: rulePtr(1)},
		func() DecisionInput { return deliveredInput(25 * time.Hour) }, false},
	{"delivered more than 1 day ago (25 hours)", Condition{DeliveredMoreThanDays: rulePtr(1)},
		func() DecisionInput { return deliveredInput(25 * time.Hour) }, true},
	{"delivered more than 1 day ago (23 hours)", Condition{DeliveredMoreThanDays: rulePtr(1)},
		func() DecisionInput { return deliveredInput(23 * time.Hour) }, false},
	{"delivered within 30 days: not before delivery", Condition{DeliveredWithinDays: rulePtr(30)}, nil, false},

	{"some line of a listed kind", Condition{LineKinds: []LineKind{KindVirtual}},
		func() DecisionInput { return ruleInput(ruleCase(RefundOnly, "wrong_item", "l1", "v1"), ruleOrder()) }, true},
	{"no line of a listed kind", Condition{LineKinds: []LineKind{KindProduce, KindAppliance}}, nil, false},
	{"every line of the listed kinds", Condition{OnlyLineKinds: []LineKind{KindPhysical, KindVirtual}},
		func() DecisionInput { return ruleInput(ruleCase(RefundOnly, "wrong_item", "l1", "v1"), ruleOrder()) }, true},
	{"one line of another kind", Condition{OnlyLineKinds: []LineKind{KindVirtual}},
		func() DecisionInput { return ruleInput(ruleCase(RefundOnly, "wrong_item", "l1", "v1"), ruleOrder()) }, false},
	{"every line: not for a case without lines", Condition{OnlyLineKinds: []LineKind{KindPhysical}},
		func() DecisionInput { return ruleInput(&Case{Type: ReturnRefund}, ruleOrder()) }, false},

	{"some line in a listed category", Condition{Categories: []string{"shoes", "apparel"}}, nil, true},
	{"no line in a listed category", Condition{Categories: []string{"Apparel"}}, nil, false},

	{"amount above 9899 (9900)", Condition{AmountAbove: rulePtr[int64](9899)}, nil, true},
	{"amount above 9900 (9900): exclusive", Condition{AmountAbove: rulePtr[int64](9900)}, nil, false},
	{"amount at most 9900 (9900): inclusive", Condition{AmountAtMost: rulePtr[int64](9900)}, nil, true},
	{"amount at most 9899 (9900)", Condition{AmountAtMost: rulePtr[int64](9899)}, nil, false},
	{"partial amount: the requested amount counts", Condition{AmountAtMost: rulePtr[int64](5000)},
		func() DecisionInput {
			c := ruleCase(ReturnRefund, "size_not_fit", "l1")
			c.Requested = 4000
			return ruleInput(c, ruleOrder())
		}, true},
	{"exchange: its lines' worth counts", Condition{AmountAbove: rulePtr[int64](5000)},
		func() DecisionInput { return ruleInput(ruleCase(Exchange, "size_exchange", "l1"), ruleOrder()) }, true},

	{"member tier listed", Condition{MemberTiers: []string{"gold", "diamond"}}, nil, true},
	{"member tier not listed", Condition{MemberTiers: []string{"diamond"}}, nil, false},
	{"member tier differs in case", Condition{MemberTiers: []string{"Gold"}}, nil, false},
	{"member tier of an unknown order", Condition{MemberTiers: []string{"gold"}},
		func() DecisionInput { return ruleInput(ruleCase(ReturnRefund, "size_not_fit", "l1"), nil) }, false},

	{"at least 2 refunds (2)", Condition{RefundsAtLeast: rulePtr(2)}, nil, true},
	{"at least 3 refunds (2)", Condition{RefundsAtLeast: rulePtr(3)}, nil, false},
	{"at most 2 refunds (2)", Condition{RefundsAtMost: rulePtr(2)}, nil, true},
	{"at most 1 refund (2)", Condition{RefundsAtMost: rulePtr(1)}, nil, false},

	{"has evidence (an uploaded photo)", Condition{HasEvidence: rulePtr(true)}, nil, true},
	{"has no evidence (an uploaded photo)", Condition{HasEvidence: rulePtr(false)}, nil, false},
	{"has evidence (only an invalid photo)", Condition{HasEvidence: rulePtr(true)},
		func() DecisionInput { return evidenceInput("invalid") }, false},
	{"has no evidence (only an invalid photo)", Condition{HasEvidence: rulePtr(false)},
		func() DecisionInput { return evidenceInput("invalid") }, true},
	{"has no evidence (none)", Condition{HasEvidence: rulePtr(false)},
		func() DecisionInput { return evidenceInput() }, true},
	{"has no evidence (only a reused photo)", Condition{HasEvidence: rulePtr(false)},
		func() DecisionInput { return evidenceInput("reused") }, true},

	{"evidence verified (a verified photo)", Condition{EvidenceVerified: rulePtr(true)},
		func() DecisionInput { return evidenceInput("invalid", "verified") }, true},
	{"evidence verified (only uploaded)", Condition{EvidenceVerified: rulePtr(true)}, nil, false},
	{"evidence not verified (only uploaded)", Condition{EvidenceVerified: rulePtr(false)}, nil, true},
	{"evidence reused (a reused photo)", Condition{EvidenceReused: rulePtr(true)},
		func() DecisionInput { return evidenceInput("verified", "reused") }, true},
	{"evidence reused (none reused)", Condition{EvidenceReused: rulePtr(true)},
		func() DecisionInput { return evidenceInput("verified") }, false},
	{"evidence not reused (none reused)", Condition{EvidenceReused: rulePtr(false)},
		func() DecisionInput { return evidenceInput("verified") }, true},

	{"recognized damage (a cracked screen)", Condition{RecognizedDamage: rulePtr(true)},
		func() DecisionInput { return recognizedInput(true, "Mobile Phone", "Cracked Glass") }, true},
	{"recognized damage (none seen)", Condition{RecognizedDamage: rulePtr(true)},
		func() DecisionInput { return recognizedInput(false, "Mobile Phone") }, false},
	{"no recognized damage (recognition did not run)", Condition{RecognizedDamage: rulePtr(false)}, nil, true},
	{"recognized label, any case", Condition{RecognizedLabels: []string{"strawberry", "mobile phone"}},
		func() DecisionInput { return recognizedInput(false, "Mobile Phone") }, true},
	{"recognized label not seen", Condition{RecognizedLabels: []string{"Strawberry"}},
		func() DecisionInput { return recognizedInput(false, "Mobile Phone") }, false},

	{"reason listed", Condition{Reasons: []string{"damaged", "size_not_fit"}}, nil, true},
	{"reason not listed", Condition{Reasons: []string{"damaged"}}, nil, false},

	{"virtual unused: unused coupon", Condition{VirtualUnused: rulePtr(true)},
		func() DecisionInput { return virtualInput(false) }, true},
	{"virtual unused: redeemed coupon", Condition{VirtualUnused: rulePtr(true)},
		func() DecisionInput { return virtualInput(true) }, false},
	{"virtual redeemed: redeemed coupon", Condition{VirtualUnused: rulePtr(false)},
		func() DecisionInput { return virtualInput(true) }, true},
	{"virtual redeemed: unused coupon", Condition{VirtualUnused: rulePtr(false)},
		func() DecisionInput { return virtualInput(false) }, false},
	{"virtual unused: no virtual line", Condition{VirtualUnused: rulePtr(true)}, nil, false},
	{"virtual redeemed: no virtual line", Condition{VirtualUnused: rulePtr(false)}, nil, false},
	{"virtual unused: line unknown to the order", Condition{VirtualUnused: rulePtr(true)},
		func() DecisionInput {
			in := virtualInput(false)
			in.Order.Lines = in.Order.Lines[:1]
			return in
		}, false},
	{"virtual redeemed: unknown order", Condition{VirtualUnused: rulePtr(false)},
		func() DecisionInput {
			in := virtualInput(true)
			in.Order = nil
			return in
		}, false},

	{"refund rate at least: 2 of 4 is 50%", Condition{RefundRateAtLeast: rulePtr(50)},
		func() DecisionInput { return rateInput(90, 4, 2) }, true},
	{"refund rate at least: 1 of 4 is 25%", Condition{RefundRateAtLeast: rulePtr(50)},
		func() DecisionInput { return rateInput(90, 4, 1) }, false},
	{"refund rate at most: 1 of 3 is 33.3%", Condition{RefundRateAtMost: rulePtr(33)},
		func() DecisionInput { return rateInput(90, 3, 1) }, false},
	{"refund rate at most: 1 of 3 within 34%", Condition{RefundRateAtMost: rulePtr(34)},
		func() DecisionInput { return rateInput(90, 3, 1) }, true},
	{"refund rate: no case in the period holds no bound", Condition{RefundRateAtMost: rulePtr(100)},
		func() DecisionInput { return rateInput(90, 0, 0) }, false},
	{"refund rate over 30 days read for 30 days", Condition{RefundRateDays: rulePtr(30), RefundRateAtLeast: rulePtr(100)},
		func() DecisionInput { return rateInput(30, 2, 2) }, true},
	{"refund rate over 30 days not read", Condition{RefundRateDays: rulePtr(30), RefundRateAtLeast: rulePtr(0)},
		func() DecisionInput { return rateInput(90, 2, 2) }, false},

	{"return shipping paid by the buyer: size return", Condition{ReturnShippingPaidBy: rulePtr(PayerBuyer)},
		func() DecisionInput { return chargedInput("gold", ReturnRefund, "size_not_fit") }, true},
	{"return shipping paid by the merchant: size return", Condition{ReturnShippingPaidBy: rulePtr(PayerMerchant)},
		func() DecisionInput { return chargedInput("gold", ReturnRefund, "size_not_fit") }, false},
	{"return shipping paid by the merchant: quality fault", Condition{ReturnShippingPaidBy: rulePtr(PayerMerchant)},
		func() DecisionInput { return chargedInput("gold", ReturnRefund, "quality_issue") }, true},
	{"return shipping: a refund-only case returns nothing", Condition{ReturnShippingPaidBy: rulePtr(PayerBuyer)},
		func() DecisionInput { return chargedInput("gold", RefundOnly, "wrong_item") }, false},
	{"restocking fee on a no-reason return", Condition{HasRestockingFee: rulePtr(true)},
		func() DecisionInput { return chargedInput("gold", ReturnRefund, "no_reason_7_days") }, true},
	{"no restocking fee on a quality return", Condition{HasRestockingFee: rulePtr(false)},
		func() DecisionInput { return chargedInput("gold", ReturnRefund, "quality_issue") }, true},
	{"perk of the buyer's tier", Condition{Perks: []string{PerkFreeReturnShipping}},
		func() DecisionInput { return chargedInput("platinum", ReturnRefund, "quality_issue") }, true},
	{"perk another tier has", Condition{Perks: []string{PerkFreeReturnShipping}},
		func() DecisionInput { return chargedInput("diamond", ReturnRefund, "quality_issue") }, false},

	{"evidence slots filled: produce with item and label", Condition{EvidenceSlotsFilled: rulePtr(true)},
		func() DecisionInput {
			return ruleInput(withSlots(ruleCase(Claim, "produce_spoiled", "p1")), ruleOrder())
		}, true},
	{"evidence slots missing: produce with an unnamed photo", Condition{EvidenceSlotsFilled: rulePtr(false)},
		func() DecisionInput { return ruleInput(ruleCase(Claim, "produce_spoiled", "p1"), ruleOrder()) }, true},
	{"evidence slots missing: the label photo is another claim's", Condition{EvidenceSlotsFilled: rulePtr(false)},
		func() DecisionInput {
			c := withSlots(ruleCase(Claim, "produce_spoiled", "p1"))
			c.Evidence[1].Status = EvidenceReused
			return ruleInput(c, ruleOrder())
		}, true},
	{"evidence slots filled: nothing required for apparel", Condition{EvidenceSlotsFilled: rulePtr(true)}, nil, true},

	{"every given field holds", Condition{CaseTypes: []CaseType{ReturnRefund}, Categories: []string{"apparel"}, AmountAtMost: rulePtr[int64](10000)}, nil, true},
	{"one given field fails", Condition{CaseTypes: []CaseType{ReturnRefund}, Categories: []string{"apparel"}, AmountAtMost: rulePtr[int64](100)}, nil, false},
}

func unshippedInput() DecisionInput {
	o := ruleOrder()
	o.Status, o.ShippedAt = OrderPaid, time.Time{}
	return ruleInput(ruleCase(RefundOnly, "wrong_item", "l1"), o)
}

func deliveredInput(ago time.Duration) DecisionInput {
	o := ruleOrder()
	o.Status, o.DeliveredAt = OrderDelivered, ruleNow.Add(-ago)
	return ruleInput(ruleCase(ReturnRefund, "size_not_fit", "l1"), o)
}

func evidenceInput(statuses ...string) DecisionInput {
	c := ruleCase(ReturnRefund, "size_not_fit", "l1")
	c.Evidence = nil
	for _, s := range statuses {
		c.Evidence = append(c.Evidence, Evidence{ID: "ev-" + s, ContentType: "image/jpeg", Size: 1, Status: s})
	}
	return ruleInput(c, ruleOrder())
}

// rateInput is a size return by a buyer who opened cases in the last days,
// refunded of them.
func rateInput(days, cases, refunded int) DecisionInput {
	in := ruleInput(ruleCase(ReturnRefund, "size_not_fit", "l1"), ruleOrder())
	in.RefundRates = map[int]RefundRate{days: {Cases: cases, Refunded: refunded}}
	return in
}

// chargedInput is a case of type t and reason by a member of tier, with the
// charges of a rule set that takes 10% off no-reason returns.
func chargedInput(tier string, t CaseType, reason string) DecisionInput {
	o := ruleOrder()
	o.MemberTier = tier
	c := ruleCase(t, reason, "l1")
	rs := oneRule(Condition{})
	rs.Fees.Restocking = []RestockingFee{{Percent: 10}}
	c.Charges = ChargesFor(rs, c, o)
	return ruleInput(c, o)
}

// withSlots gives c the two named photos a produce claim needs (F16).
func withSlots(c *Case) *Case {
	c.Evidence = []Evidence{{ID: "ev-item", ContentType: "image/jpeg", Size: 1, Status: EvidenceVerified, Slot: SlotItem},
		{ID: "ev-label", ContentType: "image/jpeg", Size: 1, Status: EvidenceUploaded, Slot: SlotLabel}}
	return c
}

func virtualInput(redeemed bool) DecisionInput {
	o := ruleOrder()
	o.Lines[1].Redeemed = redeemed
	return ruleInput(ruleCase(RefundOnly, "virtual_unused", "v1"), o)
}

func TestDecideConditions(t *testing.T) {
	for _, tc := range conditionCases {
		t.Run(tc.name, func(t *testing.T) {
			rs := oneRule(tc.when)
			if err := rs.Validate(); err != nil {
				t.Fatalf("the test's rule set is invalid: %v", err)
			}
			in := ruleInput(ruleCase(ReturnRefund, "size_not_fit", "l1"), ruleOrder())
			if tc.input != nil {
				in = tc.input()
			}
			d := Decide(in, rs)
			if got := d.RuleID == "r"; got != tc.holds {
				t.Errorf("condition holds = %v, want %v (decided by %q)", got, tc.holds, d.RuleID)
			}
		})
	}
}

// TestConditionFieldsCovered keeps the table above honest: a field added to
// Condition must be tested by Decide and must make a condition non-empty
// (or a rule using only it would count as a catch-all).
func TestConditionFieldsCovered(t *testing.T) {
	typ := reflect.TypeFor[Condition]()
	covered := map[string]bool{}
	for _, tc := range conditionCases {
		v := reflect.ValueOf(tc.when)
		for i := range typ.NumField() {
			if !v.Field(i).IsZero() {
				covered[typ.Field(i).Name] = true
			}
		}
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			if !covered[f.Name] {
				t.Errorf("no case of TestDecideConditions sets %s", f.Name)
			}
			var w Condition
			fv := reflect.ValueOf(&w).Elem().Field(i)
			switch fv.Kind() {
			case reflect.Slice:
				fv.Set(reflect.MakeSlice(fv.Type(), 1, 1))
			case reflect.Pointer:
				fv.Set(reflect.New(fv.Type().Elem()))
			default:
				t.Fatalf("%s is a %s; conditions hold lists and pointers so that zero means any", f.Name, fv.Kind())
			}
			if w.empty() {
				t.Errorf("a condition with only %s set counts as empty", f.Name)
			}
		})
	}
}

func TestDecideFirstMatchWins(t *testing.T) {
	approveSmall := Rule{ID: "small", When: Condition{AmountAtMost: rulePtr[int64](10000)}, Then: Outcome{Decision: OutcomeApprove}}
	rejectReturns := Rule{ID: "no-returns", When: Condition{CaseTypes: []CaseType{ReturnRefund}}, Then: Outcome{Decision: OutcomeReject, Reason: "final sale"}}
	catchAll := Rule{ID: "default", Then: Outcome{Decision: OutcomeManual, Level: RoleReviewer}}
	tests := []struct {
		name        string
		rules       []Rule
		wantRule    string
		wantOutcome string
	}{
		{"approve first", []Rule{approveSmall, rejectReturns, catchAll}, "small", "approve"},
		{"reject first", []Rule{rejectReturns, approveSmall, catchAll}, "no-returns", "reject"},
		{"catch-all when nothing else holds", []Rule{{ID: "claims", When: Condition{CaseTypes: []CaseType{Claim}}, Then: Outcome{Decision: OutcomeApprove}}, catchAll}, "default", "manual"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := &RuleSet{Version: 2, Rules: tc.rules, Deadlines: DefaultDeadlines(), AdminApprovalAbove: DefaultAdminApprovalAbove}
			if err := rs.Validate(); err != nil {
				t.Fatalf("the test's rule set is invalid: %v", err)
			}
			d := Decide(ruleInput(ruleCase(ReturnRefund, "size_not_fit", "l1"), ruleOrder()), rs)
			if d.RuleID != tc.wantRule || d.Outcome != tc.wantOutcome {
				t.Errorf("decided %s by %q, want %s by %q", d.Outcome, d.RuleID, tc.wantOutcome, tc.wantRule)
			}
		})
	}
}

func TestDecideRecordsTheDecision(t *testing.T) {
	rules := func(then Outcome) *RuleSet {
		return &RuleSet{Version: 7, AdminApprovalAbove: 50000, Deadlines: DefaultDeadlines(), Rules: []Rule{
			{ID: "the-rule", When: Condition{CaseTypes: []CaseType{ReturnRefund}}, Then: then},
			{ID: "default", Then: Outcome{Decision: OutcomeManual, Level: RoleReviewer}},
		}}
	}
	small := ruleCase(ReturnRefund, "size_not_fit", "l1") // 99 CNY
	big := ruleCase(ReturnRefund, "size_not_fit", "l1")
	big.Requested = 50001
	tests := []struct {
		name string
		rs   *RuleSet
		c    *Case
		want Decision
	}{
		{"approve", rules(Outcome{Decision: OutcomeApprove}), small,
			Decision{Outcome: "approve", By: "rules", RuleID: "the-rule", RuleSetVersion: 7}},
		{"reject with the reason for the buyer", rules(Outcome{Decision: OutcomeReject, Reason: "final sale"}), small,
			Decision{Outcome: "reject", By: "rules", RuleID: "the-rule", RuleSetVersion: 7, Reason: "final sale"}},
		{"request evidence with what to add", rules(Outcome{Decision: OutcomeRequestEvidence, Reason: "add a photo of the label"}), small,
			Decision{Outcome: "request_evidence", By: "rules", RuleID: "the-rule", RuleSetVersion: 7, Reason: "add a photo of the label"}},
		{"manual at reviewer level", rules(Outcome{Decision: OutcomeManual, Level: RoleReviewer, Reason: "check"}), small,
			Decision{Outcome: "manual", By: "rules", RuleID: "the-rule", RuleSetVersion: 7, Level: RoleReviewer, Reason: "check"}},
		{"manual at admin level", rules(Outcome{Decision: OutcomeManual, Level: RoleAdmin}), small,
			Decision{Outcome: "manual", By: "rules", RuleID: "the-rule", RuleSetVersion: 7, Level: RoleAdmin}},
		{"manual above the admin threshold goes to an admin", rules(Outcome{Decision: OutcomeManual, Level: RoleReviewer}), big,
			Decision{Outcome: "manual", By: "rules", RuleID: "the-rule", RuleSetVersion: 7, Level: RoleAdmin}},
		{"approve above the admin threshold stays the rule's", rules(Outcome{Decision: OutcomeApprove}), big,
			Decision{Outcome: "approve", By: "rules", RuleID: "the-rule", RuleSetVersion: 7}},
		{"no rule matches an invalid set: a reviewer decides", &RuleSet{Version: 4, AdminApprovalAbove: 50000, Rules: []Rule{
			{ID: "claims", When: Condition{CaseTypes: []CaseType{Claim}}, Then: Outcome{Decision: OutcomeApprove}}}}, small,
			Decision{Outcome: "manual", By: "rules", RuleSetVersion: 4, Level: RoleReviewer, Reason: "no rule matched"}},
		{"no rule matches a large case: an admin decides", &RuleSet{Version: 4, AdminApprovalAbove: 50000}, big,
			Decision{Outcome: "manual", By: "rules", RuleSetVersion: 4, Level: RoleAdmin, Reason: "no rule matched"}},
		{"manual without level in an unvalidated set: a reviewer decides", rules(Outcome{Decision: OutcomeManual}), small,
			Decision{Outcome: "manual", By: "rules", RuleID: "the-rule", RuleSetVersion: 7, Level: RoleReviewer}},
		{"a level on an approval in an unvalidated set is not recorded", rules(Outcome{Decision: OutcomeApprove, Level: RoleAdmin}), small,
			Decision{Outcome: "approve", By: "rules", RuleID: "the-rule", RuleSetVersion: 7}},
		{"no rule set", nil, small,
			Decision{Outcome: "manual", By: "rules", Level: RoleReviewer, Reason: "no rule set"}},
		{"no case", rules(Outcome{Decision: OutcomeApprove}), nil,
			Decision{Outcome: "manual", By: "rules", RuleSetVersion: 7, Level: RoleReviewer, Reason: "no rule matched"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(ruleInput(tc.c, ruleOrder()), tc.rs)
			if got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDefaultRuleSetExamples(t *testing.T) {
	type want struct {
		outcome OutcomeKind
		rule    string
		level   Role
		reason  string
	}
	unshipped := func(o *Order) *Order {
		o.Status, o.ShippedAt = OrderPaid, time.Time{}
		return o
	}
	shippedAgo := func(ago time.Duration) *Order {
		o := ruleOrder()
		o.ShippedAt = ruleNow.Add(-ago)
		return o
	}
	withRequested := func(c *Case, amount int64) *Case {
		c.Requested = amount
		c.Lines[0].Amount = amount
		return c
	}
	noEvidence := func(c *Case) *Case {
		c.Evidence = nil
		return c
	}
	// A phone with screen insurance (F20) and a 1200 CNY appliance.
	bundleOrder := func(insuranceRedeemed bool) *Order {
		o := ruleOrder()
		o.Lines = append(o.Lines,
			OrderLine{LineID: "ph", SKU: "PHONE", Kind: KindPhysical, Category: "phones", Bundle: "b1", Quantity: 1, UnitPrice: 300000, PaidAmount: 300000},
			OrderLine{LineID: "ins", SKU: "SCREEN-INS", Kind: KindVirtual, Category: "insurance", Bundle: "b1", Redeemed: insuranceRedeemed, Quantity: 1, UnitPrice: 9900, PaidAmount: 9900},
			OrderLine{LineID: "tv", SKU: "TV-55", Kind: KindAppliance, Category: "tv", Quantity: 1, UnitPrice: 120000, PaidAmount: 120000})
		return o
	}
	caseOn := func(o *Order, t CaseType, reason string, ids ...string) *Case {
		c := &Case{ID: "as-2", OrderID: o.ID, Type: t, Reason: reason, Currency: CNY, Status: StatusSubmitted,
			Evidence: []Evidence{{ID: "ev-1", ContentType: "image/jpeg", Size: 1000, Status: "uploaded"}}}
		for _, id := range ids {
			l, _ := o.Line(id)
			c.Lines = append(c.Lines, CaseLine{LineID: l.LineID, Kind: l.Kind, Category: l.Category, Quantity: l.Quantity, Amount: l.PaidAmount})
			if t != Exchange {
				c.Requested += l.PaidAmount
			}
		}
		return c
	}
	redeemed := func(o *Order) *Order {
		o.Lines[1].Redeemed = true
		return o
	}

	tests := []struct {
		name string
		c    *Case
		o    *Order
		want want
	}{
		{"unshipped refund-only is approved", ruleCase(RefundOnly, "wrong_item", "l1"), unshipped(ruleOrder()),
			want{OutcomeApprove, "unshipped-refund", "", ""}},
		{"unshipped refund-only of 3000 CNY is approved too", caseOn(unshipped(bundleOrder(false)), RefundOnly, "wrong_item", "ph"), unshipped(bundleOrder(false)),
			want{OutcomeApprove, "unshipped-refund", "", ""}},
		{"39 CNY return shipped 3 days ago is approved", withRequested(ruleCase(ReturnRefund, "size_not_fit", "l1"), 3900), ruleOrder(),
			want{OutcomeApprove, "small-amount", "", ""}},
		{"unused coupon is approved", ruleCase(RefundOnly, "virtual_unused", "v1"), ruleOrder(),
			want{OutcomeApprove, "virtual-unused", "", ""}},
		{"redeemed coupon is rejected", ruleCase(RefundOnly, "virtual_unused", "v1"), redeemed(ruleOrder()),
			want{OutcomeReject, "virtual-redeemed", "", "used virtual goods are not refundable"}},
		{"redeemed coupon of an unshipped order is rejected", ruleCase(RefundOnly, "wrong_item", "v1"), redeemed(unshipped(ruleOrder())),
			want{OutcomeReject, "virtual-redeemed", "", "used virtual goods are not refundable"}},
		{"phone with unused insurance is not a virtual refund", caseOn(bundleOrder(false), ReturnRefund, "quality_issue", "ph", "ins"), bundleOrder(false),
			want{OutcomeManual, "admin-above-500", RoleAdmin, "more than 500 CNY"}},
		{"phone with redeemed insurance is rejected", caseOn(bundleOrder(true), ReturnRefund, "quality_issue", "ph", "ins"), bundleOrder(true),
			want{OutcomeReject, "virtual-redeemed", "", "used virtual goods are not refundable"}},
		{"claim without evidence is asked for it", noEvidence(ruleCase(Claim, "produce_spoiled", "p1")), ruleOrder(),
			want{OutcomeRequestEvidence, "claim-without-evidence", "", "add photos of the damaged or spoiled items and of the parcel label"}},
		{"claim with only invalid evidence is asked for it", func() *Case {
			c := ruleCase(Claim, "appliance_fault", "l1")
			c.Evidence[0].Status = "invalid"
			return c
		}(), ruleOrder(),
			want{OutcomeRequestEvidence, "claim-without-evidence", "", "add photos of the damaged or spoiled items and of the parcel label"}},
		{"produce claimed 2 days after delivery is rejected", ruleCase(Claim, "produce_spoiled", "p1"), func() *Order {
			o := ruleOrder()
			o.Status, o.DeliveredAt = OrderDelivered, ruleNow.Add(-2*day)
			return o
		}(), want{OutcomeReject, "produce-claim-window", "", "spoiled produce must be claimed within 24 hours of delivery"}},
		{"produce claim with a photo but none of the label is asked for it", ruleCase(Claim, "produce_spoiled", "p1"), ruleOrder(),
			want{OutcomeRequestEvidence, "produce-photo-slots", "", "add a photo of the spoiled items (slot item) and one of the parcel label (slot label)"}},
		{"produce claimed 23 h after delivery goes on to a reviewer", withRequested(withSlots(ruleCase(Claim, "produce_spoiled", "p1")), 2000), func() *Order {
			o := ruleOrder()
			o.Status, o.DeliveredAt = OrderDelivered, ruleNow.Add(-23*time.Hour)
			return o
		}(), want{OutcomeManual, "produce-claim", RoleReviewer, "produce claim: check the photos and the spoiled count"}},
		{"20 CNY produce claim with photos needs a reviewer", withRequested(withSlots(ruleCase(Claim, "produce_spoiled", "p1")), 2000), ruleOrder(),
			want{OutcomeManual, "produce-claim", RoleReviewer, "produce claim: check the photos and the spoiled count"}},
		{"800 CNY produce claim needs an admin", withRequested(withSlots(ruleCase(Claim, "produce_spoiled", "p1")), 80000), ruleOrder(),
			want{OutcomeManual, "admin-above-500", RoleAdmin, "more than 500 CNY"}},
		{"30 CNY return shipped 10 days ago needs a reviewer", withRequested(ruleCase(ReturnRefund, "size_not_fit", "l1"), 3000), shippedAgo(10 * day),
			want{OutcomeManual, "shipped-over-7-days", RoleReviewer, "shipped more than 7 days ago"}},
		{"30 CNY return shipped exactly 7 days ago is approved", withRequested(ruleCase(ReturnRefund, "size_not_fit", "l1"), 3000), shippedAgo(7 * day),
			want{OutcomeApprove, "small-amount", "", ""}},
		{"800 CNY return shipped 3 days ago needs an admin", withRequested(ruleCase(ReturnRefund, "quality_issue", "l1"), 80000), ruleOrder(),
			want{OutcomeManual, "admin-above-500", RoleAdmin, "more than 500 CNY"}},
		{"800 CNY return shipped 10 days ago needs an admin", withRequested(ruleCase(ReturnRefund, "quality_issue", "l1"), 80000), shippedAgo(10 * day),
			want{OutcomeManual, "admin-above-500", RoleAdmin, "more than 500 CNY"}},
		{"exactly 500 CNY return needs only a reviewer", withRequested(ruleCase(ReturnRefund, "quality_issue", "l1"), 50000), ruleOrder(),
			want{OutcomeManual, "default", RoleReviewer, ""}},
		{"exchange of a 1200 CNY TV needs an admin", caseOn(bundleOrder(false), Exchange, "defective", "tv"), bundleOrder(false),
			want{OutcomeManual, "admin-above-500", RoleAdmin, "more than 500 CNY"}},
		{"30 CNY appliance claim with verified photos is approved", withEvidence(withRequested(ruleCase(Claim, "appliance_fault", "l1"), 3000), "verified"), ruleOrder(),
			want{OutcomeApprove, "small-amount", "", ""}},
		{"30 CNY appliance claim with photos not checked yet goes to a reviewer", withRequested(ruleCase(Claim, "appliance_fault", "l1"), 3000), ruleOrder(),
			want{OutcomeManual, "small-amount", RoleReviewer, "the evidence this reason needs is not verified yet"}},
		{"30 CNY appliance claim with only a reused photo is asked for evidence", withEvidence(withRequested(ruleCase(Claim, "appliance_fault", "l1"), 3000), "reused"), ruleOrder(),
			want{OutcomeRequestEvidence, "claim-without-evidence", "", "add photos of the damaged or spoiled items and of the parcel label"}},
		{"30 CNY damaged return with only an invalid photo is asked for evidence", withEvidence(withRequested(ruleCase(ReturnRefund, "damaged", "l1"), 3000), "invalid"), ruleOrder(),
			want{OutcomeRequestEvidence, "small-amount", "", "add photos that show the problem; this reason needs verified evidence"}},
		{"30 CNY no-reason return with photos not checked is approved", withRequested(ruleCase(ReturnRefund, "no_reason_7_days", "l1"), 3000), ruleOrder(),
			want{OutcomeApprove, "small-amount", "", ""}},
		{"99 CNY return shipped 3 days ago needs a reviewer", ruleCase(ReturnRefund, "size_not_fit", "l1"), ruleOrder(),
			want{OutcomeManual, "default", RoleReviewer, ""}},
	}
	rs := DefaultRuleSet()
	if err := rs.Validate(); err != nil {
		t.Fatalf("DefaultRuleSet is invalid: %v", err)
	}
	hit := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(ruleInput(tc.c, tc.o), rs)
			hit[d.RuleID] = true
			got := want{OutcomeKind(d.Outcome), d.RuleID, d.Level, d.Reason}
			if got != tc.want {
				t.Errorf("decided %+v, want %+v", got, tc.want)
			}
			if d.RuleSetVersion != 1 || d.By != "rules" {
				t.Errorf("recorded version %d by %q, want version 1 by rules", d.RuleSetVersion, d.By)
			}
		})
	}
	for _, r := range rs.Rules {
		if !hit[r.ID] {
			t.Errorf("no example is decided by default rule %q", r.ID)
		}
	}
}

func ruleFields(err error) []string {
	var out []string
	for _, f := range FieldsOf(err) {
		out = append(out, f.Field)
	}
	return out
}

func TestRuleSetValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(rs *RuleSet)
		want   []string
	}{
		{"the default set is valid", func(*RuleSet) {}, nil},
		{"negative version", func(rs *RuleSet) { rs.Version = -1 }, []string{"version"}},
		{"negative admin threshold", func(rs *RuleSet) { rs.AdminApprovalAbove = -1 }, []string{"admin_approval_above"}},
		{"zero admin threshold: every approval needs an admin", func(rs *RuleSet) { rs.AdminApprovalAbove = 0 }, nil},
		{"no rules", func(rs *RuleSet) { rs.Rules = nil }, []string{"rules"}},
		{"too many rules", func(rs *RuleSet) {
			last := rs.Rules[len(rs.Rules)-1]
			rs.Rules = rs.Rules[:0]
			for i := range MaxRules {
				rs.Rules = append(rs.Rules, Rule{ID: "r" + strings.Repeat("x", i%50) + string(rune('a'+i/50)), When: Condition{AmountAbove: rulePtr(int64(i))}, Then: Outcome{Decision: OutcomeApprove}})
			}
			rs.Rules = append(rs.Rules, last)
		}, []string{"rules"}},
		{"empty rule id", func(rs *RuleSet) { rs.Rules[2].ID = "" }, []string{"rules[2].id"}},
		{"rule id with a space", func(rs *RuleSet) { rs.Rules[2].ID = "claim no evidence" }, []string{"rules[2].id"}},
		{"rule id too long", func(rs *RuleSet) { rs.Rules[2].ID = strings.Repeat("a", MaxRuleIDLen+1) }, []string{"rules[2].id"}},
		{"repeated rule id", func(rs *RuleSet) { rs.Rules[5].ID = rs.Rules[0].ID }, []string{"rules[5].id"}},
		{"description too long", func(rs *RuleSet) { rs.Rules[0].Description = strings.Repeat("长", MaxRuleDescRunes+1) }, []string{"rules[0].description"}},
		{"unknown case type", func(rs *RuleSet) { rs.Rules[4].When.CaseTypes = []CaseType{RefundOnly, "refund"} }, []string{"rules[4].when.case_types[1]"}},
		{"unknown order status", func(rs *RuleSet) { rs.Rules[4].When.OrderStatuses = []OrderStatus{"unpaid"} }, []string{"rules[4].when.order_statuses[0]"}},
		{"unknown line kind", func(rs *RuleSet) { rs.Rules[7].When.LineKinds = []LineKind{"bundle"} }, []string{"rules[7].when.line_kinds[0]"}},
		{"unknown only line kind", func(rs *RuleSet) { rs.Rules[5].When.OnlyLineKinds = []LineKind{"coupon"} }, []string{"rules[5].when.only_line_kinds[0]"}},
		{"empty category", func(rs *RuleSet) { rs.Rules[7].When.Categories = []string{"fruit", ""} }, []string{"rules[7].when.categories[1]"}},
		{"empty member tier", func(rs *RuleSet) { rs.Rules[7].When.MemberTiers = []string{""} }, []string{"rules[7].when.member_tiers[0]"}},
		{"negative amount above", func(rs *RuleSet) { rs.Rules[6].When.AmountAbove = rulePtr[int64](-1) }, []string{"rules[6].when.amount_above"}},
		{"negative amount at most", func(rs *RuleSet) { rs.Rules[9].When.AmountAtMost = rulePtr[int64](-1) }, []string{"rules[9].when.amount_at_most"}},
		{"amount range that holds for nothing", func(rs *RuleSet) { rs.Rules[9].When.AmountAbove = rulePtr[int64](5000) }, []string{"rules[9].when.amount_at_most"}},
		{"negative shipped days", func(rs *RuleSet) { rs.Rules[8].When.ShippedMoreThanDays = rulePtr(-1) }, []string{"rules[8].when.shipped_more_than_days"}},
		{"shipped days beyond ten years", func(rs *RuleSet) { rs.Rules[8].When.ShippedWithinDays = rulePtr(3651) }, []string{"rules[8].when.shipped_within_days"}},
		{"shipped range that holds for nothing", func(rs *RuleSet) { rs.Rules[8].When.ShippedWithinDays = rulePtr(7) }, []string{"rules[8].when.shipped_within_days"}},
		{"negative paid days", func(rs *RuleSet) { rs.Rules[8].When.PaidWithinDays = rulePtr(-2) }, []string{"rules[8].when.paid_within_days"}},
		{"paid range that holds for nothing", func(rs *RuleSet) {
			rs.Rules[8].When.PaidMoreThanDays, rs.Rules[8].When.PaidWithinDays = rulePtr(3), rulePtr(2)
		}, []string{"rules[8].when.paid_within_days"}},
		{"negative delivered days", func(rs *RuleSet) { rs.Rules[7].When.DeliveredMoreThanDays = rulePtr(-1) }, []string{"rules[7].when.delivered_more_than_days"}},
		{"delivered range that holds for nothing", func(rs *RuleSet) {
			rs.Rules[7].When.DeliveredMoreThanDays, rs.Rules[7].When.DeliveredWithinDays = rulePtr(1), rulePtr(1)
		}, []string{"rules[7].when.delivered_within_days"}},
		{"negative refund count", func(rs *RuleSet) { rs.Rules[7].When.RefundsAtLeast = rulePtr(-1) }, []string{"rules[7].when.refunds_90d_at_least"}},
		{"negative refund count at most", func(rs *RuleSet) { rs.Rules[7].When.RefundsAtMost = rulePtr(-1) }, []string{"rules[7].when.refunds_90d_at_most"}},
		{"refund range that holds for nothing", func(rs *RuleSet) {
			rs.Rules[7].When.RefundsAtLeast, rs.Rules[7].When.RefundsAtMost = rulePtr(3), rulePtr(2)
		}, []string{"rules[7].when.refunds_90d_at_most"}},
		{"unknown reason code", func(rs *RuleSet) { rs.Rules[7].When.Reasons = []string{"produce_spoiled", "rotten"} }, []string{"rules[7].when.reasons[1]"}},
		{"reason of another case type", func(rs *RuleSet) { rs.Rules[7].When.Reasons = []string{"size_not_fit"} }, []string{"rules[7].when.reasons[0]"}},
		{"unknown decision", func(rs *RuleSet) { rs.Rules[4].Then.Decision = "accept" }, []string{"rules[4].then.decision"}},
		{"manual without level", func(rs *RuleSet) { rs.Rules[7].Then.Level = "" }, []string{"rules[7].then.level"}},
		{"manual at buyer level", func(rs *RuleSet) { rs.Rules[7].Then.Level = RoleBuyer }, []string{"rules[7].then.level"}},
		{"level on an approval", func(rs *RuleSet) { rs.Rules[4].Then.Level = RoleAdmin }, []string{"rules[4].then.level"}},
		{"reject without reason", func(rs *RuleSet) { rs.Rules[0].Then.Reason = "" }, []string{"rules[0].then.reason"}},
		{"request evidence without saying what", func(rs *RuleSet) { rs.Rules[2].Then.Reason = "" }, []string{"rules[2].then.reason"}},
		{"reason too long", func(rs *RuleSet) { rs.Rules[0].Then.Reason = strings.Repeat("x", MaxRuleReasonRunes+1) }, []string{"rules[0].then.reason"}},
		{"catch-all before the end", func(rs *RuleSet) { rs.Rules[6].When = Condition{} }, []string{"rules[6].when"}},
		{"no catch-all at the end", func(rs *RuleSet) { rs.Rules = rs.Rules[:len(rs.Rules)-1] }, []string{"rules[9].when"}},
		{"zero review deadline", func(rs *RuleSet) { rs.Deadlines.ReviewShipped = 0 }, []string{"deadlines.review_shipped"}},
		{"negative review deadline", func(rs *RuleSet) { rs.Deadlines.ReviewUnshipped = -time.Hour }, []string{"deadlines.review_unshipped"}},
		{"evidence deadline over 30 days", func(rs *RuleSet) { rs.Deadlines.Evidence = 31 * day }, []string{"deadlines.evidence"}},
		{"30 days exactly is allowed", func(rs *RuleSet) { rs.Deadlines.Receipt = 30 * day }, nil},
		{"every other deadline zero", func(rs *RuleSet) {
			rs.Deadlines.Return, rs.Deadlines.Receipt, rs.Deadlines.Reship, rs.Deadlines.Refund, rs.Deadlines.Dispute = 0, 0, 0, 0, 0
		}, []string{"deadlines.return", "deadlines.receipt", "deadlines.reship", "deadlines.refund", "deadlines.dispute"}},
		{"zero tier SLA", func(rs *RuleSet) { rs.Deadlines.ReviewSLA["platinum"] = 0 }, []string{"deadlines.review_sla.platinum"}},
		{"SLA of an unnamed tier", func(rs *RuleSet) { rs.Deadlines.ReviewSLA[""] = time.Hour }, []string{"deadlines.review_sla"}},
		{"no SLA at all", func(rs *RuleSet) { rs.Deadlines.ReviewSLA = nil }, nil},
		{"every mistake at once", func(rs *RuleSet) {
			rs.Rules[0].ID = ""
			rs.Rules[6].When.AmountAbove = rulePtr[int64](-5)
			rs.Rules[7].Then.Level = ""
			rs.Deadlines.Refund = 0
		}, []string{"rules[0].id", "rules[6].when.amount_above", "rules[7].then.level", "deadlines.refund"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := DefaultRuleSet()
			tc.change(rs)
			err := rs.Validate()
			if got := ruleFields(err); !slices.Equal(got, tc.want) {
				t.Errorf("invalid fields = %q, want %q (%v)", got, tc.want, err)
			}
			if err != nil && KindOf(err) != KindInvalid {
				t.Errorf("kind = %v, want Invalid", KindOf(err))
			}
		})
	}
}

// TestDecideOnLiveRedemption (F18): the coupon service's answer, not the
// snapshot's flag, decides; a service that does not answer sends the case
// to a person unless the merchant falls back to the snapshot.
func TestDecideOnLiveRedemption(t *testing.T) {
	used := time.Date(2026, 11, 19, 9, 30, 0, 0, time.UTC)
	fallback := DefaultRuleSet()
	fallback.VirtualGoods.WhenUnavailable = UnavailableSnapshot
	tests := []struct {
		name     string
		snapshot bool // the snapshot's redeemed flag
		live     *RedemptionFacts
		rs       *RuleSet
		outcome  OutcomeKind
		ruleID   string
		reason   string
	}{
		{"snapshot unused, live unused: approved", false, &RedemptionFacts{Lines: map[string]Redemption{"v1": {}}}, DefaultRuleSet(),
			OutcomeApprove, "virtual-unused", ""},
		{"snapshot unused, live used: rejected, saying when", false,
			&RedemptionFacts{Lines: map[string]Redemption{"v1": {Redeemed: true, RedeemedAt: used, Detail: "at Cinema 12"}}}, DefaultRuleSet(),
			OutcomeReject, "virtual-redeemed", "used virtual goods are not refundable: COUPON was redeemed at 2026-11-19 09:30 UTC (at Cinema 12)"},
		{"snapshot used, live unused: approved", true, &RedemptionFacts{Lines: map[string]Redemption{"v1": {}}}, DefaultRuleSet(),
			OutcomeApprove, "virtual-unused", ""},
		{"service down: a reviewer checks", false, &RedemptionFacts{Unavailable: true, Cause: "timeout"}, DefaultRuleSet(),
			OutcomeManual, "virtual_goods.when_unavailable", "the mall's coupon service could not say whether the virtual goods were used (timeout): check by hand"},
		{"service down, snapshot fallback: the snapshot decides", true, &RedemptionFacts{Unavailable: true, Cause: "timeout"}, fallback,
			OutcomeReject, "virtual-redeemed", "used virtual goods are not refundable"},
		{"nobody asked: the snapshot decides", true, nil, DefaultRuleSet(),
			OutcomeReject, "virtual-redeemed", "used virtual goods are not refundable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := virtualInput(tc.snapshot)
			in.Case.Lines[0].Name = "COUPON"
			in.Redemption = tc.live
			d := Decide(in, tc.rs)
			if d.Outcome != string(tc.outcome) || d.RuleID != tc.ruleID || d.Reason != tc.reason {
				t.Errorf("decision %+v, want %s by %s: %q", d, tc.outcome, tc.ruleID, tc.reason)
			}
			if l, _ := in.Order.Line("v1"); l.Redeemed != tc.snapshot {
				t.Error("the live answer changed the caller's order")
			}
		})
	}
}

// TestSplitBundle (F20): a return of a bundle's physical and virtual
// components splits the virtual ones off, unless the merchant keeps
// bundles whole or the application is no return.
func TestSplitBundle(t *testing.T) {
	o := &Order{ID: "o-1", Lines: []OrderLine{
		{LineID: "ph", Kind: KindPhysical, Bundle: "care"},
		{LineID: "ins", Kind: KindVirtual, Bundle: "care"},
		{LineID: "cp", Kind: KindVirtual},
		{LineID: "ins2", Kind: KindVirtual, Bundle: "other"},
	}}
	line := func(id string) CaseLine { l, _ := o.Line(id); return CaseLine{LineID: id, Kind: l.Kind} }
	ids := func(ls []CaseLine) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.LineID)
		}
		return out
	}
	keep := BundleSettings{VirtualComponents: VirtualWithTheReturn}
	tests := []struct {
		name        string
		t           CaseType
		lines       []string
		s           BundleSettings
		stay, split []string
	}{
		{"phone and insurance returned: insurance split", ReturnRefund, []string{"ph", "ins"}, DefaultBundleSettings(), []string{"ph"}, []string{"ins"}},
		{"empty settings split too", ReturnRefund, []string{"ph", "ins"}, BundleSettings{}, []string{"ph"}, []string{"ins"}},
		{"kept whole by the merchant", ReturnRefund, []string{"ph", "ins"}, keep, []string{"ph", "ins"}, nil},
		{"insurance alone: nothing to split", ReturnRefund, []string{"ins"}, DefaultBundleSettings(), []string{"ins"}, nil},
		{"a coupon outside the bundle stays", ReturnRefund, []string{"ph", "cp"}, DefaultBundleSettings(), []string{"ph", "cp"}, nil},
		{"another bundle's insurance stays", ReturnRefund, []string{"ph", "ins2"}, DefaultBundleSettings(), []string{"ph", "ins2"}, nil},
		{"an exchange keeps the insurance", Exchange, []string{"ph", "ins"}, DefaultBundleSettings(), []string{"ph", "ins"}, nil},
		{"a refund-only refunds all at once", RefundOnly, []string{"ph", "ins"}, DefaultBundleSettings(), []string{"ph", "ins"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lines []CaseLine
			for _, id := range tc.lines {
				lines = append(lines, line(id))
			}
			stay, split := SplitBundle(tc.t, lines, o, tc.s)
			if !slices.Equal(ids(stay), tc.stay) || !slices.Equal(ids(split), tc.split) {
				t.Errorf("stay %v split %v, want %v %v", ids(stay), ids(split), tc.stay, tc.split)
			}
		})
	}
}
