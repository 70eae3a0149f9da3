package stack

import (
	"net/http"
	"testing"
	"time"
)

// TestRemindersBeforeDeadlines: a buyer who must ship a return is reminded
// once, a day before the deadline, in the inbox and on WeChat; staff are
// warned once before a diamond member's review promise runs out.
func TestRemindersBeforeDeadlines(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")
	c := st.apply(t, buyer, app("o-1002", "return_refund", "size_not_fit", "l1", 1))
	act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "awaiting_return")

	count := func(kind string) int {
		n := 0
		for _, it := range st.inbox(t, buyer) {
			if it.CaseID == c.ID && it.Kind == kind {
				n++
			}
		}
		return n
	}
	st.advance(t, 5*24*time.Hour) // two days left: no reminder yet
	if n := count("deadline_soon"); n != 0 {
		t.Fatalf("%d reminders two days before the deadline", n)
	}
	before := len(st.wechatTo("oid-buyer-1"))
	st.advance(t, 25*time.Hour) // 23 h left
	st.advance(t, 2*time.Hour)  // the sweeper looks again
	if n := count("deadline_soon"); n != 1 {
		t.Fatalf("%d reminders a day before the deadline, want 1", n)
	}
	if got := len(st.wechatTo("oid-buyer-1")) - before; got != 1 {
		t.Errorf("WeChat got %d messages for the reminder, want 1", got)
	}
	c = st.get(t, buyer, c.ID)
	if actions(c)[len(c.Timeline)-1] != "deadline_soon" {
		t.Errorf("timeline %v, want it to end with the reminder", actions(c))
	}

	// A diamond member was promised a review within the hour.
	member := st.as(t, "buyer-2", "buyer")
	d := st.apply(t, member, app("o-1006", "refund_only", "not_received", "l1", 1))
	wantStatus(t, d, "pending_review")
	st.advance(t, 50*time.Minute)
	warned := 0
	for _, it := range st.inbox(t, staff) {
		if it.CaseID == d.ID && it.Kind == "sla_at_risk" {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("staff were warned %d times of the member's review promise, want once", warned)
	}
}
