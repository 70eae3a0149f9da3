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

	// Refunded is the sum of refunds executed or under way on this line.
	Refunded int64
	// ActiveCaseID is the case that currently holds the line, if any: a line
	// has at most one active case at a time.
	ActiveCaseID string
}

// Order is the snapshot of a mall order that cases are raised against.
type Order struct {
	ID          string
	BuyerID     string
	BuyerPhone  string
	ShopID      string
	Status      OrderStatus
	PaidAt      time.Time
	ShippedAt   time.Time // zero when not shipped
	DeliveredAt time.Time // zero when not delivered
	Currency    string
	Payment     Payment
	MemberTier  string
	Lines       []OrderLine
	Fees        Fees
	UpdatedAt   time.Time
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

// Bounds of an order snapshot, far above any real order. They keep the
// arithmetic of money inside int64: the sum of every line (MaxOrderLines *
// MaxOrderAmount = 5e15) and the product of an amount and a quantity
// (MaxOrderAmount * MaxLineQuantity = 1e18) both fit.
const (
	MaxOrderAmount  = 1_000_000_000_000 // minor units: 10 billion CNY
	MaxOrderLines   = 5000
	MaxLineQuantity = 1_000_000
)

// Validate checks a snapshot as received from the mall, naming every invalid
// field by its JSON path.
func (o *Order) Validate() error {
	var v Validation
	v.Check(o.ID != "", "order_id", "is required")
	v.Check(o.BuyerID != "", "buyer_id", "is required")
	v.Check(orderStatuses[o.Status], "status", "must be one of paid, shipped, delivered, completed")
	v.Check(len(o.Currency) == 3, "currency", "must be an ISO 4217 code such as CNY")
	v.Check(channels[o.Payment.Channel], "payment.channel", "must be one of wechatpay, alipay, bankcard, balance")
	v.Check(o.Payment.Amount >= 0 && o.Payment.Amount <= MaxOrderAmount, "payment.amount", "must be between 0 and %d", MaxOrderAmount)
	v.Check(o.Fees.Shipping >= 0 && o.Fees.Shipping <= MaxOrderAmount, "fees.shipping", "must be between 0 and %d", MaxOrderAmount)
	v.Check(o.Fees.Tariff >= 0 && o.Fees.Tariff <= MaxOrderAmount, "fees.tariff", "must be between 0 and %d", MaxOrderAmount)
	v.Check(len(o.Lines) > 0 && len(o.Lines) <= MaxOrderLines, "lines", "must list between 1 and %d lines", MaxOrderLines)
	seen := map[string]bool{}
	var total int64
	for i, l := range o.Lines {
		p := fmt.Sprintf("lines[%d]", i)
		if v.Check(l.LineID != "", p+".line_id", "is required") {
			v.Check(!seen[l.LineID], p+".line_id", "repeats %q", l.LineID)
			seen[l.LineID] = true
		}
		v.Check(lineKinds[l.Kind], p+".kind", "must be one of physical, virtual, produce, appliance, cross_border, presale")
		v.Check(l.Quantity > 0 && l.Quantity <= MaxLineQuantity, p+".quantity", "must be between 1 and %d", MaxLineQuantity)
		v.Check(l.UnitPrice >= 0 && l.UnitPrice <= MaxOrderAmount, p+".unit_price", "must be between 0 and %d", MaxOrderAmount)
		if v.Check(l.PaidAmount >= 0 && l.PaidAmount <= MaxOrderAmount, p+".paid_amount", "must be between 0 and %d", MaxOrderAmount) {
			total += l.PaidAmount // at most MaxOrderLines * MaxOrderAmount: cannot overflow
		}
	}
	v.Check(total <= o.Payment.Amount, "payment.amount", "is less than the lines' paid amounts (%d)", total)
	return v.Err("order.validate")
}

func set[T comparable](vs ...T) map[T]bool {
	m := make(map[T]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}
