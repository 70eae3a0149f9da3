package usecase_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// scriptedProvider answers refunds as told and counts what it paid, keyed
// by out_refund_no, as a provider deduplicating on it would.
type scriptedProvider struct {
	mu      sync.Mutex
	answer  aftersales.RefundState // the state Refund answers
	crash   bool                   // pay, then fail as a task crashing after the call would
	refuse  bool                   // refuse as invalid
	query   aftersales.RefundState // what Query answers ("" = not found)
	calls   map[string]int
	paid    map[string]int64
	queries int
}

func newProvider(answer aftersales.RefundState) *scriptedProvider {
	return &scriptedProvider{answer: answer, calls: map[string]int{}, paid: map[string]int64{}}
}

func (p *scriptedProvider) Refund(_ context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[r.OutRefundNo]++
	if p.refuse {
		return aftersales.RefundResult{}, aftersales.E(aftersales.KindInvalid, "fake", "NOT_ENOUGH")
	}
	p.paid[r.OutRefundNo] = r.Amount.Amount // a map: paying twice would not add up twice, so count calls too
	if p.crash {
		p.crash = false
		return aftersales.RefundResult{}, aftersales.E(aftersales.KindTransient, "fake", "connection reset after the provider took it")
	}
	return aftersales.RefundResult{State: p.answer, ProviderRefundID: "pr-" + r.OutRefundNo}, nil
}

func (p *scriptedProvider) Query(_ context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queries++
	if p.query == "" {
		return aftersales.RefundResult{}, aftersales.ErrNotFound
	}
	return aftersales.RefundResult{State: p.query, ProviderRefundID: "pr-" + r.OutRefundNo}, nil
}

// recordedEvents are the domain events the use cases raised: what the
// store's outbox holds (nothing publishes them here).
type recordedEvents struct {
	outbox aftersales.OutboxStore
}

