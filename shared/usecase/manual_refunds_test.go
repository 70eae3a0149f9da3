package usecase_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/sandboxpay"
)

// bankCardOrder is an unshipped order paid by bank card, a channel no
// payment route serves: a refund_only case on it is approved by the rules.
func (f *refundFixture) bankCardOrder(t *testing.T) {
	t.Helper()
	o := &aftersales.Order{ID: "o3", Version: 1, EventID: "ev-o3-1", BuyerID: "b1", BuyerPhone: "13900000000", Status: aftersales.OrderPaid,
		Currency: aftersales.CNY,
		Payment:  aftersales.Payment{Channel: aftersales.ChannelBankCard, TransactionID: "UP-77", Amount: 15000},
		Lines: []aftersales.OrderLine{
			{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 10000, PaidAmount: 10000},
			{LineID: "l2", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 5000, PaidAmount: 5000}}}
	if _, err := f.svc.Orders.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
}

// refundingOn creates a refund_only case for line of order and has the
// rules approve it.
func (f *refundFixture) refundingOn(t *testing.T, order, line string) *aftersales.Case {
	t.Helper()
	res, err := f.svc.Cases.CreateCase(t.Context(), buyer, aftersales.Application{OrderID: order, Type: aftersales.RefundOnly,
		Reason: "wrong_item", Lines: []aftersales.LineRequest{{LineID: line, Quantity: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if step, err := f.svc.Workflow.Review(t.Context(), res.Case.ID); err != nil || step.Status != aftersales.StatusRefunding {
		t.Fatalf("review: %+v %v", step, err)
	}
	return res.Case
}

func (f *refundFixture) bookedOn(t *testing.T, order, line string) int64 {
	t.Helper()
	o, err := f.svc.Workflow.Orders.GetOrder(t.Context(), order)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := o.Line(line)
	return l.Refunded
}

func (f *refundFixture) eventsOf(t *testing.T, typ string) int {
	t.Helper()
	n := 0
	for _, e := range f.events.all(t) {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestBankCardRefundIsAManualTaskPaidOnce: an approved refund on a channel
// without a payment route becomes a task for finance (booked on the
// ledger, announced, reminded daily), not a failure; marking it paid
// completes the case exactly once, however many staff click at once.
func TestBankCardRefundIsAManualTaskPaidOnce(t *testing.T) {
	f := newRefundService(t)
	f.bankCardOrder(t)
	c := f.refundingOn(t, "o3", "l1")
	no := aftersales.OutRefundNo(c.ID, 1)
	staffWait := int64(aftersales.RefundStaffWait / time.Second)

	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
		t.Fatalf("the refund step: %v", err)
	}
	got := f.caseOf(t, c.ID)
	if got.RefundFailed || !got.RefundManual || got.Status != aftersales.StatusRefunding {
		t.Fatalf("after the refund step: status %s refund_failed=%v refund_manual=%v, want a manual task, not a failure",
			got.Status, got.RefundFailed, got.RefundManual)
	}
	if n := got.Next(); n.Actor != aftersales.ActorMerchant || n.Action != aftersales.NextMarkRefundPaid {
		t.Errorf("next %+v, want merchant %s", n, aftersales.NextMarkRefundPaid)
	}
	if hasAction(got, aftersales.ActRefundManual) != 1 || hasAction(got, aftersales.ActRefundFailed) != 0 {
		t.Errorf("timeline %+v, want one refund_manual and no refund_failed", got.Timeline)
	}
	r, err := f.svc.Refunds.Refunds.GetRefund(t.Context(), c.ID, no)
	if err != nil || r.Status != aftersales.RefundManual || r.Channel != aftersales.ChannelBankCard {
		t.Fatalf("ledger row %+v %v, want status manual on bankcard", r, err)
	}
	if b := f.bookedOn(t, "o3", "l1"); b != 10000 {
		t.Errorf("ledger booked %d on l1, want 10000: a manual refund counts against what was paid", b)
	}
	if f.eventsOf(t, aftersales.EventRefundManual) != 1 || f.eventsOf(t, aftersales.EventRefundFailed) != 0 {
		t.Errorf("events %+v, want one %s and no failure", f.events.all(t), aftersales.EventRefundManual)
	}
	if w := f.waits.completed["tok-1"]; w.Status != aftersales.StatusRefunding || w.WaitSeconds != staffWait {
		t.Errorf("the refund wait resumed with %+v, want refunding and a day for finance", w)
	}

	// The workflow's next refund step and the day's deadline change only
	// what they should: no second task, one reminder.
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-2", staffWait); err != nil {
		t.Fatal(err)
	}
	step, err := f.svc.Workflow.Deadline(t.Context(), c.ID, aftersales.StatusRefunding)
	if err != nil || step.Status != aftersales.StatusRefunding || step.WaitSeconds != staffWait {
		t.Fatalf("deadline of a manual refund: %+v %v", step, err)
	}
	got = f.caseOf(t, c.ID)
	if hasAction(got, aftersales.ActRefundManual) != 1 || hasAction(got, aftersales.ActRemind) != 1 || f.eventsOf(t, aftersales.EventRefundManual) != 1 {
		t.Fatalf("after the next step and a deadline: timeline %+v", got.Timeline)
	}
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-3", staffWait); err != nil {
		t.Fatal(err)
	}

	// A provider's word about a refund no provider was asked changes nothing.
	before := f.caseOf(t, c.ID)
	if err := f.svc.Refunds.RefundNotified(t.Context(), notice(no, aftersales.StateSucceeded, "n-1")); err != nil {
		t.Fatal(err)
	}
	if again := f.caseOf(t, c.ID); again.Version != before.Version || again.Status != aftersales.StatusRefunding {
		t.Fatalf("a notification changed a manual refund's case: v%d -> v%d, %s", before.Version, again.Version, again.Status)
	}

	refused := []struct {
		name  string
		p     aftersales.Principal
		ref   string
		kind  aftersales.Kind
		field string
	}{
		{"a buyer", buyer, "BANK-1", aftersales.KindForbidden, ""},
		{"staff who are the case's buyer", aftersales.Principal{ID: "b1", Roles: []aftersales.Role{aftersales.RoleReviewer}},
			"BANK-1", aftersales.KindForbidden, ""},
		{"no reference", reviewer, "  ", aftersales.KindInvalid, "reference"},
		{"a reference too long", reviewer, strings.Repeat("9", 65), aftersales.KindInvalid, "reference"},
		{"a bidirectional override", reviewer, "BANK\u202e1", aftersales.KindInvalid, "reference"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Refunds.MarkRefundPaid(t.Context(), tt.p, c.ID, tt.ref)
			if aftersales.KindOf(err) != tt.kind {
				t.Fatalf("err %v, want %v", err, tt.kind)
			}
			if fs := aftersales.FieldsOf(err); tt.field != "" && (len(fs) != 1 || fs[0].Field != tt.field) {
				t.Errorf("fields %+v, want %s", fs, tt.field)
			}
		})
	}

	// Ten staff mark it paid at once: one wins, the others are told.
	const clicks = 10
	var wg sync.WaitGroup
	errs := make([]error, clicks)
	for i := range clicks {
		wg.Go(func() { _, errs[i] = f.svc.Refunds.MarkRefundPaid(t.Context(), reviewer, c.ID, " BANK-20261111-001 ") })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case aftersales.KindOf(err) != aftersales.KindConflict:
			t.Errorf("marking paid: %v, want success or conflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent marks succeeded, want exactly 1 (%v)", won, clicks, errs)
	}
	got = f.caseOf(t, c.ID)
	if got.Status != aftersales.StatusCompleted || got.Refunded != 10000 || got.RefundManual ||
		hasAction(got, aftersales.ActRefundSucceeded) != 1 {
		t.Fatalf("after marking paid: %s refunded %d manual=%v, timeline %+v", got.Status, got.Refunded, got.RefundManual, got.Timeline)
	}
	last := got.Timeline[len(got.Timeline)-1]
	if last.Action != aftersales.ActRefundSucceeded || last.Actor != reviewer.Actor() || !last.At.Equal(f.clock.Now()) ||
		!strings.Contains(last.Note, "BANK-20261111-001") {
		t.Errorf("last timeline entry %+v, want refund_succeeded by %s now, naming the reference", last, reviewer.Actor())
	}
	r, err = f.svc.Refunds.Refunds.GetRefund(t.Context(), c.ID, no)
	if err != nil || r.Status != aftersales.RefundSucceeded || r.PaidBy != reviewer.Actor() ||
		r.ProviderRefundID != "BANK-20261111-001" || !r.ArrivedAt.Equal(f.clock.Now()) || r.Sandbox {
		t.Fatalf("ledger row after marking paid: %+v %v", r, err)
	}
	if b := f.bookedOn(t, "o3", "l1"); b != 10000 {
		t.Errorf("ledger booked %d on l1 after marking paid, want 10000 once", b)
	}
	if w := f.waits.completed["tok-3"]; w.Status != aftersales.StatusCompleted {
		t.Errorf("the wait was resumed with %+v, want completed", w)
	}
	if _, err := f.svc.Refunds.MarkRefundPaid(t.Context(), reviewer, c.ID, "BANK-2"); aftersales.KindOf(err) != aftersales.KindConflict {
		t.Errorf("marking a completed case's refund paid again: %v, want Conflict", err)
	}
	if again := f.caseOf(t, c.ID); again.Version != got.Version {
		t.Errorf("a late mark changed the case: v%d -> v%d", got.Version, again.Version)
	}
}

// TestManualRefundKeepsTheLedgerLimit: a manual refund is booked under the
// same database limit as any refund; one that would pass what was paid
// fails for staff and books nothing.
func TestManualRefundKeepsTheLedgerLimit(t *testing.T) {
	f := newRefundService(t)
	f.bankCardOrder(t)
	c := f.refundingOn(t, "o3", "l2")
	// Another refund took 30 of l2's 50 CNY meanwhile (a retried case, a
	// refund the ledger already holds).
	other := &aftersales.Refund{OutRefundNo: aftersales.OutRefundNo("as_other", 1), CaseID: "as_other", Seq: 1, OrderID: "o3",
		Amount: aftersales.Money{Amount: 3000, Currency: aftersales.CNY}, Shares: map[string]int64{"l2": 3000},
		Channel: aftersales.ChannelBankCard, Status: aftersales.RefundManual, CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	if err := f.svc.Refunds.Refunds.BeginRefund(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
		t.Fatal(err)
	}
	got := f.caseOf(t, c.ID)
	if !got.RefundFailed || got.RefundManual || f.bookedOn(t, "o3", "l2") != 3000 {
		t.Fatalf("over the limit: failed=%v manual=%v booked %d, want a failure for staff and 3000 booked",
			got.RefundFailed, got.RefundManual, f.bookedOn(t, "o3", "l2"))
	}
	if _, err := f.svc.Refunds.MarkRefundPaid(t.Context(), reviewer, c.ID, "BANK-1"); aftersales.KindOf(err) != aftersales.KindConflict {
		t.Errorf("marking a failed refund paid: %v, want Conflict", err)
	}
}

// TestSandboxRefundsAreMarkedInTheLedger: a refund a sandbox route "paid"
// is marked sandbox on its ledger row and on the timeline: no money moved.
func TestSandboxRefundsAreMarkedInTheLedger(t *testing.T) {
	f := newRefundService(t)
	f.svc.Refunds.Payments[aftersales.ChannelWeChatPay] = &sandboxpay.Provider{Clock: f.clock}
	c := f.refunding(t, "l1")
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Refunds.Refunds.GetRefund(t.Context(), c.ID, aftersales.OutRefundNo(c.ID, 1))
	if err != nil || r.Status != aftersales.RefundSucceeded || !r.Sandbox {
		t.Fatalf("sandbox ledger row %+v %v, want succeeded and marked sandbox", r, err)
	}
	page, err := f.svc.Refunds.ListRefunds(t.Context(), reviewer, aftersales.RefundQuery{})
	if err != nil || len(page.Items) != 1 || !page.Items[0].Sandbox {
		t.Fatalf("the ledger lists %+v %v, want the row marked sandbox", page.Items, err)
	}
	got := f.caseOf(t, c.ID)
	last := got.Timeline[len(got.Timeline)-1]
	if got.Status != aftersales.StatusCompleted || !strings.Contains(last.Note, "no money moved") {
		t.Fatalf("case %s, last note %q, want completed saying no money moved", got.Status, last.Note)
	}
}
