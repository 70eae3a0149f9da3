package cases

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// presaleTranches turns the money of case c on a presale order into its
// refunds (F19): the deposit, then the balance, each back through its own
// payment, and, when the merchant did not ship within the rule set's days
// of the balance, the extra deposit owed as compensation, through the same
// refund path on a ledger line of its own. c.Requested grows by the
// compensation. It returns the submission's note; nothing for a case on
// another order, an exchange, or one v already refuses.
func (s *Service) presaleTranches(ctx context.Context, c *aftersales.Case, o *aftersales.Order, v *aftersales.Validation) (string, error) {
	if o == nil || o.Presale == nil || !v.Valid() || c.Type == aftersales.Exchange || c.Requested == 0 {
		return "", nil
	}
	presale := 0
	for _, l := range c.Lines {
		if l.Kind == aftersales.KindPresale {
			presale++
		}
	}
	if presale == 0 {
		return "", nil
	}
	if presale != len(c.Lines) {
		// One case, one set of payments: the deposit and balance pay for
		// the presale goods, not for the others.
		v.Add("lines", "a presale line is refunded on its own; apply for the other lines separately")
		return "", nil
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return "", err
	}
	tranches, note := aftersales.PresaleTranches(o, c.Requested, s.Clock.Now(), rs.Presale)
	c.Tranches, c.Requested = tranches, aftersales.TranchesTotal(tranches)
	return note, nil
}
