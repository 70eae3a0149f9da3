package refunds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Manual refunds: a refund whose channel has no payment route (a bank-card
// order; a provider the merchant has not configured) is not a failure but
// a task for finance. It is stored in status manual with its ledger
// booking, under the same database limit as any refund, so a manual refund
// can never take more than was paid nor be booked twice. The case says
// what it waits for (next: merchant mark_refund_paid), a domain event
// raises the stack's alarm, and the daily reminder repeats until finance
// has paid by hand and marked it paid, which succeeds the refund once and
// completes the case.

// MaxPaymentReference bounds the reference finance gives for a refund paid
// by hand (a bank transfer's number is about 30 characters).
const MaxPaymentReference = 64

// awaitManual makes the case of the manual refund r wait for finance, and
// hands the workflow the wait that follows (a day, then a reminder). It is
// idempotent: a case already waiting changes no more.
func (s *Service) awaitManual(ctx context.Context, r *aftersales.Refund) error {
	c, token, err := s.flagManual(ctx, r)
	if err != nil || token == "" {
		return err
	}
	return s.Workflow.Resume(ctx, token, c)
}

// flagManual records on the case that its refund r waits to be paid by
// hand, raising its event (the alarm) in the same write, so that it never goes
// unannounced.
// It returns the task token of the wait it ended, "" when the case did not
// change.
func (s *Service) flagManual(ctx context.Context, r *aftersales.Refund) (*aftersales.Case, string, error) {
	var token string
	c, wrote, err := casework.Update(ctx, s.Cases, r.CaseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		if c.Status != aftersales.StatusRefunding || c.CurrentRefundSeq() != r.Seq || c.RefundFailed || c.RefundManual {
			return casework.ErrNoChange
		}
		token = c.TaskToken
		note := fmt.Sprintf("refund %s of %s has no payment route for %s: finance pays it by hand, then marks it paid",
			r.ID(), r.Amount, r.Channel)
		raiseManual(c, r, note, s.Clock.Now())
		c.RefundManual = true
		return c.Apply(aftersales.Change{Action: aftersales.ActRefundManual, Actor: aftersales.ActorWorkflow, At: s.Clock.Now(), Note: note})
	})
	if err != nil || !wrote {
		return c, "", err
	}
	return c, token, nil
}

// remindManual runs at the deadline of a manual refund's wait: it reminds
// finance on the timeline, or flags the case first if a crash came between
// storing the refund and flagging it.
func (s *Service) remindManual(ctx context.Context, r *aftersales.Refund) error {
	if _, token, err := s.flagManual(ctx, r); err != nil || token != "" {
		return err
	}
	_, _, err := casework.Update(ctx, s.Cases, r.CaseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		if c.Status != aftersales.StatusRefunding || c.CurrentRefundSeq() != r.Seq || !c.RefundManual {
			return casework.ErrNoChange
		}
		return c.Apply(aftersales.Change{Action: aftersales.ActRemind, Actor: aftersales.ActorDeadline, At: s.Clock.Now(),
			Note: fmt.Sprintf("refund %s of %s still waits for finance to pay it by hand and mark it paid", r.ID(), r.Amount)})
	})
	return err
}

// raiseManual tells finance's tools (the manual-refund alarm) that a
// refund waits for them, under an id stable across retries, with the case
// change that flags it (the outbox).
func raiseManual(c *aftersales.Case, r *aftersales.Refund, note string, at time.Time) {
	c.Raise(aftersales.EventRefundManual, r.OutRefundNo+":manual", at,
		map[string]any{"out_refund_no": r.OutRefundNo, "amount": r.Amount.Amount, "currency": r.Amount.Currency,
			"channel": string(r.Channel), "note": note})
}

// MarkRefundPaid records that finance paid the case's manual refund by hand
// (reference: the bank transfer's number, or what identifies the payment):
// the refund succeeds, once, and the case completes. A refund that is not
// waiting to be paid by hand, or was marked paid meanwhile, is a conflict;
// staff may not mark the refund of their own case.
func (s *Service) MarkRefundPaid(ctx context.Context, p aftersales.Principal, caseID, reference string) (*aftersales.Case, error) {
	const op = "refund.mark_paid"
	if err := casework.RequireStaff(p, op); err != nil {
		return nil, err
	}
	reference = strings.TrimSpace(reference)
	if err := checkReference(op, reference); err != nil {
		return nil, err
	}
	c, err := casework.ForStaff(s.Cases, p, op)(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if c.Status != aftersales.StatusRefunding || c.RefundFailed {
		return nil, aftersales.E(aftersales.KindConflict, op, "the case has no refund waiting to be paid by hand")
	}
	r, err := s.currentRefund(ctx, c)
	switch {
	case errors.Is(err, aftersales.ErrNotFound):
		return nil, aftersales.E(aftersales.KindConflict, op, "the case has no refund waiting to be paid by hand")
	case err != nil:
		return nil, err
	case r.Status == aftersales.RefundSucceeded && r.PaidBy != "":
		// Marked paid before: settle the case in case that request did not
		// get to it, and say so.
		if err := s.settleCase(ctx, r, r.PaidBy); err != nil {
			return nil, err
		}
		return nil, aftersales.E(aftersales.KindConflict, op, "the refund was already marked paid by "+r.PaidBy)
	case r.Status != aftersales.RefundManual:
		return nil, aftersales.E(aftersales.KindConflict, op, "the refund is "+string(r.Status)+", not waiting to be paid by hand")
	}
	now := s.Clock.Now()
	r.Status, r.UpdatedAt, r.ArrivedAt = aftersales.RefundSucceeded, now, now
	r.ProviderRefundID, r.PaidBy = reference, p.Actor()
	// On condition of the status read: of two staff marking it at once,
	// one wins and the other is told.
	err = s.Refunds.UpdateRefund(ctx, r, aftersales.RefundManual)
	if errors.Is(err, aftersales.ErrRefundChanged) {
		return nil, aftersales.E(aftersales.KindConflict, op, "the refund was marked paid meanwhile")
	}
	if err != nil {
		return nil, err
	}
	if err := s.settleCase(ctx, r, p.Actor()); err != nil {
		return nil, err
	}
	return s.Cases.GetCase(ctx, caseID)
}

// checkReference refuses an empty or oversized payment reference, and one
// with control or format characters (bidirectional overrides), which would
// disguise it in the ledger.
func checkReference(op, ref string) error {
	var v aftersales.Validation
	switch {
	case ref == "":
		v.Add("reference", "is required: the payment's reference, e.g. the bank transfer's number")
	case !utf8.ValidString(ref):
		v.Add("reference", "must be valid UTF-8")
	case utf8.RuneCountInString(ref) > MaxPaymentReference:
		v.Add("reference", "must be at most %d characters", MaxPaymentReference)
	case strings.IndexFunc(ref, func(r rune) bool { return unicode.In(r, unicode.Cc, unicode.Cf) }) >= 0:
		v.Add("reference", "must not contain control or formatting characters")
	}
	return v.Err(op)
}
