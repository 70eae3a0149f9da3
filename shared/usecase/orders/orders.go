// Package orders is the use case of the mall's order snapshots: what was
// bought and paid, against which cases are opened and refunds are capped.
// The mall's other events (restock, coupons, points) will live here.
package orders

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Service takes order snapshots from the mall.
type Service struct {
	Orders aftersales.OrderStore
	Clock  aftersales.Clock
}

// PutOrder validates and stores an order snapshot from the mall.
func (s *Service) PutOrder(ctx context.Context, o *aftersales.Order) error {
	if err := o.Validate(); err != nil {
		return err
	}
	o.UpdatedAt = s.Clock.Now().UTC()
	return s.Orders.PutOrder(ctx, o)
}
