package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// SeedOrders are the demo orders: every line kind, for two buyers, with
// shipment and delivery times relative to now so the rules of later issues
// (days since shipment, 24 h produce claims) have something to decide.
func SeedOrders(now time.Time) []*aftersales.Order {
	day := 24 * time.Hour
	at := func(d time.Duration) time.Time { return now.Add(-d).UTC().Truncate(time.Second) }
	wechat := func(amount int64, tx string) aftersales.Payment {
		return aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: tx, Amount: amount}
	}
	alipay := func(amount int64, tx string) aftersales.Payment {
		return aftersales.Payment{Channel: aftersales.ChannelAlipay, TransactionID: tx, Amount: amount}
	}
	line := func(id, sku, name string, kind aftersales.LineKind, cat string, qty int, unit int64) aftersales.OrderLine {
		return aftersales.OrderLine{LineID: id, SKU: sku, Name: name, Kind: kind, Category: cat, Quantity: qty, UnitPrice: unit, PaidAmount: unit * int64(qty)}
	}
	order := func(id, buyer string, st aftersales.OrderStatus, paid, shipped, delivered time.Time, tier string, pay aftersales.Payment, fees aftersales.Fees, lines ...aftersales.OrderLine) *aftersales.Order {
		return &aftersales.Order{ID: id, Version: 1, EventID: "seed-" + id, BuyerID: buyer, BuyerPhone: "1380000" + id[len(id)-4:], ShopID: "main", Status: st,
			PaidAt: paid, ShippedAt: shipped, DeliveredAt: delivered, Currency: aftersales.CNY, Payment: pay,
			MemberTier: tier, Lines: lines, Fees: fees,
			// The buyer's mini-program openid: notifications reach the WeChat stand-in.
			BuyerOpenID: "oid-" + buyer}
	}
	var none time.Time
	bundlePhone := line("l1", "PHONE-X", "Phone X", aftersales.KindPhysical, "phones", 1, 399900)
	bundlePhone.Bundle = "phone-care"
	bundleCare := line("l2", "CARE-SCREEN", "Screen insurance", aftersales.KindVirtual, "insurance", 1, 9900)
	bundleCare.Bundle = "phone-care"
	earbuds := line("l1", "EARBUDS-W", "Wireless earbuds", aftersales.KindPhysical, "audio", 1, 29900)
	earbuds.Discount, earbuds.PaidAmount = 3000, 26900 // the order's coupon, allocated to this line by the mall
	return []*aftersales.Order{
		order("o-1001", "buyer-1", aftersales.OrderPaid, at(2*time.Hour), none, none, "regular", wechat(19800, "4200001001"), aftersales.Fees{},
			line("l1", "TSHIRT-M", "T-shirt", aftersales.KindPhysical, "apparel", 2, 9900)),
		order("o-1002", "buyer-1", aftersales.OrderDelivered, at(6*day), at(5*day), at(3*day), "gold", alipay(59900, "2026112722001002"), aftersales.Fees{Shipping: 1000},
			line("l1", "SHOE-42", "Running shoes", aftersales.KindPhysical, "shoes", 1, 49900),
			line("l2", "SOCKS-3", "Socks (3 pairs)", aftersales.KindPhysical, "apparel", 1, 9000)),
		order("o-1003", "buyer-1", aftersales.OrderDelivered, at(2*day), at(36*time.Hour), at(6*time.Hour), "regular", wechat(10000, "4200001003"), aftersales.Fees{},
			line("l1", "STRAWBERRY-5J", "Strawberries 5 jin", aftersales.KindProduce, "fruit", 5, 2000)),
		order("o-1004", "buyer-1", aftersales.OrderCompleted, at(1*day), none, none, "regular", wechat(5000, "4200001004"), aftersales.Fees{},
			line("l1", "COUPON-50", "Cinema coupon", aftersales.KindVirtual, "coupons", 1, 5000)),
		order("o-1005", "buyer-2", aftersales.OrderDelivered, at(20*day), at(18*day), at(15*day), "platinum", alipay(329900, "2026112722001005"), aftersales.Fees{},
			line("l1", "FRIDGE-300", "Refrigerator 300 L", aftersales.KindAppliance, "large_appliances", 1, 329900)),
		order("o-1006", "buyer-2", aftersales.OrderShipped, at(4*day), at(3*day), none, "diamond", wechat(32000, "4200001006"), aftersales.Fees{Shipping: 2000, Tariff: 3000},
			line("l1", "SERUM-JP", "Face serum (Japan)", aftersales.KindCrossBorder, "cosmetics", 1, 27000)),
		// F19: deposit 50 by WeChat Pay 10 days ago, balance 150 by Alipay
		// 9 days ago, not shipped: more than the 7 days of the default
		// rule set, so a refund now also owes double the deposit.
		presale(order("o-1007", "buyer-2", aftersales.OrderPaid, at(10*day), none, none, "regular", wechat(20000, "4200001007"), aftersales.Fees{},
			line("l1", "CONSOLE-PRE", "Game console (presale deposit + balance)", aftersales.KindPresale, "electronics", 1, 20000)),
			wechat(5000, "4200001007D"), at(10*day), alipay(15000, "2026112722001007B"), at(9*day)),
		// F19: only the deposit is paid (2 days ago): a refund is the
		// deposit's alone.
		presale(order("o-1011", "buyer-1", aftersales.OrderPaid, at(2*day), none, none, "regular", wechat(3000, "4200001011D"), aftersales.Fees{},
			line("l1", "LENS-PRE", "Camera lens (presale deposit)", aftersales.KindPresale, "electronics", 1, 3000)),
			wechat(3000, "4200001011D"), at(2*day), aftersales.Payment{}, none),
		order("o-1008", "buyer-2", aftersales.OrderDelivered, at(8*day), at(7*day), at(5*day), "gold", wechat(409800, "4200001008"), aftersales.Fees{},
			bundlePhone, bundleCare),
		// Money rules (issue 17): a discounted line and a shipping fee, for
		// restocking fees on no-reason returns, postage on quality returns
		// and the fee ledger; a platinum member's quality return ships free.
		order("o-1012", "buyer-1", aftersales.OrderDelivered, at(4*day), at(3*day), at(2*day), "gold", wechat(32600, "4200001012"), aftersales.Fees{Shipping: 800},
			earbuds, line("l2", "CASE-PHONE", "Phone case", aftersales.KindPhysical, "accessories", 1, 4900)),
		order("o-1013", "buyer-2", aftersales.OrderDelivered, at(3*day), at(2*day), at(1*day), "platinum", alipay(17100, "2026112722001013"), aftersales.Fees{Shipping: 1200},
			line("l1", "LAMP-DESK", "Desk lamp", aftersales.KindPhysical, "home", 1, 15900)),
		// F18: the snapshot says the coupon is unused, but the mall's
		// coupon service knows it was used since (SeedRedemptions): the
		// live check at decision time rejects it.
		order("o-1009", "buyer-1", aftersales.OrderCompleted, at(2*day), none, none, "regular", wechat(3000, "4200001009"), aftersales.Fees{},
			line("l1", "COUPON-30", "Coffee voucher", aftersales.KindVirtual, "coupons", 1, 3000)),
		// F17: a cross-border order of an English-speaking buyer, shipped
		// and waiting at customs: a clearance failure posted to
		// /webhooks/mall/customs refunds goods, tariff and shipping.
		english(order("o-1010", "buyer-3", aftersales.OrderShipped, at(3*day), at(2*day), none, "regular", alipay(39000, "2026112722001010"),
			aftersales.Fees{Shipping: 2500, Tariff: 4500},
			line("l1", "VITAMINS-AU", "Vitamins (Australia)", aftersales.KindCrossBorder, "health", 2, 16000))),
		// F30: shipped yesterday by ZTO and not delivered: a refund-only
		// approved now asks the courier to intercept the parcel first.
		outbound(order("o-1014", "buyer-1", aftersales.OrderShipped, at(2*day), at(1*day), none, "regular", wechat(25900, "4200001014"), aftersales.Fees{},
			line("l1", "JACKET-RAIN", "Rain jacket", aftersales.KindPhysical, "apparel", 1, 25900)), "zhongtong", SeedOutboundWaybill),
	}
}

