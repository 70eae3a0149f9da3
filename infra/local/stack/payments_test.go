package stack

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/apigw/ledgercsv"
)

// successResource is the decrypted resource of a REFUND.SUCCESS
// notification about refund no of amount fen.
func successResource(st *Stack, no string, amount int64, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"mchid": st.WeChatPay.MchID(), "transaction_id": "4200001001", "out_trade_no": "o-1001",
		"refund_id": "50300000" + strconv.FormatInt(at.Unix(), 10), "out_refund_no": no, "refund_status": "SUCCESS",
		"success_time": at.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339), "user_received_account": "支付用户零钱",
		"amount": map[string]any{"total": 19800, "refund": amount, "payer_total": 19800, "payer_refund": amount},
	})
	return b
}

func postNotification(t *testing.T, st *Stack, header http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest("POST", st.URL+"/webhooks/wechatpay", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestWeChatPayNotificationsAreVerified posts forged, tampered, wrong-serial,
// stale and replayed notifications about a refund in progress: every one is
// refused or acknowledged without effect; only the genuine one completes it.
func TestWeChatPayNotificationsAreVerified(t *testing.T) {
	st, err := Start(t.Context(), Options{AnyPorts: true, Seed: true, Clock: vclock.New(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)), RefundDelay: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	buyer := st.as(t, "buyer-1", "buyer")
	c := st.apply(t, buyer, app("o-1001", "refund_only", "wrong_item", "l1", 1))
	wantStatus(t, c, "refunding")
	no := c.ID + "-1"
	now := st.Clock.Now()
	genuineHeader, genuineBody, err := st.WeChatPay.SealNotification("REFUND.SUCCESS", "退款成功", successResource(st, no, 9900, now))
	if err != nil {
		t.Fatal(err)
	}
	other, err := fakewechat.New(fakewechat.Options{Now: st.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	forgedHeader, forgedBody, err := other.SealNotification("REFUND.SUCCESS", "退款成功", successResource(st, no, 9900, now))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(genuineBody, []byte(`"REFUND.SUCCESS"`), []byte(`"REFUND.CLOSED"`), 1)
	wrongSerial := genuineHeader.Clone()
	wrongSerial.Set("Wechatpay-Serial", "PUB_KEY_ID_0000000000000000000000000000")

	refused := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"signed with another platform key", forgedHeader, forgedBody},
		{"body tampered after signing", genuineHeader, tampered},
		{"serial of a key we do not trust", wrongSerial, genuineBody},
		{"no signature at all", http.Header{}, genuineBody},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if code := postNotification(t, st, tt.header, tt.body); code < 400 || code >= 500 {
				t.Fatalf("answered %d, want 4xx", code)
			}
		})
	}
	st.settle(t)
	if got := st.get(t, buyer, c.ID); got.Status != "refunding" || got.Version != c.Version {
		t.Fatalf("a refused notification changed the case: %s v%d -> v%d", got.Status, c.Version, got.Version)
	}

	// The genuine notification, held for 6 minutes, is refused as stale.
	st.Clock.Advance(6 * time.Minute)
	if code := postNotification(t, st, genuineHeader, genuineBody); code != http.StatusUnauthorized {
		t.Fatalf("a 6-minute-old notification: %d, want 401", code)
	}
	st.settle(t)
	before := st.get(t, buyer, c.ID)
	if before.Status != "refunding" {
		t.Fatalf("a stale notification moved the case to %s", before.Status)
	}

	// A fresh genuine one completes the refund; its replay changes nothing.
	header, body, err := st.WeChatPay.SealNotification("REFUND.SUCCESS", "退款成功", successResource(st, no, 9900, st.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if code := postNotification(t, st, header, body); code != http.StatusNoContent {
			t.Fatalf("genuine notification #%d: %d, want 204", i+1, code)
		}
		st.settle(t)
	}
	done := st.get(t, buyer, c.ID)
	if done.Status != "completed" || done.RefundedAmount != 9900 {
		t.Fatalf("after the genuine notification: %s refunded %d", done.Status, done.RefundedAmount)
	}
	if n := countActions(done, "refund_succeeded"); n != 1 {
		t.Fatalf("refund_succeeded recorded %d times", n)
	}
}

func countActions(c caseBody, action string) int {
	n := 0
	for _, a := range actions(c) {
		if a == action {
			n++
		}
	}
	return n
}

// TestRefundLedgerAndExport refunds through both providers and reads the
// ledger back: rows with approver, channel, provider ids and arrival, the
// filters, and a CSV whose totals equal the sum of its rows.
func TestRefundLedgerAndExport(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")
	wechat := st.apply(t, buyer, app("o-1001", "refund_only", "wrong_item", "l1", 1))
	wantStatus(t, wechat, "completed")
	ret := st.apply(t, buyer, app("o-1002", "return_refund", "size_not_fit", "l2", 1)) // Alipay socks
	act(t, staff, "/v1/staff/cases/"+ret.ID+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	act(t, buyer, "/v1/cases/"+ret.ID+"/return-shipment", map[string]any{"courier": "sf", "tracking_number": "SF1234567890"}, http.StatusOK)
	st.settle(t)
	act(t, staff, "/v1/staff/cases/"+ret.ID+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	st.settle(t)
	wantStatus(t, st.get(t, buyer, ret.ID), "completed")
	if st.Alipay.Payouts(ret.ID+"-1") != 1 {
		t.Fatalf("the Alipay sandbox paid %d times", st.Alipay.Payouts(ret.ID+"-1"))
	}

	var page struct {
		Items []struct {
			ID, CaseID, Channel, Status, ApprovedBy, ProviderRefundID, BuyerPhone string
			Amount                                                                int64
			ArrivedAt                                                             *time.Time
		} `json:"items"`
	}
	res := staff.do("GET", "/v1/staff/refunds", nil)
	if res.status != http.StatusOK {
		t.Fatalf("ledger: %d %s", res.status, res.body)
	}
	if err := json.Unmarshal(bytes.ReplaceAll(res.body, []byte("_"), nil), &page); err != nil { // snake_case -> fields
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("ledger has %d rows, want 2: %s", len(page.Items), res.body)
	}
	byChannel := map[string]int64{}
	for _, r := range page.Items {
		if r.Status != "succeeded" || r.ProviderRefundID == "" || r.ArrivedAt == nil || r.ApprovedBy == "" || r.BuyerPhone == "" {
			t.Errorf("ledger row %+v lacks what F13 asks for", r)
		}
		byChannel[r.Channel] += r.Amount
	}
	if byChannel["wechatpay"] != 9900 || byChannel["alipay"] != 9000 {
		t.Errorf("amounts by channel %v", byChannel)
	}
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"?order_id=o-1002", 1},
		{"?phone=13800001001", 1},
		{"?phone=13900000000", 0},
		{"?from=" + st.Clock.Now().Add(time.Hour).Format(time.RFC3339), 0},
	} {
		res := staff.do("GET", "/v1/staff/refunds"+tt.query, nil)
		var p struct{ Items []json.RawMessage }
		res.decode(t, &p)
		if len(p.Items) != tt.want {
			t.Errorf("%s: %d rows, want %d", tt.query, len(p.Items), tt.want)
		}
	}
	if res := buyer.do("GET", "/v1/staff/refunds", nil); res.status != http.StatusForbidden {
		t.Errorf("a buyer reading the ledger: %d", res.status)
	}
	if res := staff.do("GET", "/v1/staff/refunds?since=yesterday", nil); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(res.body), `"since"`) {
		t.Errorf("an unknown parameter: %d %s", res.status, res.body)
	}

	res = staff.do("GET", "/v1/staff/refunds/export", nil)
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", res.status, res.header.Get("Content-Type"))
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.body, []byte(ledgercsv.BOM))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	var rows, total int64
	for _, rec := range recs[1:3] {
		n, _ := strconv.ParseInt(rec[6], 10, 64)
		rows += n
	}
	for _, rec := range recs {
		if rec[0] == "total" {
			total, _ = strconv.ParseInt(rec[2], 10, 64)
		}
	}
	if rows != 18900 || total != rows {
		t.Fatalf("export rows add to %d, total %d\n%s", rows, total, res.body)
	}
}