// all returns the raised events, oldest first.
func (r *recordedEvents) all(t *testing.T) []aftersales.DomainEvent {
	t.Helper()
	es, err := r.outbox.PendingEvents(t.Context(), storetest.Epoch.Add(1000*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

type refundFixture struct {
	svc     *usecase.Services
	waits   *fakeWaits
	clock   *storetest.FakeClock
	wechat  *scriptedProvider
	balance *scriptedProvider
	events  *recordedEvents
}

// newRefundService serves an unshipped WeChat Pay order o2 (two lines of
// 100 and 50 CNY): a refund_only case on it is approved by the rules.
func newRefundService(t *testing.T) *refundFixture {
	t.Helper()
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.New(clock)
	f := &refundFixture{
		waits: &fakeWaits{completed: map[string]aftersales.StepResult{}, gone: map[string]bool{}}, clock: clock,
		wechat: newProvider(aftersales.StateProcessing), balance: newProvider(aftersales.StateSucceeded),
		events: &recordedEvents{outbox: store},
	}
	f.svc = usecase.New(usecase.Ports{Cases: store, Orders: store, Idempotency: store, Evidence: noBlobs{}, Clock: clock,
		IDs: &storetest.SeqIDs{}, Rules: memstore.NewRuleSets(), Waits: f.waits, Jobs: memstore.NewJobs(),
		Refunds: store, Notifications: store,
		Payments: map[aftersales.PaymentChannel]aftersales.RefundProvider{
			aftersales.ChannelWeChatPay: f.wechat, aftersales.ChannelBalance: f.balance}})
	o := &aftersales.Order{ID: "o2", Version: 1, EventID: "ev-o2-1", BuyerID: "b1", BuyerPhone: "13800000000", Status: aftersales.OrderPaid,
		Currency: aftersales.CNY,
		Payment:  aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "4200001", Amount: 15000},
		Lines: []aftersales.OrderLine{
			{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 10000, PaidAmount: 10000},
			{LineID: "l2", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 5000, PaidAmount: 5000}}}
	if _, err := f.svc.Orders.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return f
}

// refunding creates a refund_only case for lines and has the rules approve it.
func (f *refundFixture) refunding(t *testing.T, lines ...string) *aftersales.Case {
	t.Helper()
	a := aftersales.Application{OrderID: "o2", Type: aftersales.RefundOnly, Reason: "wrong_item"}
	for _, l := range lines {
		a.Lines = append(a.Lines, aftersales.LineRequest{LineID: l, Quantity: 1})
	}
	res, err := f.svc.Cases.CreateCase(t.Context(), buyer, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	step, err := f.svc.Workflow.Review(t.Context(), res.Case.ID)
	if err != nil || step.Status != aftersales.StatusRefunding {
		t.Fatalf("review: %+v %v", step, err)
	}
	if step.WaitSeconds != 60 {
		t.Fatalf("first refund wait = %d s, want 60 (WeChat Pay's first query after a minute)", step.WaitSeconds)
	}
	return res.Case
}

func (f *refundFixture) caseOf(t *testing.T, id string) *aftersales.Case {
	t.Helper()
	c, err := f.svc.Workflow.Cases.GetCase(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *refundFixture) refunded(t *testing.T, line string) int64 {
	t.Helper()
	o, err := f.svc.Workflow.Orders.GetOrder(t.Context(), "o2")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := o.Line(line)
	return l.Refunded
}

func notice(no string, st aftersales.RefundState, id string) aftersales.RefundNotice {
	return aftersales.RefundNotice{Channel: aftersales.ChannelWeChatPay, NotificationID: id, OutRefundNo: no,
		RefundResult: aftersales.RefundResult{State: st, ProviderRefundID: "pr-" + no, Account: "支付用户零钱"}}
}

func hasAction(c *aftersales.Case, a aftersales.Action) int {
	n := 0
	for _, e := range c.Timeline {
		if e.Action == a {
			n++
		}
	}
	return n
}

func TestRefundCompletesOnTheNotificationOnce(t *testing.T) {
	f := newRefundService(t)
	c := f.refunding(t, "l1")
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
		t.Fatal(err)
	}
	no := aftersales.OutRefundNo(c.ID, 1)
	got := f.caseOf(t, c.ID)
	if got.Status != aftersales.StatusRefunding || hasAction(got, aftersales.ActRefundStarted) != 1 {
		t.Fatalf("after the request: %s, timeline %+v", got.Status, got.Timeline)
	}
	if f.refunded(t, "l1") != 10000 {
		t.Fatalf("ledger booked %d on l1 when the refund was requested, want 10000", f.refunded(t, "l1"))
	}
	for i := range 3 { // the same notification three times, the second and third as replays
		if err := f.svc.Refunds.RefundNotified(t.Context(), notice(no, aftersales.StateSucceeded, "n-1")); err != nil {
			t.Fatalf("notification %d: %v", i, err)
		}
	}
	got = f.caseOf(t, c.ID)
	if got.Status != aftersales.StatusCompleted || got.Refunded != 10000 || hasAction(got, aftersales.ActRefundSucceeded) != 1 {
		t.Fatalf("after the notifications: %s refunded %d, timeline %+v", got.Status, got.Refunded, got.Timeline)
	}
	if r := f.waits.completed["tok-1"]; r.Status != aftersales.StatusCompleted {
		t.Fatalf("the refund wait was completed with %+v", r)
	}
	r, err := f.svc.Refunds.Refunds.GetRefund(t.Context(), c.ID, no)
	if err != nil || r.Status != aftersales.RefundSucceeded || r.ArrivedAt.IsZero() || r.ApprovedBy != aftersales.ActorRules ||
		r.BuyerPhone != "13800000000" || r.Account != "支付用户零钱" {
		t.Fatalf("refund row %+v %v", r, err)
	}
	if f.wechat.calls[no] != 1 || f.refunded(t, "l1") != 10000 {
		t.Fatalf("provider called %d times, ledger %d", f.wechat.calls[no], f.refunded(t, "l1"))
	}
}

func TestNotificationBeforeTheAnswerIsRecordedAndTheAnswerChangesNothing(t *testing.T) {
	f := newRefundService(t)
	c := f.refunding(t, "l2")
	no := aftersales.OutRefundNo(c.ID, 1)
	// The provider answers "processing" but its notification of success
	// overtakes the answer: the answer must not move the refund back.
	f.wechat.answer = aftersales.StateProcessing
	f.wechat.crash = true // the first call's answer is lost: the step is retried
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); aftersales.KindOf(err) != aftersales.KindTransient {
		t.Fatalf("a lost answer: %v, want a transient error for the retry", err)
	}
	if err := f.svc.Refunds.RefundNotified(t.Context(), notice(no, aftersales.StateSucceeded, "n-1")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-2", 60); err != nil { // the retried step
		t.Fatal(err)
	}
	got := f.caseOf(t, c.ID)
	if got.Status != aftersales.StatusCompleted || f.refunded(t, "l2") != 5000 {
		t.Fatalf("case %s, ledger %d", got.Status, f.refunded(t, "l2"))
	}
	if f.wechat.calls[no] != 1 {
		t.Fatalf("the provider was asked %d times after the refund completed, want 1", f.wechat.calls[no])
	}
}

func TestCrashAfterTheProviderCallResendsTheSameNumber(t *testing.T) {
	f := newRefundService(t)
	c := f.refunding(t, "l1", "l2")
	f.wechat.crash = true
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err == nil {
		t.Fatal("the crash was not reported")
	}
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-2", 60); err != nil {
		t.Fatal(err)
	}
	no := aftersales.OutRefundNo(c.ID, 1)
	if f.wechat.calls[no] != 2 || len(f.wechat.calls) != 1 {
		t.Fatalf("calls %v: want the same number sent twice and no other", f.wechat.calls)
	}
	if f.refunded(t, "l1")+f.refunded(t, "l2") != 15000 || f.refunded(t, "l1") != 10000 {
		t.Fatalf("ledger booked l1=%d l2=%d, want 10000 + 5000 once", f.refunded(t, "l1"), f.refunded(t, "l2"))
	}
}

func TestPollBackOffThenSuccessByQuery(t *testing.T) {
	f := newRefundService(t)
	c := f.refunding(t, "l1")
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
		t.Fatal(err)
	}
	f.wechat.query = aftersales.StateProcessing
	var waits []int64
	for range 6 {
		step, err := f.svc.Workflow.Deadline(t.Context(), c.ID, aftersales.StatusRefunding)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, step.WaitSeconds)
	}
	want := []int64{300, 600, 1200, 1800, 1800, 1800}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits after each query = %v, want %v", waits, want)
		}
	}
	f.wechat.query = aftersales.StateSucceeded
	step, err := f.svc.Workflow.Deadline(t.Context(), c.ID, aftersales.StatusRefunding)
	if err != nil || step.Status != aftersales.StatusCompleted {
		t.Fatalf("after a successful query: %+v %v", step, err)
	}
	if f.wechat.queries != 7 {
		t.Fatalf("queries = %d, want 7", f.wechat.queries)
	}
}

