// Package review is the use case of staff decisions on cases waiting for
// review (F10, F12): approve (in full, or partly with a note), reject with
// the reason the buyer sees, or ask the buyer for evidence; and batch review,
// which decides many cases by taking exactly the path of a single decision
// for each, through a queue.
package review

import (
	"context"
	"fmt"
	"strings"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Service serves staff decisions and batch reviews.
type Service struct {
	Cases    aftersales.CaseStore
	Rules    aftersales.RuleSetStore // the admin approval threshold
	Jobs     aftersales.ReviewJobStore
	Queue    aftersales.ReviewQueue // batch items to the review consumers
	Workflow casework.Resumer
	Clock    aftersales.Clock
	IDs      aftersales.IDGenerator
}

// Approve approves a case waiting for review (F10, F12).
func (s *Service) Approve(ctx context.Context, p aftersales.Principal, caseID string, a aftersales.Approval) (*aftersales.Case, error) {
	const op = "case.approve"
	if err := casework.RequireStaff(p, op); err != nil {
		return nil, err
	}
	var text aftersales.Validation
	if !aftersales.CheckText(&text, "note", a.Note, aftersales.MultiLine, aftersales.MaxDescriptionRunes) {
		return nil, text.Err(op)
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return nil, err
	}
	return casework.EndStaffWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitReview, op, func(c *aftersales.Case) error {
		amount := c.Requested
		var v aftersales.Validation
		if a.Amount != nil {
			switch {
			case c.Type == aftersales.Exchange:
				v.Add("amount", "an exchange refunds no money; leave it out")
			case *a.Amount < 1 || *a.Amount > c.Requested:
				v.Add("amount", "must be between 1 and %d, the requested amount", c.Requested)
			default:
				amount = *a.Amount
			}
			v.Check(amount == c.Requested || strings.TrimSpace(a.Note) != "", "note", "say why the amount is lower than requested")
		}
		if err := v.Err(op); err != nil {
			return err
		}
		money := func(n int64) aftersales.Money { return aftersales.Money{Amount: n, Currency: c.Currency} }
		if c.Type != aftersales.Exchange && amount < 1 {
			// Only a case stored before claims were bounded requests this;
			// its refund would be refused, so say so now.
			return aftersales.E(aftersales.KindConflict, op, fmt.Sprintf("the case requests %s, which cannot be refunded: reject it", money(amount)))
		}
		needsAdmin := amount > rs.AdminApprovalAbove || (c.Decision != nil && c.Decision.Level == aftersales.RoleAdmin)
		if needsAdmin && !p.Has(aftersales.RoleAdmin) {
			return aftersales.E(aftersales.KindForbidden, op, fmt.Sprintf("approving %s needs an admin", money(amount)))
		}
		// After who may approve: a reviewer who could not approve anyway
		// is told so, not that evidence is missing.
		if err := c.CheckEvidenceForApproval(op); err != nil {
			return err
		}
		note := a.Note
		if amount < c.Requested {
			note = fmt.Sprintf("partial: %s of %s requested; %s", money(amount), money(c.Requested), a.Note)
		}
		c.Approved = amount
		c.Decision = &aftersales.Decision{Outcome: "approve", By: p.Actor(), Reason: a.Note}
		return c.Apply(aftersales.Change{Action: aftersales.ActApprove, Actor: p.Actor(), At: s.Clock.Now(), Note: note})
	})
}

// Reject rejects a case waiting for review, with the reason the buyer sees.
func (s *Service) Reject(ctx context.Context, p aftersales.Principal, caseID, reason string) (*aftersales.Case, error) {
	return s.decide(ctx, p, caseID, "reject", aftersales.ActReject, "reason", reason)
}

// RequestEvidence asks the buyer of a case waiting for review for evidence.
func (s *Service) RequestEvidence(ctx context.Context, p aftersales.Principal, caseID, note string) (*aftersales.Case, error) {
	return s.decide(ctx, p, caseID, "request_evidence", aftersales.ActRequestEvidence, "note", note)
}

// decide records a staff decision that carries a required text (the
// rejection's reason, the evidence request's note) and moves no money.
func (s *Service) decide(ctx context.Context, p aftersales.Principal, caseID, outcome string, act aftersales.Action, field, text string) (*aftersales.Case, error) {
	op := "case." + outcome
	if err := casework.RequireStaff(p, op); err != nil {
		return nil, err
	}
	if err := casework.RequireText(field, text, op); err != nil {
		return nil, err
	}
	return casework.EndStaffWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitReview, op, func(c *aftersales.Case) error {
		c.Decision = &aftersales.Decision{Outcome: outcome, By: p.Actor(), Reason: text}
		return c.Apply(aftersales.Change{Action: act, Actor: p.Actor(), At: s.Clock.Now(), Note: text})
	})
}
