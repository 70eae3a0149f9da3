// Package workflow is the use case of the case workflow's own steps (F5,
// F7, F8, F25): the rules decide a new case, every wait is recorded with its
// deadline, a passed deadline applies its default outcome, a failed
// execution is noted for staff, and the sweep re-queues cases whose intake
// message was lost. It also resumes a waiting workflow for the other use
// cases (casework.Resumer), computing how long the case's next wait lasts.
package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// RefundLookup reads a case's refund: the refund wait's length depends on
// how many times it was queried.
type RefundLookup interface {
	GetRefund(ctx context.Context, caseID, outRefundNo string) (*aftersales.Refund, error)
}

// RefundPoller acts at the deadline of a refund wait: it sends, queries,
// settles or reminds, and returns the case as it is afterwards. The refunds
// use case implements it.
type RefundPoller interface {
	PollRefund(ctx context.Context, c *aftersales.Case) (*aftersales.Case, error)
}

// Service runs the workflow's steps. A function builds it with the ports
// its steps use: the sweeper needs Cases, Intake and Clock only.
type Service struct {
	Cases   aftersales.CaseStore
	Orders  aftersales.OrderStore
	Rules   aftersales.RuleSetStore
	Refunds RefundLookup
	Polls   RefundPoller
	Waits   aftersales.Waits
	Intake  aftersales.Intake
	Clock   aftersales.Clock
	// Coupons is the mall's coupon service, asked at decision time
	// whether virtual goods were used (F18); nil: the snapshot is trusted.
	Coupons aftersales.CouponService
}

var _ casework.Resumer = (*Service)(nil)

// Step builds the result of a step for c, with the deadline of the wait its
// status is in.
func (s *Service) Step(ctx context.Context, c *aftersales.Case) (aftersales.StepResult, error) {
	res := aftersales.StepResult{CaseID: c.ID, Status: c.Status}
	wait, ok := aftersales.WaitOf(c.Status)
	if !ok {
		return res, nil
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return res, err
	}
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return res, err
	}
	d := rs.Deadlines.For(wait, c, o)
	switch wait {
	case aftersales.WaitRefund:
		if d, err = s.refundWait(ctx, c, o); err != nil {
			return res, err
		}
	case aftersales.WaitResolution:
		// A dispute's deadlines count from its opening, however often
		// the wait begins again (after the merchant's answer).
		d = resolutionDue(rs.Deadlines, c).Sub(s.Clock.Now())
	case aftersales.WaitTransit:
		// A return in transit is due from its waybill until collected,
		// then from its last scan: every push begins the wait again.
		d = rs.Deadlines.TransitDue(c).Sub(s.Clock.Now())
	case aftersales.WaitInterception:
		// Due from the request, whatever the courier said since (an
		// interception confirmed goes on waiting for the parcel).
		d = rs.Deadlines.InterceptionDue(c).Sub(s.Clock.Now())
	}
	res.WaitSeconds = max(int64(d/time.Second), 1)
	return res, nil
}

// refundWait is how long the refunding case c waits before the next look at
// its refund.
func (s *Service) refundWait(ctx context.Context, c *aftersales.Case, o *aftersales.Order) (time.Duration, error) {
	if c.RefundFailed || c.RefundManual {
		return aftersales.RefundStaffWait, nil
	}
	r, err := s.Refunds.GetRefund(ctx, c.ID, c.CurrentOutRefundNo())
	switch {
	case errors.Is(err, aftersales.ErrNotFound):
		return aftersales.RefundPollDelay(aftersales.RefundRoute(c, o), 0), nil
	case err != nil:
		return 0, err
	case r.Status == aftersales.RefundManual: // nobody to poll: finance pays it
		return aftersales.RefundStaffWait, nil
	}
	return aftersales.RefundPollDelay(r.Channel, r.Queries), nil
}

// Resume hands the case back to the workflow waiting on token, with the
// deadline of the wait its status is in now. A wait that already ended is
// treated as done: its deadline path reads the case and routes on what it
// finds.
func (s *Service) Resume(ctx context.Context, token string, c *aftersales.Case) error {
	res, err := s.Step(ctx, c)
	if err != nil {
		return err
	}
	err = s.Waits.CompleteWait(ctx, token, res)
	if errors.Is(err, aftersales.ErrWaitGone) {
		return nil
	}
	return err
}

