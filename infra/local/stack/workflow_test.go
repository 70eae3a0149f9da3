package stack

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// apply creates a case as buyer and lets the workflow run until it waits.
func (st *Stack) apply(t *testing.T, buyer *client, body map[string]any) caseBody {
	t.Helper()
	res := buyer.do("POST", "/v1/cases", body, "Idempotency-Key", randomHex(8))
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var c caseBody
	res.decode(t, &c)
	st.settle(t)
	return st.get(t, buyer, c.ID)
}

func (st *Stack) get(t *testing.T, c *client, id string) caseBody {
	t.Helper()
	var got caseBody
	res := c.do("GET", "/v1/cases/"+id, nil)
	if res.status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, res.status, res.body)
	}
	res.decode(t, &got)
	return got
}

// settle waits until the queues are drained and no workflow has work to do.
func (st *Stack) settle(t *testing.T) {
	t.Helper()
	if err := st.WaitIdle(t.Context()); err != nil {
		t.Fatalf("settle: %v", err)
	}
}

// advance moves the clock and lets everything that fell due run.
func (st *Stack) advance(t *testing.T, d time.Duration) {
	t.Helper()
	st.Clock.Advance(d)
	st.settle(t)
}

// act posts a case action and decodes the case it answers.
func act(t *testing.T, c *client, path string, body any, wantStatus int) caseBody {
	t.Helper()
	res := c.do("POST", path, body)
	if res.status != wantStatus {
		t.Fatalf("POST %s: %d %s, want %d", path, res.status, res.body, wantStatus)
	}
	var got caseBody
	if wantStatus == http.StatusOK {
		res.decode(t, &got)
	}
	return got
}

func actions(c caseBody) []string {
	var out []string
	for _, e := range c.Timeline {
		out = append(out, e.Action)
	}
	return out
}

func wantStatus(t *testing.T, c caseBody, status string) {
	t.Helper()
	if c.Status != status {
		t.Fatalf("case %s is %s, want %s; timeline %v", c.ID, c.Status, status, actions(c))
	}
}

func app(order, typ, reason, line string, qty int) map[string]any {
	return map[string]any{"order_id": order, "type": typ, "reason": reason,
		"lines": []map[string]any{{"line_id": line, "quantity": qty}}}
}

func TestAutoApprovedRefundCompletes(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	c := st.apply(t, buyer, app("o-1001", "refund_only", "wrong_item", "l1", 1))
	wantStatus(t, c, "completed")
	if c.Decision == nil || c.Decision.By != "rules" || c.Decision.RuleID == "" || c.Decision.RuleSetVersion != 1 || c.Decision.Outcome != "approve" {
		t.Fatalf("decision %+v", c.Decision)
	}
	if c.RefundedAmount != 9900 || c.ApprovedAmount != 9900 {
		t.Errorf("approved %d refunded %d", c.ApprovedAmount, c.RefundedAmount)
	}
	// The WeChat Pay sandbox accepted the refund (PROCESSING: "expected in
	// 1-3 working days"), then its signed, encrypted notification reached
	// /webhooks/wechatpay and completed the refund's wait.
	want := []string{"submit", "approve", "await", "refund_started", "refund_succeeded"}
	if got := actions(c); !equal(got, want) {
		t.Errorf("timeline %v, want %v", got, want)
	}
	if last := c.Timeline[len(c.Timeline)-1]; last.Actor != "provider:wechatpay" {
		t.Errorf("refund confirmed by %q, want provider:wechatpay (the notification)", last.Actor)
	}
	if n := st.WeChatPay.Payouts(c.ID + "-1"); n != 1 {
		t.Errorf("the WeChat Pay sandbox paid %s %d times", c.ID+"-1", n)
	}
	if n := st.billedTransitions(t, c.ID); n > 8 {
		t.Errorf("auto-approved refund took %d billed transitions, want <= 8", n)
	}
}

