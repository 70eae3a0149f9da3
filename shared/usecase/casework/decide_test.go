package casework_test

import (
	"context"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// listCounter counts the case lists read.
type listCounter struct {
	*memstore.Store
	lists int
}

func (s *listCounter) ListCases(ctx context.Context, q aftersales.CaseQuery) (aftersales.CasePage, error) {
	s.lists++
	return s.Store.ListCases(ctx, q)
}

// TestDecideReadsRefundHistoryOnlyWhenARuleAsks decides one case of buyer
// b1, who has two completed refunds in the last 90 days (and older or
// unpaid cases that do not count), under rule sets with and without a
// refund-count rule.
func TestDecideReadsRefundHistoryOnlyWhenARuleAsks(t *testing.T) {
	now := storetest.Epoch
	atLeast := func(n int) *aftersales.RuleSet {
		rs := aftersales.DefaultRuleSet()
		rs.Rules = append([]aftersales.Rule{{ID: "frequent", When: aftersales.Condition{RefundsAtLeast: &n},
			Then: aftersales.Outcome{Decision: aftersales.OutcomeManual, Level: aftersales.RoleAdmin}}}, rs.Rules...)
		return rs
	}
	tests := []struct {
		name      string
		rs        *aftersales.RuleSet // nil: none stored, the default
		rule      string
		wantLists bool
	}{
		{name: "the default set never reads the history", rule: "small-amount"},
		{name: "two refunds meet at least 2", rs: atLeast(2), rule: "frequent", wantLists: true},
		{name: "two refunds do not meet at least 3", rs: atLeast(3), rule: "small-amount", wantLists: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &listCounter{Store: memstore.New(storetest.NewFakeClock(now))}
			for i, past := range []struct {
				age      time.Duration
				status   aftersales.Status
				refunded int64
			}{
				{10 * 24 * time.Hour, aftersales.StatusCompleted, 1000},
				{80 * 24 * time.Hour, aftersales.StatusCompleted, 500},
				{100 * 24 * time.Hour, aftersales.StatusCompleted, 700}, // too old
				{5 * 24 * time.Hour, aftersales.StatusClosed, 0},        // no money back
			} {
				c := &aftersales.Case{ID: "as_past" + string(rune('a'+i)), BuyerID: "b1", OrderID: "o0", Type: aftersales.RefundOnly,
					Status: past.status, Refunded: past.refunded, Version: 1, CreatedAt: now.Add(-past.age), UpdatedAt: now.Add(-past.age)}
				if err := store.CreateCase(t.Context(), c, nil); err != nil {
					t.Fatal(err)
				}
			}
			rules := memstore.NewRuleSets()
			if tt.rs != nil {
				if err := rules.PutRuleSet(t.Context(), tt.rs); err != nil {
					t.Fatal(err)
				}
			}
			store.lists = 0
			c := &aftersales.Case{BuyerID: "b1", Type: aftersales.ReturnRefund, Requested: 3000, Status: aftersales.StatusSubmitted,
				Lines: []aftersales.CaseLine{{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, Amount: 3000}}}
			o := &aftersales.Order{ID: "o1", BuyerID: "b1", Status: aftersales.OrderDelivered, ShippedAt: now.Add(-48 * time.Hour)}
			d, rs, err := casework.Decide(t.Context(), store, rules, nil, c, o, now)
			if err != nil || rs == nil {
				t.Fatal(err)
			}
			if d.RuleID != tt.rule || (store.lists > 0) != tt.wantLists {
				t.Fatalf("decided by %q with %d list reads; want %q, history read %v", d.RuleID, store.lists, tt.rule, tt.wantLists)
			}
			if err := casework.ApplyDecision(c, d, now); err != nil {
				t.Fatal(err)
			}
			if c.Decision == nil || c.Decision.RuleID != tt.rule || c.Status == aftersales.StatusSubmitted {
				t.Fatalf("applied: %+v", c)
			}
		})
	}
}
