package usecase_test

import (
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// withShipping gives the fixture's order o1 a shipping fee of 10.00 CNY
// (a later snapshot, paid on top) and stores a rule set that gives the
// shipping share back for size returns.
func withShipping(t *testing.T, svc *usecase.Services) {
	t.Helper()
	o, err := svc.Cases.Orders.GetOrder(t.Context(), "o1")
	if err != nil {
		t.Fatal(err)
	}
	o.Version, o.EventID, o.Fees.Shipping, o.Payment.Amount = 2, "ev-o1-2", 1000, 31000
	if _, err := svc.Orders.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	rs := aftersales.DefaultRuleSet()
	rs.Version = 0
	rs.Fees.RefundShippingFor = []string{"size_not_fit"}
	if _, err := svc.RuleSets.PutRuleSet(t.Context(), aftersales.Principal{ID: "a1", Roles: []aftersales.Role{aftersales.RoleAdmin}}, rs); err != nil {
		t.Fatal(err)
	}
}

// TestCaseClaimsShippingShare: a return whose reason the rule set names in
// fees.refund_shipping_for claims its lines' share of the shipping fee as
// a line of its own, booked on the shipping account: one of l1's two units
// (200.00 of the 300.00 of goods) bears 1000 × 2/3 / 2 = 333.
func TestCaseClaimsShippingShare(t *testing.T) {
	svc, _ := newService(t)
	withShipping(t, svc)
	res, err := svc.Cases.CreateCase(t.Context(), buyer, app("l1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Case
	if len(c.Lines) != 2 || c.Lines[1].LineID != aftersales.FeeShippingID || c.Lines[1].Amount != 333 || c.Requested != 10333 {
		t.Fatalf("case lines %+v, requested %d", c.Lines, c.Requested)
	}
	// Another reason claims no shipping.
	svc2, _ := newService(t)
	withShipping(t, svc2)
	a := app("l2")
	a.Reason = "no_reason_7_days"
	res, err = svc2.Cases.CreateCase(t.Context(), buyer, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Case.Lines) != 1 || res.Case.Requested != 10000 {
		t.Fatalf("no-reason return lines %+v, requested %d", res.Case.Lines, res.Case.Requested)
	}
}

// TestGoodwillOnFeeAccount: staff give the shipping fee back as goodwill
// (F28 on the fee ledger of issue 17): up to what was paid into the
// account, no more.
func TestGoodwillOnFeeAccount(t *testing.T) {
	staff := aftersales.Principal{ID: "s9", Roles: []aftersales.Role{aftersales.RoleReviewer}}
	tests := []struct {
		name   string
		amount int64
		field  string // "" accepted
	}{
		{"the whole shipping fee", 1000, ""},
		{"a fen more than the shipping fee", 1001, "amount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, _ := newService(t)
			withShipping(t, svc)
			res, err := svc.Cases.Goodwill(t.Context(), staff, aftersales.GoodwillRequest{OrderID: "o1",
				Lines: []string{aftersales.FeeShippingID}, Amount: tc.amount, Reason: "late_delivery"}, nil)
			if tc.field != "" {
				if fs := aftersales.FieldsOf(err); len(fs) != 1 || fs[0].Field != tc.field {
					t.Fatalf("goodwill of %d: %v", tc.amount, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c := res.Case; len(c.Lines) != 1 || c.Lines[0].Kind != aftersales.KindFee || c.Approved != tc.amount {
				t.Fatalf("goodwill case %+v", c)
			}
		})
	}
}

// TestRefundRateCondition: a rule on the buyer's refund rate reads the
// buyer's cases of the period (casework.Decide): of two earlier cases, one
// refunded is 50%, so a rule from 50% holds and one from 60% does not;
// staff's goodwill cases do not count.
func TestRefundRateCondition(t *testing.T) {
	tests := []struct {
		name    string
		atLeast int
		rule    string
	}{
		{"50% of the buyer's cases were refunded: at least 50 holds", 50, "high-refund-rate"},
		{"at least 60 does not", 60, "default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := memstore.New(storetest.NewFakeClock(storetest.Epoch))
			svc, _ := newServiceWith(t, usecase.Ports{Cases: store, Orders: store, Idempotency: store, Refunds: store}, noBlobs{},
				storetest.NewFakeClock(storetest.Epoch))
			earlier := func(id string, typ aftersales.CaseType, status aftersales.Status, refunded int64) {
				c := &aftersales.Case{ID: id, OrderID: "o-old", BuyerID: "b1", Type: typ, Status: status, Refunded: refunded,
					Version: 1, CreatedAt: storetest.Epoch.Add(-24 * time.Hour), UpdatedAt: storetest.Epoch}
				if err := store.CreateCase(t.Context(), c, nil); err != nil {
					t.Fatal(err)
				}
			}
			earlier("as_old1", aftersales.RefundOnly, aftersales.StatusCompleted, 1000)
			earlier("as_old2", aftersales.ReturnRefund, aftersales.StatusRejected, 0)
			earlier("as_old3", aftersales.Goodwill, aftersales.StatusCompleted, 500) // the merchant's, not the buyer's
			rs := aftersales.DefaultRuleSet()
			rs.Version = 0
			rs.Rules = append([]aftersales.Rule{{ID: "high-refund-rate",
				When: aftersales.Condition{RefundRateDays: ptrTo(30), RefundRateAtLeast: ptrTo(tc.atLeast)},
				Then: aftersales.Outcome{Decision: aftersales.OutcomeManual, Level: aftersales.RoleAdmin}}}, rs.Rules...)
			if _, err := svc.RuleSets.PutRuleSet(t.Context(), aftersales.Principal{ID: "a1", Roles: []aftersales.Role{aftersales.RoleAdmin}}, rs); err != nil {
				t.Fatal(err)
			}
			pv, err := svc.Cases.Preview(t.Context(), buyer, app("l1"))
			if err != nil {
				t.Fatal(err)
			}
			if pv.Decision.RuleID != tc.rule {
				t.Errorf("decided by %q, want %q", pv.Decision.RuleID, tc.rule)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
