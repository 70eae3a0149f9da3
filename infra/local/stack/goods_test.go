package stack

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/mallhook"
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

// TestVirtualGoodsServiceDown (F18): when the coupon service does not
// answer, nobody refunds or refuses the coupon on a guess: a reviewer
// decides, told why (rule set virtual_goods.when_unavailable, default
// review).
func TestVirtualGoodsServiceDown(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	st.MallCoupons.FailNext(1)
	c := st.apply(t, buyer, app("o-1004", "refund_only", "virtual_unused", "l1", 1))
	wantStatus(t, c, "pending_review")
	if c.Decision == nil || c.Decision.RuleID != "virtual_goods.when_unavailable" || c.RefundedAmount != 0 {
		t.Fatalf("decision %+v, refunded %d; want a reviewer by virtual_goods.when_unavailable, nothing refunded", c.Decision, c.RefundedAmount)
	}
	if reason := decisionReason(t, buyer, c.ID); !strings.Contains(reason, "could not say whether the virtual goods were used") {
		t.Errorf("reason %q", reason)
	}
	if sum := ledgerSum(t, st, "o-1004", 5000); sum != 0 {
		t.Errorf("o-1004 ledger holds %d, want 0", sum)
	}
}

// postCustoms sends a customs event to the stack over HTTP, signed as the
// mall signs it, and returns the status and the case id it answered.
func (st *Stack) postCustoms(t *testing.T, ev map[string]any) (int, string) {
	t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, st.URL+"/webhooks/mall/customs", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts, sig := mallhook.Sign(st.Config.MallWebhookSecret, st.Clock.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(mallhook.HeaderTimestamp, ts)
	req.Header.Set(mallhook.HeaderSignature, sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		CaseID string `json:"case_id"`
	}
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode, out.CaseID
}

// TestCustomsFailureRefundsEverything (F17): the mall's customs callback
// reports a failed clearance; the system opens a case of its own, approved
// with no application, that refunds the goods, the tariff and the shipping
// exactly, through the ledger and Alipay; the buyer sees it among their
// cases and is told in English. A redelivery opens nothing more, a
// returned parcel on another order refunds it too (told in Chinese), a
// cleared parcel refunds nothing, and a forged event changes nothing.
func TestCustomsFailureRefundsEverything(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-3", "buyer")
	failed := map[string]any{"event_id": "cus-1", "order_id": "o-1010", "status": "clearance_failed",
		"detail": "import licence missing for health supplements", "at": st.Clock.Now().Format(time.RFC3339)}

	status, id := st.postCustoms(t, failed)
	if status != http.StatusOK || id == "" {
		t.Fatalf("customs failure: %d, case %q; want 200 with a case", status, id)
	}
	st.settle(t)
	if again, same := st.postCustoms(t, failed); again != http.StatusOK || same != id {
		t.Fatalf("the same event again: %d, case %q; want 200 with %s", again, same, id)
	}
	st.settle(t)
	c := st.get(t, buyer, id)
	wantStatus(t, c, "completed")
	// 2 x 160.00 of vitamins + 45.00 tariff + 25.00 shipping = 390.00, all paid.
	if c.Type != "auto_refund" || c.RequestedAmount != 39000 || c.RefundedAmount != 39000 {
		t.Fatalf("case %s: type %s, requested %d, refunded %d; want auto_refund 39000 39000", c.ID, c.Type, c.RequestedAmount, c.RefundedAmount)
	}
	byLine := map[string]int64{}
	for _, l := range c.Lines {
		byLine[l.LineID] = l.Amount
	}
	if want := map[string]int64{"l1": 32000, "fee:tariff": 4500, "fee:shipping": 2500}; !maps.Equal(byLine, want) {
		t.Errorf("case lines %v, want %v", byLine, want)
	}
	if got := actions(c); !equal(got, []string{"submit", "auto_refund", "await", "refund_succeeded"}) {
		t.Errorf("timeline %v", got)
	}
	if c.Timeline[0].Actor != "mall:customs" {
		t.Errorf("opened by %q, want mall:customs", c.Timeline[0].Actor)
	}
	var mine struct {
		Items []caseBody `json:"items"`
	}
	buyer.do("GET", "/v1/cases", nil).decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != id {
		t.Errorf("the buyer's cases: %+v, want the auto refund", mine.Items)
	}
	var inbox struct {
		Items []struct {
			CaseID   string `json:"case_id"`
			Kind     string `json:"kind"`
			Body     string `json:"body"`
			Language string `json:"language"`
		} `json:"items"`
	}
	buyer.do("GET", "/v1/notifications", nil).decode(t, &inbox)
	told := false
	for _, n := range inbox.Items {
		if n.CaseID == id && n.Kind == "auto_refund" {
			told = n.Language == "en" && strings.Contains(n.Body, "Customs clearance failed") && strings.Contains(n.Body, "CNY 390.00")
			if !told {
				t.Errorf("the buyer was told %+v, want English naming the customs failure and CNY 390.00", n)
			}
		}
	}
	if !told {
		t.Errorf("no auto_refund notice in the buyer's inbox: %+v", inbox.Items)
	}
	if sum := ledgerSum(t, st, "o-1010", 39000); sum != 39000 {
		t.Errorf("o-1010 ledger holds %d, want 39000", sum)
	}
	// Paid in full back: the buyer has nothing left to apply for.
	res := buyer.do("POST", "/v1/cases", app("o-1010", "refund_only", "not_received", "l1", 2), "Idempotency-Key", "after-customs")
	res.problem(t, http.StatusUnprocessableEntity)

	// A returned parcel on buyer-2's order (Chinese): goods 270 + tariff
	// 30 + shipping 20.
	status, id2 := st.postCustoms(t, map[string]any{"event_id": "cus-2", "order_id": "o-1006", "status": "returned", "at": st.Clock.Now().Format(time.RFC3339)})
	if status != http.StatusOK {
		t.Fatalf("returned parcel: %d", status)
	}
	st.settle(t)
	buyer2 := st.as(t, "buyer-2", "buyer")
	c2 := st.get(t, buyer2, id2)
	wantStatus(t, c2, "completed")
	if c2.RefundedAmount != 32000 {
		t.Errorf("returned parcel refunded %d, want 32000", c2.RefundedAmount)
	}
	buyer2.do("GET", "/v1/notifications", nil).decode(t, &inbox)
	toldZH := 0
	for _, n := range inbox.Items {
		if n.CaseID == id2 && n.Kind == "auto_refund" {
			toldZH++
			if n.Language != "zh-CN" || !strings.Contains(n.Body, "包裹被退回") || !strings.Contains(n.Body, "¥320.00") {
				t.Errorf("buyer-2 was told %+v, want Chinese naming the returned parcel and ¥320.00", n)
			}
		}
	}
	if toldZH != 1 {
		t.Errorf("buyer-2 got %d auto_refund notices, want 1", toldZH)
	}
	if sum := ledgerSum(t, st, "o-1006", 32000); sum != 32000 {
		t.Errorf("o-1006 ledger holds %d, want 32000", sum)
	}
	// A later event about a refunded order owes nothing more.
	if s, _ := st.postCustoms(t, map[string]any{"event_id": "cus-3", "order_id": "o-1006", "status": "clearance_failed", "at": st.Clock.Now().Format(time.RFC3339)}); s != http.StatusNoContent {
		t.Errorf("a failure after the refund: %d, want 204", s)
	}

	tests := []struct {
		name   string
		ev     map[string]any
		status int
	}{
		{"cleared", map[string]any{"event_id": "cus-4", "order_id": "o-1002", "status": "cleared", "at": st.Clock.Now().Format(time.RFC3339)}, http.StatusNoContent},
		{"unknown status", map[string]any{"event_id": "cus-5", "order_id": "o-1002", "status": "lost", "at": st.Clock.Now().Format(time.RFC3339)}, http.StatusUnprocessableEntity},
		{"unknown order", map[string]any{"event_id": "cus-6", "order_id": "o-nope", "status": "returned", "at": st.Clock.Now().Format(time.RFC3339)}, http.StatusUnprocessableEntity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s, _ := st.postCustoms(t, tc.ev); s != tc.status {
				t.Errorf("status %d, want %d", s, tc.status)
			}
		})
	}
	st.settle(t)
	if sum := ledgerSum(t, st, "o-1002", 59900); sum != 0 {
		t.Errorf("o-1002 (cleared) ledger holds %d, want 0", sum)
	}
	t.Run("a forged event changes nothing", func(t *testing.T) {
		body := []byte(`{"event_id":"cus-7","order_id":"o-1002","status":"returned","at":"2026-12-05T10:00:00Z"}`)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, st.URL+"/webhooks/mall/customs", bytes.NewReader(body))
		ts, sig := mallhook.Sign("not the mall's secret", st.Clock.Now(), body)
		req.Header.Set(mallhook.HeaderTimestamp, ts)
		req.Header.Set(mallhook.HeaderSignature, sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		st.settle(t)
		if res.StatusCode != http.StatusUnauthorized || ledgerSum(t, st, "o-1002", 59900) != 0 {
			t.Errorf("forged event: %d, want 401 and nothing refunded", res.StatusCode)
		}
	})
}

