package aftersales

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Parcel tracking of returns (F9, issue 15): a return waybill is checked
// against the courier's number formats, then followed through a courier
// aggregator (Kuaidi100), whose pushes move the case: collected, the return
// is on its way; signed for at the warehouse, the receipt deadline starts;
// returned, rejected or stuck, staff and buyer are told; never collected,
// the buyer is asked to correct the waybill.

// ParcelPhase is what a courier's scan means to a case.
type ParcelPhase string

// The parcel phases.
const (
	ParcelOrdered    ParcelPhase = "ordered"    // a pickup is booked, not yet collected
	ParcelCollected  ParcelPhase = "collected"  // the courier has it
	ParcelInTransit  ParcelPhase = "in_transit" // moving
	ParcelDelivering ParcelPhase = "delivering" // out for delivery
	ParcelSigned     ParcelPhase = "signed"     // signed for at the destination
	ParcelProblem    ParcelPhase = "problem"    // held by the courier (address trouble, damage)
	ParcelReturned   ParcelPhase = "returned"   // sent back to the sender
	ParcelRejected   ParcelPhase = "rejected"   // the recipient refused it
)

// Alarming reports whether the phase is one staff and buyer must hear of.
func (p ParcelPhase) Alarming() bool {
	return p == ParcelProblem || p == ParcelReturned || p == ParcelRejected
}

// Moving reports whether the phase is the courier's progress before
// delivery.
func (p ParcelPhase) Moving() bool {
	return p == ParcelCollected || p == ParcelInTransit || p == ParcelDelivering
}

// The parcel actions.
const (
	ActReturnCollected     Action = "return_collected"      // the courier collected the return: it is really on its way
	ActParcelUpdate        Action = "parcel_update"         // the courier scanned the return again
	ActParcelProblem       Action = "parcel_problem"        // returned, rejected, held or stuck: staff and buyer are told
	ActWaybillNotCollected Action = "waybill_not_collected" // no collection in time: the buyer corrects the waybill
)

// WaitTransit is the wait of a return in transit: tracked, until the
// courier collects it (Deadlines.Collection from the waybill), then until
// it stops moving (Deadlines.Stalled from its last scan); at the deadline
// the buyer is asked to correct a waybill never collected, and staff and
// buyer are told of a stalled parcel. An untracked return (no courier
// aggregator, or tracking refused) waits the receipt deadline from the
// waybill, as before tracking existed.
const WaitTransit = "transit"

// TransitDue is when the transit wait of c ends.
func (d Deadlines) TransitDue(c *Case) time.Time {
	sh := c.Return
	if sh == nil {
		return time.Time{}
	}
	if !sh.Tracked {
		return sh.At.Add(d.Receipt)
	}
	if sh.CollectedAt.IsZero() {
		return sh.At.Add(d.Collection)
	}
	last := sh.MovedAt
	if sh.AlertedAt.After(last) {
		last = sh.AlertedAt // told already: the next alert a period later
	}
	return last.Add(d.Stalled)
}

// CourierAliases map the short names buyers type to the aggregator's
// courier codes.
var CourierAliases = map[string]string{
	"sf": "shunfeng", "sfexpress": "shunfeng", "顺丰": "shunfeng", "顺丰速运": "shunfeng",
	"yto": "yuantong", "yt": "yuantong", "圆通": "yuantong",
	"zto": "zhongtong", "中通": "zhongtong",
	"sto": "shentong", "申通": "shentong",
	"yd": "yunda", "韵达": "yunda",
	"jtexpress": "jtexpress", "jt": "jtexpress", "极兔": "jtexpress",
	"jd": "jd", "京东": "jd",
	"ems": "ems", "邮政": "ems",
	"deppon": "debangkuaidi", "db": "debangkuaidi", "德邦": "debangkuaidi",
}

// CourierCode is the aggregator's code of a courier as a buyer typed it.
func CourierCode(s string) string {
	k := strings.ToLower(strings.TrimSpace(s))
	if c, ok := CourierAliases[k]; ok {
		return c
	}
	if !utf8.ValidString(s) {
		return s // left for validation to refuse, not repaired by ToLower
	}
	return k
}

