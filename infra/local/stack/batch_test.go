package stack

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
)

type jobBody struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Total     int    `json:"total"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
	Failures  []struct {
		CaseID string `json:"case_id"`
		Error  string `json:"error"`
	} `json:"failures"`
}

func (st *Stack) job(t *testing.T, staff *client, id string) jobBody {
	t.Helper()
	var j jobBody
	res := staff.do("GET", "/v1/staff/reviews/"+id, nil)
	if res.status != http.StatusOK {
		t.Fatalf("job: %d %s", res.status, res.body)
	}
	res.decode(t, &j)
	return j
}

func TestBatchReview(t *testing.T) {
	st := startStack(t)
	b1, b2 := st.as(t, "buyer-1", "buyer"), st.as(t, "buyer-2", "buyer")
	reviewer := st.as(t, "staff-1", "reviewer")
	shoes := st.apply(t, b1, app("o-1002", "return_refund", "size_not_fit", "l1", 1))
	socks := st.apply(t, b1, app("o-1002", "exchange", "size_exchange", "l2", 1))
	fridge := st.apply(t, b2, app("o-1005", "return_refund", "quality_issue", "l1", 1)) // admin level
	done := st.apply(t, b1, app("o-1001", "refund_only", "wrong_item", "l1", 1))        // auto-approved: completed
	for _, c := range []caseBody{shoes, socks, fridge} {
		wantStatus(t, c, "pending_review")
	}
	wantStatus(t, done, "completed")

	res := reviewer.do("POST", "/v1/staff/reviews", map[string]any{
		"case_ids": []string{shoes.ID, socks.ID, fridge.ID, done.ID, "as_01NOSUCHCASE0000000000000"}, "decision": "approve", "reason": "promotion backlog"})
	if res.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", res.status, res.body)
	}
	var j jobBody
	res.decode(t, &j)
	if j.Status != "running" || j.Total != 5 {
		t.Fatalf("job %+v", j)
	}
	st.settle(t)
	j = st.job(t, reviewer, j.ID)
	if j.Status != "done" || j.Succeeded != 2 || j.Failed != 3 || len(j.Failures) != 3 {
		t.Fatalf("job %+v", j)
	}
	why := map[string]string{}
	for _, f := range j.Failures {
		why[f.CaseID] = f.Error
	}
	for id, prefix := range map[string]string{fridge.ID: "Forbidden", done.ID: "Conflict", "as_01NOSUCHCASE0000000000000": "NotFound"} {
		if got := why[id]; len(got) < len(prefix) || got[:len(prefix)] != prefix {
			t.Errorf("failure of %s: %q, want %s", id, got, prefix)
		}
	}
	wantStatus(t, st.get(t, b1, shoes.ID), "awaiting_return")
	wantStatus(t, st.get(t, b1, socks.ID), "awaiting_return")
	wantStatus(t, st.get(t, b2, fridge.ID), "pending_review")
	// The same audit as a single decision: the reviewer on the timeline.
	if c := st.get(t, b1, shoes.ID); c.Decision == nil || c.Decision.By != "staff:staff-1" {
		t.Errorf("decision %+v", c.Decision)
	}

	// By filter: reject everything still pending (the fridge), as an admin.
	admin := st.as(t, "boss", "admin")
	res = admin.do("POST", "/v1/staff/reviews", map[string]any{"filter": map[string]any{"status": "pending_review"}, "decision": "reject", "reason": "used"})
	res.decode(t, &j)
	if res.status != http.StatusAccepted || j.Total != 1 {
		t.Fatalf("by filter: %d %s", res.status, res.body)
	}
	st.settle(t)
	if j = st.job(t, admin, j.ID); j.Succeeded != 1 || j.Status != "done" {
		t.Fatalf("job %+v", j)
	}
	wantStatus(t, st.get(t, b2, fridge.ID), "rejected")

	for name, body := range map[string]map[string]any{
		"decision":    {"case_ids": []string{shoes.ID}, "decision": "maybe"},
		"reason":      {"case_ids": []string{shoes.ID}, "decision": "reject"},
		"filter":      {"case_ids": []string{shoes.ID}, "filter": map[string]any{}, "decision": "approve"},
		"case_ids":    {"decision": "approve"},
		"case_ids[1]": {"case_ids": []string{shoes.ID, shoes.ID}, "decision": "approve"},
	} {
		if p := admin.do("POST", "/v1/staff/reviews", body).problem(t, http.StatusUnprocessableEntity); !p.names(name) {
			t.Errorf("%s: %+v", name, p)
		}
	}
	b1.do("POST", "/v1/staff/reviews", map[string]any{"case_ids": []string{shoes.ID}, "decision": "approve"}).problem(t, http.StatusForbidden)
	admin.do("GET", "/v1/staff/reviews/job_nope", nil).problem(t, http.StatusNotFound)
}

// TestBatchReviewOfTenThousand decides 10,000 cases in one batch, 100 of
// which cannot be approved by a reviewer (admin level), and checks every
// item has exactly one result.
func TestBatchReviewOfTenThousand(t *testing.T) {
	const n, adminLevel = 10000, 100
	st, err := Start(context.Background(), Options{
		AnyPorts: true, Clock: vclock.New(start), MemoryStore: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ids := st.createReviewBacklog(t, n, adminLevel)

	reviewer := st.as(t, "staff-1", "reviewer")
	began := time.Now()
	res := reviewer.do("POST", "/v1/staff/reviews", map[string]any{"case_ids": ids, "decision": "approve"})
	if res.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", res.status, res.body[:min(len(res.body), 500)])
	}
	var j jobBody
	res.decode(t, &j)
	st.settle(t)
	t.Logf("batch of %d: accepted and decided in %s", n, time.Since(began).Round(time.Millisecond))
	j = st.job(t, reviewer, j.ID)
	if j.Status != "done" || j.Total != n || j.Succeeded != n-adminLevel || j.Failed != adminLevel || len(j.Failures) != adminLevel {
		t.Fatalf("job: %s %d/%d succeeded, %d failed, %d listed", j.Status, j.Succeeded, j.Total, j.Failed, len(j.Failures))
	}
	page, err := st.store.ListCases(t.Context(), aftersales.CaseQuery{Status: aftersales.StatusAwaitingReturn, Limit: 1})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("approved cases: %v %v", page, err)
	}
}

// createReviewBacklog stores n orders and opens one return case on each,
// concurrently over HTTP, and waits until every case waits for review. The
// first admin of them are above the admin threshold.
func (st *Stack) createReviewBacklog(t *testing.T, n, admin int) []string {
	t.Helper()
	ctx := t.Context()
	now := st.Clock.Now()
	for i := range n {
		price := int64(9900)
		if i < admin {
			price = 99900
		}
		o := &aftersales.Order{ID: fmt.Sprintf("bulk-%05d", i), Version: 1, EventID: fmt.Sprintf("ev-bulk-%05d", i), BuyerID: fmt.Sprintf("bulk-buyer-%d", i%500), Status: aftersales.OrderDelivered,
			PaidAt: now.Add(-96 * time.Hour), ShippedAt: now.Add(-72 * time.Hour), DeliveredAt: now.Add(-24 * time.Hour), Currency: aftersales.CNY,
			Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: fmt.Sprint(i), Amount: price},
			Lines:   []aftersales.OrderLine{{LineID: "l1", SKU: "SKU", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: price, PaidAmount: price}}}
		if _, err := st.svc.Orders.PutOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				c := st.as(t, fmt.Sprintf("bulk-buyer-%d", i%500), "buyer")
				res := c.do("POST", "/v1/cases", app(fmt.Sprintf("bulk-%05d", i), "return_refund", "size_not_fit", "l1", 1), "Idempotency-Key", fmt.Sprint(i))
				if res.status != http.StatusCreated {
					t.Errorf("create %d: %d %s", i, res.status, res.body)
					return
				}
				var cb caseBody
				res.decode(t, &cb)
				ids[i] = cb.ID
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	st.settle(t)
	return ids
}
