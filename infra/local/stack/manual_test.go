package stack

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// TestBankCardRefundIsPaidByHand runs a bank-card order's refund through
// the whole local stack (live mode): the approved refund becomes a task for
// finance, booked in the ledger as manual and announced, is reminded after
// a day, and completes once when staff mark it paid with a reference.
func TestBankCardRefundIsPaidByHand(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	finance := st.as(t, "finance-1", "reviewer")
	o := &aftersales.Order{ID: "o-2001", Version: 1, EventID: "ev-o-2001-1", BuyerID: "buyer-1", BuyerPhone: "13800002001", ShopID: "main",
		Status: aftersales.OrderPaid, PaidAt: st.Clock.Now().Add(-time.Hour).UTC().Truncate(time.Second), Currency: aftersales.CNY,
		Payment: aftersales.Payment{Channel: aftersales.ChannelBankCard, TransactionID: "UP-2001", Amount: 9900},
		Lines: []aftersales.OrderLine{{LineID: "l1", SKU: "MUG", Name: "Mug", Kind: aftersales.KindPhysical, Category: "home",
			Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}}}
	body, err := json.Marshal(mallhook.FromOrder(o))
	if err != nil {
		t.Fatal(err)
	}
	if status, resp, err := st.postOrder(t.Context(), body); err != nil || status != http.StatusNoContent {
		t.Fatalf("posting the bank-card order: %d %s %v", status, resp, err)
	}

	c := st.apply(t, buyer, app("o-2001", "refund_only", "wrong_item", "l1", 1))
	wantStatus(t, c, "refunding")
	if c.Next == nil || c.Next.Actor != "merchant" || c.Next.Action != "mark_refund_paid" {
		t.Fatalf("next %+v, want the merchant to mark the refund paid", c.Next)
	}
	if countActions(c, "refund_manual") != 1 || countActions(c, "refund_failed") != 0 {
		t.Fatalf("timeline %v, want one refund_manual and no failure", actions(c))
	}
	types := map[string]int{}
	for _, e := range st.Events.Events() {
		types[e.Type]++
	}
	if types[aftersales.EventRefundManual] != 1 || types[aftersales.EventRefundFailed] != 0 {
		t.Fatalf("domain events %v, want one %s", types, aftersales.EventRefundManual)
	}
	row := func() map[string]any {
		t.Helper()
		var page struct{ Items []map[string]any }
		finance.do("GET", "/v1/staff/refunds?order_id=o-2001", nil).decode(t, &page)
		if len(page.Items) != 1 {
			t.Fatalf("ledger rows of o-2001: %v, want 1", page.Items)
		}
		return page.Items[0]
	}
	if r := row(); r["status"] != "manual" || r["channel"] != "bankcard" || r["sandbox"] != false || r["amount"] != float64(9900) {
		t.Fatalf("ledger row %v, want a manual bank-card refund of 9900, not sandbox", r)
	}

	st.advance(t, 25*time.Hour)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "refunding")
	if countActions(c, "remind") < 1 {
		t.Fatalf("no reminder after a day: %v", actions(c))
	}

	act(t, buyer, "/v1/staff/cases/"+c.ID+"/mark-refund-paid", map[string]any{"reference": "UP-TRX-1"}, http.StatusForbidden)
	act(t, finance, "/v1/staff/cases/"+c.ID+"/mark-refund-paid", map[string]any{}, http.StatusUnprocessableEntity)
	act(t, finance, "/v1/staff/cases/"+c.ID+"/mark-refund-paid", map[string]any{"reference": "UP-TRX-1"}, http.StatusOK)
	st.settle(t)
	act(t, finance, "/v1/staff/cases/"+c.ID+"/mark-refund-paid", map[string]any{"reference": "UP-TRX-2"}, http.StatusConflict)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 9900 || countActions(c, "refund_succeeded") != 1 {
		t.Fatalf("refunded %d, timeline %v", c.RefundedAmount, actions(c))
	}
	if r := row(); r["status"] != "succeeded" || r["paid_by"] != "staff:finance-1" || r["provider_refund_id"] != "UP-TRX-1" || r["arrived_at"] == nil {
		t.Fatalf("ledger row after marking paid: %v", r)
	}
}