func TestManualReviewReturnAndRefund(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")
	c := st.apply(t, buyer, app("o-1002", "return_refund", "size_not_fit", "l1", 1))
	wantStatus(t, c, "pending_review")
	if c.Next == nil || c.Next.Actor != "merchant" || c.Next.Deadline == nil || !c.Next.Deadline.Equal(start.Add(5*24*time.Hour)) {
		t.Fatalf("next %+v, want merchant review within 5 days of a shipped order", c.Next)
	}
	c = act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{"note": "ok"}, 200)
	wantStatus(t, c, "awaiting_return")
	st.settle(t)
	// The buyer posts the waybill from another terminal.
	act(t, st.as(t, "buyer-1", "buyer"), "/v1/cases/"+c.ID+"/return-shipment", map[string]any{"courier": "shunfeng", "tracking_number": "SF1234567890"}, 200)
	st.settle(t)
	c = act(t, staff, "/v1/staff/cases/"+c.ID+"/receipt", map[string]any{"condition": "sellable"}, 200)
	wantStatus(t, c, "refunding")
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 49900 {
		t.Errorf("refunded %d, want 49900", c.RefundedAmount)
	}
}

func TestExchangePath(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")
	c := st.apply(t, buyer, app("o-1002", "exchange", "size_exchange", "l2", 1))
	wantStatus(t, c, "pending_review")
	act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, 200)
	st.settle(t)
	act(t, buyer, "/v1/cases/"+c.ID+"/return-shipment", map[string]any{"courier": "yuantong", "tracking_number": "YT9876543210"}, 200)
	st.settle(t)
	act(t, staff, "/v1/staff/cases/"+c.ID+"/receipt", map[string]any{"condition": "defective", "note": "seam torn"}, 200)
	st.settle(t)
	wantStatus(t, st.get(t, buyer, c.ID), "reshipping")
	// A missed reship deadline reminds staff and keeps waiting.
	st.advance(t, 4*24*time.Hour)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "reshipping")
	c = act(t, staff, "/v1/staff/cases/"+c.ID+"/reship", map[string]any{"courier": "yuantong", "tracking_number": "YT1111111111"}, 200)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 0 {
		t.Errorf("an exchange refunded %d", c.RefundedAmount)
	}
	if !contains(actions(c), "remind") {
		t.Errorf("no reminder in %v", actions(c))
	}
}

func TestDeadlines(t *testing.T) {
	type step struct {
		advance time.Duration
		status  string
	}
	tests := []struct {
		name  string
		buyer string
		app   map[string]any
		setup func(t *testing.T, st *Stack, c caseBody)
		steps []step
		actor string // actor of the deadline's timeline entry
	}{
		{"review deadline approves (shipped order: 5 days)", "buyer-1", app("o-1002", "return_refund", "size_not_fit", "l1", 1), nil,
			[]step{{119 * time.Hour, "pending_review"}, {2 * time.Hour, "awaiting_return"}}, "system:deadline"},
		{"return not shipped in 7 days closes", "buyer-1", app("o-1002", "return_refund", "size_not_fit", "l1", 1),
			func(t *testing.T, st *Stack, c caseBody) {
				act(t, st.as(t, "staff-1", "reviewer"), "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, 200)
				st.settle(t)
			},
			[]step{{7*24*time.Hour - time.Minute, "awaiting_return"}, {2 * time.Minute, "closed"}}, "system:deadline"},
		// The standard courier journey signs for the return 48 h after the
		// waybill; the receipt deadline counts from then (issue 15).
		{"receipt not confirmed in 10 days of delivery refunds", "buyer-1", app("o-1002", "return_refund", "size_not_fit", "l1", 1),
			func(t *testing.T, st *Stack, c caseBody) {
				act(t, st.as(t, "staff-1", "reviewer"), "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, 200)
				st.settle(t)
				act(t, st.as(t, "buyer-1", "buyer"), "/v1/cases/"+c.ID+"/return-shipment", map[string]any{"courier": "shunfeng", "tracking_number": "SF1234567890"}, 200)
				st.settle(t)
			},
			[]step{{47 * time.Hour, "return_in_transit"}, {2 * time.Hour, "awaiting_receipt"},
				{10*24*time.Hour - 2*time.Hour, "awaiting_receipt"}, {2 * time.Hour, "completed"}}, "system:deadline"},
		{"evidence not added in 72 h closes", "buyer-1", app("o-1003", "claim", "produce_spoiled", "l1", 2), nil,
			[]step{{0, "awaiting_evidence"}, {71 * time.Hour, "awaiting_evidence"}, {2 * time.Hour, "closed"}}, "system:deadline"},
		{"rejection not disputed in 7 days closes", "buyer-1", app("o-1002", "return_refund", "size_not_fit", "l1", 1),
			func(t *testing.T, st *Stack, c caseBody) {
				act(t, st.as(t, "staff-1", "reviewer"), "/v1/staff/cases/"+c.ID+"/reject", map[string]any{"reason": "worn"}, 200)
				st.settle(t)
			},
			[]step{{0, "rejected"}, {7*24*time.Hour + time.Minute, "closed"}}, "system:deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := startStack(t)
			buyer := st.as(t, tt.buyer, "buyer")
			c := st.apply(t, buyer, tt.app)
			if tt.setup != nil {
				tt.setup(t, st, c)
			}
			for i, s := range tt.steps {
				st.advance(t, s.advance)
				c = st.get(t, buyer, c.ID)
				if c.Status != s.status {
					t.Fatalf("step %d (+%s): %s, want %s; timeline %v", i, s.advance, c.Status, s.status, actions(c))
				}
			}
			found := false
			for _, e := range c.Timeline {
				found = found || e.Actor == tt.actor
			}
			if !found {
				t.Errorf("no timeline entry by %s: %+v", tt.actor, c.Timeline)
			}
		})
	}
}

func TestEvidenceRequestedThenReviewed(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	c := st.apply(t, buyer, app("o-1003", "claim", "produce_spoiled", "l1", 2))
	wantStatus(t, c, "awaiting_evidence")
	if c.Next == nil || c.Next.Actor != "buyer" || c.Next.Deadline == nil {
		t.Fatalf("next %+v", c.Next)
	}
	act(t, buyer, "/v1/cases/"+c.ID+"/evidence", map[string]any{"evidence_ids": producePhotos(t, buyer, c.ID)}, 200)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "pending_review") // produce claims go to a person
}

