package aftersales

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Shipment is a parcel of a case: the buyer's return or the merchant's
// replacement.
type Shipment struct {
	Courier        string
	TrackingNumber string
	At             time.Time
}

// Approval is a staff approval: Amount nil approves what was requested; a
// lower amount is a partial refund (F12) and needs a note saying why.
type Approval struct {
	Amount *int64
	Note   string
}

// Receipt conditions (F22): a sellable return is restocked, a defective one
// kept off sale.
const (
	ConditionSellable  = "sellable"
	ConditionDefective = "defective"
)

// completeWait is how a person ends a wait: load the case, check it is in
// that wait with its token recorded, apply fn, write conditionally on the
// version read, then resume the workflow. A concurrent decision loses the
// version race and then finds the case no longer waiting: 409.
func (s *Service) completeWait(ctx context.Context, p Principal, caseID, wait string, fn func(*Case, *RuleSet) error) (*Case, error) {
	rs, err := s.ruleSet(ctx)
	if err != nil {
		return nil, err
	}
	var token string
	c, _, err := s.update(ctx, caseID, func(ctx context.Context, id string) (*Case, error) { return s.GetCase(ctx, p, id) },
		func(c *Case) error {
			if waitOf[c.Status] != wait {
				return E(KindConflict, "case."+wait, fmt.Sprintf("the case is %s, not waiting for %s", c.Status, wait))
			}
			if c.TaskToken == "" {
				// Between the status change and the workflow recording its
				// wait: milliseconds. The client retries.
				return E(KindConflict, "case."+wait, "the case is being processed; retry in a moment")
			}
			token = c.TaskToken
			return fn(c, rs)
		})
	if err != nil {
		return nil, err
	}
	return c, s.resume(ctx, token, c)
}

func staffOnly(p Principal, op string) error {
	if !p.IsStaff() {
		return E(KindForbidden, op, "only merchant staff may do this")
	}
	return nil
}

// Approve approves a case waiting for review (F10, F12).
func (s *Service) Approve(ctx context.Context, p Principal, caseID string, a Approval) (*Case, error) {
	const op = "case.approve"
	if err := staffOnly(p, op); err != nil {
		return nil, err
	}
	return s.completeWait(ctx, p, caseID, WaitReview, func(c *Case, rs *RuleSet) error {
		amount := c.Requested
		var v Validation
		if a.Amount != nil {
			switch {
			case c.Type == Exchange:
				v.Add("amount", "an exchange refunds no money; leave it out")
			case *a.Amount < 1 || *a.Amount > c.Requested:
				v.Add("amount", "must be between 1 and %d, the requested amount", c.Requested)
			default:
				amount = *a.Amount
			}
			v.Check(amount == c.Requested || strings.TrimSpace(a.Note) != "", "note", "say why the amount is lower than requested")
		}
		v.Check(len(a.Note) <= MaxDescriptionRunes, "note", "must be at most %d characters", MaxDescriptionRunes)
		if err := v.Err(op); err != nil {
			return err
		}
		needsAdmin := amount > rs.AdminApprovalAbove || (c.Decision != nil && c.Decision.Level == RoleAdmin)
		if needsAdmin && !p.Has(RoleAdmin) {
			return E(KindForbidden, op, fmt.Sprintf("approving %s needs an admin", Money{amount, c.Currency}))
		}
		note := a.Note
		if amount < c.Requested {
			note = fmt.Sprintf("partial: %s of %s requested; %s", Money{amount, c.Currency}, Money{c.Requested, c.Currency}, a.Note)
		}
		c.Approved = amount
		c.Decision = &Decision{Outcome: "approve", By: p.Actor(), Reason: a.Note}
		return c.Apply(Change{Action: ActApprove, Actor: p.Actor(), At: s.Clock.Now(), Note: note})
	})
}

// Reject rejects a case waiting for review, with the reason the buyer sees.
func (s *Service) Reject(ctx context.Context, p Principal, caseID, reason string) (*Case, error) {
	const op = "case.reject"
	if err := staffOnly(p, op); err != nil {
		return nil, err
	}
	if err := requireText("reason", reason, op); err != nil {
		return nil, err
	}
	return s.completeWait(ctx, p, caseID, WaitReview, func(c *Case, _ *RuleSet) error {
		c.Decision = &Decision{Outcome: "reject", By: p.Actor(), Reason: reason}
		return c.Apply(Change{Action: ActReject, Actor: p.Actor(), At: s.Clock.Now(), Note: reason})
	})
}

