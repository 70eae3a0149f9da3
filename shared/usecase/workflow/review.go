package workflow

import (
	"context"
	"errors"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Review applies the merchant's rules to a submitted case (F7, F8). It is
// idempotent: a case no longer submitted is returned as it is.
func (s *Service) Review(ctx context.Context, caseID string) (aftersales.StepResult, error) {
	c, err := s.Cases.GetCase(ctx, caseID)
	if err != nil {
		return aftersales.StepResult{}, err
	}
	if c.Status != aftersales.StatusSubmitted {
		return s.Step(ctx, c)
	}
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return aftersales.StepResult{}, err
	}
	d, _, err := casework.Decide(ctx, s.Cases, s.Rules, s.Coupons, c, o, s.Clock.Now())
	if err != nil {
		return aftersales.StepResult{}, err
	}
	prev := c.Version
	if err := casework.ApplyDecision(c, d, s.Clock.Now()); err != nil {
		return aftersales.StepResult{}, err
	}
	if err := s.Cases.UpdateCase(ctx, c, prev); err != nil {
		if errors.Is(err, aftersales.ErrVersionConflict) {
			// Someone acted meanwhile (the buyer cancelled): retry the step.
			return aftersales.StepResult{}, aftersales.Wrap(aftersales.KindTransient, "case.review", err)
		}
		return aftersales.StepResult{}, err
	}
	return s.Step(ctx, c)
}
