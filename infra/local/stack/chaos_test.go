package stack

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
)

// crashAfterCall plays a tasks function that dies after the provider took
// a refund and before the answer reached the database: for the refund
// numbers it picks (rate, by hash), the first call goes through to the
// provider and then fails as a crashed invocation would.
type crashAfterCall struct {
	aftersales.RefundProvider
	rate    uint32 // in percent
	mu      sync.Mutex
	crashed map[string]bool
}

func (c *crashAfterCall) Refund(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	res, err := c.RefundProvider.Refund(ctx, r)
	h := fnv.New32a()
	h.Write([]byte(r.OutRefundNo))
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && h.Sum32()%100 < c.rate && !c.crashed[r.OutRefundNo] {
		c.crashed[r.OutRefundNo] = true
		return aftersales.RefundResult{}, aftersales.E(aftersales.KindTransient, "chaos", "the task crashed after the provider call")
	}
	return res, err
}

// TestRefundChaos runs 1,000 refunds through the WeChat Pay sandbox with
// 30% of notifications duplicated, 10% sent before the answer, 10% of
// provider calls timing out after the provider took them, and 5% of tasks
// crashing after the provider call: every refund is paid exactly once, no
// order line is refunded beyond what was paid, and every case ends
// completed or waits with a deadline.
func TestRefundChaos(t *testing.T) {
	const cases = 1000
	crash := &crashAfterCall{rate: 5, crashed: map[string]bool{}}
	st, err := Start(t.Context(), Options{
		AnyPorts: true, Clock: vclock.New(start), MemoryStore: true, RefundDelay: 5 * time.Second,
		WrapPayment: func(ch aftersales.PaymentChannel, p aftersales.RefundProvider) aftersales.RefundProvider {
			if ch != aftersales.ChannelWeChatPay {
				return p
			}
			crash.RefundProvider = p
			return crash
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.WeChatPay.SetFaults(fakewechat.Faults{Duplicate: 0.3, Reorder: 0.1, Timeout: 0.1, Delay: 20 * time.Second, Seed: 7})

	// One unshipped WeChat Pay order per case: 2 units, the case refunds one.
	paid := map[string]int64{}
	for i := range cases {
		id := fmt.Sprintf("o-chaos-%04d", i)
		amount := int64(1000 + i)
		o := &aftersales.Order{ID: id, Version: 1, EventID: "ev-" + id, BuyerID: "buyer-chaos", BuyerPhone: "13900000000", ShopID: "main",
			Status: aftersales.OrderPaid, PaidAt: start.Add(-time.Hour), Currency: aftersales.CNY,
			Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: fmt.Sprintf("42%08d", i), Amount: 2 * amount},
			Lines: []aftersales.OrderLine{{LineID: "l1", SKU: "TEA", Name: "Tea", Kind: aftersales.KindPhysical, Category: "food",
				Quantity: 2, UnitPrice: amount, PaidAmount: 2 * amount}}}
		if _, err := st.svc.Orders.PutOrder(t.Context(), o); err != nil {
			t.Fatal(err)
		}
		paid[id] = 2 * amount
	}
	buyer := st.as(t, "buyer-chaos", "buyer")
	ids := make([]string, cases)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < cases; i = int(next.Add(1)) - 1 {
				res := buyer.do("POST", "/v1/cases", app(fmt.Sprintf("o-chaos-%04d", i), "refund_only", "wrong_item", "l1", 1),
					"Idempotency-Key", fmt.Sprintf("chaos-%d", i))
				if res.status != http.StatusCreated {
					t.Errorf("case %d: %d %s", i, res.status, res.body)
					return
				}
				var c caseBody
				res.decode(t, &c)
				ids[i] = c.ID
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Let virtual time pass: sandbox settlements, notification retries,
	// task retries after timeouts and crashes, status queries.
	completed := func() int {
		n := 0
		for _, id := range ids {
			c, err := st.store.GetCase(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status == aftersales.StatusCompleted {
				n++
			}
		}
		return n
	}
	st.settle(t)
	for step := 0; step < 120 && completed() < cases; step++ {
		st.advance(t, 30*time.Second)
	}

	var refunded, paidOut int64
	for i, id := range ids {
		c, err := st.store.GetCase(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != aftersales.StatusCompleted && (c.Status != aftersales.StatusRefunding || c.Deadline.IsZero()) {
			t.Errorf("case %s is %s with deadline %v: neither completed nor waiting with a deadline", id, c.Status, c.Deadline)
		}
		if n := st.WeChatPay.Payouts(aftersales.OutRefundNo(id, 1)); n > 1 || (c.Status == aftersales.StatusCompleted && n != 1) {
			t.Errorf("case %s (%s): the sandbox paid its refund %d times", id, c.Status, n)
		}
		refunded += c.Refunded
		o, err := st.store.GetOrder(t.Context(), fmt.Sprintf("o-chaos-%04d", i))
		if err != nil {
			t.Fatal(err)
		}
		if l := o.Lines[0]; l.Refunded > l.PaidAmount || l.PaidAmount != paid[o.ID] {
			t.Errorf("order %s: ledger %d of %d paid", o.ID, l.Refunded, l.PaidAmount)
		}
	}
	stats := st.WeChatPay.Stats()
	paidOut = stats.TotalPaid
	if paidOut != refunded {
		t.Errorf("the sandbox paid %d fen, the cases record %d", paidOut, refunded)
	}
	done := completed()
	t.Logf("%d/%d completed; sandbox: %d create calls for %d refunds, %d queries, %d notifications sent (%d delivered); %d task crashes",
		done, cases, stats.CreateCalls, stats.Refunds, stats.QueryCalls, stats.NotificationsSent, stats.NotificationsDelivered, len(crash.crashed))
	// The faults happened: more create calls than refunds (timeouts and
	// crashes re-sent the same number), more notifications than refunds
	// (duplicates), and crashes.
	if stats.CreateCalls <= stats.Refunds || stats.NotificationsSent <= stats.Refunds || len(crash.crashed) == 0 {
		t.Errorf("the chaos did not happen: %+v, %d crashes", stats, len(crash.crashed))
	}
	if done != cases {
		t.Errorf("%d of %d cases completed", done, cases)
	}
}
