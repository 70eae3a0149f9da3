package usecase_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// legacyRefunds is the refund store as a deployment from before issue 13
// may hold it: beside what the store keeps, one row of a refund requested
// but never sent, of an amount today's stores refuse to begin.
type legacyRefunds struct {
	aftersales.RefundStore
	mu  sync.Mutex
	row *aftersales.Refund
}

func (l *legacyRefunds) legacy(caseID, no string) bool {
	return l.row != nil && l.row.CaseID == caseID && l.row.OutRefundNo == no
}

func (l *legacyRefunds) GetRefund(ctx context.Context, caseID, no string) (*aftersales.Refund, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.legacy(caseID, no) {
		r := *l.row
		return &r, nil
	}
	return l.RefundStore.GetRefund(ctx, caseID, no)
}

func (l *legacyRefunds) UpdateRefund(ctx context.Context, r *aftersales.Refund, prev aftersales.RefundStatus) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.legacy(r.CaseID, r.OutRefundNo) {
		return l.RefundStore.UpdateRefund(ctx, r, prev)
	}
	if l.row.Status != prev {
		return aftersales.ErrRefundChanged
	}
	row := *r
	l.row = &row
	return nil
}

// moneyFixture serves order o3 (two lines, paid by WeChat Pay, not shipped)
// through a refund store that may hold a legacy row.
type moneyFixture struct {
	svc     *usecase.Services
	refunds *legacyRefunds
	wechat  *scriptedProvider
	events  *recordedEvents
	waits   *fakeWaits
}

func newMoneyFixture(t *testing.T, paid1, paid2 int64) *moneyFixture {
	t.Helper()
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.New(clock)
	f := &moneyFixture{refunds: &legacyRefunds{RefundStore: store}, wechat: newProvider(aftersales.StateProcessing),
		events: &recordedEvents{outbox: store}, waits: &fakeWaits{completed: map[string]aftersales.StepResult{}, gone: map[string]bool{}}}
	f.svc = usecase.New(usecase.Ports{Cases: store, Orders: store, Idempotency: store, Evidence: noBlobs{}, Clock: clock,
		IDs: &storetest.SeqIDs{}, Rules: memstore.NewRuleSets(), Waits: f.waits, Jobs: memstore.NewJobs(),
		Refunds: f.refunds, Notifications: store,
		Payments: map[aftersales.PaymentChannel]aftersales.RefundProvider{aftersales.ChannelWeChatPay: f.wechat}})
	o := &aftersales.Order{ID: "o3", BuyerID: "b1", Status: aftersales.OrderPaid, Currency: aftersales.CNY, Version: 1, EventID: "ev-o3",
		Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "4200003", Amount: paid1 + paid2},
		Lines: []aftersales.OrderLine{
			{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: paid1, PaidAmount: paid1},
			{LineID: "l2", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: paid2, PaidAmount: paid2}}}
	if _, err := f.svc.Orders.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return f
}

// refunding opens a refund_only case on both lines, which the rules approve
// (unshipped), and returns it in refunding.
func (f *moneyFixture) refunding(t *testing.T) *aftersales.Case {
	t.Helper()
	a := aftersales.Application{OrderID: "o3", Type: aftersales.RefundOnly, Reason: "wrong_item",
		Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 1}, {LineID: "l2", Quantity: 1}}}
	res, err := f.svc.Cases.CreateCase(t.Context(), buyer, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if step, err := f.svc.Workflow.Review(t.Context(), res.Case.ID); err != nil || step.Status != aftersales.StatusRefunding {
		t.Fatalf("review: %+v %v", step, err)
	}
	return f.caseOf(t, res.Case.ID)
}

func (f *moneyFixture) caseOf(t *testing.T, id string) *aftersales.Case {
	t.Helper()
	c, err := f.svc.Workflow.Cases.GetCase(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *moneyFixture) ledger(t *testing.T) map[string]int64 {
	t.Helper()
	o, err := f.svc.Workflow.Orders.GetOrder(t.Context(), "o3")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]int64{"l1": o.Lines[0].Refunded, "l2": o.Lines[1].Refunded}
}

// TestLargeRefundsSplitExactly: a refund of the largest amount an order may
// hold is split over its lines exactly; before the 128-bit share, amount ×
// line amount (5×10^23) wrapped around and the ledger refused the refund.
func TestLargeRefundsSplitExactly(t *testing.T) {
	tests := []struct {
		name         string
		paid1, paid2 int64
	}{
		{"two halves of the largest amount", aftersales.MaxAmount / 2, aftersales.MaxAmount / 2},
		{"uneven lines", aftersales.MaxAmount - 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newMoneyFixture(t, tt.paid1, tt.paid2)
			c := f.refunding(t)
			if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
				t.Fatal(err)
			}
			if got := f.caseOf(t, c.ID); got.RefundFailed {
				t.Fatalf("the refund failed: %+v", got.Timeline[len(got.Timeline)-1])
			}
			if got, want := f.ledger(t), map[string]int64{"l1": tt.paid1, "l2": tt.paid2}; got["l1"] != want["l1"] || got["l2"] != want["l2"] {
				t.Errorf("ledger %v, want %v", got, want)
			}
			if paid := f.wechat.paid[aftersales.OutRefundNo(c.ID, 1)]; paid != tt.paid1+tt.paid2 {
				t.Errorf("WeChat Pay was asked for %d, want %d", paid, tt.paid1+tt.paid2)
			}
		})
	}
}

