package dynamo

import (
	"errors"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// TestBookTellsChangedPaidFromFullLine: when a line's condition fails, the
// old item returned with the cancellation tells a paid amount that changed
// after it was read (BeginRefund reads again and retries) from a refund that
// does not fit (ErrOverRefund). The conformance suite cannot make a snapshot
// land between the read and the transaction, so book is given the stale
// paid amounts directly.
func TestBookTellsChangedPaidFromFullLine(t *testing.T) {
	s := newTestStore(t)
	o := &aftersales.Order{ID: "o-1", Lines: []aftersales.OrderLine{{LineID: "l1", Quantity: 1, PaidAmount: 9900}}}
	if err := s.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		paid    int64 // what book is told was read
		share   int64
		wantErr func(error) bool
	}{
		{"paid read before the mall raised it", 5000, 6000, func(err error) bool { return errors.Is(err, errPaidChanged) }},
		{"paid read before the mall lowered it", 12000, 100, func(err error) bool { return errors.Is(err, errPaidChanged) }},
		{"paid as read, share too big", 9900, 9901, func(err error) bool { return errors.Is(err, aftersales.ErrOverRefund) }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &aftersales.Refund{OutRefundNo: aftersales.OutRefundNo("as_1", i+1), CaseID: "as_1", OrderID: "o-1",
				Amount: aftersales.Money{Amount: tc.share}, Shares: map[string]int64{"l1": tc.share}, Status: aftersales.RefundRequested}
			shares, err := r.Bookings("test", maxTransaction-1)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.book(t.Context(), "test", r, shares, map[string]int64{"l1": tc.paid}); !tc.wantErr(err) {
				t.Fatalf("book: unexpected %v", err)
			}
			if _, err := s.GetRefund(t.Context(), "as_1", r.OutRefundNo); !errors.Is(err, aftersales.ErrNotFound) {
				t.Fatalf("a refused booking stored its refund: %v", err)
			}
		})
	}
	// BeginRefund itself reads the paid amount again and books.
	r := &aftersales.Refund{OutRefundNo: "as_1-9", CaseID: "as_1", OrderID: "o-1",
		Amount: aftersales.Money{Amount: 9900}, Shares: map[string]int64{"l1": 9900}, Status: aftersales.RefundRequested}
	if err := s.BeginRefund(t.Context(), r); err != nil {
		t.Fatalf("begin: %v", err)
	}
}
