package refunds

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// RefundNotified takes a verified provider notification (from the inbound
// queue). Notifications about a refund that is already final change
// nothing; one about an unknown refund is ErrNotFound (the consumer parks
// it).
func (s *Service) RefundNotified(ctx context.Context, n aftersales.RefundNotice) error {
	caseID, _, ok := aftersales.ParseOutRefundNo(n.OutRefundNo)
	if !ok {
		return aftersales.Wrap(aftersales.KindNotFound, "refund.notified", fmt.Errorf("%w: refund number %q", aftersales.ErrNotFound, n.OutRefundNo))
	}
	return s.recordResult(ctx, caseID, n.OutRefundNo, n.RefundResult, "provider:"+string(n.Channel), false)
}

// recordResult is the one place a provider's word about a refund lands:
// the answer to the request, a status query, or a notification. It moves an
// open refund once (on condition of the status it read), then settles the
// case from the refund's final status. queried counts a status query for
// the poll back-off.
func (s *Service) recordResult(ctx context.Context, caseID, no string, res aftersales.RefundResult, actor string, queried bool) error {
	for attempt := 1; ; attempt++ {
		r, err := s.Refunds.GetRefund(ctx, caseID, no)
		if err != nil {
			return err
		}
		if r.Status.Final() {
			return s.settleCase(ctx, r, actor) // repairs a case a crash left behind; else no change
		}
		if r.Status == aftersales.RefundManual {
			return nil // no provider was asked: only finance settles it (MarkRefundPaid)
		}
		prev := r.Status
		next := statusOf(res.State)
		if next == prev && !queried {
			return nil // nothing new
		}
		now := s.Clock.Now()
		r.Status, r.UpdatedAt = next, now
		if queried {
			r.Queries++
		}
		if res.ProviderRefundID != "" {
			r.ProviderRefundID = res.ProviderRefundID
		}
		if res.Account != "" {
			r.Account = res.Account
		}
		r.Sandbox = r.Sandbox || res.Sandbox
		if next == aftersales.RefundSucceeded {
			r.ArrivedAt = res.ArrivedAt
			if r.ArrivedAt.IsZero() {
				r.ArrivedAt = now
			}
		}
		err = s.Refunds.UpdateRefund(ctx, r, prev)
		if errors.Is(err, aftersales.ErrRefundChanged) && attempt < maxAttempts {
			continue // a concurrent answer won; look again
		}
		if err != nil {
			return err
		}
		if next.Final() {
			return s.settleCase(ctx, r, actor)
		}
		if prev == aftersales.RefundRequested {
			return s.noteStarted(ctx, r)
		}
		return nil
	}
}

// statusOf maps a provider's state onto the refund's status.
func statusOf(st aftersales.RefundState) aftersales.RefundStatus {
	switch st {
	case aftersales.StateSucceeded:
		return aftersales.RefundSucceeded
	case aftersales.StateClosed:
		return aftersales.RefundClosed
	case aftersales.StateAbnormal:
		return aftersales.RefundAbnormal
	}
	return aftersales.RefundProcessing
}

// noteStarted tells the buyer the refund is on its way (F11).
func (s *Service) noteStarted(ctx context.Context, r *aftersales.Refund) error {
	_, _, err := casework.Update(ctx, s.Cases, r.CaseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		if c.Status != aftersales.StatusRefunding || c.CurrentRefundSeq() != r.Seq || c.RefundFailed {
			return casework.ErrNoChange
		}
		return c.Apply(aftersales.Change{Action: aftersales.ActRefundStarted, Actor: "provider:" + string(r.Channel), At: s.Clock.Now(),
			Note: fmt.Sprintf("refund %s of %s initiated via %s, expected in 1-3 working days", r.ID(), r.Amount, r.Channel)})
	})
	return err
}

