package stack

import (
	"net/http"
	"strings"
	"testing"
)

// ledgerSum is what the refund ledger holds for an order (every refund not
// closed: succeeded, processing, manual), read through the staff API; it
// fails the test if that passes paid, what the buyer paid for the order.
func ledgerSum(t *testing.T, st *Stack, orderID string, paid int64) int64 {
	t.Helper()
	var ledger struct {
		Items []struct {
			Amount int64  `json:"amount"`
			Status string `json:"status"`
		} `json:"items"`
	}
	res := st.as(t, "auditor", "reviewer").do("GET", "/v1/staff/refunds?order_id="+orderID, nil)
	if res.status != http.StatusOK {
		t.Fatalf("ledger of %s: %d %s", orderID, res.status, res.body)
	}
	res.decode(t, &ledger)
	var sum int64
	for _, r := range ledger.Items {
		if r.Status != "closed" {
			sum += r.Amount
		}
	}
	if sum > paid {
		t.Errorf("order %s: refunds add up to %d, more than the %d paid", orderID, sum, paid)
	}
	return sum
}

// decisionReason is the reason of the case's decision, as the buyer reads it.
func decisionReason(t *testing.T, c *client, id string) string {
	t.Helper()
	var got struct {
		Decision struct {
			Reason string `json:"reason"`
		} `json:"decision"`
	}
	c.do("GET", "/v1/cases/"+id, nil).decode(t, &got)
	return got.Decision.Reason
}

// TestVirtualGoodsCheckedLive (F18): whether a coupon was used is asked of
// the mall's coupon service when the case is decided, signed with the
// mall's secret: an unused coupon is approved and refunded with nobody
// involved; one the snapshot calls unused but the mall saw used since is
// rejected, and the buyer reads when and where it was used.
func TestVirtualGoodsCheckedLive(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")

	unused := st.apply(t, buyer, app("o-1004", "refund_only", "virtual_unused", "l1", 1))
	wantStatus(t, unused, "completed")
	if unused.Decision == nil || unused.Decision.RuleID != "virtual-unused" || unused.RefundedAmount != 5000 {
		t.Fatalf("unused coupon: decision %+v, refunded %d; want virtual-unused, 5000", unused.Decision, unused.RefundedAmount)
	}
	if got := actions(unused); !equal(got, []string{"submit", "approve", "await", "refund_started", "refund_succeeded"}) {
		t.Errorf("timeline %v: no person should be involved", got)
	}

	used := st.apply(t, buyer, app("o-1009", "refund_only", "virtual_unused", "l1", 1))
	wantStatus(t, used, "rejected")
	if used.Decision == nil || used.Decision.RuleID != "virtual-redeemed" {
		t.Fatalf("used coupon decided by %+v, want virtual-redeemed", used.Decision)
	}
	reason := decisionReason(t, buyer, used.ID)
	for _, want := range []string{"used virtual goods are not refundable", "Coffee voucher was redeemed at", "Central Station café"} {
		if !strings.Contains(reason, want) {
			t.Errorf("the buyer reads %q, which does not say %q", reason, want)
		}
	}
	answered, refused := st.MallCoupons.Queries()
	if answered != 2 || refused != 0 {
		t.Errorf("the coupon service answered %d signed queries and refused %d; want 2 and 0", answered, refused)
	}

	// Nothing more is refunded than was paid: the coupon's line is spent.
	if sum := ledgerSum(t, st, "o-1004", 5000); sum != 5000 {
		t.Errorf("o-1004 ledger holds %d, want 5000", sum)
	}
	if sum := ledgerSum(t, st, "o-1009", 3000); sum != 0 {
		t.Errorf("o-1009 ledger holds %d, want 0", sum)
	}
	again := buyer.do("POST", "/v1/cases", app("o-1004", "refund_only", "virtual_unused", "l1", 1), "Idempotency-Key", "again")
	if p := again.problem(t, http.StatusUnprocessableEntity); !p.names("lines") {
		t.Errorf("a second refund of the spent coupon: %+v, want a problem naming lines", p)
	}
}
