package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/esm"
	"github.com/aftersales/aftersales/infra/local/fakewechatmsg"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// notifiedOrder posts an order of buyer whose snapshot names a
// mini-program openid and a language, and opens a refund of its first
// line, which the rules leave to staff; it returns the case id.
func (st *Stack) notifiedOrder(t *testing.T, orderID, buyer, openid, lang string) string {
	t.Helper()
	now, day := st.Clock.Now().UTC().Truncate(time.Second), 24*time.Hour
	o := &aftersales.Order{ID: orderID, BuyerID: buyer, BuyerPhone: "13800001234", BuyerOpenID: openid, Language: lang,
		ShopID: "main", Status: aftersales.OrderDelivered, Version: 1, EventID: "ev-" + orderID,
		PaidAt: now.Add(-6 * day), ShippedAt: now.Add(-5 * day), DeliveredAt: now.Add(-3 * day),
		Currency: aftersales.CNY, Payment: aftersales.Payment{Channel: aftersales.ChannelAlipay, TransactionID: "t-" + orderID, Amount: 49900},
		Lines: []aftersales.OrderLine{{LineID: "l1", SKU: "SHOE-42", Name: "Running shoes", Kind: aftersales.KindPhysical,
			Category: "shoes", Quantity: 1, UnitPrice: 49900, PaidAmount: 49900}}}
	body, err := json.Marshal(mallhook.FromOrder(o))
	if err != nil {
		t.Fatal(err)
	}
	if status, resp, err := st.postOrder(t.Context(), body); err != nil || status != http.StatusNoContent {
		t.Fatalf("post order %s: %d %s %v", orderID, status, resp, err)
	}
	res := st.as(t, buyer, "buyer").do("POST", "/v1/cases", refundApp(orderID, "l1", 1), "Idempotency-Key", "notify-"+orderID)
	if res.status != http.StatusCreated {
		t.Fatalf("open the case: %d %s", res.status, res.body)
	}
	var c caseBody
	res.decode(t, &c)
	return c.ID
}

// inboxItem is one notification as the API answers it.
type inboxItem struct {
	ID     string     `json:"id"`
	CaseID string     `json:"case_id"`
	Kind   string     `json:"kind"`
	Title  string     `json:"title"`
	ReadAt *time.Time `json:"read_at"`
}

// inboxPage is GET /v1/notifications as the API answers it.
type inboxPage struct {
	Items      []inboxItem `json:"items"`
	NextCursor string      `json:"next_cursor"`
	Unread     int         `json:"unread"`
}

// statusChanges are the statuses a case moved to, in order: what its buyer
// must be told.
func statusChanges(c caseBody) []string {
	var out []string
	for _, e := range c.Timeline {
		if e.From != e.To {
			out = append(out, e.To)
		}
	}
	return out
}

// wechatTo is what the WeChat stand-in accepted for openid: the status
// word of each message (thing2), oldest first.
func (st *Stack) wechatTo(openid string) []string {
	var out []string
	for _, m := range st.WeChatMsg.Messages() {
		if m.ToUser == openid {
			out = append(out, fmt.Sprint(m.Data["thing2"]["value"]))
		}
	}
	return out
}

// smsCount counts the SMS sent to notifiedOrder's phone: not the seed
// orders' (the produce order's claim-window reminder, issue 17).
func (st *Stack) smsCount() int {
	n := 0
	for _, m := range st.SMS.Messages() {
		if strings.HasSuffix(m.Destination, "13800001234") {
			n++
		}
	}
	return n
}

