//go:build unix

package stack

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/messages"
)

// BenchmarkFunction measures ONE invocation of each of the seven Lambda
// functions' handlers, called directly (not through HTTP or the SQS
// pollers) with the event the function typically gets in production:
//
//   - api: POST /v1/cases, a refund_only case on a fresh paid order.
//   - webhooks: a signed, encrypted WeChat Pay REFUND.SUCCESS notification
//     about a refund the sandbox holds in PROCESSING (answered 204).
//   - tasks: the Review task, the first task of a case's execution, with
//     the payload case.asl.json sends, for a fresh submitted case.
//   - intake: one SQS record with one intake message for a fresh case,
//     starting its workflow execution.
//   - reviews: one SQS record with one batch-review item approving a case
//     that waits in pending_review.
//   - inbound: one SQS record with one verified refund notice (succeeded)
//     for a refund in progress, completing its case.
//   - sweeper: one sweep over a table of sweepCases (1,000) cases, none of
//     which needs requeueing. The in-memory store scans the whole table for
//     it, where DynamoDB would query the status index: this one grows with
//     the table here and not in the cloud.
//
// Method: each sub-benchmark starts one stack (cases in memory, a virtual
// clock that moves only when told) and keeps it for the runs with growing
// b.N that testing makes: closing a stack takes a second. Every run
// prepares its b.N inputs, one per iteration, outside the timer. The SQS
// pollers are stopped before the first run, since a poller would run the
// next function during the timed loop (the intake poller the workflow of
// each case the api creates, the inbound poller each notice the webhook
// queues); the workflows the setup needs are started through the intake
// handler instead. Every iteration checks the handler's answer and fails
// the benchmark on an error, a failed batch item or an unexpected status;
// where a handler drops bad input silently (intake, reviews, inbound) its
// effect is checked after each call, outside the timer.
//
// Metrics: ns/op is wall time; cpu-ns/op is the process's CPU time (user +
// system, getrusage) over the timed parts divided by b.N; B/op and
// allocs/op come from b.ReportAllocs. CPU and allocations are process-wide:
// they include the in-process stand-ins that answer the handler's calls
// (local SQS and Step Functions, the payment sandboxes, and both ends of
// their HTTP connections), so they are upper bounds for the function alone.
// Where the handler starts or resumes an execution (intake, reviews,
// inbound), the local Step Functions' calls of the tasks function are held
// while the timer runs, and the execution is let run to its next wait with
// the timer stopped: otherwise the next task's work would be counted too.
// Only the interpreter's own step into that task can overlap the timed part.
func BenchmarkFunction(b *testing.B) {
	for _, fb := range []functionBench{
		{FunctionAPI, 0, prepareAPI},
		{FunctionWebhooks, refundHeld, prepareWebhooks},
		{FunctionTasks, 0, prepareTasks},
		{FunctionIntake, 0, prepareIntake},
		{FunctionReviews, 0, prepareReviews},
		{FunctionInbound, refundHeld, prepareInbound},
		{FunctionSweeper, 0, prepareSweeper},
	} {
		fb.bench(b)
	}
}

// functionBench is one sub-benchmark of BenchmarkFunction.
type functionBench struct {
	name string
	// refundDelay is how long the WeChat Pay sandbox keeps a refund
	// PROCESSING (0: until the clock next moves).
	refundDelay time.Duration
	// prepare readies the stack once and returns the body of every run.
	prepare func(b *testing.B, st *Stack) (run func(b *testing.B))
}

func (fb functionBench) bench(b *testing.B) {
	var (
		st  *Stack
		run func(*testing.B)
	)
	b.Run(fb.name, func(b *testing.B) {
		if st == nil {
			st = startFunctionStack(b, fb.refundDelay)
			stopPollers(st)
			run = fb.prepare(b, st)
		}
		run(b)
	})
	if st != nil {
		if err := st.Close(); err != nil {
			b.Error(err)
		}
	}
}

