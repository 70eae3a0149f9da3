package stack

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/quota"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
)

// TestCloudQuotasAreAbsorbed runs refund-only cases on the emulated
// DynamoDB with every quota of --cloud-quotas tightened until each
// throttles: the HTTP API answers 429 (the client retries with the same
// Idempotency-Key), StartExecution and SendTaskSuccess/Failure answer
// ThrottlingException, DynamoDB ThrottlingException and
// ProvisionedThroughputExceededException. The SDK's retries absorb them:
// every case completes once, and no message reaches a dead-letter queue.
func TestCloudQuotasAreAbsorbed(t *testing.T) {
	q := quota.Defaults()
	q.HTTPAPI = quota.Rate{Burst: 2, PerSecond: 20}
	// One start every 2 s: six intakes in a row throttle however slowly the
	// throttled DynamoDB lets them come (the SDK retries for up to 45 s).
	q.StartExecution = quota.Rate{Burst: 1, PerSecond: 0.5}
	q.TaskTokens = quota.Rate{Burst: 1, PerSecond: 10}
	q.DynamoTableWrites, q.DynamoPartitionWrites = 150, 15
	st, err := Start(context.Background(), Options{AnyPorts: true, Seed: true, Clock: vclock.New(start), CloudQuotas: &q})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const n = 6
	buyer := st.as(t, "buyer-q", "buyer")
	ids := make(chan string, n)
	for i := range n {
		o := &aftersales.Order{ID: fmt.Sprintf("oq-%d", i), Version: 1, EventID: fmt.Sprintf("ev-q-%d", i), BuyerID: "buyer-q", Currency: aftersales.CNY,
			Status: aftersales.OrderPaid, PaidAt: start.Add(-time.Hour),
			Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: fmt.Sprintf("tx-q-%d", i), Amount: 9900},
			Lines:   []aftersales.OrderLine{{LineID: "l1", SKU: "SKU", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}}}
		if err := st.PutOrder(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, n)
	for i := range n {
		go func() {
			key := fmt.Sprintf("quota-%d", i)
			// As the mini-program: a 429 is retried after a jittered back-off
			// with the same Idempotency-Key.
			for try := range 20 {
				res := buyer.do("POST", "/v1/cases", app(fmt.Sprintf("oq-%d", i), "refund_only", "wrong_item", "l1", 1), "Idempotency-Key", key)
				switch {
				case res.status == http.StatusCreated:
					var c caseBody
					res.decode(t, &c)
					ids <- c.ID
					errs <- nil
					return
				case res.status != http.StatusTooManyRequests:
					errs <- fmt.Errorf("application %d: %d %s", i, res.status, res.body)
					return
				}
				time.Sleep(time.Duration(rand.Int64N(int64(50*time.Millisecond) << min(try, 4))))
			}
			errs <- fmt.Errorf("application %d: still 429 after 20 tries", i)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(ids)
	st.settle(t)
	// A notification whose handler ran out of time in the SDK's back-off is
	// retried by the provider, and the refund wait's deadline queries the
	// provider: both are minutes away on the clock.
	st.advance(t, 5*time.Minute)
	for id := range ids {
		// Read in-process: the tight HTTP API quota is for the burst.
		c, err := st.Case(t.Context(), id)
		if err != nil || c.Status != aftersales.StatusCompleted || len(c.Timeline) == 0 {
			t.Fatalf("case %s: %+v %v", id, c, err)
		}
		if e, err := st.Execution(id); err != nil || e.Status != "SUCCEEDED" {
			t.Errorf("execution of %s: %+v %v", id, e, err)
		}
	}
	for _, dlq := range []string{IntakeDLQ, InboundDLQ, ReviewDLQ, EvidenceDLQ} {
		if v, f := st.SQS.Depth(dlq); v+f != 0 {
			t.Errorf("%s holds %d messages: throttling alone dead-lettered them", dlq, v+f)
		}
	}
	got := st.Throttled()
	for _, kind := range []string{"HTTP API: 429", "Step Functions StartExecution", "Step Functions SendTask", "DynamoDB"} {
		found := false
		for k, v := range got {
			found = found || (strings.HasPrefix(k, kind) && v > 0)
		}
		if !found {
			t.Errorf("no %s throttling: %v (the quota was not in force)", kind, got)
		}
	}
}
