package kuaidi100

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Salts makes the salt of each subscription: HMAC-SHA256 under the
// merchant's salt key of the case and the subscription's reference (the
// waybill number), so every parcel has its own salt, the webhook verifies a
// push without reading anything stored, and nobody without the key can sign
// a push for any parcel.
type Salts struct{ Key []byte }

// Of is the salt of the subscription ref of case caseID.
func (s Salts) Of(caseID, ref string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("kuaidi100\x00" + caseID + "\x00" + ref))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// CallbackURL is the webhook URL of the subscription ref of case caseID:
// the provider posts back to it, and its query names the salt to verify
// with.
func CallbackURL(base, caseID, ref string) string {
	return base + "?" + url.Values{"case": {caseID}, "ref": {ref}}.Encode()
}

// PickupRef is the subscription reference of a case's pickup: its order's
// callbacks and its waybill's pushes are signed with the salt of it (the
// provider signs both with the order's one salt).
const PickupRef = "pickup"

// InterceptRef is the subscription reference of a case's interception:
// its result callback (?kind=intercept) is signed with the salt of it.
const InterceptRef = "intercept"

// Warehouse is where returns are sent: the merchant's return address.
type Warehouse struct {
	Name, Mobile, Address string
}

// Couriers is the courier aggregator port on Kuaidi100.
type Couriers struct {
	Client *Client
	Salts  Salts
	// Callback is the webhook's URL (https://.../webhooks/kuaidi100).
	Callback string
	// Warehouse receives the pickups.
	Warehouse Warehouse
}

var (
	_ aftersales.Couriers    = (*Couriers)(nil)
	_ aftersales.Interceptor = (*Couriers)(nil)
)

// Recognize returns the courier codes number may belong to.
func (c *Couriers) Recognize(ctx context.Context, number string) ([]string, error) {
	cs, err := c.Client.Recognize(ctx, number)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(cs))
	for _, x := range cs {
		out = append(out, x.Company)
	}
	return out, nil
}

// Track subscribes a case's return parcel, its pushes signed with the
// parcel's own salt.
func (c *Couriers) Track(ctx context.Context, caseID string, sh aftersales.Shipment, phone string) error {
	return c.Client.Subscribe(ctx, Subscription{Company: sh.Courier, Number: sh.TrackingNumber, Phone: phone,
		CallbackURL: CallbackURL(c.Callback, caseID, sh.TrackingNumber), Salt: c.Salts.Of(caseID, sh.TrackingNumber)})
}

// Book books a C-end pickup from the buyer's address to the warehouse; the
// order's callbacks (?kind=order) and its waybill's tracking come back to
// the webhook signed with the case's pickup salt.
func (c *Couriers) Book(ctx context.Context, caseID string, r aftersales.PickupRequest, buyerName, buyerPhone string) (aftersales.Pickup, error) {
	salt := c.Salts.Of(caseID, PickupRef)
	b, err := c.Client.Book(ctx, PickupOrder{Company: r.Courier, SenderName: buyerName, SenderMobile: buyerPhone, SenderAddress: r.Address,
		RecipientName: c.Warehouse.Name, RecipientMobile: c.Warehouse.Mobile, RecipientAddress: c.Warehouse.Address,
		Cargo: "退货", Remark: "售后 " + caseID, WindowStart: r.WindowStart, WindowEnd: r.WindowEnd,
		CallbackURL: CallbackURL(c.Callback, caseID, PickupRef) + "&kind=order", Salt: salt,
		PollCallbackURL: CallbackURL(c.Callback, caseID, PickupRef)})
	var e *Error
	switch {
	case errors.As(err, &e) && !e.Temporary():
		// The courier does not serve the address or the window.
		return aftersales.Pickup{}, aftersales.Invalid("case.pickup", "address", "the courier %s refused the pickup: %s", r.Courier, e.Message)
	case err != nil:
		return aftersales.Pickup{}, aftersales.Wrap(aftersales.KindTransient, "case.pickup", err)
	}
	return aftersales.Pickup{OrderID: b.OrderID, TaskID: b.TaskID, Courier: r.Courier, Address: r.Address,
		WindowStart: r.WindowStart.UTC(), WindowEnd: r.WindowEnd.UTC(), Status: aftersales.PickupBooked}, nil
}

// Intercept asks the courier to send the order's parcel sh back to the
// sender (the merchant), its outcome called back to the webhook signed
// with the case's interception salt and naming the case as its order id.
func (c *Couriers) Intercept(ctx context.Context, caseID string, sh aftersales.Shipment, reason string) (string, error) {
	task, err := c.Client.Intercept(ctx, Interception{Company: sh.Courier, Number: sh.TrackingNumber, Reason: reason, OrderID: caseID,
		CallbackURL: CallbackURL(c.Callback, caseID, InterceptRef) + "&kind=intercept", Salt: c.Salts.Of(caseID, InterceptRef)})
	var e *Error
	switch {
	case errors.As(err, &e) && !e.Temporary():
		// Refused (a courier that does not intercept, a number it does
		// not know): the caller refunds as if there were nothing to stop.
		return "", aftersales.E(aftersales.KindInvalid, "case.intercept", "the courier refused the interception: "+e.Message)
	case err != nil:
		return "", aftersales.Wrap(aftersales.KindTransient, "case.intercept", err)
	}
	return task, nil
}
