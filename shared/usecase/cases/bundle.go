package cases

import (
	"context"
	"fmt"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// splitBundle splits off, from case c built for app, the virtual
// components of a bundle it returns (F20: the screen insurance of a phone):
// they become a refund-only case of their own, which the rules decide at
// once (an unused insurance is refunded while the phone waits for its
// return), and c keeps the physical lines. Each case names the other
// (Components) and the bundle. The rule set's bundles.virtual_components
// may keep bundles whole; nothing is split then, nor for an application
// without bundle lines. It returns the component cases, not yet written.
func (s *Service) splitBundle(ctx context.Context, p aftersales.Principal, c *aftersales.Case, o *aftersales.Order, app aftersales.Application) ([]*aftersales.Case, error) {
	const op = "case.create"
	bundle := ""
	for _, l := range c.Lines {
		if ol, ok := o.Line(l.LineID); ok && ol.Bundle != "" {
			bundle = ol.Bundle
		}
	}
	if bundle == "" || c.Type != aftersales.ReturnRefund {
		return nil, nil // no rule set read for the applications without bundles
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return nil, err
	}
	stay, virtual := aftersales.SplitBundle(c.Type, c.Lines, o, rs.Bundles)
	if len(virtual) == 0 || len(stay) == 0 {
		return nil, nil
	}
	if app.Amount != nil {
		return nil, aftersales.Invalid(op, "amount", "an application returning a bundle refunds each component in full; leave amount out")
	}
	part := &aftersales.Case{ID: s.IDs.NewID("as"), OrderID: c.OrderID, BuyerID: c.BuyerID, ShopID: c.ShopID,
		Type: aftersales.RefundOnly, Reason: aftersales.VirtualComponentReason, Description: c.Description,
		Lines: virtual, Currency: c.Currency, RefundTo: c.RefundTo, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Bundle: bundle, Components: []string{c.ID}}
	var moved int64
	for _, l := range virtual {
		moved += l.Amount
	}
	part.Requested = moved
	c.Lines, c.Bundle, c.Components = stay, bundle, []string{part.ID}
	c.Requested -= moved
	// c's submission is not written yet: its note says where the rest went.
	c.Timeline[len(c.Timeline)-1].Note = fmt.Sprintf("bundle %s: its virtual components are refunded at once in case %s", bundle, part.ID)
	if err := part.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: p.Actor(), At: c.CreatedAt,
		Note: fmt.Sprintf("bundle %s: the virtual components of application %s, refunded at once", bundle, c.ID)}); err != nil {
		return nil, err
	}
	return []*aftersales.Case{part}, nil
}