const (
	// sweepCases is the size of the sweeper's table: sweepFresh cases
	// submitted within the sweep grace (the sweeper leaves them to the
	// intake queue) and the rest past review, half pending_review, half
	// refunding.
	sweepCases = 1000
	sweepFresh = 100
	// notifiedRefunds is how many refunds in progress the webhooks
	// benchmark's notifications are about.
	notifiedRefunds = 100
	// refundHeld keeps the WeChat Pay sandbox's refunds PROCESSING for the
	// whole benchmark, so the notifications are the benchmark's own.
	refundHeld = 30 * 24 * time.Hour
)

// benchSeq numbers orders, jobs and messages uniquely across the runs that
// share a stack.
var benchSeq atomic.Int64

func prepareAPI(b *testing.B, st *Stack) func(*testing.B) {
	tok := buyerToken(b, st)
	return func(b *testing.B) {
		ctx := context.Background()
		evs := make([]events.APIGatewayV2HTTPRequest, b.N)
		for i := range evs {
			id := fmt.Sprintf("bench-%d", benchSeq.Add(1))
			if err := st.PutOrder(ctx, benchOrder(id, unshippedRefund)); err != nil {
				b.Fatal(err)
			}
			evs[i] = createCaseEvent(b, tok, id, i)
		}
		queued := queueDepth(b, st, st.Config.IntakeQueueURL)
		m := newCPUMeter(b)
		m.start()
		for i := range b.N {
			res, err := st.api(ctx, evs[i])
			if err != nil || res.StatusCode != http.StatusCreated {
				b.Fatalf("create: %d %s %v", res.StatusCode, res.Body, err)
			}
		}
		m.stop()
		m.report()
		// The api answers 201 even when the intake message could not be
		// sent (the sweeper hands such cases over later): check each was.
		if n := queueDepth(b, st, st.Config.IntakeQueueURL) - queued; n != b.N {
			b.Fatalf("%d intake messages queued for %d cases", n, b.N)
		}
	}
}

