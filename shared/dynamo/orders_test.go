package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/storetest"
)

// failTransaction makes the n-th TransactWriteItems call from now on fail
// as a DynamoDB service error would, before it reaches the table.
type failTransaction struct{ calls, fail atomic.Int32 }

func (f *failTransaction) option(o *dynamodb.Options) {
	o.RetryMaxAttempts = 1
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("failTransaction",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if _, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && f.calls.Add(1) == f.fail.Load() {
					return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected"}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}

// TestPutOrderRetriedAfterPartialWrite: a snapshot of more than 99 lines
// takes two transactions; when the second fails, the first has written
// line items under the new version. The mall's retry of the same snapshot
// must be stored, not refused as not newer (a line item written by this
// version passes its own condition), and a replay after it must still be
// refused.
func TestPutOrderRetriedAfterPartialWrite(t *testing.T) {
	d := dynamo.StartMinidyn(t)
	var f failTransaction
	client := d.Client(f.option)
	s := dynamo.New(client, dynamo.NewTable(t, client), dynamo.WithClock(storetest.NewFakeClock(storetest.Epoch)))
	snapshot := func(version int64, paid int64) *aftersales.Order {
		o := &aftersales.Order{ID: "o-1", Version: version, EventID: fmt.Sprint("ev-", version), BuyerID: "b", Status: aftersales.OrderPaid,
			Currency: aftersales.CNY, Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, Amount: 120 * paid}}
		for i := range 120 {
			o.Lines = append(o.Lines, aftersales.OrderLine{LineID: fmt.Sprint("l", i), Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: paid, PaidAmount: paid})
		}
		return o
	}
	if err := s.PutOrder(t.Context(), snapshot(1, 500)); err != nil {
		t.Fatal(err)
	}

	f.calls.Store(0)
	f.fail.Store(2)
	if err := s.PutOrder(t.Context(), snapshot(2, 400)); aftersales.KindOf(err) != aftersales.KindTransient {
		t.Fatalf("the second transaction failed: got %v (kind %v), want Transient", err, aftersales.KindOf(err))
	}
	if got, err := s.GetOrder(t.Context(), "o-1"); err != nil || got.Version != 1 {
		t.Fatalf("after the failed put: %v, version %d; want version 1 still", err, got.Version)
	}
	if err := s.PutOrder(t.Context(), snapshot(2, 400)); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	got, err := s.GetOrder(t.Context(), "o-1")
	if err != nil || got.Version != 2 || got.Lines[0].PaidAmount != 400 || got.Lines[119].PaidAmount != 400 {
		t.Fatalf("after the retry: %v, %+v", err, got)
	}
	if err := s.PutOrder(t.Context(), snapshot(2, 400)); !errors.Is(err, aftersales.ErrOrderNotNewer) {
		t.Fatalf("a replay after the retry: %v, want ErrOrderNotNewer", err)
	}
}
