package aftersales

import (
	"time"
)

// AutoRefund is the type of a case the system opens and approves itself on
// a fact the mall reports (F17: customs clearance failed, or the parcel
// came back), with no application and nobody to review: the buyer is owed
// the money whatever the rules say. Like Goodwill it is no application
// type (CaseTypes, Valid): buyers cannot open one. Its buyer sees it among
// their cases.
const AutoRefund CaseType = "auto_refund"

// ActAutoRefund opens an auto refund's money: submitted to refunding, by
// the system, with a notice of its own to the buyer, in their language.
const ActAutoRefund Action = "auto_refund"

// ActorMallCustoms is the actor of what the mall's customs callback does.
const ActorMallCustoms = "mall:customs"

// AutoRefundReasons are the reasons of auto refunds; the buyer sees their
// labels in their language.
var AutoRefundReasons = []Reason{
	{"customs_failed", AutoRefund, "清关失败，货款、关税和运费已自动退回", "Customs clearance failed: goods, tariff and shipping refunded", false},
	{"parcel_returned", AutoRefund, "包裹被退回，货款、关税和运费已自动退回", "Parcel returned: goods, tariff and shipping refunded", false},
}

// ReasonLabel is the label of a case's reason in lang (LangEN, otherwise
// Chinese), whatever the type's list; the code itself when none has it.
func ReasonLabel(t CaseType, code, lang string) string {
	for _, list := range [][]Reason{reasons, GoodwillReasons, AutoRefundReasons} {
		for _, r := range list {
			if r.Type == t && r.Code == code {
				if lang == LangEN {
					return r.LabelEN
				}
				return r.LabelZH
			}
		}
	}
	return code
}

// Order fees are booked on the order ledger like lines, under these ids
// (F17): a refund of tariff and shipping counts against what was paid for
// them, with the same database-enforced bound as the goods.
const (
	FeeShippingID = "fee:shipping"
	FeeTariffID   = "fee:tariff"
	// feePrefix is reserved: no mall line id may start with it.
	feePrefix = "fee:"
	// KindFee is the kind of a case line that is an order fee.
	KindFee LineKind = "fee"
)

// FeeLines are the order's non-zero fees as ledger lines (one unit each),
// and its other ledger entries that are no mall line (a presale order's
// compensation, KindCompensation), without their ledger (see
// Order.FeeLedger).
func (o *Order) FeeLines() []OrderLine {
	var out []OrderLine
	for _, f := range []struct {
		id, name string
		amount   int64
	}{{FeeShippingID, "Shipping", o.Fees.Shipping}, {FeeTariffID, "Tariff", o.Fees.Tariff}} {
		if f.amount > 0 {
			out = append(out, OrderLine{LineID: f.id, SKU: f.id, Name: f.name, Kind: KindFee, Quantity: 1, UnitPrice: f.amount, PaidAmount: f.amount})
		}
	}
	// A presale order's compensation is on the ledger like a fee (F19).
	return append(out, o.extraLines()...)
}

// LedgerLines are every entry of the order's ledger: its lines, then its
// fees. Stores create a ledger entry for each.
func (o *Order) LedgerLines() []OrderLine {
	return append(append([]OrderLine(nil), o.Lines...), o.FeeLines()...)
}

// Fee returns the fee line with the given id and its ledger.
func (o *Order) Fee(id string) (*OrderLine, bool) {
	for i := range o.FeeLedger {
		if o.FeeLedger[i].LineID == id {
			return &o.FeeLedger[i], true
		}
	}
	return nil, false
}

// CustomsStatus is what the mall's customs callback reports of a
// cross-border order (F17).
type CustomsStatus string

// The customs statuses.
const (
	CustomsCleared  CustomsStatus = "cleared"
	CustomsFailed   CustomsStatus = "clearance_failed"
	CustomsReturned CustomsStatus = "returned" // the parcel came back to the merchant
)

// CustomsEvent is one customs status report of the mall.
type CustomsEvent struct {
	EventID string
	OrderID string
	Status  CustomsStatus
	Detail  string // the mall's (or the customs broker's) words
	At      time.Time
}

// Refunds reports whether the event owes the buyer their money back.
func (e CustomsEvent) Refunds() bool { return e.Status == CustomsFailed || e.Status == CustomsReturned }

// ReasonCode is the auto refund reason of an event that refunds.
func (e CustomsEvent) ReasonCode() string {
	if e.Status == CustomsReturned {
		return "parcel_returned"
	}
	return "customs_failed"
}

// Validate names every invalid field of the event by its JSON name.
func (e CustomsEvent) Validate() error {
	var v Validation
	v.Check(e.EventID != "" && len(e.EventID) <= MaxEventIDLen, "event_id", "is required, at most %d bytes", MaxEventIDLen)
	v.Check(e.OrderID != "" && len(e.OrderID) <= MaxIDBytes, "order_id", "is required, at most %d bytes", MaxIDBytes)
	v.Check(e.Status == CustomsCleared || e.Status == CustomsFailed || e.Status == CustomsReturned, "status",
		"must be one of cleared, clearance_failed, returned")
	CheckText(&v, "detail", e.Detail, OneLine, MaxDescriptionRunes)
	v.Check(!e.At.IsZero(), "at", "is required: when customs reported it (RFC 3339)")
	return v.Err("customs.validate")
}
