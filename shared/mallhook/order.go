package mallhook

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// OrderJSON is the order snapshot as the mall sends it (docs/API.md).
type OrderJSON struct {
	OrderID     string     `json:"order_id"`
	Version     int64      `json:"version"`
	EventID     string     `json:"event_id"`
	BuyerID     string     `json:"buyer_id"`
	BuyerPhone  string     `json:"buyer_phone,omitempty"`
	ShopID      string     `json:"shop_id,omitempty"`
	Status      string     `json:"status"`
	PaidAt      *time.Time `json:"paid_at"`
	ShippedAt   *time.Time `json:"shipped_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
	// Shipment is the parcel carrying the goods to the buyer, once
	// shipped: what an interception stops (F30). Optional.
	Shipment   *ShipmentJSON `json:"shipment,omitempty"`
	Currency   string        `json:"currency"`
	Payment    PaymentJSON   `json:"payment"`
	MemberTier string        `json:"member_tier,omitempty"`
	// Language, BuyerOpenID and NotifyChannels say how to tell the buyer
	// (F6): in which language, to which mini-program openid, on which
	// channels (none listed: every channel the merchant enables).
	Language       string     `json:"language,omitempty"`
	BuyerOpenID    string     `json:"buyer_openid,omitempty"`
	NotifyChannels []string   `json:"notify_channels,omitempty"`
	Lines          []LineJSON `json:"lines"`
	Fees           FeesJSON   `json:"fees"`
	// Presale is how a presale order was paid (F19): the deposit, and the
	// balance once paid, each its own payment.
	Presale *PresaleJSON `json:"presale,omitempty"`
}

// ShipmentJSON is an order's outbound parcel: the courier's Kuaidi100 code
// (or a common name such as "sf", normalised) and the tracking number.
type ShipmentJSON struct {
	Courier        string `json:"courier"`
	TrackingNumber string `json:"tracking_number"`
}

// PresaleJSON are the two payments of a presale order.
type PresaleJSON struct {
	Deposit StageJSON  `json:"deposit"`
	Balance *StageJSON `json:"balance,omitempty"`
}

// StageJSON is one payment of a presale order.
type StageJSON struct {
	Channel       string     `json:"channel"`
	TransactionID string     `json:"transaction_id"`
	Amount        int64      `json:"amount"`
	PaidAt        *time.Time `json:"paid_at"`
}

// PaymentJSON is the payment of an order snapshot.
type PaymentJSON struct {
	Channel       string `json:"channel"`
	TransactionID string `json:"transaction_id"`
	Amount        int64  `json:"amount"`
}

// LineJSON is one line of an order snapshot.
type LineJSON struct {
	LineID     string `json:"line_id"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Category   string `json:"category,omitempty"`
	Bundle     string `json:"bundle,omitempty"`
	Redeemed   bool   `json:"redeemed,omitempty"`
	Quantity   int    `json:"quantity"`
	UnitPrice  int64  `json:"unit_price"`
	PaidAmount int64  `json:"paid_amount"`
	// Discount is the part of the order's discounts the mall allocated to
	// the line: paid_amount is quantity × unit_price less it.
	Discount int64 `json:"discount,omitempty"`
}

// FeesJSON are the order-level fees of a snapshot.
type FeesJSON struct {
	Shipping int64 `json:"shipping"`
	Tariff   int64 `json:"tariff"`
}

// DecodeOrder parses and validates a snapshot, naming every invalid field.
func DecodeOrder(body []byte) (*aftersales.Order, error) {
	var in OrderJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var v aftersales.Validation
		v.Add("body", "is not an order snapshot: %v", err)
		return nil, v.Err("mallhook.decode")
	}
	o := in.Order()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return o, nil
}