func TestClosedRefundGivesTheLedgerBackAndStaffRetryToBalance(t *testing.T) {
	f := newRefundService(t)
	c := f.refunding(t, "l1")
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
		t.Fatal(err)
	}
	no := aftersales.OutRefundNo(c.ID, 1)
	if err := f.svc.Refunds.RefundNotified(t.Context(), notice(no, aftersales.StateClosed, "n-1")); err != nil {
		t.Fatal(err)
	}
	got := f.caseOf(t, c.ID)
	if got.Status != aftersales.StatusRefunding || !got.RefundFailed || got.Next().Action != "retry_refund" ||
		got.Next().Actor != aftersales.ActorMerchant {
		t.Fatalf("after CLOSED: %s failed=%v next=%+v", got.Status, got.RefundFailed, got.Next())
	}
	if f.refunded(t, "l1") != 0 {
		t.Fatalf("a closed refund still books %d on the ledger", f.refunded(t, "l1"))
	}
	if r := f.waits.completed["tok-1"]; r.Status != aftersales.StatusRefunding || r.WaitSeconds != int64(aftersales.RefundStaffWait/time.Second) {
		t.Fatalf("the wait resumed with %+v, want refunding and a day for staff", r)
	}
	if len(f.events.all(t)) != 1 || f.events.all(t)[0].Type != aftersales.EventRefundFailed {
		t.Fatalf("events %+v, want one refund.failed", f.events.all(t))
	}
	// The staff's wait passes: a reminder, and the case keeps waiting.
	if err := f.svc.Workflow.BeginWait(t.Context(), c.ID, "tok-2", 86400); err != nil {
		t.Fatal(err)
	}
	step, err := f.svc.Workflow.Deadline(t.Context(), c.ID, aftersales.StatusRefunding)
	if err != nil || step.Status != aftersales.StatusRefunding || hasAction(f.caseOf(t, c.ID), aftersales.ActRemind) != 1 {
		t.Fatalf("deadline of a failed refund: %+v %v", step, err)
	}
	if err := f.svc.Workflow.BeginWait(t.Context(), c.ID, "tok-3", 86400); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Refunds.RetryRefund(t.Context(), buyer, c.ID, aftersales.RefundBalance); aftersales.KindOf(err) != aftersales.KindForbidden {
		t.Fatalf("a buyer retrying: %v", err)
	}
	if _, err := f.svc.Refunds.RetryRefund(t.Context(), reviewer, c.ID, "cash"); aftersales.KindOf(err) != aftersales.KindInvalid {
		t.Fatalf("retry to cash: %v", err)
	}
	got, err = f.svc.Refunds.RetryRefund(t.Context(), reviewer, c.ID, aftersales.RefundBalance)
	if err != nil || got.RefundSeq != 2 || got.RefundFailed || got.RefundTo != aftersales.RefundBalance {
		t.Fatalf("retry: %+v %v", got, err)
	}
	if r := f.waits.completed["tok-3"]; r.Status != aftersales.StatusRefunding {
		t.Fatalf("the retry resumed the wait with %+v", r)
	}
	if _, err := f.svc.Refunds.RetryRefund(t.Context(), reviewer, c.ID, ""); aftersales.KindOf(err) != aftersales.KindConflict {
		t.Fatalf("a second retry: %v, want Conflict", err)
	}
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-4", 60); err != nil {
		t.Fatal(err)
	}
	got = f.caseOf(t, c.ID)
	no2 := aftersales.OutRefundNo(c.ID, 2)
	if got.Status != aftersales.StatusCompleted || f.balance.calls[no2] != 1 || f.refunded(t, "l1") != 10000 {
		t.Fatalf("after the retry: %s, balance calls %v, ledger %d", got.Status, f.balance.calls, f.refunded(t, "l1"))
	}
	// A late notification about the first, closed refund changes nothing.
	if err := f.svc.Refunds.RefundNotified(t.Context(), notice(no, aftersales.StateSucceeded, "n-2")); err != nil {
		t.Fatal(err)
	}
	if again := f.caseOf(t, c.ID); again.Version != got.Version {
		t.Fatalf("a late notification changed the case: v%d -> v%d", got.Version, again.Version)
	}
}

