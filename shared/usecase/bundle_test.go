package usecase_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// failingReturns is the memory store refusing to create return cases: the
// write of an application's own case failing after its component's.
type failingReturns struct {
	*memstore.Store
}

var errStoreDown = aftersales.E(aftersales.KindTransient, "test", "the store is down")

func (f failingReturns) CreateCase(ctx context.Context, c *aftersales.Case, idem *aftersales.IdempotencyRecord) error {
	if c.Type == aftersales.ReturnRefund {
		return errStoreDown
	}
	return f.Store.CreateCase(ctx, c, idem)
}

// TestSplitBundleAllOrNothing (F20): an application returning a phone and
// its insurance writes the insurance's case first; when the phone's case
// cannot be written the insurance's is cancelled again, its line free, so
// no part of the refused application stays open. With the store working,
// both cases are written, each naming the other.
func TestSplitBundleAllOrNothing(t *testing.T) {
	bundleOrder := &aftersales.Order{ID: "o2", Version: 1, EventID: "ev-o2-1", BuyerID: "b1", Status: aftersales.OrderDelivered, Currency: aftersales.CNY,
		ShippedAt: storetest.Epoch.Add(-48 * time.Hour), DeliveredAt: storetest.Epoch.Add(-24 * time.Hour),
		Payment: aftersales.Payment{Channel: aftersales.ChannelAlipay, Amount: 409800},
		Lines: []aftersales.OrderLine{
			{LineID: "ph", Name: "Phone", Kind: aftersales.KindPhysical, Bundle: "care", Quantity: 1, UnitPrice: 399900, PaidAmount: 399900},
			{LineID: "ins", Name: "Insurance", Kind: aftersales.KindVirtual, Bundle: "care", Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}}}
	application := aftersales.Application{OrderID: "o2", Type: aftersales.ReturnRefund, Reason: "no_reason_7_days",
		Lines: []aftersales.LineRequest{{LineID: "ph", Quantity: 1}, {LineID: "ins", Quantity: 1}}}
	tests := []struct {
		name string
		fail bool
	}{
		{"the phone's case is written: both stand", false},
		{"the phone's case cannot be written: the insurance's is cancelled", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := storetest.NewFakeClock(storetest.Epoch)
			store := memstore.New(clock)
			var cases aftersales.CaseStore = store
			if tc.fail {
				cases = failingReturns{store}
			}
			svc, _ := newServiceWith(t, usecase.Ports{Cases: cases, Orders: store, Idempotency: store, Refunds: store}, noBlobs{}, clock)
			if _, err := svc.Orders.PutOrder(t.Context(), bundleOrder); err != nil {
				t.Fatal(err)
			}
			res, err := svc.Cases.CreateCase(t.Context(), buyer, application, nil)
			page, lerr := store.ListCases(t.Context(), aftersales.CaseQuery{BuyerID: "b1", Limit: 10})
			if lerr != nil {
				t.Fatal(lerr)
			}
			o, _ := store.GetOrder(t.Context(), "o2")
			ins, _ := o.Line("ins")
			if tc.fail {
				if !errors.Is(err, errStoreDown) {
					t.Fatalf("create: %v, want the store's error", err)
				}
				if len(page.Items) != 1 || page.Items[0].Type != aftersales.RefundOnly || page.Items[0].Status != aftersales.StatusCancelled || ins.ActiveCaseID != "" {
					t.Errorf("after the failure: cases %+v, insurance held by %q; want one cancelled refund-only, the line free", page.Items, ins.ActiveCaseID)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			phone := res.Case
			if len(page.Items) != 2 || len(phone.Components) != 1 || ins.ActiveCaseID != phone.Components[0] || phone.Requested != 399900 {
				t.Fatalf("cases %+v, phone %+v, insurance held by %q", page.Items, phone, ins.ActiveCaseID)
			}
			part, err := store.GetCase(t.Context(), phone.Components[0])
			if err != nil || part.Requested != 9900 || len(part.Components) != 1 || part.Components[0] != phone.ID || part.Bundle != "care" {
				t.Errorf("insurance case %+v %v", part, err)
			}
		})
	}
}