// TestNotificationsOncePerStatusChange walks a case from application to
// rejection and checks that each status change is in the buyer's inbox
// once, in their language, and at the WeChat stand-in once; that a second
// buyer sees none of it; and that reading marks one read, once.
func TestNotificationsOncePerStatusChange(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-notify-1", "buyer")
	id := st.notifiedOrder(t, "o-notify-1", "buyer-notify-1", "oid-buyer-notify-1", aftersales.LangEN)
	st.settle(t)
	act(t, st.as(t, "staff-notify", "reviewer"), "/v1/staff/cases/"+id+"/reject", map[string]any{"reason": "worn"}, http.StatusOK)
	st.settle(t)

	var c caseBody
	st.as(t, "staff-notify", "admin").do("GET", "/v1/staff/cases/"+id, nil).decode(t, &c)
	changes := statusChanges(c)
	if want := []string{"submitted", "pending_review", "rejected"}; !slices.Equal(changes, want) {
		t.Fatalf("status changes %v, want %v", changes, want)
	}
	var page inboxPage
	buyer.do("GET", "/v1/notifications", nil).decode(t, &page)
	var titles []string
	for _, n := range page.Items {
		if n.CaseID != id || n.Kind != "status_changed" {
			t.Fatalf("unexpected item %+v", n)
		}
		titles = append(titles, n.Title)
	}
	want := []string{"After-sales: Rejected", "After-sales: Under review", "After-sales: Submitted"} // newest first
	if !slices.Equal(titles, want) || page.Unread != 3 {
		t.Fatalf("inbox %v (unread %d), want %v (unread 3)", titles, page.Unread, want)
	}
	if got := st.wechatTo("oid-buyer-notify-1"); !slices.Equal(got, []string{"Submitted", "Under review", "Rejected"}) {
		t.Fatalf("WeChat got %v", got)
	}
	if st.smsCount() != 3 {
		t.Fatalf("%d SMS, want 3", st.smsCount())
	}

	var other inboxPage
	st.as(t, "buyer-notify-2", "buyer").do("GET", "/v1/notifications", nil).decode(t, &other)
	if len(other.Items) != 0 {
		t.Fatalf("another buyer sees %+v", other.Items)
	}
	read := page.Items[0].ID
	if res := st.as(t, "buyer-notify-2", "buyer").do("POST", "/v1/notifications/"+read+"/read", nil); res.status != http.StatusNotFound {
		t.Fatalf("another buyer marked it read: %d %s", res.status, res.body)
	}
	for range 2 {
		if res := buyer.do("POST", "/v1/notifications/"+read+"/read", nil); res.status != http.StatusOK {
			t.Fatalf("mark read: %d %s", res.status, res.body)
		}
	}
	buyer.do("GET", "/v1/notifications?limit=2", nil).decode(t, &page)
	if page.Unread != 2 || len(page.Items) != 2 || page.Items[0].ReadAt == nil || page.NextCursor == "" {
		t.Fatalf("after reading one: %+v", page)
	}
	var rest inboxPage
	buyer.do("GET", "/v1/notifications?cursor="+page.NextCursor, nil).decode(t, &rest)
	if len(rest.Items) != 1 || rest.Items[0].Title != "After-sales: Submitted" || rest.NextCursor != "" {
		t.Fatalf("second page %+v", rest)
	}
}