// prepareWebhooks benchmarks WeChat Pay refund notifications (not the mall's
// order webhook): the route every refund's confirmation takes.
func prepareWebhooks(b *testing.B, st *Stack) func(*testing.B) {
	// The webhook verifies, decrypts, dedupes on the notification id and
	// queues; it never reads the refund. So the notifications, each with
	// its own id, are about a pool of real refunds in progress rather than
	// one refund each: a refund through the sandbox costs two RSA
	// signatures of setup, and sealing each notification a third.
	st.FailIntake(true)
	ids := openCases(b, st, notifiedRefunds, unshippedRefund)
	startWorkflows(b, st, ids)
	wantCaseStatus(b, st, ids, aftersales.StatusRefunding)
	resources := make([][]byte, len(ids))
	for i, id := range ids {
		no := aftersales.OutRefundNo(id, 1)
		rf, ok := st.WeChatPay.Refund(no)
		if !ok || rf.Status == nil || string(*rf.Status) != "PROCESSING" || rf.Amount == nil || rf.Amount.Refund == nil {
			b.Fatalf("the WeChat Pay sandbox does not hold refund %s in progress: %+v", no, rf)
		}
		resources[i] = successResource(st, no, *rf.Amount.Refund, st.Clock.Now())
	}
	return func(b *testing.B) {
		evs := make([]events.APIGatewayV2HTTPRequest, b.N)
		err := inParallel(b.N, func(i int) error {
			header, body, err := st.WeChatPay.SealNotification("REFUND.SUCCESS", "退款成功", resources[i%len(resources)])
			if err != nil {
				return err
			}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/wechatpay", bytes.NewReader(body))
			req.Header = header
			evs[i], err = apigw.EventFromRequest(req, strconv.Itoa(i))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		queued := queueDepth(b, st, st.Config.InboundQueueURL)
		ctx := context.Background()
		m := newCPUMeter(b)
		m.start()
		for i := range b.N {
			res, err := st.hooks(ctx, evs[i])
			if err != nil || res.StatusCode != http.StatusNoContent {
				b.Fatalf("notification: %d %s %v", res.StatusCode, res.Body, err)
			}
		}
		m.stop()
		m.report()
		if n := queueDepth(b, st, st.Config.InboundQueueURL) - queued; n != b.N {
			b.Fatalf("%d notices queued for %d notifications", n, b.N)
		}
	}
}

func prepareTasks(b *testing.B, st *Stack) func(*testing.B) {
	// With the intake queue off the cases stay submitted and no execution
	// runs: the Review task below is the first thing that happens to them.
	st.FailIntake(true)
	// lambdaTask decodes the payload and encodes the result as the Lambda
	// runtime does around the handler.
	task := st.lambdaTask(st.fns.tasks)
	approved := []byte(`"status":"` + string(aftersales.StatusRefunding) + `"`)
	return func(b *testing.B) {
		ids := openCases(b, st, b.N, unshippedRefund)
		payloads := make([]json.RawMessage, b.N)
		for i, id := range ids {
			// What the former Review state sent, {"task": "review",
			// "case_id.$": "$.case_id"}: since issue 20 the intake
			// reviews (the same use case); the task remains for
			// executions of the former definition.
			p, err := json.Marshal(messages.Task{Task: "review", CaseID: id})
			if err != nil {
				b.Fatal(err)
			}
			payloads[i] = p
		}
		ctx := context.Background()
		m := newCPUMeter(b)
		m.start()
		for i := range b.N {
			out, err := task(ctx, payloads[i])
			if err != nil || !bytes.Contains(out, approved) {
				b.Fatalf("review %s: %s %v", ids[i], out, err)
			}
		}
		m.stop()
		m.report()
	}
}

func prepareIntake(b *testing.B, st *Stack) func(*testing.B) {
	// The cases are written but not handed to the workflow: each intake
	// message below is the one that starts its case's execution.
	st.FailIntake(true)
	gate := holdTasks(st)
	return func(b *testing.B) {
		// Cases that go to review, not to a refund: the execution's untimed
		// run to its first wait then signs nothing with RSA.
		ids := openCases(b, st, b.N, deliveredReturn)
		evs := make([]events.SQSEvent, b.N)
		for i, id := range ids {
			evs[i] = sqsEvent(st, IntakeQueue, messages.Intake{CaseID: id})
		}
		ctx := context.Background()
		m := newCPUMeter(b)
		for i := range b.N {
			gate.Lock()
			m.start()
			resp, err := st.fns.intake(ctx, evs[i])
			m.stop()
			gate.Unlock()
			if err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatalf("intake %s: %+v %v", ids[i], resp, err)
			}
			// A message it cannot read is dropped, not failed: check the start.
			if _, err := st.Execution(ids[i]); err != nil {
				b.Fatalf("no execution for %s: %v", ids[i], err)
			}
			waitWorkflows(b, st)
		}
		m.report()
	}
}

func prepareReviews(b *testing.B, st *Stack) func(*testing.B) {
	st.FailIntake(true)
	gate := holdTasks(st)
	reviewer := aftersales.Principal{ID: "staff-1", Roles: []aftersales.Role{aftersales.RoleReviewer}}
	return func(b *testing.B) {
		ctx := context.Background()
		ids := openCases(b, st, b.N, deliveredReturn)
		startWorkflows(b, st, ids)
		wantCaseStatus(b, st, ids, aftersales.StatusPendingReview)
		job := &aftersales.ReviewJob{ID: fmt.Sprintf("job_bench_%d", benchSeq.Add(1)), Decision: "approve",
			Reason: "benchmark batch", By: reviewer, Total: b.N, CreatedAt: st.Clock.Now().UTC()}
		if err := st.store.CreateReviewJob(ctx, job); err != nil {
			b.Fatal(err)
		}
		evs := make([]events.SQSEvent, b.N)
		for i, id := range ids {
			evs[i] = sqsEvent(st, ReviewQueue, messages.ReviewItem{JobID: job.ID, CaseID: id})
		}
		m := newCPUMeter(b)
		for i := range b.N {
			gate.Lock()
			m.start()
			resp, err := st.fns.reviews(ctx, evs[i])
			m.stop()
			gate.Unlock()
			if err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatalf("review %s: %+v %v", ids[i], resp, err)
			}
			// Only transient failures fail the item; the others are
			// recorded on the job as the item's result.
			j, err := st.store.GetReviewJob(ctx, job.ID)
			if err != nil || j.Failed != 0 || j.Succeeded != i+1 {
				b.Fatalf("after approving %s: job %+v %v", ids[i], j, err)
			}
			waitWorkflows(b, st)
		}
		m.report()
		wantCaseStatus(b, st, ids, aftersales.StatusAwaitingReturn)
	}
}

