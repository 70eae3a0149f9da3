package stack

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakekuaidi100"
	"github.com/aftersales/aftersales/shared/apigw/ledgercsv"
	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

// postageCase is what a case says of the return postage (F29).
type postageCase struct {
	chargedCase
	Postage *struct {
		PostagePaid       int64 `json:"postage_paid"`
		PostageReimbursed int64 `json:"postage_reimbursed"`
	} `json:"charges"`
}

// refundRow is one row of the refund ledger (GET /v1/staff/refunds).
type refundRow struct {
	CaseID      string `json:"case_id"`
	Amount      int64  `json:"amount"`
	Channel     string `json:"channel"`
	Destination string `json:"destination"`
	Status      string `json:"status"`
}

// refundRows is the refund ledger of an order, read by an auditor.
func refundRows(t *testing.T, st *Stack, orderID string) []refundRow {
	t.Helper()
	var page struct {
		Items []refundRow `json:"items"`
	}
	res := st.as(t, "auditor", "reviewer").do("GET", "/v1/staff/refunds?order_id="+orderID, nil)
	if res.status != http.StatusOK {
		t.Fatalf("ledger of %s: %d %s", orderID, res.status, res.body)
	}
	res.decode(t, &page)
	return page.Items
}

// qualityReturn opens a quality return of one line with the verified
// photo quality faults need, in review.
func qualityReturn(t *testing.T, st *Stack, buyer *client, order, line string, seed int) string {
	t.Helper()
	q := st.apply(t, buyer, app(order, "return_refund", "quality_issue", line, 1))
	photo := inspecttest.JPEG(inspecttest.Photo(120, 90, seed), 80)
	up := presign(t, buyer, "/v1/cases/"+q.ID+"/evidence-uploads", "image/jpeg", len(photo))
	up.put(t, photo)
	act(t, buyer, "/v1/cases/"+q.ID+"/evidence", map[string]any{"evidence_ids": []string{up.EvidenceID}}, http.StatusOK)
	st.settle(t)
	return q.ID
}

// returnWithPostage approves a return in review, ships it back stating the
// postage and confirms receipt, letting the workflow refund it.
func returnWithPostage(t *testing.T, st *Stack, buyer, staff *client, id string, postage int64) {
	t.Helper()
	act(t, staff, "/v1/staff/cases/"+id+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	act(t, buyer, "/v1/cases/"+id+"/return-shipment", map[string]any{"courier": "sf", "tracking_number": "SF1234567890", "postage": postage}, http.StatusOK)
	st.settle(t)
	act(t, staff, "/v1/staff/cases/"+id+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	st.settle(t)
}

func (st *Stack) postage(t *testing.T, c *client, id string) postageCase {
	t.Helper()
	var got postageCase
	res := c.do("GET", "/v1/cases/"+id, nil)
	if res.status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, res.status, res.body)
	}
	res.decode(t, &got)
	if got.Postage == nil {
		t.Fatalf("case %s has no charges: %s", id, res.body)
	}
	return got
}