// EndWait hands the case back to the workflow waiting on token as it is
// now: the wait loop's task for a case whose status has no wait (the run
// ends) or that was just reviewed.
func (s *Service) EndWait(ctx context.Context, caseID, token string) error {
	c, err := s.Cases.GetCase(ctx, caseID)
	if err != nil {
		return err
	}
	return s.Resume(ctx, token, c)
}

// BeginWait records that the workflow waits on token for the wait of the
// case's status, with its deadline (F5, F25). If the case has already moved
// on (someone acted before the wait began), it completes the wait at once.
func (s *Service) BeginWait(ctx context.Context, caseID, token string, seconds int64) error {
	c, wrote, err := casework.Update(ctx, s.Cases, caseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		wait, waiting := aftersales.WaitOf(c.Status)
		if !waiting || c.TaskToken == token {
			return casework.ErrNoChange
		}
		now := s.Clock.Now()
		deadline := now.Add(time.Duration(seconds) * time.Second).UTC()
		if err := c.Apply(aftersales.Change{Action: aftersales.ActAwait, Actor: aftersales.ActorWorkflow, At: now,
			Note: fmt.Sprintf("%s until %s", wait, deadline.Format(time.RFC3339))}); err != nil {
			return err
		}
		c.WaitingFor, c.TaskToken, c.Deadline = wait, token, deadline
		promised, err := s.promise(ctx, wait, c)
		if err != nil {
			return err
		}
		if promised.Before(deadline) {
			c.PromisedBy = promised
		}
		return nil
	})
	if err != nil || wrote || c.TaskToken == token {
		return err // recorded now, or by an earlier try of this task
	}
	return s.Resume(ctx, token, c) // the case moved on before the wait began
}

// promise is the deadline shown to the buyer for wait, from now.
func (s *Service) promise(ctx context.Context, wait string, c *aftersales.Case) (time.Time, error) {
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return time.Time{}, err
	}
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return time.Time{}, err
	}
	if wait == aftersales.WaitTransit {
		return rs.Deadlines.TransitDue(c).UTC(), nil
	}
	if wait == aftersales.WaitInterception {
		return rs.Deadlines.InterceptionDue(c).UTC(), nil
	}
	return s.Clock.Now().Add(rs.Deadlines.Promised(wait, c, o)).UTC(), nil
}

// Deadline applies the default outcome of a wait whose deadline passed
// (F25). waitedIn is the status the case was in when the workflow began the
// wait: a case that moved on meanwhile (a decision that raced the deadline)
// is returned as it is, never given the default outcome of its new wait.
func (s *Service) Deadline(ctx context.Context, caseID string, waitedIn aftersales.Status) (aftersales.StepResult, error) {
	poll := false
	c, _, err := casework.Update(ctx, s.Cases, caseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		wait, _ := aftersales.WaitOf(c.Status)
		if was, _ := aftersales.WaitOf(waitedIn); wait != was {
			return casework.ErrNoChange
		}
		ch := aftersales.Change{Actor: aftersales.ActorDeadline, At: s.Clock.Now(), Note: "deadline passed"}
		switch wait {
		case aftersales.WaitReview:
			ch.Action, ch.Note = aftersales.ActApprove, "not reviewed in time: approved"
			c.Approved = c.Requested
			c.Decision = &aftersales.Decision{Outcome: "approve", By: aftersales.ActorDeadline, Reason: "not reviewed in time"}
		case aftersales.WaitEvidence, aftersales.WaitReturn, aftersales.WaitDispute:
			ch.Action = aftersales.ActExpire
		case aftersales.WaitResolution:
			rs, err := casework.RuleSet(ctx, s.Rules)
			if err != nil {
				return err
			}
			if ch.At.Before(resolutionDue(rs.Deadlines, c)) {
				return casework.ErrNoChange // begun again with a later deadline; Step says how long is left
			}
			return c.Escalate(escalation(rs.Deadlines, c), ch.At)
		case aftersales.WaitArbitration:
			ch.Action = aftersales.ActRemind
			ch.Note = "not arbitrated in time (arbitration deadline): arbitrators reminded"
		case aftersales.WaitReceipt:
			ch.Action, ch.Note = aftersales.ActConfirmReceipt, "receipt not confirmed in time: treated as received"
		case aftersales.WaitTransit:
			rs, err := casework.RuleSet(ctx, s.Rules)
			if err != nil {
				return err
			}
			if ch.At.Before(rs.Deadlines.TransitDue(c)) {
				return casework.ErrNoChange // a push moved the deadline; Step says how long is left
			}
			return transitDeadline(rs.Deadlines, c, &ch)
		case aftersales.WaitInterception:
			rs, err := casework.RuleSet(ctx, s.Rules)
			if err != nil {
				return err
			}
			if ch.At.Before(rs.Deadlines.InterceptionDue(c)) {
				return casework.ErrNoChange // Step says how long is left
			}
			// The buyer's money is not held hostage to a silent courier:
			// the merchant chose to intercept, and approved the refund.
			ic := c.Interception
			ic.Status, ic.At = aftersales.InterceptionLapsed, ch.At.UTC()
			ch.Action = aftersales.ActInterceptionLapsed
			ch.Note = fmt.Sprintf("no word of %s %s within %s (interception deadline): refunded as approved; staff may follow the parcel up",
				ic.Courier, ic.TrackingNumber, aftersales.FormatDuration(rs.Deadlines.Interception))
		case aftersales.WaitReship:
			ch.Action, ch.Note = aftersales.ActRemind, "replacement not shipped in time"
		case aftersales.WaitRefund:
			poll = true
			return casework.ErrNoChange
		default:
			return casework.ErrNoChange
		}
		return c.Apply(ch)
	})
	if err == nil && poll {
		c, err = s.Polls.PollRefund(ctx, c)
	}
	if err != nil {
		return aftersales.StepResult{}, err
	}
	return s.Step(ctx, c)
}