func prepareInbound(b *testing.B, st *Stack) func(*testing.B) {
	st.FailIntake(true)
	gate := holdTasks(st)
	return func(b *testing.B) {
		ctx := context.Background()
		ids := openCases(b, st, b.N, unshippedRefund)
		// The gate is open: each execution requests its refund from the
		// sandbox (which holds it PROCESSING) and waits for the notice.
		startWorkflows(b, st, ids)
		wantCaseStatus(b, st, ids, aftersales.StatusRefunding)
		evs := make([]events.SQSEvent, b.N)
		for i, id := range ids {
			no := aftersales.OutRefundNo(id, 1)
			rf, ok := st.WeChatPay.Refund(no)
			if !ok || rf.RefundId == nil || rf.UserReceivedAccount == nil {
				b.Fatalf("the WeChat Pay sandbox does not know refund %s", no)
			}
			// What the webhook queues for a verified REFUND.SUCCESS.
			n := aftersales.RefundNotice{Channel: aftersales.ChannelWeChatPay,
				NotificationID: fmt.Sprintf("EV-bench-%08d", benchSeq.Add(1)), OutRefundNo: no,
				RefundResult: aftersales.RefundResult{State: aftersales.StateSucceeded,
					ProviderRefundID: *rf.RefundId, Account: *rf.UserReceivedAccount, ArrivedAt: st.Clock.Now().UTC()}}
			evs[i] = sqsEvent(st, InboundQueue, messages.NoticeOf(n))
		}
		m := newCPUMeter(b)
		for i := range b.N {
			gate.Lock()
			m.start()
			resp, err := st.fns.inbound(ctx, evs[i])
			m.stop()
			gate.Unlock()
			if err != nil || len(resp.BatchItemFailures) != 0 {
				b.Fatalf("notice for %s: %+v %v", ids[i], resp, err)
			}
			// A message it cannot read is dropped, not failed: check the case.
			if c, err := st.Case(ctx, ids[i]); err != nil || c.Status != aftersales.StatusCompleted {
				b.Fatalf("case %s after its notice: %+v %v", ids[i], c, err)
			}
			waitWorkflows(b, st)
		}
		m.report()
	}
}

func prepareSweeper(b *testing.B, st *Stack) func(*testing.B) {
	// No intake, no workflow: the table is built by calling the Review
	// task directly, which is all the sweeper looks at (status and age).
	st.FailIntake(true)
	ctx := context.Background()
	for _, shape := range []caseShape{unshippedRefund, deliveredReturn} {
		for _, id := range openCases(b, st, (sweepCases-sweepFresh)/2, shape) {
			if _, err := st.fns.tasks.Handle(ctx, messages.Task{Task: "review", CaseID: id}); err != nil {
				b.Fatal(err)
			}
		}
	}
	// Submitted just now: younger than the sweep grace, so not the sweeper's.
	openCases(b, st, sweepFresh, unshippedRefund)
	return func(b *testing.B) {
		m := newCPUMeter(b)
		m.start()
		for range b.N {
			n, err := st.fns.sweeper(ctx)
			if err != nil || n != 0 {
				b.Fatalf("sweep: %d cases requeued, %v", n, err)
			}
		}
		m.stop()
		m.report()
	}
}

