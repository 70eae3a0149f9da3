package mallhook

import (
	"encoding/json"
	"math/big"
	"reflect"
	"testing"
)

// FuzzSnapshot posts any body, correctly signed, as the mall's order
// event: the fuzzer explores what a snapshot may say, past the signature.
// Never a 5xx; a refusal stores nothing; a stored snapshot is one the
// domain accepts, whose lines' paid amounts (summed without overflow) fit in
// what the buyer paid, and which survives the wire shape unchanged.
func FuzzSnapshot(f *testing.F) {
	f.Add([]byte(orderBody))
	f.Add([]byte(`{"order_id":"o-1","buyer_id":"b-1","status":"paid","currency":"CNY","payment":{"channel":"alipay","amount":1},
		"lines":[{"line_id":"l1","kind":"physical","quantity":1,"paid_amount":9223372036854775807},
		         {"line_id":"l2","kind":"physical","quantity":1,"paid_amount":9223372036854775807}]}`))
	f.Add([]byte(`{"order_id":"o-1","lines":[{"line_id":"l1","quantity":-1,"unit_price":-5}],"extra":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		orders := &fakeOrders{}
		rec := serve(&Handler{Secret: secret, Orders: orders, Clock: fixedClock(now)}, signedRequest(body, secret, now))
		if rec.Code >= 500 {
			t.Fatalf("status %d for a signed body: %s", rec.Code, rec.Body)
		}
		if rec.Code >= 300 {
			if len(orders.got) != 0 {
				t.Fatalf("a refused snapshot (%d) was stored", rec.Code)
			}
			return
		}
		if len(orders.got) != 1 {
			t.Fatalf("answered %d but stored %d snapshots", rec.Code, len(orders.got))
		}
		o := orders.got[0]
		if err := o.Validate(); err != nil {
			t.Fatalf("stored an invalid order: %v", err)
		}
		total := new(big.Int)
		for _, l := range o.Lines {
			if l.PaidAmount < 0 || l.UnitPrice < 0 || l.Quantity < 1 {
				t.Errorf("stored line %+v", l)
			}
			total.Add(total, big.NewInt(l.PaidAmount))
		}
		if total.Cmp(big.NewInt(o.Payment.Amount)) > 0 {
			t.Errorf("lines paid %s in all, more than the payment of %d", total, o.Payment.Amount)
		}
		wire, err := json.Marshal(FromOrder(o))
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeOrder(wire)
		if err != nil {
			t.Fatalf("the stored order's own wire shape is refused: %v\n%s", err, wire)
		}
		if !reflect.DeepEqual(again, o) {
			t.Errorf("wire round trip changed the order:\n got %+v\nwant %+v", again, o)
		}
	})
}
