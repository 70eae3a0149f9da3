package aftersales

import "time"

// Shipment is a parcel of a case: the buyer's return or the merchant's
// replacement.
type Shipment struct {
	Courier        string
	TrackingNumber string
	At             time.Time
}

// Approval is a staff approval: Amount nil approves what was requested; a
// lower amount is a partial refund (F12) and needs a note saying why.
type Approval struct {
	Amount *int64
	Note   string
}

// Receipt conditions (F22): a sellable return is restocked, a defective one
// kept off sale.
const (
	ConditionSellable  = "sellable"
	ConditionDefective = "defective"
)
