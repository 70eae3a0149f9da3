package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return aftersales.StepResult{}, err
	}
	refunds := 0
	if usesRefundHistory(rs) {
		// Only rules that look at the buyer's history pay for reading it.
		if refunds, err = s.refundsSince(ctx, c.BuyerID, s.Clock.Now().Add(-90*24*time.Hour)); err != nil {
			return aftersales.StepResult{}, err
		}
	}
	d := aftersales.Decide(aftersales.DecisionInput{Case: c, Order: o, RefundsLast90Days: refunds, Now: s.Clock.Now()}, rs)
	prev := c.Version
	if err := applyDecision(c, d, s.Clock.Now()); err != nil {
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

// applyDecision turns a rules decision into the case change it stands for.
func applyDecision(c *aftersales.Case, d aftersales.Decision, at time.Time) error {
	ch := aftersales.Change{Actor: aftersales.ActorRules, At: at, Note: fmt.Sprintf("rule %s (rule set v%d)", d.RuleID, d.RuleSetVersion)}
	switch d.Outcome {
	case "approve":
		ch.Action = aftersales.ActApprove
		c.Approved = c.Requested
	case "reject":
		ch.Action, ch.Note = aftersales.ActReject, d.Reason+"; "+ch.Note
	case "request_evidence":
		ch.Action, ch.Note = aftersales.ActRequestEvidence, d.Reason+"; "+ch.Note
	default:
		ch.Action = aftersales.ActSendToReview
		ch.Note = fmt.Sprintf("%s review; %s", d.Level, ch.Note)
	}
	dd := d
	c.Decision = &dd
	return c.Apply(ch)
}

// usesRefundHistory reports whether any rule has a condition on the buyer's
// refund count.
func usesRefundHistory(rs *aftersales.RuleSet) bool {
	for _, r := range rs.Rules {
		if r.When.RefundsAtLeast != nil || r.When.RefundsAtMost != nil {
			return true
		}
	}
	return false
}

// refundsSince counts the buyer's cases created since t that ended with money back.
func (s *Service) refundsSince(ctx context.Context, buyer string, t time.Time) (int, error) {
	n := 0
	q := aftersales.CaseQuery{BuyerID: buyer, From: t, Limit: aftersales.MaxPageSize}
	err := casework.EachPage(ctx, s.Cases, q, func(c aftersales.Case) error {
		if c.Status == aftersales.StatusCompleted && c.Refunded > 0 {
			n++
		}
		return nil
	})
	return n, err
}
