package kuaidi100

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

// Couriers is the courier aggregator port on Kuaidi100.
type Couriers struct {
	Client *Client
	Salts  Salts
	// Callback is the webhook's URL (https://.../webhooks/kuaidi100).
	Callback string
}

var _ aftersales.Couriers = (*Couriers)(nil)

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