// settleCase brings the case in line with its final refund r: succeeded
// completes it, closed or abnormal flags it for staff. It is idempotent, and
// resumes the waiting workflow when it changed the case.
func (s *Service) settleCase(ctx context.Context, r *aftersales.Refund, actor string) error {
	var token string
	c, wrote, err := casework.Update(ctx, s.Cases, r.CaseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		if c.Status != aftersales.StatusRefunding || c.CurrentRefundSeq() != r.Seq || c.RefundFailed {
			return casework.ErrNoChange // settled already, or a refund staff replaced
		}
		token = c.TaskToken
		ch := aftersales.Change{Actor: actor, At: s.Clock.Now()}
		switch r.Status {
		case aftersales.RefundSucceeded:
			c.Refunded, c.RefundManual = c.Refunded+r.Amount.Amount, false // a dispute's refund comes on top of the first
			ch.Action = aftersales.ActRefundSucceeded
			ch.Note = succeededNote(r)
			if r.Channel == aftersales.ChannelBalance && !r.Sandbox { // a sandbox calls nobody, not even the mall
				// The mall credits the balance on this event, raised with
				// the case change that records the credit (the outbox).
				c.Raise(aftersales.EventBalanceCredited, r.OutRefundNo, ch.At, map[string]any{
					"out_refund_no": r.OutRefundNo, "amount": r.Amount.Amount, "currency": r.Amount.Currency})
			}
			if next, more := c.CurrentTranche(); more {
				// A case paid back in several refunds (F19) sends the next
				// under a new number: the workflow's refund step takes a
				// new wait for it, as after a retry.
				ch.Action = aftersales.ActRefundNext
				ch.Note += fmt.Sprintf("; next: %s %s", next.Stage, aftersales.Money{Amount: next.Amount, Currency: c.Currency})
				c.RefundSeq, c.TaskToken = c.CurrentRefundSeq()+1, ""
			}
		case aftersales.RefundClosed:
			c.RefundFailed = true
			ch.Action = aftersales.ActRefundFailed
			ch.Note = fmt.Sprintf("refund %s closed by %s: staff may retry it or refund to store balance", r.ID(), r.Channel)
		default: // abnormal
			c.RefundFailed = true
			ch.Action = aftersales.ActRefundFailed
			ch.Note = fmt.Sprintf("refund %s abnormal at %s (the buyer's account refused it): settle it in the provider's console", r.ID(), r.Channel)
		}
		if c.RefundFailed {
			raiseFailure(c, r.OutRefundNo, ch.Note, ch.At)
		}
		return c.Apply(ch)
	})
	if err != nil || !wrote || token == "" {
		return err
	}
	return s.Workflow.Resume(ctx, token, c)
}

// succeededNote is the timeline's word on a refund that succeeded: how the
// money went, and that it did not when a sandbox made the answer up.
func succeededNote(r *aftersales.Refund) string {
	at := r.ArrivedAt.Format(time.RFC3339)
	switch {
	case r.Sandbox:
		return fmt.Sprintf("refund %s: %s marked arrived via %s at %s by the sandbox (provider mode sandbox: no money moved)",
			r.ID(), r.Amount, r.Channel, at)
	case r.PaidBy != "":
		return fmt.Sprintf("refund %s: %s paid by hand (%s) at %s, reference %q", r.ID(), r.Amount, r.Channel, at, r.ProviderRefundID)
	}
	return fmt.Sprintf("refund %s: %s arrived via %s at %s", r.ID(), r.Amount, r.Channel, at)
}

// failRefund flags the case's refund seq as failed before it reached a
// provider (no route, or the ledger refused it).
func (s *Service) failRefund(ctx context.Context, caseID string, seq int, note string) error {
	var token string
	c, wrote, err := casework.Update(ctx, s.Cases, caseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		if c.Status != aftersales.StatusRefunding || c.CurrentRefundSeq() != seq || c.RefundFailed {
			return casework.ErrNoChange
		}
		token = c.TaskToken
		c.RefundFailed = true
		raiseFailure(c, aftersales.OutRefundNo(c.ID, seq), note, s.Clock.Now())
		return c.Apply(aftersales.Change{Action: aftersales.ActRefundFailed, Actor: aftersales.ActorWorkflow, At: s.Clock.Now(), Note: note})
	})
	if err != nil || !wrote || token == "" {
		return err
	}
	return s.Workflow.Resume(ctx, token, c)
}

// raiseFailure tells staff's tools (the refund-failure alarm) that a
// refund needs them, with the case change that records the failure (the
// outbox), so a failure is announced if and only if it is recorded.
func raiseFailure(c *aftersales.Case, no, note string, at time.Time) {
	c.Raise(aftersales.EventRefundFailed, no+":failed", at,
		map[string]any{"out_refund_no": no, "amount": c.Approved, "currency": c.Currency, "note": note})
}

// AcceptNotice takes a verified provider notification at the webhook: a
// replayed one (its id already recorded) changes nothing; a new one is
// queued for the inbound consumer, then recorded. Recording after queueing
// means a failed queueing is retried by the provider, never lost; a
// concurrent duplicate may be queued twice, which RefundNotified absorbs.
func (s *Service) AcceptNotice(ctx context.Context, n aftersales.RefundNotice) (duplicate bool, err error) {
	provider := string(n.Channel)
	seen, err := s.Notifications.NotificationSeen(ctx, provider, n.NotificationID)
	if err != nil || seen {
		return seen, err
	}
	if err := s.Notices.EnqueueNotice(ctx, n); err != nil {
		return false, err
	}
	_, err = s.Notifications.RecordNotification(ctx, provider, n.NotificationID, s.Clock.Now())
	return false, err
}