func startFunctionStack(b *testing.B, refundDelay time.Duration) *Stack {
	b.Helper()
	st, err := Start(context.Background(), Options{
		AnyPorts: true, Clock: vclock.New(start), MemoryStore: true, RefundDelay: refundDelay,
	})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// stopPollers stops the SQS event source mappings. Afterwards st.WaitIdle
// would wait for queues nobody drains: use waitWorkflows.
func stopPollers(st *Stack) {
	for _, m := range st.mappings {
		m.Stop()
	}
}

// startWorkflows hands the cases to the intake handler, as the stopped
// intake poller would, and waits until their executions wait.
func startWorkflows(b *testing.B, st *Stack, ids []string) {
	b.Helper()
	err := inParallel(len(ids), func(i int) error {
		resp, err := st.fns.intake(context.Background(), sqsEvent(st, IntakeQueue, messages.Intake{CaseID: ids[i]}))
		if err == nil && len(resp.BatchItemFailures) != 0 {
			err = fmt.Errorf("intake of %s failed", ids[i])
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	waitWorkflows(b, st)
}

// waitWorkflows waits until no execution has work to do (the pollers being
// stopped, only the local Step Functions can have any).
func waitWorkflows(b *testing.B, st *Stack) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := st.SFN.WaitIdle(ctx); err != nil {
		b.Fatal(err)
	}
}

// holdTasks re-registers the tasks function with the local Step Functions
// so that its calls wait while the returned lock is held: a benchmark holds
// it while timing a handler that starts or resumes an execution, so that
// the execution's next task runs after the timer stops.
func holdTasks(st *Stack) *sync.RWMutex {
	var gate sync.RWMutex
	call := st.lambdaTask(st.fns.tasks)
	arn := fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:%s", st.Config.Region, TasksFunction)
	st.SFN.RegisterFunction(arn, func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		gate.RLock()
		defer gate.RUnlock()
		return call(ctx, payload)
	})
	return &gate
}

// caseShape is the kind of case a benchmark opens, and so where the
// merchant's default rules send it.
type caseShape int

const (
	// unshippedRefund is refund_only of a paid, unshipped 99 CNY order paid
	// with WeChat Pay: approved by the rules, then refunded.
	unshippedRefund caseShape = iota
	// deliveredReturn is return_refund of 99 CNY shoes delivered three days
	// ago: sent to a reviewer.
	deliveredReturn
)

// benchOrder is order id of shape, as the mall's order webhook stores it.
func benchOrder(id string, shape caseShape) *aftersales.Order {
	day := 24 * time.Hour
	o := &aftersales.Order{ID: id, Version: 1, EventID: "ev-" + id, BuyerID: "bench-buyer", ShopID: "main", Currency: aftersales.CNY,
		Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "tx-" + id, Amount: 9900},
		Lines: []aftersales.OrderLine{{LineID: "l1", SKU: "SHOE-42", Kind: aftersales.KindPhysical,
			Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}}}
	switch shape {
	case unshippedRefund:
		o.Status, o.PaidAt = aftersales.OrderPaid, start.Add(-time.Hour)
	case deliveredReturn:
		o.Status, o.PaidAt, o.ShippedAt, o.DeliveredAt = aftersales.OrderDelivered, start.Add(-6*day), start.Add(-5*day), start.Add(-3*day)
	}
	return o
}

// application is what the buyer asks for on an order of shape.
func (shape caseShape) application(orderID string) aftersales.Application {
	a := aftersales.Application{OrderID: orderID, Type: aftersales.RefundOnly, Reason: "wrong_item",
		Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 1}}}
	if shape == deliveredReturn {
		a.Type, a.Reason = aftersales.ReturnRefund, "size_not_fit"
	}
	return a
}

func buyerToken(b *testing.B, st *Stack) string {
	b.Helper()
	tok, err := st.Token("bench-buyer", "buyer")
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// createCaseEvent is POST /v1/cases, a refund_only case on orderID, as API
// Gateway hands it to the api function, with request number seq as its
// request id; the Idempotency-Key is the order's, so keys never repeat.
func createCaseEvent(b *testing.B, token, orderID string, seq int) events.APIGatewayV2HTTPRequest {
	b.Helper()
	body, err := json.Marshal(app(orderID, "refund_only", "wrong_item", "l1", 1))
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/cases", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "key-"+orderID)
	ev, err := apigw.EventFromRequest(req, strconv.Itoa(seq))
	if err != nil {
		b.Fatal(err)
	}
	return ev
}

// openCases opens n cases of shape, each on a fresh order, and returns
// their ids. It calls the case service as the api function does, minus the
// HTTP layer the api benchmark measures, and on every core: the setup of a
// run grows with b.N.
func openCases(b *testing.B, st *Stack, n int, shape caseShape) []string {
	b.Helper()
	ctx := context.Background()
	buyer := aftersales.Principal{ID: "bench-buyer", Roles: []aftersales.Role{aftersales.RoleBuyer}}
	ids := make([]string, n)
	err := inParallel(n, func(i int) error {
		order := fmt.Sprintf("bench-%d", benchSeq.Add(1))
		if err := st.PutOrder(ctx, benchOrder(order, shape)); err != nil {
			return err
		}
		res, err := st.svc.Cases.CreateCase(ctx, buyer, shape.application(order), nil)
		if err != nil {
			return fmt.Errorf("case on %s: %w", order, err)
		}
		ids[i] = res.Case.ID
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

// inParallel calls f(0) to f(n-1) from a few goroutines per core (the
// setup waits on loopback HTTP as well as computing) and returns the first
// error.
func inParallel(n int, f func(i int) error) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		once sync.Once
		err  error
	)
	for range min(n, 4*runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if e := f(i); e != nil {
					once.Do(func() { err = e })
					return
				}
			}
		})
	}
	wg.Wait()
	return err
}

