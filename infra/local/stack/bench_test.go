package stack

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
)

// BenchmarkSubmitToRefundRequested measures, on the whole local stack (HTTP,
// the api Lambda handler, the intake queue and poller, the local Step
// Functions running statemachines/case.asl.json, the tasks handler, the
// rules), how long an auto-approved refund-only case takes from the start of
// POST /v1/cases to the refund request reaching the payment route, at 1, 16
// and 64 concurrent clients. It reports p50/p99 latency and cases per second.
// Cases live in the in-memory store (minidyn's transactions cost O(table)).
func BenchmarkSubmitToRefundRequested(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			var mu sync.Mutex
			requested := map[string]time.Time{}
			st, err := Start(context.Background(), Options{
				AnyPorts: true, Clock: vclock.New(start), MemoryStore: true,
				OnRefund: func(r aftersales.RefundRequest) {
					now := time.Now()
					mu.Lock()
					requested[r.CaseID] = now
					mu.Unlock()
				},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			for i := range b.N {
				o := &aftersales.Order{ID: fmt.Sprintf("bench-%d", i), Version: 1, EventID: fmt.Sprintf("ev-bench-%d", i), BuyerID: fmt.Sprintf("bench-buyer-%d", i%1000), Status: aftersales.OrderPaid,
					PaidAt: start.Add(-time.Hour), Currency: aftersales.CNY,
					Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: fmt.Sprint(i), Amount: 9900},
					Lines:   []aftersales.OrderLine{{LineID: "l1", SKU: "S", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}}}
				if _, err := st.svc.Orders.PutOrder(context.Background(), o); err != nil {
					b.Fatal(err)
				}
			}
			submitted := make([]time.Time, b.N)
			ids := make([]string, b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			began := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := int(next.Add(1) - 1); i < b.N; i = int(next.Add(1) - 1) {
						c := st.as(b, fmt.Sprintf("bench-buyer-%d", i%1000), "buyer")
						submitted[i] = time.Now()
						res := c.do("POST", "/v1/cases", app(fmt.Sprintf("bench-%d", i), "refund_only", "wrong_item", "l1", 1), "Idempotency-Key", fmt.Sprint(i))
						if res.status != http.StatusCreated {
							b.Errorf("create: %d %s", res.status, res.body)
							return
						}
						var cb caseBody
						res.decode(b, &cb)
						ids[i] = cb.ID
					}
				}()
			}
			wg.Wait()
			// Wait for the last refund request, polling with a deadline.
			for deadline := time.Now().Add(time.Minute); ; {
				mu.Lock()
				n := len(requested)
				mu.Unlock()
				if n == b.N || time.Now().After(deadline) {
					break
				}
				if err := st.WaitIdle(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(began)
			b.StopTimer()
			lat := make([]time.Duration, 0, b.N)
			mu.Lock()
			for i, id := range ids {
				at, ok := requested[id]
				if !ok {
					c, err := st.store.GetCase(context.Background(), id)
					e, _ := st.Execution(id)
					b.Fatalf("case %s never requested its refund: %+v %v; execution %+v", id, c, err, e)
				}
				lat = append(lat, at.Sub(submitted[i]))
			}
			mu.Unlock()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cases/s")
		})
	}
}

// BenchmarkCreateCaseHandler measures POST /v1/cases through the api
// function's Lambda handler (event in, response out: routing, JWT, decoding,
// validation, the DynamoDB transaction on minidyn). The intake queue is
// switched off so the workflow does not run alongside.
func BenchmarkCreateCaseHandler(b *testing.B) {
	st, err := Start(context.Background(), Options{
		AnyPorts: true, Clock: vclock.New(start),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	st.FailIntake(true)
	tok, err := st.Token("bench-buyer", "buyer")
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]events.APIGatewayV2HTTPRequest, b.N)
	for i := range b.N {
		o := &aftersales.Order{ID: fmt.Sprintf("h-%d", i), Version: 1, EventID: fmt.Sprintf("ev-h-%d", i), BuyerID: "bench-buyer", Status: aftersales.OrderPaid, Currency: aftersales.CNY,
			Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, Amount: 9900},
			Lines:   []aftersales.OrderLine{{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}}}
		if _, err := st.svc.Orders.PutOrder(context.Background(), o); err != nil {
			b.Fatal(err)
		}
		body := fmt.Sprintf(`{"order_id":"h-%d","type":"refund_only","reason":"wrong_item","lines":[{"line_id":"l1","quantity":1}]}`, i)
		evs[i] = events.APIGatewayV2HTTPRequest{RawPath: "/v1/cases", Body: body,
			Headers: map[string]string{"authorization": "Bearer " + tok, "content-type": "application/json", "idempotency-key": fmt.Sprint(i)},
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: fmt.Sprint(i),
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/v1/cases"}}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res, err := st.api(context.Background(), evs[i])
		if err != nil || res.StatusCode != http.StatusCreated {
			b.Fatalf("create: %d %s %v", res.StatusCode, res.Body, err)
		}
	}
}

// BenchmarkApprovalToRefundConfirmed measures, one case at a time, how long
// an auto-approved refund takes from the refund request (the approval's
// step) to the case being completed by the WeChat Pay sandbox's signed
// notification: the provider call, the sandbox answering at once, the
// notification through /webhooks/wechatpay, the inbound queue and poller,
// and the workflow resumed. Confirmation is observed by WaitIdle, so the
// figures are upper bounds that include its polling.
func BenchmarkApprovalToRefundConfirmed(b *testing.B) {
	var mu sync.Mutex
	requested := map[string]time.Time{}
	st, err := Start(context.Background(), Options{
		AnyPorts: true, Clock: vclock.New(start), MemoryStore: true,
		OnRefund: func(r aftersales.RefundRequest) {
			mu.Lock()
			requested[r.CaseID] = time.Now()
			mu.Unlock()
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for i := range b.N {
		o := &aftersales.Order{ID: fmt.Sprintf("confirm-%d", i), Version: 1, EventID: fmt.Sprintf("ev-confirm-%d", i), BuyerID: "bench-buyer", Status: aftersales.OrderPaid,
			PaidAt: start.Add(-time.Hour), Currency: aftersales.CNY,
			Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: fmt.Sprint("tx-", i), Amount: 9900},
			Lines:   []aftersales.OrderLine{{LineID: "l1", SKU: "S", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}}}
		if _, err := st.svc.Orders.PutOrder(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
	buyer := st.as(b, "bench-buyer", "buyer")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		res := buyer.do("POST", "/v1/cases", app(fmt.Sprintf("confirm-%d", i), "refund_only", "wrong_item", "l1", 1), "Idempotency-Key", fmt.Sprint(i))
		if res.status != http.StatusCreated {
			b.Fatalf("create: %d %s", res.status, res.body)
		}
		var cb caseBody
		res.decode(b, &cb)
		for deadline := time.Now().Add(time.Minute); ; {
			if err := st.WaitIdle(context.Background()); err != nil {
				b.Fatal(err)
			}
			c, err := st.store.GetCase(context.Background(), cb.ID)
			if err != nil {
				b.Fatal(err)
			}
			if c.Status == aftersales.StatusCompleted {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("case %s is %s after a minute", c.ID, c.Status)
			}
		}
		mu.Lock()
		lat = append(lat, time.Since(requested[cb.ID]))
		mu.Unlock()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
