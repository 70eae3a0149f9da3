package stack

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// chargedCase is the part of a case object the money rules add (F29).
type chargedCase struct {
	caseBody
	Charges *struct {
		ReturnShippingPaidBy string `json:"return_shipping_paid_by"`
		ReturnPostageCap     int64  `json:"return_postage_cap"`
		FreeReturnShipping   bool   `json:"free_return_shipping"`
		RestockingFee        int64  `json:"restocking_fee"`
		RestockingDeducted   int64  `json:"restocking_deducted"`
	} `json:"charges"`
	Timeline []struct {
		Action string `json:"action"`
		Actor  string `json:"actor"`
		Note   string `json:"note"`
	} `json:"timeline"`
}

func (st *Stack) charged(t *testing.T, c *client, id string) chargedCase {
	t.Helper()
	var got chargedCase
	res := c.do("GET", "/v1/cases/"+id, nil)
	if res.status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, res.status, res.body)
	}
	res.decode(t, &got)
	return got
}

// TestRestockingFeeAndReturnPostage (F29, F24) on o-1012: the merchant
// stores a 10% restocking fee for audio goods; a no-reason return of the
// earbuds (269.00 CNY paid after a 30.00 coupon) is shown the fee and the
// buyer's postage in the preview and in the case before shipping, and is
// refunded 269.00 less 26.90 with a charge_fees line on its timeline; a
// quality return of the phone case pays no fee, and the merchant pays its
// postage up to 20.00. The refunds of the order stay within what was paid:
// a goodwill refund of what is left (the fee kept and the shipping fee's
// account) brings them to exactly the payment, and a fen more is refused.
// A platinum member's quality return (o-1013) ships free.
func TestRestockingFeeAndReturnPostage(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")
	admin := st.as(t, "boss", "admin")

	var rs map[string]any
	admin.do("GET", "/v1/staff/ruleset", nil).decode(t, &rs)
	fees, _ := rs["fees"].(map[string]any)
	if fees == nil || fees["return_postage_cap"] != float64(2000) {
		t.Fatalf("default fees %v", rs["fees"])
	}
	fees["restocking"] = []map[string]any{{"categories": []string{"audio"}, "percent": 10}}
	if res := admin.do("PUT", "/v1/staff/ruleset", rs); res.status != http.StatusOK {
		t.Fatalf("put ruleset: %d %s", res.status, res.body)
	}

	// The preview says it before anything is stored.
	noReason := app("o-1012", "return_refund", "no_reason_7_days", "l1", 1)
	var pv struct {
		Summary string `json:"summary"`
		Charges struct {
			ReturnShippingPaidBy string `json:"return_shipping_paid_by"`
			RestockingFee        int64  `json:"restocking_fee"`
		} `json:"charges"`
	}
	res := buyer.do("POST", "/v1/cases/preview?lang=en", noReason)
	if res.status != http.StatusOK {
		t.Fatalf("preview: %d %s", res.status, res.body)
	}
	res.decode(t, &pv)
	if pv.Charges.RestockingFee != 2690 || pv.Charges.ReturnShippingPaidBy != "buyer" || !strings.Contains(pv.Summary, "restocking fee of 26.90 CNY") {
		t.Fatalf("preview %+v", pv)
	}

	ret := st.apply(t, buyer, noReason)
	wantStatus(t, ret, "pending_review")
	if c := st.charged(t, buyer, ret.ID); c.Charges == nil || c.Charges.RestockingFee != 2690 || c.Charges.RestockingDeducted != 0 {
		t.Fatalf("charges before shipping %+v", c.Charges)
	}
	finishReturn(t, st, buyer, staff, ret.ID)
	c := st.charged(t, buyer, ret.ID)
	if c.Status != "completed" || c.RefundedAmount != 26900-2690 || c.Charges.RestockingDeducted != 2690 {
		t.Fatalf("no-reason return: %s refunded %d, charges %+v", c.Status, c.RefundedAmount, c.Charges)
	}
	if !hasLine(c, "charge_fees", "restocking fee 26.90 CNY deducted") {
		t.Errorf("no charge_fees line on the timeline: %+v", c.Timeline)
	}

	// A quality return needs a verified photo, pays no fee, and the
	// merchant pays its postage up to the cap.
	q := st.apply(t, buyer, app("o-1012", "return_refund", "quality_issue", "l2", 1))
	photo := inspecttest.JPEG(inspecttest.Photo(120, 90, 17), 80)
	up := presign(t, buyer, "/v1/cases/"+q.ID+"/evidence-uploads", "image/jpeg", len(photo))
	up.put(t, photo)
	act(t, buyer, "/v1/cases/"+q.ID+"/evidence", map[string]any{"evidence_ids": []string{up.EvidenceID}}, http.StatusOK)
	st.settle(t)
	if c := st.charged(t, buyer, q.ID); c.Charges == nil || c.Charges.ReturnShippingPaidBy != "merchant" ||
		c.Charges.ReturnPostageCap != 2000 || c.Charges.RestockingFee != 0 {
		t.Fatalf("quality return charges %+v", c.Charges)
	}
	finishReturn(t, st, buyer, staff, q.ID)
	c = st.charged(t, buyer, q.ID)
	if c.Status != "completed" || c.RefundedAmount != 4900 || hasLine(c, "charge_fees", "") {
		t.Fatalf("quality return: %s refunded %d, timeline %+v", c.Status, c.RefundedAmount, c.Timeline)
	}

	// The ledger: the order's refunds stay within its payment (326.00).
	var page struct {
		Items []struct {
			Amount int64 `json:"amount"`
		} `json:"items"`
	}
	staff.do("GET", "/v1/staff/refunds?order_id=o-1012", nil).decode(t, &page)
	var sum int64
	for _, r := range page.Items {
		sum += r.Amount
	}
	if len(page.Items) != 2 || sum != 24210+4900 || sum > 32600 {
		t.Errorf("ledger of o-1012: %d rows, %d in all", len(page.Items), sum)
	}

	// A goodwill refund of everything left (the deducted fee on l1 and the
	// shipping fee's account) brings the refunds to exactly what was paid;
	// a fen more is refused, whatever the path.
	goodwill := func(amount int64, key string) response {
		return staff.do("POST", "/v1/staff/goodwill-refunds", map[string]any{"order_id": "o-1012", "amount": amount,
			"reason": "service_apology"}, "Idempotency-Key", key)
	}
	if res := goodwill(2690+800, "gw-all"); res.status != http.StatusCreated {
		t.Fatalf("goodwill of what is left: %d %s", res.status, res.body)
	}
	st.settle(t)
	staff.do("GET", "/v1/staff/refunds?order_id=o-1012", nil).decode(t, &page)
	sum = 0
	for _, r := range page.Items {
		sum += r.Amount
	}
	if len(page.Items) != 3 || sum != 32600 {
		t.Errorf("after the goodwill refund: %d rows, %d in all, want 3 and the 32600 paid", len(page.Items), sum)
	}
	if res := goodwill(1, "gw-more"); res.status != http.StatusUnprocessableEntity || !res.problem(t, http.StatusUnprocessableEntity).names("amount") {
		t.Errorf("a goodwill fen beyond what was paid: %d %s", res.status, res.body)
	}

	// A platinum member's quality return: the whole postage is the merchant's.
	res = st.as(t, "buyer-2", "buyer").do("POST", "/v1/cases/preview", app("o-1013", "return_refund", "quality_issue", "l1", 1))
	res.decode(t, &pv)
	var free struct {
		Charges struct {
			FreeReturnShipping bool  `json:"free_return_shipping"`
			ReturnPostageCap   int64 `json:"return_postage_cap"`
		} `json:"charges"`
	}
	res.decode(t, &free)
	if res.status != http.StatusOK || !free.Charges.FreeReturnShipping || free.Charges.ReturnPostageCap != 0 {
		t.Errorf("platinum quality return preview: %d %s", res.status, res.body)
	}
}

