package stack

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakekuaidi100"
	"github.com/aftersales/aftersales/shared/kuaidi100"
)

// TestInterception (F30): a refund-only approved while its order (o-1014)
// is shipped and not delivered asks the courier to intercept the parcel
// (through the Kuaidi100 stand-in, whose signed callback comes back over
// the webhook and the inbound queue) instead of refunding at once.
// Intercepted, the case refunds what was requested, at the courier's
// confirmation or, per the rule set, once the parcel is signed for back at
// the warehouse; not intercepted, it becomes a return waiting for the
// buyer's parcel, and the buyer is told.
func TestInterception(t *testing.T) {
	const paid = 25900 // o-1014's payment
	tests := []struct {
		name       string
		outcome    string // the stand-in's answer
		refundAt   string // the rule set's interception.refund_at; "" the default
		wantStatus string
		wantAction string // on the timeline after the answer
		refunded   bool
	}{
		{"intercepted: refunded at the courier's confirmation", kuaidi100.InterceptSucceeded, "", "completed", "interception_succeeded", true},
		{"intercepted: refunded once back at the warehouse", kuaidi100.InterceptSucceeded, "arrival", "completed", "return_delivered", true},
		{"delivered after all: the case becomes a return", kuaidi100.InterceptFailed, "", "awaiting_return", "interception_failed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := startStack(t)
			buyer, staff := st.as(t, "buyer-1", "buyer"), st.as(t, "staff-1", "reviewer")
			if tc.refundAt != "" {
				admin := st.as(t, "boss", "admin")
				var rs map[string]any
				admin.do("GET", "/v1/staff/ruleset", nil).decode(t, &rs)
				rs["interception"] = map[string]any{"refund_at": tc.refundAt}
				if res := admin.do("PUT", "/v1/staff/ruleset", rs); res.status != http.StatusOK {
					t.Fatalf("put ruleset: %d %s", res.status, res.body)
				}
			}
			devPost(t, st, "/dev/kuaidi100/intercept", map[string]any{"number": SeedOutboundWaybill, "outcome": tc.outcome})
			c := st.apply(t, buyer, app("o-1014", "refund_only", "wrong_item", "l1", 1))
			if c.Status == "pending_review" {
				act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, http.StatusOK)
			}
			st.settle(t)
			c = st.get(t, buyer, c.ID)
			wantStatus(t, c, "intercepting")
			if c.RefundedAmount != 0 || !contains(actions(c), "intercept") {
				t.Fatalf("refunded %d before the interception's answer; timeline %v", c.RefundedAmount, actions(c))
			}
			snap := st.Kuaidi100.Snapshot()
			if len(snap.Interceptions) != 1 || snap.Interceptions[0].Number != SeedOutboundWaybill || snap.Interceptions[0].OrderID != c.ID ||
				!strings.Contains(snap.Interceptions[0].CallbackURL, "kind=intercept") {
				t.Fatalf("interceptions %+v", snap.Interceptions)
			}

			// The stand-in answers an hour later; the parcel comes back in
			// under two days.
			st.advance(t, 2*time.Hour)
			if tc.refundAt == "arrival" {
				c = st.get(t, buyer, c.ID)
				wantStatus(t, c, "intercepting")
				if c.RefundedAmount != 0 || !contains(actions(c), "interception_returning") {
					t.Fatalf("refunded %d before the parcel is back; timeline %v", c.RefundedAmount, actions(c))
				}
				st.advance(t, 2*24*time.Hour)
			}
			c = st.get(t, buyer, c.ID)
			wantStatus(t, c, tc.wantStatus)
			if !contains(actions(c), tc.wantAction) {
				t.Errorf("no %s in %v", tc.wantAction, actions(c))
			}
			if tc.refunded {
				if c.RefundedAmount != c.RequestedAmount || c.RefundedAmount > paid || c.RefundedAmount <= 0 {
					t.Errorf("refunded %d of %d requested (paid %d)", c.RefundedAmount, c.RequestedAmount, paid)
				}
				return
			}
			if c.RefundedAmount != 0 || c.Type != "return_refund" {
				t.Errorf("refunded %d, type %s; want nothing refunded before the goods come back, as a return_refund", c.RefundedAmount, c.Type)
			}
			returnDue := st.Clock.Now().Add(7 * 24 * time.Hour)
			if c.Next == nil || c.Next.Deadline == nil || c.Next.Deadline.Sub(returnDue).Abs() > 3*time.Hour {
				t.Errorf("next %+v, want the return deadline about 7 days from the answer (%s)", c.Next, returnDue)
			}
			if !st.inboxHas(t, buyer, "interception_failed") {
				t.Error("the buyer was not told to send the goods back")
			}
			// The rest is an ordinary return: the buyer's waybill is taken.
			shipReturn(t, st, buyer, c, "zhongtong", "731400009999", fakekuaidi100.JourneyManual)
			wantStatus(t, st.get(t, buyer, c.ID), "return_in_transit")
		})
	}
}
