package stack

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// disputeBody is the dispute of a case as the API shows it.
type disputeBody struct {
	Dispute *struct {
		Kind       string     `json:"kind"`
		AnsweredAt *time.Time `json:"answered_at"`
		Outcome    string     `json:"outcome"`
		Proposals  []struct {
			ID     string `json:"id"`
			By     string `json:"by"`
			Amount int64  `json:"amount"`
			Status string `json:"status"`
		} `json:"proposals"`
	} `json:"dispute"`
}

type threadBody struct {
	Items []struct {
		Seq      int    `json:"seq"`
		Party    string `json:"party"`
		Author   string `json:"author"`
		Text     string `json:"text"`
		PrevHash string `json:"prev_hash"`
		Hash     string `json:"hash"`
		Files    []struct {
			ID      string `json:"id"`
			ViewURL string `json:"view_url"`
		} `json:"files"`
	} `json:"items"`
	Verified bool `json:"verified"`
}

func (st *Stack) dispute(t *testing.T, c *client, id string) disputeBody {
	t.Helper()
	var d disputeBody
	path := "/v1/cases/" + id
	if !contains(c.roles, "buyer") {
		path = "/v1/staff/cases/" + id
	}
	res := c.do("GET", path, nil)
	if res.status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, res.status, res.body)
	}
	res.decode(t, &d)
	return d
}

// rejectedPhone is buyer-2's refund of the phone of o-1008 (WeChat Pay,
// 3,999 yuan), rejected by an admin.
func rejectedPhone(t *testing.T, st *Stack) (caseBody, *client, *client) {
	t.Helper()
	buyer := st.as(t, "buyer-2", "buyer")
	admin := st.as(t, "boss", "admin")
	c := st.apply(t, buyer, app("o-1008", "refund_only", "wrong_item", "l1", 1))
	wantStatus(t, c, "pending_review")
	act(t, admin, "/v1/staff/cases/"+c.ID+"/reject", map[string]any{"reason": "no fault found"}, http.StatusOK)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "rejected")
	return c, buyer, admin
}

// partlyRefundedPhone is buyer-2's refund of the phone of o-1008 (3,999
// yuan) approved by an admin for 1,000 yuan and paid: the case as its
// buyer reads it, the buyer and the admin.
func partlyRefundedPhone(t *testing.T, st *Stack) (caseBody, *client, *client) {
	t.Helper()
	buyer := st.as(t, "buyer-2", "buyer")
	admin := st.as(t, "boss", "admin")
	c := st.apply(t, buyer, app("o-1008", "refund_only", "wrong_item", "l1", 1))
	act(t, admin, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{"amount": 100000, "note": "a scratch, 1000 yuan"}, http.StatusOK)
	st.settle(t)
	return st.get(t, buyer, c.ID), buyer, admin
}

func openDispute(t *testing.T, buyer *client, id string) caseBody {
	t.Helper()
	return act(t, buyer, "/v1/cases/"+id+"/dispute",
		map[string]any{"reason": "the screen flickers", "description": "it flickers after ten minutes; video in the thread"}, http.StatusOK)
}