// Pickup is a courier pickup booked for a return (F21): the courier comes
// to the buyer's address within the window, and the waybill it assigns
// arrives by the pickup order's callback.
type Pickup struct {
	OrderID     string // the aggregator's order
	TaskID      string
	Courier     string
	Address     string
	WindowStart time.Time
	WindowEnd   time.Time
	BookedAt    time.Time
	Status      string // PickupBooked, PickupCollected or PickupFailed
}

// Pickup statuses.
const (
	PickupBooked    = "booked"
	PickupCollected = "collected"
	PickupFailed    = "failed"
)

// PickupRequest is what a buyer asks of a pickup.
type PickupRequest struct {
	Courier     string // empty: the default for the case's goods (DefaultPickupCourier)
	Address     string
	WindowStart time.Time
	WindowEnd   time.Time
}

// Pickup actions.
const (
	ActBookPickup   Action = "book_pickup"   // the buyer booked a courier pickup of the return
	ActPickupFailed Action = "pickup_failed" // the courier could not collect it, or cancelled: the buyer books again or ships
)

// NextBookPickup is the next step of a return of large appliances: they
// default to a courier pickup rather than a waybill the buyer brings to a
// counter (F21).
const NextBookPickup = "book_pickup"

// Bulky reports whether the case returns large goods (appliances), which
// default to a pickup.
func (c *Case) Bulky() bool {
	for _, l := range c.Lines {
		if l.Kind == KindAppliance {
			return true
		}
	}
	return false
}

// DefaultPickupCourier is the courier booked when the buyer names none:
// Deppon for appliances (it carries large goods to the door), SF Express
// otherwise.
func DefaultPickupCourier(c *Case) string {
	if c.Bulky() {
		return "debangkuaidi"
	}
	return "shunfeng"
}

// ParcelKind says what a courier push is about.
type ParcelKind string

// The kinds of courier pushes.
const (
	ParcelTracking     ParcelKind = "tracking"     // a scan of a tracked parcel
	ParcelPickup       ParcelKind = "pickup"       // a pickup order's progress (its waybill once collected)
	ParcelInterception ParcelKind = "interception" // the outcome of an interception
)

// ParcelNotice is a courier push, verified by the webhook that received it.
type ParcelNotice struct {
	ID      string // the push's identity, for deduplication
	Kind    ParcelKind
	CaseID  string
	Courier string
	Number  string
	Phase   ParcelPhase // tracking
	At      time.Time   // the newest scan's time (tracking), or when received
	Scan    string      // the newest scan's text, or the provider's message
	// OrderID is the pickup order's (pickup) id.
	OrderID string
	// Collected: a pickup's courier came and assigned Number.
	Collected bool
	// Intercepted: the interception succeeded (false: it failed).
	Intercepted bool
}

// ParcelQueue carries verified courier pushes from the webhook to the
// inbound consumer.
type ParcelQueue interface {
	EnqueueParcel(ctx context.Context, n ParcelNotice) error
}

// Couriers is the courier aggregator.
type Couriers interface {
	// Recognize returns the courier codes number may belong to, likeliest
	// first; none when no courier issues numbers like it.
	Recognize(ctx context.Context, number string) ([]string, error)
	// Track subscribes the case's return parcel to pushes.
	Track(ctx context.Context, caseID string, sh Shipment, phone string) error
	// Book books a courier pickup of the case's return from the buyer
	// (name and phone) to the merchant's warehouse; its progress, the
	// waybill among it, arrives as ParcelPickup pushes, and the waybill's
	// tracking as ParcelTracking pushes.
	Book(ctx context.Context, caseID string, r PickupRequest, buyerName, buyerPhone string) (Pickup, error)
}

// NoteOf is the timeline note of a push: its phase and scan.
func (n ParcelNotice) NoteOf() string {
	s := fmt.Sprintf("%s %s: %s", n.Courier, n.Number, n.Phase)
	if n.Scan != "" {
		s += " (" + n.Scan + ")"
	}
	return s
}
