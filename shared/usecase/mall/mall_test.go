package mall_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aftersales/aftersales/events/schemas"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/eventbus"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/mall"
)

type fixture struct {
	store *memstore.Store
	mall  *mall.Raising
}

// newFixture stores order o-1 of buyer b-1 (tier, paid) and rule set rs
// (the default when nil).
func newFixture(t *testing.T, tier string, paid int64, rs *aftersales.RuleSet) *fixture {
	t.Helper()
	store := memstore.New(storetest.NewFakeClock(storetest.Epoch))
	rules := memstore.NewRuleSets()
	if rs != nil {
		if err := rules.PutRuleSet(t.Context(), rs); err != nil {
			t.Fatal(err)
		}
	}
	o := &aftersales.Order{ID: "o-1", Version: 1, EventID: "e1", BuyerID: "b-1", MemberTier: tier, Currency: aftersales.CNY,
		Status: aftersales.OrderDelivered, Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, Amount: paid},
		Lines: []aftersales.OrderLine{
			{LineID: "l1", SKU: "SHOE-42", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: paid / 2, PaidAmount: paid / 2},
			{LineID: "l2", SKU: "SOCKS-3", Kind: aftersales.KindPhysical, Quantity: 2, UnitPrice: paid / 4, PaidAmount: paid / 2}}}
	if err := store.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return &fixture{store: store, mall: &mall.Raising{CaseStore: store, Orders: store, Rules: rules}}
}

// create stores a return of lines of o-1 through the mall's store.
func (f *fixture) create(t *testing.T, id string, lines ...string) *aftersales.Case {
	t.Helper()
	c := &aftersales.Case{ID: id, OrderID: "o-1", BuyerID: "b-1", Type: aftersales.ReturnRefund, Reason: "quality_issue",
		Currency: aftersales.CNY, CreatedAt: storetest.Epoch}
	for _, l := range lines {
		c.Lines = append(c.Lines, aftersales.CaseLine{LineID: l, SKU: map[string]string{"l1": "SHOE-42", "l2": "SOCKS-3"}[l], Quantity: 1, Amount: 100})
		c.Requested += 100
	}
	f.step(t, c, aftersales.ActSubmit, nil, true)
	return c
}