// TestClosedRefundRetriedToBalance has the WeChat Pay sandbox close a
// refund: the case stays refunding for staff, the ledger is given back,
// and a retry to store balance completes it and tells the mall.
func TestClosedRefundRetriedToBalance(t *testing.T) {
	st := startStack(t)
	st.WeChatPay.SetFaults(fakewechat.Faults{Close: 1})
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "staff-1", "reviewer")
	c := st.apply(t, buyer, app("o-1001", "refund_only", "wrong_item", "l1", 1))
	wantStatus(t, c, "refunding")
	if c.Next == nil || c.Next.Actor != "merchant" || c.Next.Action != "retry_refund" {
		t.Fatalf("next %+v, want the merchant to retry", c.Next)
	}
	if n := countActions(c, "refund_failed"); n != 1 {
		t.Fatalf("refund_failed recorded %d times: %v", n, actions(c))
	}
	st.WeChatPay.SetFaults(fakewechat.Faults{})
	got := act(t, staff, "/v1/staff/cases/"+c.ID+"/retry-refund", map[string]any{"refund_to": "balance"}, http.StatusOK)
	st.settle(t)
	got = st.get(t, buyer, c.ID)
	wantStatus(t, got, "completed")
	if got.RefundedAmount != 9900 || st.WeChatPay.TotalPaid() != 0 {
		t.Fatalf("refunded %d, WeChat Pay paid %d", got.RefundedAmount, st.WeChatPay.TotalPaid())
	}
	types := map[string]int{}
	for _, e := range st.Events.Events() {
		types[e.Type]++
	}
	if types["refund.failed"] != 1 || types["refund.balance_credited"] != 1 {
		t.Fatalf("domain events %v", types)
	}
	act(t, staff, "/v1/staff/cases/"+c.ID+"/retry-refund", map[string]any{}, http.StatusConflict)
}