// TestNonPositiveRefundNeverReachesAProvider: a case whose approved amount
// is not positive (as the claims of issue 13 were: -84.46 CNY reached
// WeChat Pay) requests no refund and books nothing. Its refund fails for
// staff with a timeline entry saying why and the refund-failure event
// (the alarm); a refund row of such an amount, stored before the stores
// refused them, is closed without being sent.
func TestNonPositiveRefundNeverReachesAProvider(t *testing.T) {
	tests := []struct {
		name     string
		approved int64
		legacy   bool // a requested row of the amount is already stored
	}{
		{"zero", 0, false},
		{"negative, as the overflow made it", -8446, false},
		{"a legacy row of a negative amount", -8446, true},
		{"a legacy row of zero", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newMoneyFixture(t, 10000, 5000)
			c := f.refunding(t)
			c.Approved = tt.approved
			if err := f.svc.Workflow.Cases.UpdateCase(t.Context(), c, c.Version); err != nil {
				t.Fatal(err)
			}
			no := aftersales.OutRefundNo(c.ID, 1)
			if tt.legacy {
				f.refunds.row = &aftersales.Refund{OutRefundNo: no, CaseID: c.ID, Seq: 1, OrderID: "o3", BuyerID: "b1",
					Amount: aftersales.Money{Amount: tt.approved, Currency: aftersales.CNY}, Shares: map[string]int64{},
					Channel: aftersales.ChannelWeChatPay, Status: aftersales.RefundRequested}
			}
			if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
				t.Fatal(err)
			}
			if len(f.wechat.calls) != 0 {
				t.Fatalf("WeChat Pay was asked for %v", f.wechat.paid)
			}
			got := f.caseOf(t, c.ID)
			last := got.Timeline[len(got.Timeline)-1]
			if got.Status != aftersales.StatusRefunding || !got.RefundFailed || last.Action != aftersales.ActRefundFailed ||
				!strings.Contains(last.Note, "must be positive") {
				t.Fatalf("case %s failed=%v, last entry %+v", got.Status, got.RefundFailed, last)
			}
			if len(f.events.all(t)) != 1 || f.events.all(t)[0].Type != aftersales.EventRefundFailed {
				t.Errorf("events %+v, want one refund.failed", f.events.all(t))
			}
			if r := f.waits.completed["tok-1"]; r.Status != aftersales.StatusRefunding {
				t.Errorf("the wait resumed with %+v, want refunding (for staff)", r)
			}
			if l := f.ledger(t); l["l1"] != 0 || l["l2"] != 0 {
				t.Errorf("ledger %v, want nothing booked", l)
			}
			r, err := f.refunds.GetRefund(t.Context(), c.ID, no)
			switch {
			case tt.legacy && (err != nil || r.Status != aftersales.RefundClosed):
				t.Errorf("legacy row %+v %v, want closed", r, err)
			case !tt.legacy && !errors.Is(err, aftersales.ErrNotFound):
				t.Errorf("a refund was stored: %+v %v", r, err)
			}
			// The deadline's poll sends nothing either.
			if _, err := f.svc.Refunds.PollRefund(t.Context(), got); err != nil || len(f.wechat.calls) != 0 {
				t.Errorf("poll: %v, WeChat Pay asked %v", err, f.wechat.calls)
			}
		})
	}
}

// TestApprovingANonPositiveAmountIsRefused: a case stored before claims were
// bounded may request nothing or less; approving it would only fail its
// refund, so the approval is refused and staff reject it instead.
func TestApprovingANonPositiveAmountIsRefused(t *testing.T) {
	tests := []struct {
		name      string
		requested int64
	}{
		{"zero", 0},
		{"negative, as the overflow made it", -8446},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := newService(t)
			c := inReview(t, svc, "tok-1", "l1")
			c.Requested = tt.requested
			if err := svc.Workflow.Cases.UpdateCase(t.Context(), c, c.Version); err != nil {
				t.Fatal(err)
			}
			_, err := svc.Review.Approve(t.Context(), reviewer, c.ID, aftersales.Approval{})
			if aftersales.KindOf(err) != aftersales.KindConflict || !strings.Contains(aftersales.MessageOf(err), "reject") {
				t.Fatalf("approve: %v, want a Conflict saying to reject", err)
			}
			if _, err := svc.Review.Reject(t.Context(), reviewer, c.ID, "the claim's weights were wrong"); err != nil {
				t.Fatalf("reject: %v", err)
			}
		})
	}
}