// finishReturn approves a return in review, ships it back and confirms
// receipt, letting the workflow refund it.
func finishReturn(t *testing.T, st *Stack, buyer, staff *client, id string) {
	t.Helper()
	act(t, staff, "/v1/staff/cases/"+id+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	act(t, buyer, "/v1/cases/"+id+"/return-shipment", map[string]any{"courier": "sf", "tracking_number": "SF1234567890"}, http.StatusOK)
	st.settle(t)
	act(t, staff, "/v1/staff/cases/"+id+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	st.settle(t)
}

// hasLine reports whether the case's timeline has an action whose note
// contains note.
func hasLine(c chargedCase, action, note string) bool {
	for _, e := range c.Timeline {
		if e.Action == action && strings.Contains(e.Note, note) {
			return true
		}
	}
	return false
}

// TestProduceDeliveryReminder (F16): the seed's strawberries (o-1003,
// delivered 6 h before the stack's start) reached the mall webhook as a
// delivered snapshot, so buyer-1 was reminded, once, in the inbox and on
// WeChat and SMS, that spoiled produce may be claimed within 24 h; a later
// snapshot of the same order reminds nobody again.
func TestProduceDeliveryReminder(t *testing.T) {
	st := startStack(t)
	st.settle(t)
	buyer := st.as(t, "buyer-1", "buyer")
	reminders := func() []inboxItem {
		var page inboxPage
		buyer.do("GET", "/v1/notifications", nil).decode(t, &page)
		var out []inboxItem
		for _, n := range page.Items {
			if n.Kind == "claim_window" {
				out = append(out, n)
			}
		}
		return out
	}
	got := reminders()
	if len(got) != 1 || !strings.Contains(got[0].Title, "24") || got[0].CaseID != "" {
		t.Fatalf("claim-window reminders %+v", got)
	}
	wechat := func() int {
		n := 0
		for _, m := range st.WeChatMsg.Messages() {
			if m.ToUser == "oid-buyer-1" && strings.Contains(m.Page, "o-1003") {
				n++
			}
		}
		return n
	}
	if wechat() != 1 {
		t.Fatalf("%d WeChat reminders, want 1", wechat())
	}
	// The mall sends the order again (completed later, say): no new reminder.
	o := SeedOrders(st.Clock.Now())[2]
	o.Version, o.EventID = 2, "seed-o-1003-2"
	body, err := json.Marshal(mallhook.FromOrder(o))
	if err != nil {
		t.Fatal(err)
	}
	if status, resp, err := st.postOrder(t.Context(), body); err != nil || status != http.StatusNoContent {
		t.Fatalf("post order: %d %s %v", status, resp, err)
	}
	st.settle(t)
	if n := len(reminders()); n != 1 || wechat() != 1 {
		t.Errorf("after a second delivered snapshot: %d reminders, %d WeChat messages; want 1 and 1", n, wechat())
	}
}