// TestReturnPostageReimbursed (F29): the return postage the merchant bears
// is paid with the refund, after the goods, to the store balance, booked
// on an account of the case's own. On o-1012 (326.00 paid by WeChat Pay):
// a quality return of the phone case (49.00) stating 12.00 of postage is
// refunded 49.00 through WeChat Pay and 12.00 to the balance, two rows of
// the ledger; a quality return of the earbuds (269.00) stating 35.00 is
// reimbursed the 20.00 cap. The goods' refunds stay within what was paid.
// A size return (o-1002) stating postage is reimbursed nothing; a quality
// return approved in part is reimbursed in full on top of the lowered
// goods; a platinum
// member's quality return (o-1013) is reimbursed 35.00 in full. A postage
// out of range is refused, naming the field, and stores nothing.
func TestReturnPostageReimbursed(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")

	// Under the cap: all of it, after the goods.
	phone := qualityReturn(t, st, buyer, "o-1012", "l2", 17)
	returnWithPostage(t, st, buyer, staff, phone, 1200)
	c := st.postage(t, buyer, phone)
	if c.Status != "completed" || c.Postage.PostagePaid != 1200 || c.Postage.PostageReimbursed != 1200 || c.RefundedAmount != 4900+1200 {
		t.Fatalf("phone case: %s refunded %d, postage %+v", c.Status, c.RefundedAmount, c.Postage)
	}
	for _, want := range []struct{ action, note string }{
		{"ship_return", "return postage 12.00 CNY: the merchant reimburses 12.00 CNY with the refund (cap 20.00 CNY)"},
		{"charge_fees", "return postage 12.00 CNY reimbursed to the store balance after the goods refund of 49.00 CNY"},
		{"refund_next", "next: return_postage 12.00 CNY"},
		{"refund_succeeded", "12.00 CNY arrived via balance"},
	} {
		if !hasLine(c.chargedCase, want.action, want.note) {
			t.Errorf("no %s line saying %q: %+v", want.action, want.note, c.Timeline)
		}
	}
	rows := refundRows(t, st, "o-1012")
	if len(rows) != 2 || rows[0].Amount+rows[1].Amount != 6100 {
		t.Fatalf("ledger of o-1012 after the phone case: %+v", rows)
	}
	for _, r := range rows {
		want := refundRow{CaseID: phone, Amount: 4900, Channel: "wechatpay", Destination: "original", Status: "succeeded"}
		if r.Amount == 1200 {
			want = refundRow{CaseID: phone, Amount: 1200, Channel: "balance", Destination: "balance", Status: "succeeded"}
		}
		if r != want {
			t.Errorf("ledger row %+v, want %+v", r, want)
		}
	}

	// A postage out of range is refused, naming the field; nothing stored.
	earbuds := qualityReturn(t, st, buyer, "o-1012", "l1", 23)
	act(t, staff, "/v1/staff/cases/"+earbuds+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	// As for every field of a request: 422, the field named, whether the
	// value is out of range or no whole number of minor units.
	for _, bad := range []any{-1, 100001, "12.00", 12.5} {
		res := buyer.do("POST", "/v1/cases/"+earbuds+"/return-shipment", map[string]any{"courier": "sf", "tracking_number": "SF1234567890", "postage": bad})
		if !res.problem(t, http.StatusUnprocessableEntity).names("postage") {
			t.Errorf("postage %v: %d %s", bad, res.status, res.body)
		}
	}
	if c := st.postage(t, buyer, earbuds); c.Status != "awaiting_return" || c.Postage.PostagePaid != 0 {
		t.Fatalf("after refused waybills the earbuds case is %s with postage %+v", c.Status, c.Postage)
	}

	// Over the cap: the cap.
	act(t, buyer, "/v1/cases/"+earbuds+"/return-shipment", map[string]any{"courier": "sf", "tracking_number": "SF1234567890", "postage": 3500}, http.StatusOK)
	st.settle(t)
	act(t, staff, "/v1/staff/cases/"+earbuds+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	st.settle(t)
	c = st.postage(t, buyer, earbuds)
	if c.Status != "completed" || c.Postage.PostagePaid != 3500 || c.Postage.PostageReimbursed != 2000 || c.RefundedAmount != 26900+2000 {
		t.Fatalf("earbuds case: %s refunded %d, postage %+v", c.Status, c.RefundedAmount, c.Postage)
	}
	var goods, postage int64
	for _, r := range refundRows(t, st, "o-1012") {
		if r.Channel == "balance" {
			postage += r.Amount
		} else {
			goods += r.Amount
		}
	}
	if goods != 4900+26900 || goods > 32600 || postage != 1200+2000 {
		t.Errorf("o-1012: goods refunds %d (paid 32600), postage %d, want 31800 and 3200", goods, postage)
	}

	// The buyer bears a size return's postage: nothing reimbursed.
	shoes := openForReview(t, st, buyer, "o-1002", "l1", "size_not_fit")
	returnWithPostage(t, st, buyer, staff, shoes, 1500)
	c = st.postage(t, buyer, shoes)
	if c.Status != "completed" || c.Postage.PostagePaid != 1500 || c.Postage.PostageReimbursed != 0 || c.RefundedAmount != 49900 ||
		!hasLine(c.chargedCase, "ship_return", "return postage 15.00 CNY: borne by the buyer") {
		t.Fatalf("size return: %s refunded %d, postage %+v, timeline %+v", c.Status, c.RefundedAmount, c.Postage, c.Timeline)
	}
	if rows := refundRows(t, st, "o-1002"); len(rows) != 1 || rows[0].Amount != 49900 {
		t.Errorf("ledger of o-1002: %+v", rows)
	}

	// A staff partial approval lowers the goods only: the socks (90.00)
	// approved at 50.00 are refunded 50.00, and the 12.00 postage on top.
	socks := qualityReturn(t, st, buyer, "o-1002", "l2", 31)
	act(t, staff, "/v1/staff/cases/"+socks+"/approve", map[string]any{"amount": 5000, "note": "one pair worn"}, http.StatusOK)
	st.settle(t)
	act(t, buyer, "/v1/cases/"+socks+"/return-shipment", map[string]any{"courier": "sf", "tracking_number": "SF1234567890", "postage": 1200}, http.StatusOK)
	st.settle(t)
	act(t, staff, "/v1/staff/cases/"+socks+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	st.settle(t)
	c = st.postage(t, buyer, socks)
	if c.Status != "completed" || c.Postage.PostageReimbursed != 1200 || c.RefundedAmount != 5000+1200 {
		t.Fatalf("partly approved return: %s refunded %d, postage %+v, timeline %+v", c.Status, c.RefundedAmount, c.Postage, c.Timeline)
	}
	var rest int64
	for _, r := range refundRows(t, st, "o-1002") {
		if r.CaseID == socks && r.Channel == "balance" && r.Amount != 1200 || r.CaseID == socks && r.Channel != "balance" && r.Amount != 5000 {
			t.Errorf("ledger row of the socks %+v", r)
		}
		if r.Channel != "balance" {
			rest += r.Amount
		}
	}
	if rest != 49900+5000 {
		t.Errorf("o-1002 goods refunds %d, want 54900", rest)
	}

	// A platinum member's quality return: the whole postage, no cap.
	buyer2 := st.as(t, "buyer-2", "buyer")
	lamp := qualityReturn(t, st, buyer2, "o-1013", "l1", 29)
	returnWithPostage(t, st, buyer2, staff, lamp, 3500)
	c = st.postage(t, buyer2, lamp)
	if c.Status != "completed" || c.Postage.PostageReimbursed != 3500 || c.RefundedAmount != 15900+3500 ||
		!hasLine(c.chargedCase, "ship_return", "member perk: free return shipping") {
		t.Fatalf("platinum return: %s refunded %d, postage %+v, timeline %+v", c.Status, c.RefundedAmount, c.Postage, c.Timeline)
	}
	rows = refundRows(t, st, "o-1013")
	if len(rows) != 2 {
		t.Fatalf("ledger of o-1013: %+v", rows)
	}
	for _, r := range rows {
		if r.Amount == 3500 && r.Channel != "balance" || r.Amount != 3500 && (r.Amount != 15900 || r.Channel != "alipay") {
			t.Errorf("ledger row of o-1013 %+v", r)
		}
	}
	// Finance's CSV has the reimbursement as a row of its own.
	res := st.as(t, "auditor", "reviewer").do("GET", "/v1/staff/refunds/export?order_id=o-1013", nil)
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.body, []byte(ledgercsv.BOM))))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if res.status != http.StatusOK || err != nil || len(recs) < 3 {
		t.Fatalf("export of o-1013: %d %v %q", res.status, err, res.body)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var csvRows []string
	for _, rec := range recs[1:] {
		if len(rec) != len(recs[0]) { // the totals after the rows
			break
		}
		csvRows = append(csvRows, rec[col["case_id"]]+" "+rec[col["amount_fen"]]+" "+rec[col["channel"]])
	}
	slices.Sort(csvRows)
	if want := []string{lamp + " 15900 alipay", lamp + " 3500 balance"}; !slices.Equal(csvRows, want) {
		t.Errorf("CSV rows %q, want %q", csvRows, want)
	}
}

// TestReturnPostageNewWaybillAndCancel (F29) with courier tracking: a
// waybill the courier never collects sends the case back for another, whose
// postage replaces the first (35.00 stated, then 12.00: 12.00 reimbursed,
// not the 20.00 cap); a case cancelled after its waybill was never collected
// pays no postage at all.
func TestReturnPostageNewWaybillAndCancel(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")
	ship := func(c *client, id, number, journey string, postage int64) {
		t.Helper()
		devPost(t, st, "/dev/kuaidi100/journey", map[string]any{"number": number, "journey": journey})
		act(t, c, "/v1/cases/"+id+"/return-shipment", map[string]any{"courier": "shunfeng", "tracking_number": number, "postage": postage}, http.StatusOK)
		st.settle(t)
	}

	phone := qualityReturn(t, st, buyer, "o-1012", "l2", 37)
	act(t, staff, "/v1/staff/cases/"+phone+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	ship(buyer, phone, "SF1234567890", fakekuaidi100.JourneyNeverCollected, 3500)

	buyer2 := st.as(t, "buyer-2", "buyer")
	lamp := qualityReturn(t, st, buyer2, "o-1013", "l1", 41)
	act(t, staff, "/v1/staff/cases/"+lamp+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	ship(buyer2, lamp, "SF1234567892", fakekuaidi100.JourneyNeverCollected, 3500)
	if c := st.postage(t, buyer2, lamp); c.Postage.PostageReimbursed != 3500 {
		t.Fatalf("lamp charges %+v", c.Postage)
	}

	st.advance(t, 3*24*time.Hour+time.Minute)
	for _, id := range []string{phone, lamp} {
		who := buyer
		if id == lamp {
			who = buyer2
		}
		if c := st.postage(t, who, id); c.Status != "awaiting_return" {
			t.Fatalf("case %s is %s after its waybill was never collected", id, c.Status)
		}
	}

	// The new waybill's postage replaces the first.
	ship(buyer, phone, "SF1234567891", fakekuaidi100.JourneyStandard, 1200)
	st.advance(t, 49*time.Hour)
	act(t, staff, "/v1/staff/cases/"+phone+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	st.settle(t)
	c := st.postage(t, buyer, phone)
	if c.Status != "completed" || c.Postage.PostagePaid != 1200 || c.Postage.PostageReimbursed != 1200 || c.RefundedAmount != 4900+1200 {
		t.Fatalf("phone case: %s refunded %d, postage %+v, timeline %+v", c.Status, c.RefundedAmount, c.Postage, c.Timeline)
	}
	if rows := refundRows(t, st, "o-1012"); len(rows) != 2 || rows[0].Amount+rows[1].Amount != 6100 {
		t.Errorf("ledger of o-1012: %+v", rows)
	}

	// Cancelled without a refund: no postage paid.
	act(t, buyer2, "/v1/cases/"+lamp+"/cancel", nil, http.StatusOK)
	st.advance(t, time.Hour)
	if c := st.postage(t, buyer2, lamp); c.Status != "cancelled" || c.RefundedAmount != 0 {
		t.Fatalf("cancelled lamp case: %s refunded %d", c.Status, c.RefundedAmount)
	}
	if rows := refundRows(t, st, "o-1013"); len(rows) != 0 {
		t.Errorf("a cancelled case paid: %+v", rows)
	}
}