// bundleCase decodes the bundle fields of a case besides caseBody's.
func bundleOf(t *testing.T, c *client, id string) (bundle string, components []string) {
	t.Helper()
	var got struct {
		Bundle     string   `json:"bundle"`
		Components []string `json:"components"`
	}
	c.do("GET", "/v1/cases/"+id, nil).decode(t, &got)
	return got.Bundle, got.Components
}

// TestBundleInsuranceRefundedWhilePhoneReturns (F20): one application
// returns the phone and its screen insurance; the insurance becomes a case
// of its own, checked with the coupon service and refunded at once, while
// the phone's case waits for an admin and then for its parcel; each shows
// its own progress, and together they refund exactly what was paid.
func TestBundleInsuranceRefundedWhilePhoneReturns(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-2", "buyer")
	admin := st.as(t, "boss", "admin")
	body := map[string]any{"order_id": "o-1008", "type": "return_refund", "reason": "no_reason_7_days",
		"lines": []map[string]any{{"line_id": "l1", "quantity": 1}, {"line_id": "l2", "quantity": 1}}}

	phone := st.apply(t, buyer, body)
	bundle, parts := bundleOf(t, buyer, phone.ID)
	if bundle != "phone-care" || len(parts) != 1 {
		t.Fatalf("the application's case names bundle %q, components %v; want phone-care and one component", bundle, parts)
	}
	care := st.get(t, buyer, parts[0])
	if _, back := bundleOf(t, buyer, care.ID); len(back) != 1 || back[0] != phone.ID {
		t.Errorf("the insurance's case names components %v, want [%s]", back, phone.ID)
	}
	if len(phone.Lines) != 1 || phone.Lines[0].LineID != "l1" || phone.RequestedAmount != 399900 {
		t.Errorf("phone case: lines %+v, requested %d; want l1 alone, 399900", phone.Lines, phone.RequestedAmount)
	}
	// The insurance: refund-only, decided by the rules at once, refunded.
	wantStatus(t, care, "completed")
	if care.Type != "refund_only" || care.RefundedAmount != 9900 || care.Decision == nil || care.Decision.RuleID != "virtual-unused" {
		t.Errorf("insurance case: type %s, refunded %d, decision %+v; want refund_only, 9900 by virtual-unused", care.Type, care.RefundedAmount, care.Decision)
	}
	// The phone waits: 3,999 CNY needs an admin, then its parcel.
	wantStatus(t, phone, "pending_review")
	if phone.RefundedAmount != 0 {
		t.Errorf("the phone was refunded %d before its return", phone.RefundedAmount)
	}
	act(t, admin, "/v1/staff/cases/"+phone.ID+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	phone = st.get(t, buyer, phone.ID)
	wantStatus(t, phone, "awaiting_return")
	if sum := ledgerSum(t, st, "o-1008", 409800); sum != 9900 {
		t.Errorf("while the phone travels the ledger holds %d, want the insurance's 9900", sum)
	}
	act(t, buyer, "/v1/cases/"+phone.ID+"/return-shipment", map[string]any{"courier": "shunfeng", "tracking_number": "SF5550001000"}, http.StatusOK)
	st.settle(t)
	act(t, admin, "/v1/staff/cases/"+phone.ID+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	st.settle(t)
	phone = st.get(t, buyer, phone.ID)
	wantStatus(t, phone, "completed")
	if phone.RefundedAmount != 399900 {
		t.Errorf("phone refunded %d, want 399900", phone.RefundedAmount)
	}
	if sum := ledgerSum(t, st, "o-1008", 409800); sum != 409800 {
		t.Errorf("o-1008 ledger holds %d, want all 409800 paid", sum)
	}
}

// TestBundleKeptWholeByRuleSet (F20): a merchant whose rule set says
// bundles.virtual_components "with_the_return" keeps the application in
// one case, the insurance refunded with the phone.
func TestBundleKeptWholeByRuleSet(t *testing.T) {
	st := startStack(t)
	admin := st.as(t, "boss", "admin")
	var rs map[string]any
	admin.do("GET", "/v1/staff/ruleset", nil).decode(t, &rs)
	rs["bundles"] = map[string]any{"virtual_components": "with_the_return"}
	if res := admin.do("PUT", "/v1/staff/ruleset", rs); res.status != http.StatusOK {
		t.Fatalf("store the rule set: %d %s", res.status, res.body)
	}
	c := st.apply(t, st.as(t, "buyer-2", "buyer"), map[string]any{"order_id": "o-1008", "type": "return_refund", "reason": "no_reason_7_days",
		"lines": []map[string]any{{"line_id": "l1", "quantity": 1}, {"line_id": "l2", "quantity": 1}}})
	if _, parts := bundleOf(t, admin, c.ID); len(parts) != 0 || len(c.Lines) != 2 || c.RequestedAmount != 409800 {
		t.Errorf("kept whole: components %v, %d lines, requested %d; want none, 2, 409800", parts, len(c.Lines), c.RequestedAmount)
	}
}

// TestDevCustomsRoute: the quick start's POST /dev/customs signs the event
// as the mall does and answers what the webhook answered.
func TestDevCustomsRoute(t *testing.T) {
	st := startStack(t)
	body, _ := json.Marshal(map[string]any{"event_id": "cus-dev", "order_id": "o-1010", "status": "returned", "at": st.Clock.Now().Format(time.RFC3339)})
	res, err := http.Post(st.URL+"/dev/customs", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		CaseID string `json:"case_id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK || out.CaseID == "" {
		t.Fatalf("POST /dev/customs: %d %+v %v", res.StatusCode, out, err)
	}
	st.settle(t)
	wantStatus(t, st.get(t, st.as(t, "buyer-3", "buyer"), out.CaseID), "completed")
}

// ledgerRows are the refund ledger's rows of an order, oldest first.
func ledgerRows(t *testing.T, st *Stack, orderID string) []ledgerRow {
	t.Helper()
	var ledger struct {
		Items []ledgerRow `json:"items"`
	}
	st.as(t, "auditor", "reviewer").do("GET", "/v1/staff/refunds?order_id="+orderID, nil).decode(t, &ledger)
	slices.Reverse(ledger.Items) // newest first
	return ledger.Items
}

// ledgerRow is one refund of the ledger, as staff read it.
type ledgerRow struct {
	Amount        int64  `json:"amount"`
	Status        string `json:"status"`
	Channel       string `json:"channel"`
	TransactionID string `json:"transaction_id"`
}

// TestPresaleLateShipmentPaysDoubleDeposit (F19): a presale order paid
// with a deposit (WeChat Pay) and a balance (Alipay) and not shipped
// within 7 days of the balance: the buyer's refund pays the deposit back
// on its transaction, the balance on its own, and the deposit once more as
// compensation, through the same refund path on a ledger line of its own.
// An order with only the deposit paid refunds the deposit alone.
func TestPresaleLateShipmentPaysDoubleDeposit(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-2", "buyer")

	c := st.apply(t, buyer, app("o-1007", "refund_only", "not_shipped", "l1", 1))
	wantStatus(t, c, "completed")
	// 50 deposit + 150 balance + 50 compensation: double the deposit.
	if c.RequestedAmount != 25000 || c.RefundedAmount != 25000 {
		t.Fatalf("requested %d, refunded %d; want 25000 each", c.RequestedAmount, c.RefundedAmount)
	}
	if got := actions(c); !equal(got, []string{"submit", "approve", "await", "refund_started", "refund_next", "await", "refund_next", "await", "refund_succeeded"}) {
		t.Errorf("timeline %v", got)
	}
	rows := ledgerRows(t, st, "o-1007")
	want := []ledgerRow{
		{5000, "succeeded", "wechatpay", "4200001007D"},
		{15000, "succeeded", "alipay", "2026112722001007B"},
		{5000, "succeeded", "balance", "4200001007D"},
	}
	if !slices.Equal(rows, want) {
		t.Errorf("ledger rows\n%+v\nwant\n%+v", rows, want)
	}
	// What was paid (200) comes back once; the compensation (50) is on its
	// own line: the goods' refunds never pass what was paid.
	var goods int64
	for _, r := range rows[:2] {
		goods += r.Amount
	}
	if goods != 20000 {
		t.Errorf("deposit and balance refunded %d, want the 20000 paid", goods)
	}
	o, err := st.store.GetOrder(t.Context(), "o-1007")
	if err != nil {
		t.Fatal(err)
	}
	comp, _ := o.Fee("fee:presale_compensation")
	if o.Lines[0].Refunded != 20000 || comp == nil || comp.Refunded != 5000 || comp.PaidAmount != 5000 {
		t.Errorf("ledger: line refunded %d, compensation %+v; want 20000 and 5000 of 5000", o.Lines[0].Refunded, comp)
	}

	// The deposit alone: buyer-1's lens, balance not paid yet, in time.
	lens := st.apply(t, st.as(t, "buyer-1", "buyer"), app("o-1011", "refund_only", "wrong_item", "l1", 1))
	wantStatus(t, lens, "completed")
	if lens.RefundedAmount != 3000 {
		t.Errorf("deposit-only refund %d, want 3000", lens.RefundedAmount)
	}
	if rows := ledgerRows(t, st, "o-1011"); !slices.Equal(rows, []ledgerRow{{3000, "succeeded", "wechatpay", "4200001011D"}}) {
		t.Errorf("deposit-only ledger %+v", rows)
	}
	if sum := ledgerSum(t, st, "o-1011", 3000); sum != 3000 {
		t.Errorf("o-1011 ledger holds %d, want 3000", sum)
	}
}
