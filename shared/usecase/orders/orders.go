// Package orders is the use case of the mall's order snapshots: what was
// bought and paid, against which cases are opened and refunds are capped.
// The mall's other events (restock, coupons, points) will live here.
package orders

import (
	"context"
	"errors"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Service takes order snapshots from the mall.
type Service struct {
	Orders aftersales.OrderStore
	Clock  aftersales.Clock
}

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
	return true, nil
}
