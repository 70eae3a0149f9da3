package aftersales

import "time"

// Shipment is a parcel of a case: the buyer's return or the merchant's
// replacement.
type Shipment struct {
	Courier        string
	TrackingNumber string
	At             time.Time
	// Tracked: the courier aggregator pushes this parcel's scans (a
	// return's, issue 15); the fields below follow them.
	Tracked     bool
	Phase       ParcelPhase // the newest scan's
	Scan        string      // the newest scan's text
	CollectedAt time.Time   // when the courier collected it
	MovedAt     time.Time   // the newest scan's time
	AlertedAt   time.Time   // when staff and buyer were last told it stalled
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
