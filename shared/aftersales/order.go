package aftersales

import (
	"fmt"
	"time"
)

// OrderStatus is the mall's status of an order when its snapshot was taken.
type OrderStatus string

// The order statuses the mall sends.
const (
	OrderPaid      OrderStatus = "paid"
	OrderShipped   OrderStatus = "shipped"
	OrderDelivered OrderStatus = "delivered"
	OrderCompleted OrderStatus = "completed"
)

// LineKind is the kind of product on an order line; rules and flows differ by kind.
type LineKind string

// The line kinds of the mall.
const (
	KindPhysical    LineKind = "physical"
	KindVirtual     LineKind = "virtual"
	KindProduce     LineKind = "produce"
	KindAppliance   LineKind = "appliance"
	KindCrossBorder LineKind = "cross_border"
	KindPresale     LineKind = "presale"
)

// PaymentChannel is how the buyer paid, and so where an original-route refund goes.
type PaymentChannel string

// The payment channels.
const (
	ChannelWeChatPay PaymentChannel = "wechatpay"
	ChannelAlipay    PaymentChannel = "alipay"
	ChannelBankCard  PaymentChannel = "bankcard"
	ChannelBalance   PaymentChannel = "balance"
)

var (
	orderStatuses = set(OrderPaid, OrderShipped, OrderDelivered, OrderCompleted)
	lineKinds     = set(KindPhysical, KindVirtual, KindProduce, KindAppliance, KindCrossBorder, KindPresale)
	channels      = set(ChannelWeChatPay, ChannelAlipay, ChannelBankCard, ChannelBalance)
)

// Payment is the buyer's payment for the whole order.
type Payment struct {
	Channel       PaymentChannel
	TransactionID string
	Amount        int64
}

// Fees are order-level charges outside the lines (refundable in some flows,
// e.g. tariff when customs clearance fails).
type Fees struct {
	Shipping int64
	Tariff   int64
}

// OrderLine is one product line of an order with its after-sales ledger.
// Refunded and ActiveCaseID are ours, not the mall's: the mall's snapshot
// updates never overwrite them.
type OrderLine struct {
	LineID     string
	SKU        string
	Name       string
	Kind       LineKind
	Category   string
	Bundle     string // groups the components of a bundle (phone + screen insurance); empty otherwise
	Redeemed   bool   // virtual goods: the coupon code or membership has been used (F18)
	Quantity   int
	UnitPrice  int64
	PaidAmount int64
	// Discount is the part of the order's discounts the mall allocated to
	// the line (coupons, store-wide offers): PaidAmount is the list price
	// less it. 0 when the mall sends none.
	Discount int64

	// Refunded is the sum of refunds executed or under way on this line.
	Refunded int64
	// ActiveCaseID is the case that currently holds the line, if any: a line
	// has at most one active case at a time.
	ActiveCaseID string
}

// Order is the snapshot of a mall order that cases are raised against.
type Order struct {
	ID string
	// Version orders the mall's snapshots of one order: the mall raises it
	// with every change of the order, so a snapshot whose version is not
	// higher than the stored one's is a replay or a late retry and is
	// ignored (see Supersedes). Zero only on snapshots stored before the
	// mall sent versions.
	Version int64
	// EventID is the mall's id of the event that carried the snapshot; a
	// redelivery of the event carries the same id.
	EventID     string
	BuyerID     string
	BuyerPhone  string
	ShopID      string
	Status      OrderStatus
	PaidAt      time.Time
	ShippedAt   time.Time // zero when not shipped
	DeliveredAt time.Time // zero when not delivered
	// Outbound is the parcel that carries the goods to the buyer (courier
	// and tracking number), nil when not shipped or not told: what an
	// interception stops (F30).
	Outbound   *Shipment
	Currency   string
	Payment    Payment
	MemberTier string
	// Language is the buyer's language for notifications (LangZhCN or
	// LangEN); empty means LangZhCN, the mall's default.
	Language string
	// BuyerOpenID is the buyer's openid in the merchant's WeChat
	// mini-program: the addressee of subscribe messages. Empty: no WeChat.
	BuyerOpenID string
	// NotifyChannels are the channels the buyer agreed to be told on;
	// nil means every channel the merchant enables.
	NotifyChannels []Channel
	Lines          []OrderLine
	Fees           Fees
	// Presale is how a presale order was paid (deposit, balance), nil for
	// any other order (F19).
	Presale *Presale
	// FeeLedger is ours, like a line's Refunded: the order's fees as
	// ledger lines (FeeLines) with what was refunded of each, filled by
	// the stores on read; empty for an order without fees.
	FeeLedger []OrderLine
	UpdatedAt time.Time
}