// transitDeadline applies the default outcome of a return's transit wait:
// untracked, it is treated as received (the receipt deadline ran from the
// waybill); never collected, the waybill is cleared for the buyer to correct
// (back to awaiting_return, whose deadline begins afresh); stalled, staff
// and buyer are told, and told again a period later if it stays silent.
func transitDeadline(d aftersales.Deadlines, c *aftersales.Case, ch *aftersales.Change) error {
	sh := c.Return
	switch {
	case !sh.Tracked:
		ch.Action, ch.Note = aftersales.ActConfirmReceipt, "receipt not confirmed in time: treated as received"
	case sh.CollectedAt.IsZero():
		ch.Action = aftersales.ActWaybillNotCollected
		ch.Note = fmt.Sprintf("%s %s not collected within %s (collection deadline): please check the waybill and submit it again",
			sh.Courier, sh.TrackingNumber, aftersales.FormatDuration(d.Collection))
		c.Return = nil
	default:
		ch.Action = aftersales.ActParcelProblem
		ch.Note = fmt.Sprintf("%s %s has not moved for %s (stalled deadline): staff are checking with the courier",
			sh.Courier, sh.TrackingNumber, aftersales.FormatDuration(ch.At.Sub(sh.MovedAt).Truncate(time.Hour)))
		sh.AlertedAt = ch.At.UTC()
	}
	return c.Apply(*ch)
}

// resolutionDue is when a dispute's resolution wait ends: the answer
// deadline while the merchant has not answered, then the agreement's, both
// from the dispute's opening.
func resolutionDue(d aftersales.Deadlines, c *aftersales.Case) time.Time {
	if c.Dispute == nil {
		return time.Time{}
	}
	return c.Dispute.OpenedAt.Add(d.For(aftersales.WaitResolution, c, nil))
}

// escalation says which deadline a dispute missed, for the timeline.
func escalation(d aftersales.Deadlines, c *aftersales.Case) string {
	if c.Dispute.AnsweredAt.IsZero() {
		return fmt.Sprintf("the merchant did not answer within %s (dispute_answer deadline): escalated to the platform",
			aftersales.FormatDuration(d.DisputeAnswer))
	}
	return fmt.Sprintf("no agreement within %s (dispute_agreement deadline): escalated to the platform",
		aftersales.FormatDuration(d.DisputeAgreement))
}

// RecordFailure notes on the case's timeline that its workflow failed, so
// staff see it; the case keeps its status for them to act on.
func (s *Service) RecordFailure(ctx context.Context, caseID, cause string) error {
	_, _, err := casework.Update(ctx, s.Cases, caseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		return c.Apply(aftersales.Change{Action: aftersales.ActWorkflowFailed, Actor: aftersales.ActorWorkflow, At: s.Clock.Now(), Note: cause})
	})
	return err
}