// TestDisputeAgreedAndRefunded walks the conversation: rejected, disputed,
// written in by both sides, a merchant's proposal the buyer accepts, and
// the agreed amount refunded through the WeChat Pay sandbox.
func TestDisputeAgreedAndRefunded(t *testing.T) {
	st := startStack(t)
	c, buyer, admin := rejectedPhone(t, st)
	stranger := st.as(t, "buyer-1", "buyer")

	c = openDispute(t, buyer, c.ID)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "disputed")
	if c.Next == nil || c.Next.Actor != "merchant" || c.Next.Deadline == nil || !c.Next.Deadline.Equal(st.Clock.Now().Add(48*time.Hour)) {
		t.Fatalf("a new dispute waits for the merchant's answer for 48 h: next %+v", c.Next)
	}
	buyer.do("POST", "/v1/cases/"+c.ID+"/dispute", map[string]any{"reason": "again", "description": "again"}).problem(t, http.StatusConflict)

	if res := buyer.do("POST", "/v1/cases/"+c.ID+"/messages", map[string]any{"text": "屏幕闪烁，见视频"}); res.status != http.StatusCreated {
		t.Fatalf("buyer message: %d %s", res.status, res.body)
	}
	if res := admin.do("POST", "/v1/staff/cases/"+c.ID+"/messages", map[string]any{"text": "We will check the video."}); res.status != http.StatusCreated {
		t.Fatalf("staff message: %d %s", res.status, res.body)
	}
	// Staff attach an inspection report (PDF) to the thread.
	report := []byte("%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	doc := presign(t, admin, "/v1/staff/cases/"+c.ID+"/documents", "application/pdf", len(report))
	doc.put(t, report)
	if res := admin.do("POST", "/v1/staff/cases/"+c.ID+"/messages", map[string]any{"text": "The inspection report.",
		"evidence_ids": []string{doc.EvidenceID}}); res.status != http.StatusCreated {
		t.Fatalf("staff message with the report: %d %s", res.status, res.body)
	}
	// Another staff member's document is not theirs to attach.
	st.as(t, "staff-2", "reviewer").do("POST", "/v1/staff/cases/"+c.ID+"/messages", map[string]any{"text": "x",
		"evidence_ids": []string{doc.EvidenceID}}).problem(t, http.StatusUnprocessableEntity)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	if d := st.dispute(t, buyer, c.ID); d.Dispute == nil || d.Dispute.AnsweredAt == nil || d.Dispute.Kind != "rejection" {
		t.Fatalf("after the merchant's message: %+v", d.Dispute)
	}
	if c.Next == nil || c.Next.Deadline == nil || !c.Next.Deadline.Equal(st.Clock.Now().Add(5*24*time.Hour)) {
		t.Errorf("once answered the dispute waits for agreement until 5 days after its opening: next %+v", c.Next)
	}

	// Another buyer can neither read nor write the thread: there is no
	// such case for them.
	stranger.do("GET", "/v1/cases/"+c.ID+"/messages", nil).problem(t, http.StatusNotFound)
	stranger.do("POST", "/v1/cases/"+c.ID+"/messages", map[string]any{"text": "hi"}).problem(t, http.StatusNotFound)

	var th threadBody
	buyer.do("GET", "/v1/cases/"+c.ID+"/messages", nil).decode(t, &th)
	if !th.Verified || len(th.Items) != 3 || th.Items[0].Party != "buyer" || th.Items[1].Party != "merchant" ||
		th.Items[1].PrevHash != th.Items[0].Hash || th.Items[0].PrevHash != "" || th.Items[2].PrevHash != th.Items[1].Hash {
		t.Fatalf("thread %+v", th)
	}
	// The buyer opens the report through its link.
	if len(th.Items[2].Files) != 1 {
		t.Fatalf("the report's message has files %+v", th.Items[2].Files)
	}
	got, err := http.Get(th.Items[2].Files[0].ViewURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != http.StatusOK || !bytes.Equal(body, report) {
		t.Fatalf("the report through its link: %d, %d bytes", got.StatusCode, len(body))
	}

	act(t, admin, "/v1/staff/cases/"+c.ID+"/proposals", map[string]any{"amount": 100000, "note": "a third back"}, http.StatusOK)
	c = act(t, admin, "/v1/staff/cases/"+c.ID+"/proposals", map[string]any{"amount": 200000, "note": "half back"}, http.StatusOK)
	d := st.dispute(t, buyer, c.ID)
	if n := len(d.Dispute.Proposals); n != 2 || d.Dispute.Proposals[0].Status != "replaced" || d.Dispute.Proposals[1].Status != "open" {
		t.Fatalf("proposals %+v", d.Dispute.Proposals)
	}
	open := d.Dispute.Proposals[1].ID
	admin.do("POST", "/v1/staff/cases/"+c.ID+"/proposals/"+open+"/accept", nil).problem(t, http.StatusForbidden)
	buyer.do("POST", "/v1/cases/"+c.ID+"/proposals/"+d.Dispute.Proposals[0].ID+"/accept", nil).problem(t, http.StatusConflict)
	c = act(t, buyer, "/v1/cases/"+c.ID+"/proposals/"+open+"/accept", nil, http.StatusOK)
	if c.Status != "refunding" || c.ApprovedAmount != 200000 {
		t.Fatalf("accepted: %s approved %d", c.Status, c.ApprovedAmount)
	}
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 200000 {
		t.Errorf("refunded %d, want the agreed 200000", c.RefundedAmount)
	}
	if n := st.WeChatPay.Payouts(c.ID + "-1"); n != 1 {
		t.Errorf("the WeChat Pay sandbox paid %s %d times, want once", c.ID+"-1", n)
	}
	want := []string{"open_dispute", "message", "answer_dispute", "message", "message", "propose", "propose", "agree", "refund_started", "refund_succeeded"}
	if got := withoutAwaits(actions(c)); !hasSuffix(got, want) {
		t.Errorf("timeline %v, want it to end %v", got, want)
	}
	// The thread closes with the dispute.
	buyer.do("POST", "/v1/cases/"+c.ID+"/messages", map[string]any{"text": "thanks"}).problem(t, http.StatusConflict)

	// Each status change of the path, the merchant's message and both
	// proposals reached the buyer once in the inbox and once on WeChat;
	// the buyer's words reached staff.
	st.settle(t)
	kinds := map[string]int{}
	told := st.inbox(t, buyer)
	for _, n := range told {
		kinds[n.Kind]++
	}
	changes := statusChanges(c)
	if kinds["status_changed"] != len(changes) || kinds["message_received"] != 2 || kinds["proposal_received"] != 2 {
		t.Errorf("buyer's inbox %v, want %d status changes (%v), 2 messages, 2 proposals", kinds, len(changes), changes)
	}
	if got, want := len(st.wechatTo("oid-buyer-2")), len(told); got != want || kinds["refund_started"] != 1 {
		t.Errorf("WeChat got %d messages for the buyer, want %d (one per inbox item)", got, want)
	}
	staffKinds := map[string]int{}
	for _, n := range st.inbox(t, admin) {
		if n.CaseID == c.ID {
			staffKinds[n.Kind]++
		}
	}
	if staffKinds["dispute_opened"] != 1 || staffKinds["staff_message_received"] != 1 || staffKinds["staff_dispute_resolved"] != 1 {
		t.Errorf("staff inbox %v, want the dispute, the buyer's message and the agreement once each", staffKinds)
	}
}

// inbox is every item of c's inbox, newest first.
func (st *Stack) inbox(t *testing.T, c *client) []inboxItem {
	t.Helper()
	var all []inboxItem
	cursor := ""
	for {
		var page inboxPage
		res := c.do("GET", "/v1/notifications?limit=100&cursor="+cursor, nil)
		if res.status != http.StatusOK {
			t.Fatalf("inbox: %d %s", res.status, res.body)
		}
		res.decode(t, &page)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// TestUnansweredDisputeEscalatesAndArbitratorRefunds: the merchant never
// answers, the answer deadline escalates the case, a reviewer may not
// arbitrate and the arbitrator's refund is paid.
func TestUnansweredDisputeEscalatesAndArbitratorRefunds(t *testing.T) {
	st := startStack(t)
	c, buyer, _ := rejectedPhone(t, st)
	reviewer := st.as(t, "staff-1", "reviewer")
	arbitrator := st.as(t, "arb-1", "arbitrator")

	openDispute(t, buyer, c.ID)
	st.settle(t)
	st.advance(t, 47*time.Hour)
	wantStatus(t, st.get(t, buyer, c.ID), "disputed")
	st.advance(t, time.Hour+time.Second)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "escalated")
	last := c.Timeline[len(c.Timeline)-1]
	for i := len(c.Timeline) - 1; i >= 0 && last.Action != "escalate"; i-- {
		last = c.Timeline[i]
	}
	if last.Action != "escalate" || last.Actor != "system:deadline" {
		t.Fatalf("escalation entry %+v", last)
	}
	var full struct {
		Timeline []struct {
			Action string `json:"action"`
			Note   string `json:"note"`
		} `json:"timeline"`
	}
	buyer.do("GET", "/v1/cases/"+c.ID, nil).decode(t, &full)
	noted := false
	for _, e := range full.Timeline {
		noted = noted || (e.Action == "escalate" && strings.Contains(e.Note, "dispute_answer"))
	}
	if !noted {
		t.Errorf("the escalation does not name the missed deadline: %+v", full.Timeline)
	}

	body := map[string]any{"outcome": "refund", "amount": 150000, "note": "the video shows the fault"}
	reviewer.do("POST", "/v1/staff/cases/"+c.ID+"/arbitrate", body).problem(t, http.StatusForbidden)
	arbitrator.do("POST", "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}).problem(t, http.StatusForbidden)
	var th threadBody
	if res := arbitrator.do("GET", "/v1/staff/cases/"+c.ID+"/messages", nil); res.status != http.StatusOK {
		t.Fatalf("the arbitrator reads the thread: %d %s", res.status, res.body)
	} else {
		res.decode(t, &th)
	}
	c = act(t, arbitrator, "/v1/staff/cases/"+c.ID+"/arbitrate", body, http.StatusOK)
	if c.Status != "refunding" || c.ApprovedAmount != 150000 {
		t.Fatalf("arbitrated: %s %d", c.Status, c.ApprovedAmount)
	}
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 150000 || st.WeChatPay.Payouts(c.ID+"-1") != 1 {
		t.Errorf("refunded %d (paid %d times), want 150000 once", c.RefundedAmount, st.WeChatPay.Payouts(c.ID+"-1"))
	}
}

// TestAmountContestedAfterPartialRefund: a case refunded for less than
// requested is disputed after it completed; the workflow starts again in
// its dispute run and the agreed difference is a second refund, never a
// repeat of the first.
func TestAmountContestedAfterPartialRefund(t *testing.T) {
	st := startStack(t)
	c, buyer, admin := partlyRefundedPhone(t, st)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 100000 || c.RequestedAmount != 399900 {
		t.Fatalf("partial refund: %+v", c)
	}

	openDispute(t, buyer, c.ID)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "disputed")
	if d := st.dispute(t, buyer, c.ID); d.Dispute.Kind != "amount" {
		t.Errorf("dispute kind %q, want amount", d.Dispute.Kind)
	}
	if e, err := st.ExecutionNamed(c.ID + "-dispute"); err != nil || e.Status != "RUNNING" {
		t.Fatalf("the dispute's run: %+v %v", e, err)
	}
	// More than what is left of the request (399900 - 100000) is refused.
	if p := buyer.do("POST", "/v1/cases/"+c.ID+"/proposals", map[string]any{"amount": 300000}).problem(t, http.StatusUnprocessableEntity); !p.names("amount") {
		t.Errorf("problem %+v", p)
	}
	act(t, buyer, "/v1/cases/"+c.ID+"/proposals", map[string]any{"amount": 299900, "note": "all of it"}, http.StatusOK)
	act(t, admin, "/v1/staff/cases/"+c.ID+"/proposals", map[string]any{"amount": 50000, "note": "another 500"}, http.StatusOK)
	st.settle(t) // the merchant's first word restarts the wait with the agreement's deadline
	d := st.dispute(t, buyer, c.ID)
	c = act(t, buyer, "/v1/cases/"+c.ID+"/proposals/"+d.Dispute.Proposals[1].ID+"/accept", nil, http.StatusOK)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 150000 || c.ApprovedAmount != 150000 {
		t.Errorf("approved %d refunded %d, want 150000 both", c.ApprovedAmount, c.RefundedAmount)
	}
	if a, b := st.WeChatPay.Payouts(c.ID+"-1"), st.WeChatPay.Payouts(c.ID+"-2"); a != 1 || b != 1 {
		t.Errorf("payouts: first %d, second %d, want one each", a, b)
	}
	if e, err := st.ExecutionNamed(c.ID + "-dispute"); err != nil || e.Status != "SUCCEEDED" {
		t.Errorf("the dispute's run did not end: %+v %v", e, err)
	}
}

func withoutAwaits(as []string) []string {
	var out []string
	for _, a := range as {
		if a != "await" {
			out = append(out, a)
		}
	}
	return out
}

func hasSuffix(got, want []string) bool {
	return len(got) >= len(want) && equal(got[len(got)-len(want):], want)
}

// TestLostDisputeRunRestartedBySweeper: the intake queue is down when a
// completed case's amount is disputed; the dispute stands, and the sweeper
// starts its run once the queue is back, so the deadlines still apply.
func TestLostDisputeRunRestartedBySweeper(t *testing.T) {
	st := startStack(t)
	c, buyer, _ := partlyRefundedPhone(t, st)
	st.FailIntake(true)
	openDispute(t, buyer, c.ID)
	st.FailIntake(false)
	st.settle(t)
	if _, err := st.ExecutionNamed(c.ID + "-dispute"); err == nil {
		t.Fatal("a dispute run started although its intake message was lost")
	}
	st.advance(t, 6*time.Minute) // the sweeper runs every 5 minutes for cases older than 5 minutes
	st.advance(t, 5*time.Minute)
	if e, err := st.ExecutionNamed(c.ID + "-dispute"); err != nil || e.Status != "RUNNING" {
		t.Fatalf("the sweeper did not start the dispute's run: %+v %v", e, err)
	}
	st.advance(t, 48*time.Hour)
	wantStatus(t, st.get(t, buyer, c.ID), "escalated")
}
