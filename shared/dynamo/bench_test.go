package dynamo_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/storetest"
)

// BenchmarkCreateCase measures one CreateCase (one TransactWriteItems with
// an idempotency record) through the real SDK client against minidyn in
// server mode, HTTP on loopback included. allocs/op counts both sides: the
// emulator runs in the benchmark's process.
//
// minidyn copies the whole table to roll back a transaction, so the cost of
// a transaction grows with the table; the table is replaced every perTable
// cases (timer stopped) to keep the figures comparable, and the "stored"
// variant shows the effect of a fuller table. BenchmarkCreateCaseStub gives
// the adapter's and the SDK's share alone.
func BenchmarkCreateCase(b *testing.B) {
	const perTable = 64
	benches := []struct {
		name   string
		lines  int
		stored int // cases already in the table
	}{
		{"1 line", 1, 0},
		{"3 lines", 3, 0},
		{"1 line, 1000 cases stored", 1, 1000},
	}
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			d := dynamo.StartMinidyn(b)
			client := d.Client()
			clock := storetest.NewFakeClock(storetest.Epoch)
			var (
				s     *dynamo.Store
				table string
				cases []*aftersales.Case
			)
			// fresh makes a table holding bc.stored cases plus perTable
			// orders whose lines are free, and the cases to create on them.
			fresh := func() {
				if table != "" {
					if _, err := client.DeleteTable(b.Context(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
						b.Fatal(err)
					}
				}
				table = dynamo.NewTable(b, client)
				s = dynamo.New(client, table, dynamo.WithClock(clock))
				mk := func(i int) *aftersales.Case {
					o := &aftersales.Order{ID: fmt.Sprintf("o-%d", i), BuyerID: fmt.Sprintf("b-%d", i%50), ShopID: "main",
						Status: aftersales.OrderDelivered, Currency: aftersales.CNY}
					c := &aftersales.Case{ID: fmt.Sprintf("as_%08d", i), OrderID: o.ID, BuyerID: o.BuyerID, ShopID: "main",
						Type: aftersales.RefundOnly, Reason: "wrong_item", Currency: aftersales.CNY, RefundTo: aftersales.RefundOriginal,
						CreatedAt: storetest.Epoch.Add(time.Duration(i) * time.Second)}
					for j := range bc.lines {
						l := aftersales.OrderLine{LineID: fmt.Sprintf("l%d", j), SKU: "SKU", Name: "T-shirt", Kind: aftersales.KindPhysical,
							Category: "apparel", Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}
						o.Lines = append(o.Lines, l)
						c.Lines = append(c.Lines, aftersales.CaseLine{LineID: l.LineID, SKU: l.SKU, Name: l.Name, Kind: l.Kind,
							Category: l.Category, Quantity: 1, Amount: 9900})
						c.Requested += 9900
					}
					if err := s.PutOrder(b.Context(), o); err != nil {
						b.Fatal(err)
					}
					if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: "buyer:" + c.BuyerID, At: c.CreatedAt}); err != nil {
						b.Fatal(err)
					}
					return c
				}
				for i := range bc.stored {
					if err := s.CreateCase(b.Context(), mk(-1-i), nil); err != nil {
						b.Fatal(err)
					}
				}
				cases = cases[:0]
				for i := range perTable {
					cases = append(cases, mk(i))
				}
			}
			i := 0
			for b.Loop() {
				if i%perTable == 0 {
					b.StopTimer()
					fresh()
					b.StartTimer()
				}
				c := cases[i%perTable]
				rec := &aftersales.IdempotencyRecord{Scope: c.BuyerID, Key: c.ID, RequestHash: "h", CaseID: c.ID, StatusCode: 201,
					Response: []byte(`{"id":"` + c.ID + `"}`), CreatedAt: c.CreatedAt, ExpiresAt: c.CreatedAt.Add(aftersales.IdempotencyTTL)}
				if err := s.CreateCase(b.Context(), c, rec); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkCreateCaseStub measures CreateCase against an endpoint that
// accepts every transaction at once: what the adapter and the SDK cost
// (building the items, serialising, signing, one loopback round trip),
// without minidyn's work.
func BenchmarkCreateCaseStub(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials:                     credentials.NewStaticCredentialsProvider("local", "local", ""),
		DisableValidateResponseChecksum: true,
	})
	s := dynamo.New(client, "aftersales")
	c := &aftersales.Case{ID: "as_01JD", OrderID: "o-1", BuyerID: "b-1", ShopID: "main", Type: aftersales.RefundOnly,
		Reason: "wrong_item", Currency: aftersales.CNY, RefundTo: aftersales.RefundOriginal, Requested: 9900, CreatedAt: storetest.Epoch,
		Lines: []aftersales.CaseLine{{LineID: "l1", SKU: "SKU", Name: "T-shirt", Kind: aftersales.KindPhysical, Category: "apparel", Quantity: 1, Amount: 9900}}}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: "buyer:b-1", At: c.CreatedAt}); err != nil {
		b.Fatal(err)
	}
	rec := &aftersales.IdempotencyRecord{Scope: "b-1", Key: "k", RequestHash: "h", CaseID: c.ID, StatusCode: 201,
		Response: []byte(`{"id":"as_01JD"}`), CreatedAt: c.CreatedAt, ExpiresAt: c.CreatedAt.Add(aftersales.IdempotencyTTL)}
	for b.Loop() {
		if err := s.CreateCase(b.Context(), c, rec); err != nil {
			b.Fatal(err)
		}
	}
}
