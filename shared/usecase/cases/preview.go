package cases

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Preview tells buyer p what would happen to app if it were made now
// (F14): which rule decides (or that a person reviews it), the amount, and
// the next step with its deadline. It checks app exactly as CreateCase
// does (checkLimits, then buildCase: same refusals, same field errors, 409
// for a line another case holds) and decides it as the workflow's review
// step does (casework.Decide, casework.ApplyDecision), but stores nothing:
// no case, no line hold, no idempotency record, no evidence kept.
//
// The refund wait gets no deadline: it is when the provider is asked again,
// not a time anyone is held to.
func (s *Service) Preview(ctx context.Context, p aftersales.Principal, app aftersales.Application) (aftersales.Preview, error) {
	if err := checkLimits(p, app); err != nil {
		return aftersales.Preview{}, err
	}
	c, o, _, err := s.buildCase(ctx, p, "", app)
	if err != nil {
		return aftersales.Preview{}, err
	}
	// A bundle's virtual components would be a case of their own (F20):
	// the preview is of the rest, as the application's case will be.
	if _, err := s.splitBundle(ctx, p, c, o, app); err != nil {
		return aftersales.Preview{}, err
	}
	now := s.Clock.Now().UTC()
	d, rs, err := casework.Decide(ctx, s.Cases, s.Rules, s.Coupons, c, o, now)
	if err != nil {
		return aftersales.Preview{}, err
	}
	if err := casework.ApplyDecision(c, d, now); err != nil {
		return aftersales.Preview{}, err
	}
	if wait, ok := aftersales.WaitOf(c.Status); ok && wait != aftersales.WaitRefund {
		c.Deadline = now.Add(rs.Deadlines.For(wait, c, o))
		if promised := now.Add(rs.Deadlines.Promised(wait, c, o)); promised.Before(c.Deadline) {
			c.PromisedBy = promised
		}
	}
	return aftersales.Preview{Case: c, Decision: d, Next: c.Next()}, nil
}