// SeedOutboundWaybill is the ZTO waybill carrying o-1014 to its buyer
// (F30: what an interception stops).
const SeedOutboundWaybill = "731400001014"

// outbound gives o the parcel carrying it to the buyer.
func outbound(o *aftersales.Order, courier, number string) *aftersales.Order {
	o.Outbound = &aftersales.Shipment{Courier: courier, TrackingNumber: number}
	return o
}

// presale gives o its deposit and balance payments (an unpaid balance is
// the zero Payment); the order's payment is what they add up to.
func presale(o *aftersales.Order, deposit aftersales.Payment, depositAt time.Time, balance aftersales.Payment, balanceAt time.Time) *aftersales.Order {
	o.Presale = &aftersales.Presale{Deposit: deposit, DepositPaidAt: depositAt, Balance: balance, BalancePaidAt: balanceAt}
	o.Payment.Amount = deposit.Amount + balance.Amount
	return o
}

// english marks o's buyer as reading English.
func english(o *aftersales.Order) *aftersales.Order {
	o.Language = aftersales.LangEN
	return o
}

// Redemption is a use of a seeded coupon the mall's coupon service knows
// and the order snapshot does not.
type Redemption struct {
	OrderID, LineID string
	At              time.Time
	Detail          string
}

// SeedRedemptions are the codes of the demo orders used since their last
// order event (F18), relative to now.
func SeedRedemptions(now time.Time) []Redemption {
	return []Redemption{{"o-1009", "l1", now.Add(-3 * time.Hour).UTC().Truncate(time.Second), "redeemed at the Central Station café"}}
}

// seed posts the demo orders through the mall webhook, signed, as the mall
// would: the seed exercises the same path as real order events.
func (s *Stack) seed(ctx context.Context) error {
	for _, o := range SeedOrders(s.Clock.Now()) {
		body, err := json.Marshal(mallhook.FromOrder(o))
		if err != nil {
			return err
		}
		status, resp, err := s.postOrder(ctx, body)
		if err != nil {
			return err
		}
		if status != http.StatusNoContent {
			return fmt.Errorf("%w: %s: %d %s", errSeed, o.ID, status, resp)
		}
		s.remember(o.ID)
	}
	for _, r := range SeedRedemptions(s.Clock.Now()) {
		s.MallCoupons.Redeem(r.OrderID, r.LineID, r.At, r.Detail)
	}
	return nil
}

var errSeed = errors.New("seed order refused")