// Sweep hands every case still submitted after grace back to the workflow:
// the safety net for an intake message lost after the case was written.
// Starting a case's workflow twice is harmless (executions are named by case
// id), so the sweeper need not know which cases have one.
func (s *Service) Sweep(ctx context.Context, grace time.Duration) (int, error) {
	n := 0
	q := aftersales.CaseQuery{Status: aftersales.StatusSubmitted, To: s.Clock.Now().Add(-grace), Limit: aftersales.MaxPageSize}
	err := casework.EachPage(ctx, s.Cases, q, func(c aftersales.Case) error {
		if err := s.Intake.EnqueueCase(ctx, c.ID); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, err
	}
	// A goodwill or auto refund case is opened approved, straight into
	// refunding: one whose intake message was lost has no refund wait
	// after the grace.
	for _, t := range []aftersales.CaseType{aftersales.Goodwill, aftersales.AutoRefund} {
		q = aftersales.CaseQuery{Status: aftersales.StatusRefunding, Type: t, To: s.Clock.Now().Add(-grace), Limit: aftersales.MaxPageSize}
		err = casework.EachPage(ctx, s.Cases, q, func(c aftersales.Case) error {
			if c.TaskToken != "" {
				return nil
			}
			if err := s.Intake.EnqueueCase(ctx, c.ID); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	// A completed case reopened by a dispute of its amount whose intake
	// message was lost waits in no execution: disputed, no wait recorded,
	// for longer than a wait takes to begin. (A rejection's dispute is in
	// the case's first execution.)
	q = aftersales.CaseQuery{Status: aftersales.StatusDisputed, Limit: aftersales.MaxPageSize}
	stale := s.Clock.Now().Add(-grace)
	err = casework.EachPage(ctx, s.Cases, q, func(c aftersales.Case) error {
		if c.TaskToken != "" || !c.UpdatedAt.Before(stale) || c.Dispute == nil || c.Dispute.Kind != aftersales.DisputeAmount {
			return nil
		}
		if err := s.Intake.ReopenCase(ctx, c.ID, RunDispute); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

// Remind sends the reminders that fell due (F6, F25): a buyer whose wait
// ends within a day, staff whose review promise to a member ends within a
// quarter of an hour; once per deadline (Case.ReminderDue). A promise that
// has passed is recorded as missed, with the member's compensation (F24).
// The sweeper calls it every few minutes; it returns how many it sent.
func (s *Service) Remind(ctx context.Context) (int, error) {
	n := 0
	for _, st := range aftersales.ReminderStatuses {
		q := aftersales.CaseQuery{Status: st, Limit: aftersales.MaxPageSize}
		err := casework.EachPage(ctx, s.Cases, q, func(c aftersales.Case) error {
			if c.PromiseMissed(s.Clock.Now()) {
				wrote, err := s.missPromise(ctx, c.ID)
				if wrote {
					n++
				}
				return err
			}
			if _, due := c.ReminderDue(s.Clock.Now()); !due {
				return nil
			}
			_, wrote, err := casework.Update(ctx, s.Cases, c.ID, s.Cases.GetCase, func(c *aftersales.Case) error {
				now := s.Clock.Now()
				due, ok := c.ReminderDue(now)
				if !ok {
					return casework.ErrNoChange
				}
				return c.Remind(due, now)
			})
			if wrote {
				n++
			}
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// missPromise records that the review time promised to a member passed
// unmet (F24): staff are told on the timeline, and the member's points,
// as the merchant's rule set gives them to the tier (20 for diamond by
// default), are raised with that change, once: the change drops the
// promise, so a later sweep finds nothing to miss.
func (s *Service) missPromise(ctx context.Context, caseID string) (bool, error) {
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return false, err
	}
	_, wrote, err := casework.Update(ctx, s.Cases, caseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		now := s.Clock.Now()
		if !c.PromiseMissed(now) {
			return casework.ErrNoChange
		}
		promised, deadline := c.PromisedBy, c.Deadline
		if err := c.MissPromise(now); err != nil {
			return err
		}
		o, err := s.Orders.GetOrder(ctx, c.OrderID)
		if err != nil {
			return err // the promise came from the order's tier: it is there
		}
		if pts := rs.Perks[o.MemberTier].MissedPromisePoints; pts > 0 {
			c.Raise(aftersales.EventPointsCompensation, "", now, map[string]any{"member_tier": o.MemberTier, "points": pts,
				"promised_by": promised.UTC().Format(time.RFC3339Nano), "review_deadline": deadline.UTC().Format(time.RFC3339Nano)})
		}
		return nil
	})
	return wrote, err
}

// RunDispute names the workflow run of a completed case reopened by a
// dispute.
const RunDispute = "dispute"