func TestProviderRefusalFailsTheRefundForStaff(t *testing.T) {
	f := newRefundService(t)
	c := f.refunding(t, "l1")
	f.wechat.refuse = true
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
		t.Fatal(err)
	}
	got := f.caseOf(t, c.ID)
	r, err := f.svc.Refunds.Refunds.GetRefund(t.Context(), c.ID, aftersales.OutRefundNo(c.ID, 1))
	if err != nil || r.Status != aftersales.RefundClosed || !got.RefundFailed || f.refunded(t, "l1") != 0 {
		t.Fatalf("refused refund: %+v %v; case failed=%v; ledger %d", r, err, got.RefundFailed, f.refunded(t, "l1"))
	}
}

func TestNotificationsForUnknownRefundsAreNotFound(t *testing.T) {
	f := newRefundService(t)
	for _, no := range []string{"as_nope-1", "garbage", "as_x-0"} {
		err := f.svc.Refunds.RefundNotified(t.Context(), notice(no, aftersales.StateSucceeded, "n"))
		if !errors.Is(err, aftersales.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", no, err)
		}
	}
}

func TestAcceptNoticeDropsReplays(t *testing.T) {
	f := newRefundService(t)
	q := &storetest.NoticeQueue{}
	f.svc.Refunds.Notices = q
	n := notice("as_1-1", aftersales.StateSucceeded, "n-1")
	for i, wantDup := range []bool{false, true, true} {
		dup, err := f.svc.Refunds.AcceptNotice(t.Context(), n)
		if err != nil || dup != wantDup {
			t.Fatalf("accept #%d: dup=%v %v, want dup=%v", i, dup, err, wantDup)
		}
	}
	if sent := q.Queued(func(n aftersales.RefundNotice) string { return n.NotificationID }); len(sent) != 1 {
		t.Fatalf("queued %d times, want 1", len(sent))
	}
	f.clock.Advance(aftersales.NotificationTTL + time.Hour) // receipts expire after 30 days
	if dup, err := f.svc.Refunds.AcceptNotice(t.Context(), n); err != nil || dup {
		t.Fatalf("after the receipt expired: dup=%v %v", dup, err)
	}
}

func TestParseOutRefundNo(t *testing.T) {
	tests := []struct {
		in     string
		caseID string
		seq    int
		ok     bool
	}{
		{"as_01JD-1", "as_01JD", 1, true},
		{"as_01JD-12", "as_01JD", 12, true},
		{aftersales.OutRefundNo("as_a-b", 3), "as_a-b", 3, true},
		{"as_01JD", "", 0, false},
		{"-1", "", 0, false},
		{"as_x-0", "", 0, false},
		{"as_x-y", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, seq, ok := aftersales.ParseOutRefundNo(tt.in)
			if id != tt.caseID || seq != tt.seq || ok != tt.ok {
				t.Fatalf("= %q %d %v", id, seq, ok)
			}
		})
	}
}