// Line returns the line with the given id.
func (o *Order) Line(id string) (*OrderLine, bool) {
	for i := range o.Lines {
		if o.Lines[i].LineID == id {
			return &o.Lines[i], true
		}
	}
	return nil, false
}

// Refundable is what a case may still claim for quantity units of the line:
// the paid amount pro rata to quantity, capped by what is left after earlier
// refunds. A line held by an active case has nothing refundable for another.
func (l *OrderLine) Refundable(quantity int) int64 {
	if l.ActiveCaseID != "" {
		return 0
	}
	return min(ProRata(l.PaidAmount, quantity, l.Quantity), max(l.PaidAmount-l.Refunded, 0))
}

// Limits of a snapshot's ordering fields.
const (
	// MaxOrderVersion is the largest version a snapshot may carry: 2^53-1,
	// the largest integer every JSON reader (JavaScript's included) holds
	// exactly, so the mall's tools and ours never round two versions into
	// one.
	MaxOrderVersion = 1<<53 - 1
	// MaxEventIDLen bounds the mall's event id, in bytes.
	MaxEventIDLen = 128
)

// Supersedes reports whether snapshot o may replace stored, the snapshot of
// the same order already stored: only a later version, carried by another
// event. Anything else is a replay or a delivery that arrived after a later
// change, and storing it would turn the order back (a shipped order paid
// again, and so refundable in full without review). A snapshot stored
// before the mall sent versions has version 0, which every valid snapshot
// supersedes; an empty event id names no event, so it repeats none. Stores
// apply this rule in the same step as the write (see OrderStore.PutOrder).
func (o *Order) Supersedes(stored *Order) bool {
	return o.Version > stored.Version && (o.EventID == "" || o.EventID != stored.EventID)
}

