package returns

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Pickup window bounds: Kuaidi100's C-end orders take today, tomorrow or
// the day after, in windows of an hour or more.
const (
	maxPickupAhead   = 3 * 24 * time.Hour
	minPickupWindow  = time.Hour
	maxAddressRunes  = 200
	pickupSenderName = "买家" // the order carries no name; the courier calls the phone
)

// BookPickup books a courier pickup of the case's return (F21): the buyer
// names the address and the window; the courier is the buyer's choice or
// the default for the goods (Deppon for appliances). The waybill the courier
// assigns on collection arrives by callback and moves the case to
// return_in_transit, tracked like any other. Booking again replaces the
// pickup on the case (the earlier order is left to lapse with the courier).
func (s *Service) BookPickup(ctx context.Context, p aftersales.Principal, caseID string, r aftersales.PickupRequest) (*aftersales.Case, error) {
	const op = "case.pickup"
	if s.Couriers == nil {
		return nil, aftersales.E(aftersales.KindConflict, op, "courier pickups are not configured (no Kuaidi100 account): ship the return and post its waybill")
	}
	// A stranger's case is not found before anything about the request is said.
	c, err := casework.Visible(ctx, s.Cases, p, caseID)
	if err != nil {
		return nil, err
	}
	if !c.OwnedBy(p.ID) {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only the case's buyer books the pickup")
	}
	now := s.Clock.Now()
	var v aftersales.Validation
	r.Address = strings.TrimSpace(r.Address)
	if v.Check(r.Address != "", "address", "is required (the full address the courier collects from)") {
		aftersales.CheckText(&v, "address", r.Address, aftersales.OneLine, maxAddressRunes)
	}
	if v.Check(!r.WindowStart.IsZero(), "window_start", "is required (RFC 3339)") &&
		v.Check(!r.WindowStart.Before(now), "window_start", "must not be in the past") {
		v.Check(r.WindowStart.Before(now.Add(maxPickupAhead)), "window_start", "must be within %s (today, tomorrow or the day after)", aftersales.FormatDuration(maxPickupAhead))
	}
	if v.Check(!r.WindowEnd.IsZero(), "window_end", "is required (RFC 3339)") && !r.WindowStart.IsZero() {
		v.Check(r.WindowEnd.Sub(r.WindowStart) >= minPickupWindow, "window_end", "must be at least an hour after window_start")
	}
	if r.Courier != "" {
		r.Courier = aftersales.CourierCode(r.Courier)
		aftersales.CheckText(&v, "courier", r.Courier, aftersales.OneLine, maxCourierRunes)
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	if w, _ := aftersales.WaitOf(c.Status); w != aftersales.WaitReturn {
		return nil, aftersales.E(aftersales.KindConflict, op, fmt.Sprintf("the case is %s, not waiting for the return", c.Status))
	}
	if r.Courier == "" {
		r.Courier = aftersales.DefaultPickupCourier(c)
	}
	phone := ""
	if o, err := s.Orders.GetOrder(ctx, c.OrderID); err == nil {
		phone = o.BuyerPhone
	}
	// Booked before it is stored: a stored pickup always has its order.
	pk, err := s.Couriers.Book(ctx, c.ID, r, pickupSenderName, phone)
	if err != nil {
		return nil, err // the adapter classified it: a refusal names its field, a failure is transient
	}
	got, _, err := casework.Update(ctx, s.Cases, caseID, casework.VisibleTo(s.Cases, p), func(c *aftersales.Case) error {
		if w, _ := aftersales.WaitOf(c.Status); w != aftersales.WaitReturn {
			return aftersales.E(aftersales.KindConflict, op, fmt.Sprintf("the case is %s, not waiting for the return", c.Status))
		}
		pk.BookedAt = s.Clock.Now().UTC()
		c.Pickup = &pk
		return c.Apply(aftersales.Change{Action: aftersales.ActBookPickup, Actor: p.Actor(), At: pk.BookedAt,
			Note: fmt.Sprintf("%s pickup %s, %s to %s", pk.Courier, pk.OrderID, pk.WindowStart.Format(time.RFC3339), pk.WindowEnd.Format(time.RFC3339))})
	})
	return got, err
}

// applyPickup records a pickup order's progress on c: collected, the
// courier's waybill becomes the return (tracked, already collected) and the
// case is in transit; failed or cancelled, the buyer is told to book again
// or ship. Anything else, or a callback of another order, changes nothing.
func (s *Service) applyPickup(c *aftersales.Case, n aftersales.ParcelNotice) error {
	pk := c.Pickup
	if c.Status != aftersales.StatusAwaitingReturn || pk == nil || pk.OrderID != n.OrderID || pk.Status != aftersales.PickupBooked {
		return casework.ErrNoChange
	}
	now := s.Clock.Now().UTC()
	switch {
	case n.Collected:
		pk.Status = aftersales.PickupCollected
		c.Return = &aftersales.Shipment{Courier: n.Courier, TrackingNumber: n.Number, At: now, Tracked: true,
			Phase: aftersales.ParcelCollected, Scan: n.Scan, CollectedAt: now, MovedAt: now}
		return c.Apply(aftersales.Change{Action: aftersales.ActShipReturn, Actor: ActorCourier, At: now,
			Note: fmt.Sprintf("%s %s (collected by the pickup %s)", n.Courier, n.Number, pk.OrderID)})
	case n.Phase == aftersales.ParcelProblem:
		pk.Status = aftersales.PickupFailed
		return c.Apply(aftersales.Change{Action: aftersales.ActPickupFailed, Actor: ActorCourier, At: now,
			Note: fmt.Sprintf("pickup %s not collected: %s; book again or ship the return", pk.OrderID, n.Scan)})
	}
	return casework.ErrNoChange
}