// wantCaseStatus checks that every case is in status, waiting on its
// workflow's task token.
func wantCaseStatus(b *testing.B, st *Stack, ids []string, status aftersales.Status) {
	b.Helper()
	for _, id := range ids {
		c, err := st.Case(context.Background(), id)
		if err != nil || c.Status != status || c.TaskToken == "" {
			b.Fatalf("case %s: %+v %v, want %s with a task token", id, c, err, status)
		}
	}
}

// sqsEvent is the event Lambda's SQS poller delivers for one message from
// queue whose body is msg as JSON, which is how sqsbus encodes it (msg is
// one of the types of shared/messages, which always encode).
func sqsEvent(st *Stack, queue string, msg any) events.SQSEvent {
	body := mustJSON(msg)
	sum := md5.Sum([]byte(body))
	sent := strconv.FormatInt(st.Clock.Now().UnixMilli(), 10)
	return events.SQSEvent{Records: []events.SQSMessage{{
		MessageId:     fmt.Sprintf("0c6f7d5e-8f3a-4f5c-9a3b-%012d", benchSeq.Add(1)),
		ReceiptHandle: "AQEB" + randomHex(32),
		Body:          body,
		Md5OfBody:     hex.EncodeToString(sum[:]),
		Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": sent,
			"SenderId": "AROAEXAMPLE:aftersales", "ApproximateFirstReceiveTimestamp": sent},
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource:       "aws:sqs",
		EventSourceARN:    fmt.Sprintf("arn:aws:sqs:%s:123456789012:%s", st.Config.Region, queue),
		AWSRegion:         st.Config.Region,
	}}}
}

// queueDepth counts the messages waiting in the queue at url.
func queueDepth(b *testing.B, st *Stack, url string) int {
	b.Helper()
	out, err := awsenv.SQS(awsenv.Local(st.Config.Region), st.sqsURL).GetQueueAttributes(context.Background(),
		&sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		b.Fatal(err)
	}
	n, err := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// cpuMeter drives the benchmark's timer and sums the process's CPU time
// over exactly the parts that timer counts, however often it is stopped.
type cpuMeter struct {
	b     *testing.B
	cpu   time.Duration
	since time.Duration
}

// newCPUMeter stops and resets the timer: the setup before it is not
// counted, and timing starts with the first start.
func newCPUMeter(b *testing.B) *cpuMeter {
	b.StopTimer()
	b.ResetTimer()
	b.ReportAllocs()
	return &cpuMeter{b: b}
}

// start starts the timer, then reads the CPU clock, and stop reads it
// before stopping the timer: the memory statistics the timer reads (a
// stop-the-world) are left out of the CPU figure.
func (m *cpuMeter) start() {
	m.b.StartTimer()
	m.since = processCPU(m.b)
}

func (m *cpuMeter) stop() {
	m.cpu += processCPU(m.b) - m.since
	m.b.StopTimer()
}

func (m *cpuMeter) report() {
	m.b.ReportMetric(float64(m.cpu.Nanoseconds())/float64(m.b.N), "cpu-ns/op")
}

// processCPU is the user and system time the process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