func TestPartialApprovalAndAdminThreshold(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-2", "buyer")
	reviewer := st.as(t, "staff-1", "reviewer")
	admin := st.as(t, "boss", "admin")
	c := st.apply(t, buyer, app("o-1005", "return_refund", "quality_issue", "l1", 1))
	wantStatus(t, c, "pending_review")
	reviewer.do("POST", "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}).problem(t, http.StatusForbidden)
	// A quality problem needs verified evidence before anyone approves it.
	p := admin.do("POST", "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}).problem(t, http.StatusConflict)
	if !strings.Contains(p.Detail, "needs verified evidence") {
		t.Errorf("approval without evidence: %+v", p)
	}
	act(t, buyer, "/v1/cases/"+c.ID+"/evidence", map[string]any{"evidence_ids": []string{st.uploadEvidence(t, buyer, c.ID)}}, 200)
	st.settle(t)
	p = admin.do("POST", "/v1/staff/cases/"+c.ID+"/approve", map[string]any{"amount": 400000}).problem(t, http.StatusUnprocessableEntity)
	if !p.names("amount") {
		t.Errorf("problem %+v", p)
	}
	p = admin.do("POST", "/v1/staff/cases/"+c.ID+"/approve", map[string]any{"amount": 100000}).problem(t, http.StatusUnprocessableEntity)
	if !p.names("note") {
		t.Errorf("a partial approval without a note: %+v", p)
	}
	c = act(t, admin, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{"amount": 100000, "note": "scratch only, 1000 yuan"}, 200)
	if c.ApprovedAmount != 100000 || c.Status != "awaiting_return" {
		t.Fatalf("partial approval: %+v", c)
	}
}

func TestConcurrentDecisionsOneWins(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	c := st.apply(t, buyer, app("o-1002", "return_refund", "size_not_fit", "l1", 1))
	wantStatus(t, c, "pending_review")
	staff := []*client{st.as(t, "a", "reviewer"), st.as(t, "b", "reviewer"), st.as(t, "c", "reviewer"), st.as(t, "d", "reviewer")}
	codes := make([]int, len(staff))
	var wg sync.WaitGroup
	for i, s := range staff {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path, body := "/approve", map[string]any{}
			if i%2 == 1 {
				path, body = "/reject", map[string]any{"reason": "no"}
			}
			codes[i] = s.do("POST", "/v1/staff/cases/"+c.ID+path, body).status
		}()
	}
	wg.Wait()
	ok := 0
	for _, code := range codes {
		switch code {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
		default:
			t.Errorf("unexpected status %d", code)
		}
	}
	if ok != 1 {
		t.Fatalf("%d decisions succeeded (%v), want exactly 1", ok, codes)
	}
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	decisions := 0
	for _, e := range c.Timeline {
		if e.Action == "approve" || e.Action == "reject" {
			decisions++
		}
	}
	if decisions != 1 {
		t.Errorf("timeline holds %d decisions: %v", decisions, actions(c))
	}
}

func TestLostIntakeMessageRecoveredBySweeper(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	st.FailIntake(true)
	res := buyer.do("POST", "/v1/cases", app("o-1001", "refund_only", "wrong_item", "l1", 1), "Idempotency-Key", "lost")
	if res.status != http.StatusCreated {
		t.Fatalf("create while the queue is down: %d %s", res.status, res.body)
	}
	var c caseBody
	res.decode(t, &c)
	st.FailIntake(false)
	st.settle(t)
	wantStatus(t, st.get(t, buyer, c.ID), "submitted")
	st.advance(t, 6*time.Minute) // the sweeper runs every 5 minutes for cases older than 5 minutes
	st.advance(t, 5*time.Minute)
	wantStatus(t, st.get(t, buyer, c.ID), "completed")
}

func TestRuleSetVersions(t *testing.T) {
	st := startStack(t)
	admin := st.as(t, "boss", "admin")
	res := admin.do("GET", "/v1/staff/ruleset", nil)
	if res.status != http.StatusOK {
		t.Fatalf("get ruleset: %d %s", res.status, res.body)
	}
	var rs map[string]any
	res.decode(t, &rs)
	if rs["version"].(float64) != 1 {
		t.Fatalf("default version %v", rs["version"])
	}
	// Make every case manual: one catch-all rule.
	rs["rules"] = []any{map[string]any{"id": "all-manual", "when": map[string]any{}, "then": map[string]any{"decision": "manual", "level": "reviewer"}}}
	res = admin.do("PUT", "/v1/staff/ruleset", rs)
	if res.status != http.StatusOK {
		t.Fatalf("put ruleset: %d %s", res.status, res.body)
	}
	res.decode(t, &rs)
	if rs["version"].(float64) != 2 {
		t.Fatalf("new version %v", rs["version"])
	}
	st.as(t, "staff-1", "reviewer").do("PUT", "/v1/staff/ruleset", rs).problem(t, http.StatusForbidden)
	rs["version"] = 1.0
	admin.do("PUT", "/v1/staff/ruleset", rs).problem(t, http.StatusUnprocessableEntity)
	bad := map[string]any{"rules": []any{map[string]any{"id": "x", "when": map[string]any{}, "then": map[string]any{"decision": "teleport"}}}}
	admin.do("PUT", "/v1/staff/ruleset", bad).problem(t, http.StatusUnprocessableEntity)

	c := st.apply(t, st.as(t, "buyer-1", "buyer"), app("o-1001", "refund_only", "wrong_item", "l1", 1))
	wantStatus(t, c, "pending_review")
	if c.Decision == nil || c.Decision.RuleID != "all-manual" || c.Decision.RuleSetVersion != 2 {
		t.Errorf("decision %+v", c.Decision)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestDiamondReviewSLA: a diamond member is promised review within the hour
// (F24); the default approval still waits for the normal deadline.
func TestDiamondReviewSLA(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-2", "buyer")
	c := st.apply(t, buyer, app("o-1006", "refund_only", "not_received", "l1", 1))
	wantStatus(t, c, "pending_review")
	if c.Next == nil || c.Next.Deadline == nil || !c.Next.Deadline.Equal(start.Add(time.Hour)) ||
		c.Next.DefaultAt == nil || !c.Next.DefaultAt.Equal(start.Add(5*24*time.Hour)) {
		t.Fatalf("next %+v, want a 1 h promise and the default at 5 days", c.Next)
	}
	st.advance(t, 2*time.Hour)
	wantStatus(t, st.get(t, buyer, c.ID), "pending_review")
}