// TestWeChatDownForAWhile: while the WeChat stand-in fails, the inbox has
// every notice at once and the other channel sends; once it recovers,
// the queue's retries deliver each message, and none twice.
func TestWeChatDownForAWhile(t *testing.T) {
	st := startStack(t)
	// The seed's produce order has its claim-window reminder (issue 17):
	// let it through first, and count from there.
	st.settle(t)
	base := st.NotifierStats()
	const fails = 4 // fewer than the receives before the dead-letter queue
	st.WeChatMsg.Fail(fails)
	ctx := t.Context()
	settle := func() {
		t.Helper()
		if err := st.WaitIdleButNotifier(ctx); err != nil {
			t.Fatal(err)
		}
	}
	id := st.notifiedOrder(t, "o-notify-down", "buyer-notify-down", "oid-buyer-notify-down", "")
	settle()
	act(t, st.as(t, "staff-notify", "reviewer"), "/v1/staff/cases/"+id+"/reject", map[string]any{"reason": "worn"}, http.StatusOK)
	settle()
	// Every announcement was handled once, failed or not.
	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := st.AwaitNotifier(deadline, func(s esm.Stats) bool { return s.Deleted-base.Deleted+s.Failed-base.Failed >= 3 }); err != nil {
		t.Fatalf("the notifier never handled the three changes: %v (%+v)", err, st.NotifierStats())
	}

	buyer := st.as(t, "buyer-notify-down", "buyer")
	var page inboxPage
	buyer.do("GET", "/v1/notifications", nil).decode(t, &page)
	if len(page.Items) != 3 || page.Items[0].Title != "售后进度：已驳回" {
		t.Fatalf("inbox while WeChat is down: %+v", page.Items)
	}
	if st.WeChatMsg.Failed() == 0 || st.NotifierStats().Failed == 0 {
		t.Fatal("the stand-in never failed: the test proves nothing")
	}
	want := []string{"已提交", "审核中", "已驳回"}
	// The failed messages come back after their visibility timeout (30 s
	// on the stack's clock): move it on, and wait for the notifier to take
	// them again, until every one is through; give up after more rounds
	// than the failures can take.
	for round := 0; ; round++ {
		if st.NotifierStats().Deleted-base.Deleted >= 3 {
			break
		}
		if round == fails+2 {
			t.Fatalf("after %d rounds WeChat has %v of %v (%+v)", round, st.wechatTo("oid-buyer-notify-down"), want, st.NotifierStats())
		}
		before := st.NotifierStats().Batches
		st.Clock.Advance(31 * time.Second)
		if err := st.AwaitNotifier(deadline, func(s esm.Stats) bool { return s.Batches > before }); err != nil {
			t.Fatalf("round %d: no redelivery: %v (%+v)", round, err, st.NotifierStats())
		}
	}
	got := st.wechatTo("oid-buyer-notify-down")
	slices.Sort(got)
	sorted := slices.Sorted(slices.Values(want))
	if !slices.Equal(got, sorted) {
		t.Fatalf("WeChat got %v, want each of %v once", got, want)
	}
	// Nothing is left to redeliver: more time changes nothing.
	st.advance(t, 5*time.Minute)
	if got := st.wechatTo("oid-buyer-notify-down"); len(got) != len(want) {
		t.Fatalf("WeChat got %v after more time, want %d messages", got, len(want))
	}
	if st.smsCount() != 3 {
		t.Fatalf("%d SMS, want 3: a WeChat failure must not resend the SMS", st.smsCount())
	}
	buyer.do("GET", "/v1/notifications", nil).decode(t, &page)
	if len(page.Items) != 3 || page.Unread != 3 {
		t.Fatalf("inbox after recovery: %d items, %d unread", len(page.Items), page.Unread)
	}
}

// TestNotSubscribedFallsBackToTheInbox: a buyer who did not subscribe
// (43101) is told in the inbox, and nothing retries the WeChat send.
func TestNotSubscribedFallsBackToTheInbox(t *testing.T) {
	st := startStack(t)
	const buyer = "buyer-notify-unsub"
	id := st.notifiedOrder(t, "o-notify-unsub", buyer, fakewechatmsg.Unsubscribed+"1", "")
	st.settle(t)
	st.advance(t, 5*time.Minute)
	var page inboxPage
	st.as(t, buyer, "buyer").do("GET", "/v1/notifications", nil).decode(t, &page)
	if len(page.Items) != 2 || page.Items[0].CaseID != id {
		t.Fatalf("inbox %+v, want the two changes so far", page.Items)
	}
	if n := len(st.wechatTo(fakewechatmsg.Unsubscribed + "1")); n != 0 || st.smsCount() != 2 {
		t.Fatalf("%d WeChat messages, %d SMS; want 0 and 2", n, st.smsCount())
	}
}