// Validate checks a snapshot as received from the mall, naming every invalid
// field by its JSON path.
func (o *Order) Validate() error {
	var v Validation
	v.Check(o.ID != "", "order_id", "is required")
	switch {
	case o.Version == 0:
		v.Add("version", "is required: a positive integer the mall raises with every change of the order")
	case o.Version < 0 || o.Version > MaxOrderVersion:
		v.Add("version", "must be between 1 and %d", int64(MaxOrderVersion))
	}
	if v.Check(o.EventID != "", "event_id", "is required") {
		v.Check(len(o.EventID) <= MaxEventIDLen, "event_id", "must be at most %d bytes", MaxEventIDLen)
	}
	v.Check(o.BuyerID != "", "buyer_id", "is required")
	v.Check(orderStatuses[o.Status], "status", "must be one of paid, shipped, delivered, completed")
	v.Check(len(o.Currency) == 3, "currency", "must be an ISO 4217 code such as CNY")
	v.Check(o.Language == "" || Languages[o.Language], "language", "must be one of zh-CN, en")
	for i, ch := range o.NotifyChannels {
		v.Check(ch == ChannelWeChat || ch == ChannelSMS, fmt.Sprintf("notify_channels[%d]", i), "must be one of wechat, sms")
	}
	if sh := o.Outbound; sh != nil {
		v.Check(sh.Courier != "" && len(sh.Courier) <= 40, "shipment.courier", "is required with a shipment (a courier code such as zhongtong), at most 40 bytes")
		v.Check(sh.TrackingNumber != "" && len(sh.TrackingNumber) <= 40, "shipment.tracking_number", "is required with a shipment, at most 40 bytes")
	}
	v.Check(channels[o.Payment.Channel], "payment.channel", "must be one of wechatpay, alipay, bankcard, balance")
	checkAmount(&v, "payment.amount", o.Payment.Amount)
	checkAmount(&v, "fees.shipping", o.Fees.Shipping)
	checkAmount(&v, "fees.tariff", o.Fees.Tariff)
	v.Check(len(o.Lines) > 0, "lines", "must list at least one line")
	seen := map[string]bool{}
	var total int64
	for i, l := range o.Lines {
		p := fmt.Sprintf("lines[%d]", i)
		if v.Check(l.LineID != "", p+".line_id", "is required") {
			v.Check(!seen[l.LineID], p+".line_id", "repeats %q", l.LineID)
			v.Check(!IsFeeAccount(l.LineID), p+".line_id", "must not start with %q: such ids name the order's fee accounts", feePrefix)
			seen[l.LineID] = true
		}
		v.Check(lineKinds[l.Kind], p+".kind", "must be one of physical, virtual, produce, appliance, cross_border, presale")
		v.Check(l.Quantity >= 1 && l.Quantity <= MaxLineQuantity, p+".quantity", "must be between 1 and %d", MaxLineQuantity)
		checkAmount(&v, p+".unit_price", l.UnitPrice)
		checkAmount(&v, p+".paid_amount", l.PaidAmount)
		if l.Discount != 0 && v.Check(l.Discount > 0 && l.Discount <= MaxAmount, p+".discount", "must be between 0 and %d (minor units)", MaxAmount) &&
			l.Quantity >= 1 && l.Quantity <= MaxLineQuantity && l.UnitPrice >= 0 && l.UnitPrice <= MaxAmount {
			// Both factors are bounded, so the list price cannot overflow.
			list := l.UnitPrice * int64(l.Quantity)
			v.Check(l.PaidAmount+l.Discount == list, p+".discount", "plus paid_amount (%d) must be the list price, quantity × unit_price (%d)", l.PaidAmount, list)
		}
		// Capped so that no number of lines can wrap the sum around; a
		// capped sum is above any valid payment, which is what matters.
		total = min(total+min(max(l.PaidAmount, 0), MaxAmount), MaxAmount+1)
	}
	v.Check(total <= o.Payment.Amount, "payment.amount", "is less than the lines' paid amounts (%d)", total)
	feesValid := o.Fees.Shipping >= 0 && o.Fees.Shipping <= MaxAmount && o.Fees.Tariff >= 0 && o.Fees.Tariff <= MaxAmount
	if fees := o.Fees.Shipping + o.Fees.Tariff; feesValid && total <= o.Payment.Amount && fees > 0 {
		// The fee accounts are refundable too (issue 17), so what was paid
		// must cover them as well: otherwise lines and fees together could
		// be refunded beyond the payment.
		v.Check(total+fees <= o.Payment.Amount, "payment.amount", "is less than the lines' paid amounts and the fees (%d)", total+fees)
	}
	validatePresale(&v, o)
	return v.Err("order.validate")
}

// MaxLineQuantity bounds the units of one order line: a million, beyond
// any consumer order, so that counts of units stay far from overflow.
const MaxLineQuantity = 1_000_000

// checkAmount records field as invalid unless amount is between 0 and
// MaxAmount.
func checkAmount(v *Validation, field string, amount int64) {
	v.Check(amount >= 0 && amount <= MaxAmount, field, "must be between 0 and %d (minor units)", MaxAmount)
}

func set[T comparable](vs ...T) map[T]bool {
	m := make(map[T]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}
