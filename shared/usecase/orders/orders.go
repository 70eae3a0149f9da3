// Package orders is the use case of the mall's order snapshots: what was
// bought and paid, against which cases are opened and refunds are capped.
// The mall's other events (restock, coupons, points) will live here.
package orders

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Service takes order snapshots from the mall.
type Service struct {
	Orders aftersales.OrderStore
	// Announcer queues the produce claim-window reminder of a delivered
	// order (F16); nil reminds nobody.
	Announcer aftersales.Announcer
	Logger    *slog.Logger
	Clock     aftersales.Clock
}

// announceTimeout bounds the wait for the notifications queue: the
// snapshot is stored, and the mall must be answered fast.
const announceTimeout = 2 * time.Second

// PutOrder validates and stores an order snapshot from the mall. A
// snapshot that does not supersede the stored one (a replay, or a delivery
// that arrived after a later change) is not an error: it changes nothing
// and stored is false, so the mall is told the event was taken and stops
// sending it. A snapshot without a version is invalid: nothing could tell
// it from a stale one.
func (s *Service) PutOrder(ctx context.Context, o *aftersales.Order) (stored bool, err error) {
	if err := o.Validate(); err != nil {
		return false, err
	}
	o.UpdatedAt = s.Clock.Now().UTC()
	switch err := s.Orders.PutOrder(ctx, o); {
	case errors.Is(err, aftersales.ErrOrderNotNewer):
		return false, nil
	case err != nil:
		return false, err
	}
	if s.Announcer != nil && aftersales.NeedsClaimReminder(o) {
		// Every delivered snapshot announces; the notifier tells the buyer
		// once per order (ClaimWindowEventID) and only within the window.
		// A lost announcement is logged, not returned: the snapshot is
		// stored, and failing now would make the mall send it again.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
		defer cancel()
		if err := s.Announcer.Announce(actx, []aftersales.Announcement{{OrderID: o.ID}}); err != nil && s.Logger != nil {
			s.Logger.ErrorContext(ctx, "claim-window reminder lost: the order is stored but the reminder could not be queued",
				"order_id", o.ID, "err", err.Error())
		}
	}
	return true, nil
}