// Order converts the snapshot to the domain type.
func (in OrderJSON) Order() *aftersales.Order {
	o := &aftersales.Order{
		ID: in.OrderID, Version: in.Version, EventID: in.EventID, BuyerID: in.BuyerID, BuyerPhone: in.BuyerPhone, ShopID: in.ShopID,
		Status: aftersales.OrderStatus(in.Status), PaidAt: deref(in.PaidAt), ShippedAt: deref(in.ShippedAt),
		DeliveredAt: deref(in.DeliveredAt), Currency: in.Currency, MemberTier: in.MemberTier,
		Payment:  aftersales.Payment{Channel: aftersales.PaymentChannel(in.Payment.Channel), TransactionID: in.Payment.TransactionID, Amount: in.Payment.Amount},
		Fees:     aftersales.Fees{Shipping: in.Fees.Shipping, Tariff: in.Fees.Tariff},
		Language: in.Language, BuyerOpenID: in.BuyerOpenID,
	}
	if sh := in.Shipment; sh != nil {
		o.Outbound = &aftersales.Shipment{Courier: aftersales.CourierCode(sh.Courier), TrackingNumber: sh.TrackingNumber}
	}
	for _, ch := range in.NotifyChannels {
		o.NotifyChannels = append(o.NotifyChannels, aftersales.Channel(ch))
	}
	if p := in.Presale; p != nil {
		o.Presale = &aftersales.Presale{Deposit: p.Deposit.payment(), DepositPaidAt: deref(p.Deposit.PaidAt)}
		if p.Balance != nil {
			o.Presale.Balance, o.Presale.BalancePaidAt = p.Balance.payment(), deref(p.Balance.PaidAt)
		}
	}
	for _, l := range in.Lines {
		o.Lines = append(o.Lines, aftersales.OrderLine{LineID: l.LineID, SKU: l.SKU, Name: l.Name,
			Kind: aftersales.LineKind(l.Kind), Category: l.Category, Bundle: l.Bundle, Redeemed: l.Redeemed, Quantity: l.Quantity,
			UnitPrice: l.UnitPrice, PaidAmount: l.PaidAmount, Discount: l.Discount})
	}
	return o
}

// FromOrder converts a domain order to the mall's wire shape.
func FromOrder(o *aftersales.Order) OrderJSON {
	out := OrderJSON{
		OrderID: o.ID, Version: o.Version, EventID: o.EventID, BuyerID: o.BuyerID, BuyerPhone: o.BuyerPhone, ShopID: o.ShopID, Status: string(o.Status),
		PaidAt: ptr(o.PaidAt), ShippedAt: ptr(o.ShippedAt), DeliveredAt: ptr(o.DeliveredAt), Currency: o.Currency,
		Payment:    PaymentJSON{string(o.Payment.Channel), o.Payment.TransactionID, o.Payment.Amount},
		MemberTier: o.MemberTier, Fees: FeesJSON{o.Fees.Shipping, o.Fees.Tariff},
		Language: o.Language, BuyerOpenID: o.BuyerOpenID,
	}
	if sh := o.Outbound; sh != nil {
		out.Shipment = &ShipmentJSON{Courier: sh.Courier, TrackingNumber: sh.TrackingNumber}
	}
	for _, ch := range o.NotifyChannels {
		out.NotifyChannels = append(out.NotifyChannels, string(ch))
	}
	if p := o.Presale; p != nil {
		out.Presale = &PresaleJSON{Deposit: stageOf(p.Deposit, p.DepositPaidAt)}
		if p.BalancePaid() {
			b := stageOf(p.Balance, p.BalancePaidAt)
			out.Presale.Balance = &b
		}
	}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, LineJSON{l.LineID, l.SKU, l.Name, string(l.Kind), l.Category, l.Bundle, l.Redeemed, l.Quantity, l.UnitPrice, l.PaidAmount, l.Discount})
	}
	return out
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s StageJSON) payment() aftersales.Payment {
	return aftersales.Payment{Channel: aftersales.PaymentChannel(s.Channel), TransactionID: s.TransactionID, Amount: s.Amount}
}

func stageOf(p aftersales.Payment, at time.Time) StageJSON {
	return StageJSON{Channel: string(p.Channel), TransactionID: p.TransactionID, Amount: p.Amount, PaidAt: ptr(at)}
}