// step applies a to c (set changes it first) and writes it through the
// mall's store.
func (f *fixture) step(t *testing.T, c *aftersales.Case, a aftersales.Action, set func(*aftersales.Case), create bool) {
	t.Helper()
	prev := c.Version
	if set != nil {
		set(c)
	}
	if err := c.Apply(aftersales.Change{Action: a, Actor: "staff:s-1", At: storetest.Epoch.Add(time.Duration(c.Version) * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var err error
	if create {
		err = f.mall.CreateCase(t.Context(), c, nil)
	} else {
		err = f.mall.UpdateCase(t.Context(), c, prev)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Raised) != 0 {
		t.Fatalf("the caller's case was given events %v", c.Raised)
	}
}

// raised returns the outbox's events by type; each must follow its schema.
func (f *fixture) raised(t *testing.T) map[string][]aftersales.DomainEvent {
	t.Helper()
	es, err := f.store.PendingEvents(t.Context(), storetest.Epoch.Add(1000*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]aftersales.DomainEvent{}
	for _, e := range es {
		b, _ := json.Marshal(eventbus.DetailOf(e))
		if err := schemas.Validate(b); err != nil {
			t.Errorf("%s breaks its schema: %v\n%s", e.ID, err, b)
		}
		out[e.Type] = append(out[e.Type], e)
	}
	return out
}

// toRefunding takes a fresh return to refunding through a receipt of the
// given condition ("" for the receipt deadline's, which inspects nothing).
func (f *fixture) toRefunding(t *testing.T, c *aftersales.Case, condition string) {
	t.Helper()
	f.step(t, c, aftersales.ActApprove, nil, false)
	f.step(t, c, aftersales.ActShipReturn, nil, false)
	f.step(t, c, aftersales.ActReturnDelivered, nil, false)
	f.step(t, c, aftersales.ActConfirmReceipt, func(c *aftersales.Case) { c.ReturnCondition = condition }, false)
}

// TestStock: one event per line by the inspected condition; none for an
// uninspected receipt.
func TestStock(t *testing.T) {
	tests := []struct {
		name      string
		condition string
		want      map[string]int
	}{
		{"sellable", aftersales.ConditionSellable, map[string]int{aftersales.EventRestock: 2}},
		{"defective", aftersales.ConditionDefective, map[string]int{aftersales.EventDefective: 2}},
		{"not inspected", "", map[string]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "regular", 1000, nil)
			c := f.create(t, "as_1", "l1", "l2")
			f.toRefunding(t, c, tc.condition)
			got := f.raised(t)
			for _, typ := range []string{aftersales.EventRestock, aftersales.EventDefective} {
				if len(got[typ]) != tc.want[typ] {
					t.Errorf("%d %s, want %d", len(got[typ]), typ, tc.want[typ])
				}
			}
			for _, e := range append(got[aftersales.EventRestock], got[aftersales.EventDefective]...) {
				if e.CaseID != "as_1" || e.Detail["sku"] == "" || e.Detail["quantity"] != json.Number("1") {
					t.Errorf("event %+v", e)
				}
			}
		})
	}
}

// TestCoupon: the first coupon rule that holds grants its coupon when the
// case completes the first time; a rule that does not hold, or a second
// completion, grants nothing.
func TestCoupon(t *testing.T) {
	withCoupons := func(rules ...aftersales.CouponRule) *aftersales.RuleSet {
		rs := aftersales.DefaultRuleSet()
		rs.Mall.Coupons = rules
		return rs
	}
	quality := aftersales.CouponRule{ID: "retain-quality", Coupon: "RETAIN-10", Amount: 1000,
		When: aftersales.Condition{Reasons: []string{"quality_issue"}}}
	exchanges := aftersales.CouponRule{ID: "exchanges", Coupon: "EX-5", When: aftersales.Condition{CaseTypes: []aftersales.CaseType{aftersales.Exchange}}}
	tests := []struct {
		name     string
		rs       *aftersales.RuleSet
		wantRule string
	}{
		{"the first rule that holds", withCoupons(exchanges, quality), "retain-quality"},
		{"no rule holds", withCoupons(exchanges), ""},
		{"no rules (the default)", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "regular", 1000, tc.rs)
			c := f.create(t, "as_1", "l1")
			f.toRefunding(t, c, aftersales.ConditionSellable)
			if n := len(f.raised(t)[aftersales.EventCouponGrant]); n != 0 {
				t.Fatalf("%d coupons before completion", n)
			}
			f.step(t, c, aftersales.ActRefundSucceeded, nil, false)
			// Disputed after completion and completed again: no second coupon.
			f.step(t, c, aftersales.ActOpenDispute, func(c *aftersales.Case) {
				c.Dispute = &aftersales.Dispute{Kind: aftersales.DisputeAmount}
			}, false)
			f.step(t, c, aftersales.ActAgree, nil, false)
			f.step(t, c, aftersales.ActRefundSucceeded, nil, false)
			got := f.raised(t)[aftersales.EventCouponGrant]
			switch {
			case tc.wantRule == "" && len(got) != 0:
				t.Errorf("coupons %+v, want none", got)
			case tc.wantRule != "" && (len(got) != 1 || got[0].Detail["rule_id"] != tc.wantRule || got[0].Detail["coupon"] != "RETAIN-10"):
				t.Errorf("coupons %+v, want one by %s", got, tc.wantRule)
			}
		})
	}
}

// TestFollowUp: a high-value buyer's first case asks staff to call, by
// tier or by the order's amount; a second case, or an ordinary buyer's,
// does not.
func TestFollowUp(t *testing.T) {
	tests := []struct {
		name  string
		tier  string
		paid  int64
		cases int
		want  int
	}{
		{"a diamond member's first case", "diamond", 1000, 1, 1},
		{"a large order's first case", "regular", 200000, 1, 1},
		{"an ordinary buyer", "gold", 1000, 1, 0},
		{"a second case", "diamond", 1000, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.tier, tc.paid, nil)
			for i := range tc.cases {
				f.create(t, []string{"as_1", "as_2"}[i], []string{"l1", "l2"}[i])
			}
			got := f.raised(t)[aftersales.EventFollowUp]
			if len(got) != tc.want {
				t.Fatalf("follow-ups %+v, want %d", got, tc.want)
			}
			if tc.want == 1 && (got[0].CaseID != "as_1" || got[0].ID != "buyer:b-1:staff.follow_up") {
				t.Errorf("follow-up %+v, want the first case's, under the buyer's id", got[0])
			}
		})
	}
}
