package stack

import (
	"net/http"
	"testing"
	"time"
)

// TestGoodwillRefund: staff refund a buyer without an application (F28);
// the refund goes through the WeChat Pay sandbox and the ledger, the buyer
// sees the case, a double click opens one case, the admin threshold and
// what was paid bound it.
func TestGoodwillRefund(t *testing.T) {
	st := startStack(t)
	reviewer := st.as(t, "staff-1", "reviewer")
	admin := st.as(t, "boss", "admin")
	buyer := st.as(t, "buyer-1", "buyer")
	body := map[string]any{"order_id": "o-1001", "amount": 3000, "reason": "late_delivery", "note": "sorry for the wait"}

	res := reviewer.do("POST", "/v1/staff/goodwill-refunds", body, "Idempotency-Key", "gw-1")
	if res.status != http.StatusCreated {
		t.Fatalf("goodwill: %d %s", res.status, res.body)
	}
	var c caseBody
	res.decode(t, &c)
	if c.Type != "goodwill" || c.Status != "refunding" || c.ApprovedAmount != 3000 || c.BuyerID != "buyer-1" {
		t.Fatalf("goodwill case %+v", c)
	}
	again := reviewer.do("POST", "/v1/staff/goodwill-refunds", body, "Idempotency-Key", "gw-1")
	var same caseBody
	again.decode(t, &same)
	if again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "true" || same.ID != c.ID {
		t.Fatalf("the same key again: %d %s, want the first case replayed", again.status, again.body)
	}
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 3000 || st.WeChatPay.Payouts(c.ID+"-1") != 1 {
		t.Errorf("refunded %d, paid %d times", c.RefundedAmount, st.WeChatPay.Payouts(c.ID+"-1"))
	}
	if got := actions(c); !equal(got, []string{"submit", "approve", "await", "refund_started", "refund_succeeded"}) {
		t.Errorf("timeline %v", got)
	}
	var mine struct {
		Items []caseBody `json:"items"`
	}
	buyer.do("GET", "/v1/cases", nil).decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != c.ID {
		t.Errorf("the buyer's cases: %+v", mine.Items)
	}
	var ledger struct {
		Items []struct {
			CaseID string `json:"case_id"`
			Amount int64  `json:"amount"`
			Status string `json:"status"`
		} `json:"items"`
	}
	reviewer.do("GET", "/v1/staff/refunds?order_id=o-1001", nil).decode(t, &ledger)
	if len(ledger.Items) != 1 || ledger.Items[0].CaseID != c.ID || ledger.Items[0].Amount != 3000 || ledger.Items[0].Status != "succeeded" {
		t.Errorf("ledger %+v", ledger.Items)
	}

	tests := []struct {
		name   string
		caller *client
		body   map[string]any
		status int
		field  string
	}{
		{"above the admin threshold, a reviewer", reviewer, map[string]any{"order_id": "o-1008", "amount": 60000, "reason": "service_apology"}, http.StatusForbidden, ""},
		{"more than is left of what was paid", admin, map[string]any{"order_id": "o-1001", "amount": 16801, "reason": "late_delivery"}, http.StatusUnprocessableEntity, "amount"},
		{"an unknown reason", admin, map[string]any{"order_id": "o-1001", "amount": 1, "reason": "because"}, http.StatusUnprocessableEntity, "reason"},
		{"an unknown order", admin, map[string]any{"order_id": "o-nope", "amount": 1, "reason": "late_delivery"}, http.StatusUnprocessableEntity, "order_id"},
		{"the caller's own order", st.as(t, "buyer-1", "buyer", "admin"), map[string]any{"order_id": "o-1001", "amount": 1, "reason": "late_delivery"}, http.StatusForbidden, ""},
		{"a buyer", buyer, map[string]any{"order_id": "o-1001", "amount": 1, "reason": "late_delivery"}, http.StatusForbidden, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.caller.do("POST", "/v1/staff/goodwill-refunds", tc.body, "Idempotency-Key", "gw-bad-"+string(rune('a'+i))).problem(t, tc.status)
			if tc.field != "" && !p.names(tc.field) {
				t.Errorf("problem %+v does not name %s", p, tc.field)
			}
		})
	}
	// The rest of what was paid (19800 - 3000) can still be given back,
	// and not a minor unit more.
	res = admin.do("POST", "/v1/staff/goodwill-refunds", map[string]any{"order_id": "o-1001", "amount": 16800, "reason": "other_goodwill"}, "Idempotency-Key", "gw-2")
	if res.status != http.StatusCreated {
		t.Fatalf("the rest: %d %s", res.status, res.body)
	}
	st.settle(t)
	res.decode(t, &c)
	wantStatus(t, st.get(t, buyer, c.ID), "completed")
	admin.do("POST", "/v1/staff/goodwill-refunds", map[string]any{"order_id": "o-1001", "amount": 1, "reason": "other_goodwill"}, "Idempotency-Key", "gw-3").
		problem(t, http.StatusUnprocessableEntity)
}

// TestLostGoodwillIntakeRecoveredBySweeper: a goodwill case whose intake
// message was lost is refunded once the sweeper finds it.
func TestLostGoodwillIntakeRecoveredBySweeper(t *testing.T) {
	st := startStack(t)
	st.FailIntake(true)
	res := st.as(t, "staff-1", "reviewer").do("POST", "/v1/staff/goodwill-refunds",
		map[string]any{"order_id": "o-1001", "amount": 500, "reason": "late_delivery"}, "Idempotency-Key", "gw-lost")
	if res.status != http.StatusCreated {
		t.Fatalf("goodwill while the queue is down: %d %s", res.status, res.body)
	}
	var c caseBody
	res.decode(t, &c)
	st.FailIntake(false)
	st.settle(t)
	buyer := st.as(t, "buyer-1", "buyer")
	wantStatus(t, st.get(t, buyer, c.ID), "refunding")
	st.advance(t, 6*time.Minute)
	st.advance(t, 5*time.Minute)
	wantStatus(t, st.get(t, buyer, c.ID), "completed")
}