// RequestEvidence asks the buyer of a case waiting for review for evidence.
func (s *Service) RequestEvidence(ctx context.Context, p Principal, caseID, note string) (*Case, error) {
	const op = "case.request_evidence"
	if err := staffOnly(p, op); err != nil {
		return nil, err
	}
	if err := requireText("note", note, op); err != nil {
		return nil, err
	}
	return s.completeWait(ctx, p, caseID, WaitReview, func(c *Case, _ *RuleSet) error {
		c.Decision = &Decision{Outcome: "request_evidence", By: p.Actor(), Reason: note}
		return c.Apply(Change{Action: ActRequestEvidence, Actor: p.Actor(), At: s.Clock.Now(), Note: note})
	})
}

// ShipReturn records the buyer's return waybill (any terminal, F4).
func (s *Service) ShipReturn(ctx context.Context, p Principal, caseID string, sh Shipment) (*Case, error) {
	const op = "case.return_shipment"
	if err := validateShipment(sh, op); err != nil {
		return nil, err
	}
	return s.completeWait(ctx, p, caseID, WaitReturn, func(c *Case, _ *RuleSet) error {
		if !c.OwnedBy(p.ID) {
			return E(KindForbidden, op, "only the case's buyer ships the return")
		}
		sh.At = s.Clock.Now().UTC()
		c.Return = &sh
		return c.Apply(Change{Action: ActShipReturn, Actor: p.Actor(), At: sh.At, Note: sh.Courier + " " + sh.TrackingNumber})
	})
}

// ConfirmReceipt records that the merchant received and inspected the return.
func (s *Service) ConfirmReceipt(ctx context.Context, p Principal, caseID, condition, note string) (*Case, error) {
	const op = "case.receipt"
	if err := staffOnly(p, op); err != nil {
		return nil, err
	}
	var v Validation
	v.Check(condition == ConditionSellable || condition == ConditionDefective, "condition", "must be sellable or defective")
	v.Check(len(note) <= MaxDescriptionRunes, "note", "must be at most %d characters", MaxDescriptionRunes)
	if err := v.Err(op); err != nil {
		return nil, err
	}
	return s.completeWait(ctx, p, caseID, WaitReceipt, func(c *Case, _ *RuleSet) error {
		c.ReturnCondition = condition
		return c.Apply(Change{Action: ActConfirmReceipt, Actor: p.Actor(), At: s.Clock.Now(), Note: strings.TrimSpace(condition + " " + note)})
	})
}

// Reship records the replacement parcel of an exchange.
func (s *Service) Reship(ctx context.Context, p Principal, caseID string, sh Shipment) (*Case, error) {
	const op = "case.reship"
	if err := staffOnly(p, op); err != nil {
		return nil, err
	}
	if err := validateShipment(sh, op); err != nil {
		return nil, err
	}
	return s.completeWait(ctx, p, caseID, WaitReship, func(c *Case, _ *RuleSet) error {
		sh.At = s.Clock.Now().UTC()
		c.Replacement = &sh
		return c.Apply(Change{Action: ActReship, Actor: p.Actor(), At: sh.At, Note: sh.Courier + " " + sh.TrackingNumber})
	})
}

var trackingNumber = regexp.MustCompile(`^[A-Za-z0-9]{6,32}$`)

func validateShipment(sh Shipment, op string) error {
	var v Validation
	v.Check(sh.Courier != "" && len(sh.Courier) <= 32, "courier", "is required (a courier code such as shunfeng or yuantong)")
	v.Check(trackingNumber.MatchString(sh.TrackingNumber), "tracking_number", "must be 6 to 32 letters or digits")
	return v.Err(op)
}

func requireText(field, text, op string) error {
	var v Validation
	v.Check(strings.TrimSpace(text) != "", field, "is required")
	v.Check(len(text) <= MaxDescriptionRunes, field, "must be at most %d characters", MaxDescriptionRunes)
	return v.Err(op)
}
