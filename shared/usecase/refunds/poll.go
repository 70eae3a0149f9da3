package refunds

import (
	"context"
	"errors"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// PollRefund runs at the refund wait's deadline: it sends a refund that
// never reached its provider, asks the provider about an open one, settles
// the case from a final one, and reminds staff of a failed one and finance
// of a manual one. It returns
// the case as it is afterwards, for the workflow to route on.
func (s *Service) PollRefund(ctx context.Context, c *aftersales.Case) (*aftersales.Case, error) {
	if c.RefundFailed {
		c, _, err := casework.Update(ctx, s.Cases, c.ID, s.Cases.GetCase, func(c *aftersales.Case) error {
			if c.Status != aftersales.StatusRefunding || !c.RefundFailed {
				return casework.ErrNoChange
			}
			return c.Apply(aftersales.Change{Action: aftersales.ActRemind, Actor: aftersales.ActorDeadline, At: s.Clock.Now(),
				Note: "the refund failed and still waits for staff to retry it or refund to balance"})
		})
		return c, err
	}
	r, err := s.currentRefund(ctx, c)
	switch {
	case errors.Is(err, aftersales.ErrNotFound):
		return c, nil // not stored yet: the refund step stores and sends it
	case err != nil:
		return nil, err
	}
	switch {
	case r.Status.Final():
		actor := "provider:" + string(r.Channel)
		if r.PaidBy != "" {
			actor = r.PaidBy // marked paid by hand; the case is settled late
		}
		err = s.settleCase(ctx, r, actor)
	case r.Status == aftersales.RefundManual:
		err = s.remindManual(ctx, r)
	case r.Status == aftersales.RefundRequested:
		err = s.sendRefund(ctx, r)
	default:
		err = s.queryRefund(ctx, r)
	}
	if err != nil {
		return nil, err
	}
	return s.Cases.GetCase(ctx, c.ID)
}

// queryRefund asks r's provider for its status; a provider that never
// received it (a crash between booking and sending) is sent it again.
func (s *Service) queryRefund(ctx context.Context, r *aftersales.Refund) error {
	p, err := s.route(ctx, r)
	if p == nil {
		return err
	}
	res, err := p.Query(ctx, requestOf(r))
	if errors.Is(err, aftersales.ErrNotFound) {
		return s.sendRefund(ctx, r)
	}
	if err != nil {
		return err
	}
	return s.recordResult(ctx, r.CaseID, r.OutRefundNo, res, "provider:"+string(r.Channel)+":query", true)
}
