package usecase_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// snapshot is the mall's snapshot number version of order id: one line of
// 999 CNY, far above what the rules approve without an admin unless the
// order is unshipped.
func snapshot(id string, version int64, status aftersales.OrderStatus) *aftersales.Order {
	o := &aftersales.Order{ID: id, Version: version, EventID: id + "-" + string(status), BuyerID: "b1",
		Status: status, PaidAt: storetest.Epoch.Add(-2 * time.Hour), Currency: aftersales.CNY,
		Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "4200009", Amount: 99900},
		Lines:   []aftersales.OrderLine{{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 99900, PaidAmount: 99900}}}
	if status != aftersales.OrderPaid {
		o.ShippedAt = storetest.Epoch.Add(-time.Hour)
	}
	return o
}

// decidedBy opens a refund-only case on line l1 of the order, runs the
// rules and returns the rule that decided it and the status it left.
func decidedBy(t *testing.T, svc *usecase.Services, orderID string) (string, aftersales.Status) {
	t.Helper()
	a := aftersales.Application{OrderID: orderID, Type: aftersales.RefundOnly, Reason: "wrong_item",
		Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 1}}}
	res, err := svc.Cases.CreateCase(t.Context(), buyer, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	step, err := svc.Workflow.Review(t.Context(), res.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Workflow.Cases.GetCase(t.Context(), res.Case.ID)
	if err != nil || c.Decision == nil {
		t.Fatalf("case after the rules: %+v %v", c, err)
	}
	return c.Decision.RuleID, step.Status
}

// TestStaleSnapshotIgnored is issue 13's defect 2 at the use case: the
// mall's paid snapshot delivered again after shipped (a replay, or a retry
// that arrived late) is taken without error but ignored, so the order stays
// shipped and a refund-only case is not approved by the unshipped-refund
// rule, which approves at any amount. The control order, never shipped,
// shows that the rule would have approved it.
func TestStaleSnapshotIgnored(t *testing.T) {
	svc, _ := newService(t)
	steps := []struct {
		name   string
		offer  *aftersales.Order
		stored bool
		want   aftersales.OrderStatus
	}{
		{"paid", snapshot("o9", 1, aftersales.OrderPaid), true, aftersales.OrderPaid},
		{"shipped", snapshot("o9", 2, aftersales.OrderShipped), true, aftersales.OrderShipped},
		{"paid, sent again after shipped", snapshot("o9", 1, aftersales.OrderPaid), false, aftersales.OrderShipped},
		{"shipped, replayed", snapshot("o9", 2, aftersales.OrderShipped), false, aftersales.OrderShipped},
		{"paid, as a higher version reusing the shipped event's id", func() *aftersales.Order {
			o := snapshot("o9", 3, aftersales.OrderPaid)
			o.EventID = snapshot("o9", 2, aftersales.OrderShipped).EventID
			return o
		}(), false, aftersales.OrderShipped},
	}
	for _, st := range steps {
		stored, err := svc.Orders.PutOrder(t.Context(), st.offer)
		if err != nil || stored != st.stored {
			t.Errorf("%s: stored %v, %v; want stored %v and no error", st.name, stored, err, st.stored)
		}
		o, err := svc.Workflow.Orders.GetOrder(t.Context(), "o9")
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != st.want {
			t.Errorf("%s: the order is %s, want %s", st.name, o.Status, st.want)
		}
	}
	if _, err := svc.Orders.PutOrder(t.Context(), snapshot("o8", 1, aftersales.OrderPaid)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		order  string
		rule   string
		status aftersales.Status
	}{
		{"the control order, never shipped", "o8", "unshipped-refund", aftersales.StatusRefunding},
		{"the shipped order after the stale paid snapshot", "o9", "admin-above-500", aftersales.StatusPendingReview},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, status := decidedBy(t, svc, tt.order)
			if rule != tt.rule || status != tt.status {
				t.Fatalf("decided by rule %q, now %s; want rule %q, %s", rule, status, tt.rule, tt.status)
			}
		})
	}
}

// TestSnapshotWithoutVersionRefused: the version is what orders the mall's
// snapshots, so one without it (or without its event id) is invalid and
// names the field; nothing is stored.
func TestSnapshotWithoutVersionRefused(t *testing.T) {
	svc, _ := newService(t)
	tests := []struct {
		name  string
		edit  func(o *aftersales.Order)
		field string
	}{
		{"no version", func(o *aftersales.Order) { o.Version = 0 }, "version"},
		{"a negative version", func(o *aftersales.Order) { o.Version = -1 }, "version"},
		{"a version past 2^53-1", func(o *aftersales.Order) { o.Version = 1 << 53 }, "version"},
		{"no event id", func(o *aftersales.Order) { o.EventID = "" }, "event_id"},
		{"an event id over 128 bytes", func(o *aftersales.Order) { o.EventID = strings.Repeat("e", 129) }, "event_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := snapshot("o7", 1, aftersales.OrderPaid)
			tt.edit(o)
			stored, err := svc.Orders.PutOrder(t.Context(), o)
			fields := aftersales.FieldsOf(err)
			if stored || aftersales.KindOf(err) != aftersales.KindInvalid || len(fields) != 1 || fields[0].Field != tt.field {
				t.Fatalf("stored %v, %v; want invalid %s", stored, err, tt.field)
			}
			if _, err := svc.Workflow.Orders.GetOrder(t.Context(), "o7"); aftersales.KindOf(err) != aftersales.KindNotFound {
				t.Fatalf("an invalid snapshot was stored: %v", err)
			}
		})
	}
}
