package stack

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/events/schemas"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/eventbus"
)

// published returns the domain events of case caseID (any case when "")
// of type typ that reached the local EventBridge, once everything due has
// run; every event of ours on the bus must follow its schema.
func (st *Stack) published(t *testing.T, caseID, typ string) []eventbus.Detail {
	t.Helper()
	st.settle(t)
	var out []eventbus.Detail
	for _, d := range st.Events.Events() {
		if _, ours := aftersales.EventVersions[d.Type]; ours {
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			if err := schemas.Validate(b); err != nil {
				t.Errorf("event %s on the bus breaks its schema: %v\n%s", d.ID, err, b)
			}
		}
		if d.Type == typ && (caseID == "" || d.CaseID == caseID) {
			out = append(out, d)
		}
	}
	return out
}

// TestReceiptTellsTheWarehouse: a return received sellable is refunded and
// puts its goods back on sale with exactly one inventory.restock; one
// received defective keeps them off sale with one inventory.defective;
// both reach the bus through the outbox, as their schemas say.
func TestReceiptTellsTheWarehouse(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")
	tests := []struct {
		name, line, sku, condition, want, not string
	}{
		{"sellable", "l1", "SHOE-42", "sellable", aftersales.EventRestock, aftersales.EventDefective},
		{"defective", "l2", "SOCKS-3", "defective", aftersales.EventDefective, aftersales.EventRestock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := st.apply(t, buyer, app("o-1002", "return_refund", "size_not_fit", tc.line, 1))
			act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, http.StatusOK)
			st.settle(t)
			act(t, buyer, "/v1/cases/"+c.ID+"/return-shipment", map[string]any{"courier": "shunfeng", "tracking_number": "SF1234567890"}, http.StatusOK)
			st.settle(t)
			if n := len(st.published(t, c.ID, tc.want)); n != 0 {
				t.Fatalf("%d %s before the receipt", n, tc.want)
			}
			act(t, staff, "/v1/staff/cases/"+c.ID+"/receipt", map[string]any{"condition": tc.condition, "note": "inspected"}, http.StatusOK)
			got := st.published(t, c.ID, tc.want)
			wantStatus(t, st.get(t, buyer, c.ID), "completed")
			if len(got) != 1 {
				t.Fatalf("%d %s events, want exactly 1: %+v", len(got), tc.want, got)
			}
			d := got[0].Data
			if d["sku"] != tc.sku || d["quantity"] != float64(1) || d["line_id"] != tc.line || d["case_id"] != c.ID || got[0].Version != 1 {
				t.Errorf("%s %+v, want %s x1 of line %s of %s, version 1", tc.want, got[0], tc.sku, tc.line, c.ID)
			}
			if n := len(st.published(t, c.ID, tc.not)); n != 0 {
				t.Errorf("%d %s events besides", n, tc.not)
			}
			// More time, more sweeps: nothing is published again.
			st.advance(t, time.Hour)
			if n := len(st.published(t, c.ID, tc.want)); n != 1 {
				t.Errorf("%d %s events an hour later, want still 1", n, tc.want)
			}
		})
	}
}

// TestMissedReviewPromiseEarnsPoints: a diamond member promised a review
// within the hour who waits longer is credited 20 points, once, and the
// miss is on the timeline; the member's first case asked staff to call.
func TestMissedReviewPromiseEarnsPoints(t *testing.T) {
	st := startStack(t)
	member := st.as(t, "buyer-2", "buyer")
	c := st.apply(t, member, app("o-1006", "refund_only", "not_received", "l1", 1))
	wantStatus(t, c, "pending_review")
	if n := len(st.published(t, c.ID, aftersales.EventPointsCompensation)); n != 0 {
		t.Fatalf("%d points events before the promise ran out", n)
	}
	st.advance(t, 2*time.Hour)
	got := st.published(t, c.ID, aftersales.EventPointsCompensation)
	if len(got) != 1 || got[0].Data["points"] != float64(20) || got[0].Data["member_tier"] != "diamond" || got[0].BuyerID != "buyer-2" {
		t.Fatalf("points events %+v, want one of 20 points for the diamond member", got)
	}
	c = st.get(t, member, c.ID)
	wantStatus(t, c, "pending_review")
	if n := countActions(c, "remind"); n != 1 {
		t.Errorf("timeline %v, want the missed promise recorded once", actions(c))
	}
	st.advance(t, 3*time.Hour)
	if n := len(st.published(t, c.ID, aftersales.EventPointsCompensation)); n != 1 {
		t.Errorf("%d points events after more sweeps, want still 1", n)
	}
	if f := st.published(t, c.ID, aftersales.EventFollowUp); len(f) != 1 || f[0].Data["member_tier"] != "diamond" {
		t.Errorf("follow-ups %+v, want one for the diamond member's first case", f)
	}
	// A second case of the same member is not a first case.
	d := st.apply(t, member, app("o-1005", "return_refund", "quality_issue", "l1", 1))
	if n := len(st.published(t, d.ID, aftersales.EventFollowUp)); n != 0 {
		t.Errorf("%d follow-ups for the member's second case", n)
	}
}

// TestCouponByTheMerchantsRule: an admin adds a retention coupon rule to
// the rule set through the API (a problem naming the field when it is
// wrong); a quality-fault refund that completes gets one coupon, a case
// the rule does not hold for gets none.
func TestCouponByTheMerchantsRule(t *testing.T) {
	st := startStack(t)
	admin := st.as(t, "boss", "admin")
	buyer := st.as(t, "buyer-1", "buyer")
	var rs map[string]any
	admin.do("GET", "/v1/staff/ruleset", nil).decode(t, &rs)
	if p, _ := rs["perks"].(map[string]any); p == nil || p["diamond"].(map[string]any)["missed_promise_points"] != float64(20) {
		t.Fatalf("the default perks: %v", rs["perks"])
	}
	rs["mall"] = map[string]any{"coupons": []any{map[string]any{"id": "retain-wrong-item", "coupon": "", "when": map[string]any{}}}}
	if res := admin.do("PUT", "/v1/staff/ruleset", rs); res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.body), "mall.coupons[0].coupon") {
		t.Fatalf("a coupon rule without a coupon: %d %s, want 422 naming mall.coupons[0].coupon", res.status, res.body)
	}
	rs["mall"] = map[string]any{"coupons": []any{map[string]any{"id": "retain-wrong-item", "coupon": "SORRY-5", "amount": 500,
		"when": map[string]any{"reasons": []string{"wrong_item"}}}}}
	if res := admin.do("PUT", "/v1/staff/ruleset", rs); res.status != http.StatusOK {
		t.Fatalf("put ruleset: %d %s", res.status, res.body)
	}
	tests := []struct {
		name, reason string
		want         int
	}{
		{"the rule holds", "wrong_item", 1},
		{"the rule does not hold", "not_shipped", 0},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The unshipped T-shirts (two): refunded at once by the rules,
			// through the WeChat Pay sandbox, one line unit each.
			c := st.apply(t, buyer, app("o-1001", "refund_only", tc.reason, "l1", 1))
			st.settle(t)
			wantStatus(t, st.get(t, buyer, c.ID), "completed")
			got := st.published(t, c.ID, aftersales.EventCouponGrant)
			if len(got) != tc.want {
				t.Fatalf("coupons %+v, want %d (case %d)", got, tc.want, i)
			}
			if tc.want == 1 && (got[0].Data["coupon"] != "SORRY-5" || got[0].Data["rule_id"] != "retain-wrong-item" || got[0].Data["amount"] != float64(500)) {
				t.Errorf("coupon %+v", got[0])
			}
		})
	}
}
