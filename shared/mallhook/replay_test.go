package mallhook

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/orders"
)

// event is the body of the mall's event about order o-7 at version, in
// status, with one line paid as given.
func event(t *testing.T, version int64, status aftersales.OrderStatus, paid int64) []byte {
	t.Helper()
	o := &aftersales.Order{ID: "o-7", Version: version, EventID: "ev-" + string(status), BuyerID: "b-1", Status: status,
		PaidAt: now.Add(-time.Hour), Currency: aftersales.CNY,
		Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "4200007", Amount: paid},
		Lines:   []aftersales.OrderLine{{LineID: "l1", SKU: "s", Name: "n", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: paid, PaidAmount: paid}}}
	if status != aftersales.OrderPaid {
		o.ShippedAt = now.Add(-30 * time.Minute)
	}
	b, err := json.Marshal(FromOrder(o))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplayAndStaleness is the mall webhook's replay and staleness table
// (issue 13), against the real orders use case and the in-memory store: the
// events of one order arrive in turn, each signed at signedAt and received
// at receivedAt, and after each the stored order must be the one named. A
// replay inside the signature window and a late retry of an older version
// are acknowledged (204, or the mall would retry for ever) and change
// nothing; a signature outside the five-minute window is refused (401).
func TestReplayAndStaleness(t *testing.T) {
	paid := event(t, 1, aftersales.OrderPaid, 9900)
	shipped := event(t, 2, aftersales.OrderShipped, 9900)
	delivered := event(t, 3, aftersales.OrderDelivered, 9900)
	// The shipped event once more, with another event id and a higher
	// version but the same content: a new event, so it is stored.
	shippedAgain := []byte(strings.Replace(string(event(t, 4, aftersales.OrderShipped, 9900)), `"ev-shipped"`, `"ev-shipped-again"`, 1))
	noVersion := []byte(strings.Replace(string(event(t, 9, aftersales.OrderPaid, 100)), `"version":9,`, "", 1))

	steps := []struct {
		name       string
		body       []byte
		signedAt   time.Duration // from now
		receivedAt time.Duration // from now
		status     int
		field      string // the field a 422 names
		want       []byte // the event whose snapshot is stored afterwards
	}{
		{name: "paid", body: paid, status: http.StatusNoContent, want: paid},
		{name: "shipped", body: shipped, signedAt: time.Minute, receivedAt: time.Minute, status: http.StatusNoContent, want: shipped},
		{name: "shipped, the same request replayed within the window", body: shipped, signedAt: time.Minute, receivedAt: 5 * time.Minute,
			status: http.StatusNoContent, want: shipped},
		{name: "paid, the captured request replayed within the window", body: paid, receivedAt: 5 * time.Minute,
			status: http.StatusNoContent, want: shipped},
		{name: "paid, a mall retry signed anew and delivered late", body: paid, signedAt: 10 * time.Minute, receivedAt: 10 * time.Minute,
			status: http.StatusNoContent, want: shipped},
		{name: "paid, captured and replayed outside the window", body: paid, receivedAt: 5*time.Minute + time.Second,
			status: http.StatusUnauthorized, want: shipped},
		{name: "no version", body: noVersion, signedAt: 11 * time.Minute, receivedAt: 11 * time.Minute,
			status: http.StatusUnprocessableEntity, field: "version", want: shipped},
		{name: "delivered", body: delivered, signedAt: 12 * time.Minute, receivedAt: 12 * time.Minute, status: http.StatusNoContent, want: delivered},
		{name: "shipped, delivered late after delivered", body: shipped, signedAt: 13 * time.Minute, receivedAt: 13 * time.Minute,
			status: http.StatusNoContent, want: delivered},
		{name: "a newer event with the same content", body: shippedAgain, signedAt: 14 * time.Minute, receivedAt: 14 * time.Minute,
			status: http.StatusNoContent, want: shippedAgain},
	}
	clock := storetest.NewFakeClock(now)
	store := memstore.New(clock)
	h := &Handler{Secret: secret, Orders: &orders.Service{Orders: store, Clock: clock}, Clock: clock}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clock.Set(now.Add(st.receivedAt))
			rec := serve(h, signedRequest(st.body, secret, now.Add(st.signedAt)))
			if rec.Code != st.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, st.status, rec.Body)
			}
			if st.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+st.field+`"`) {
				t.Errorf("the problem %s does not name %s", rec.Body, st.field)
			}
			want, err := DecodeOrder(st.want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.GetOrder(t.Context(), "o-7")
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != want.Version || got.EventID != want.EventID || got.Status != want.Status {
				t.Fatalf("stored version %d (%s, %s), want version %d (%s, %s)",
					got.Version, got.EventID, got.Status, want.Version, want.EventID, want.Status)
			}
		})
	}
}
