package aftersales

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The ports of the case workflow.

// Waits completes the waits of case workflows (Step Functions task tokens).
type Waits interface {
	// CompleteWait resumes the workflow waiting on token with result.
	// ErrWaitGone means the wait already ended (timed out or completed).
	CompleteWait(ctx context.Context, token string, result StepResult) error
}

// ErrWaitGone: the workflow is no longer waiting on that token; its deadline
// path has taken over and will see the case as it is now.
var ErrWaitGone = E(KindConflict, "", "the workflow is no longer waiting on this step")

// Intake hands a new case to the workflow (through a queue, so that bursts
// are paced).
type Intake interface {
	EnqueueCase(ctx context.Context, caseID string) error
}

// RuleSetStore keeps the merchant's versioned rule sets.
type RuleSetStore interface {
	// GetRuleSet returns the current rule set, or ErrNotFound when none was
	// ever stored (callers then use DefaultRuleSet).
	GetRuleSet(ctx context.Context) (*RuleSet, error)
	// PutRuleSet stores rs as the new current version; rs.Version must be
	// the current version + 1 (ErrVersionConflict otherwise).
	PutRuleSet(ctx context.Context, rs *RuleSet) error
}

// StepResult is what every workflow step returns to the state machine: the
// case's status (which the machine routes on) and how long the next wait
// may last.
type StepResult struct {
	CaseID      string
	Status      Status
	WaitSeconds int64
}

// waitOf names the wait each waiting status is in.
var waitOf = map[Status]string{
	StatusPendingReview:    WaitReview,
	StatusAwaitingEvidence: WaitEvidence,
	StatusAwaitingReturn:   WaitReturn,
	StatusReturnInTransit:  WaitReceipt,
	StatusAwaitingReceipt:  WaitReceipt,
	StatusReshipping:       WaitReship,
	StatusRefunding:        WaitRefund,
	StatusRejected:         WaitDispute,
}

// Actors of automatic changes.
const (
	ActorRules    = "rules"
	ActorWorkflow = "system"
	ActorDeadline = "system:deadline"
)

// ruleSet returns the merchant's current rule set, or the default one.
func (s *Service) ruleSet(ctx context.Context) (*RuleSet, error) {
	rs, err := s.Rules.GetRuleSet(ctx)
	if errors.Is(err, ErrNotFound) {
		return DefaultRuleSet(), nil
	}
	return rs, err
}

// step builds the result of a step for c, with the deadline of the wait its
// status is in.
func (s *Service) step(ctx context.Context, c *Case) (StepResult, error) {
	res := StepResult{CaseID: c.ID, Status: c.Status}
	wait, ok := waitOf[c.Status]
	if !ok {
		return res, nil
	}
	rs, err := s.ruleSet(ctx)
	if err != nil {
		return res, err
	}
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return res, err
	}
	d := rs.Deadlines.For(wait, c, o)
	if wait == WaitRefund {
		if d, err = s.refundWait(ctx, c); err != nil {
			return res, err
		}
	}
	res.WaitSeconds = max(int64(d/time.Second), 1)
	return res, nil
}

// Review applies the merchant's rules to a submitted case (F7, F8). It is
// idempotent: a case no longer submitted is returned as it is.
func (s *Service) Review(ctx context.Context, caseID string) (StepResult, error) {
	c, err := s.Cases.GetCase(ctx, caseID)
	if err != nil {
		return StepResult{}, err
	}
	if c.Status != StatusSubmitted {
		return s.step(ctx, c)
	}
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return StepResult{}, err
	}
	rs, err := s.ruleSet(ctx)
	if err != nil {
		return StepResult{}, err
	}
	refunds := 0
	if usesRefundHistory(rs) {
		// Only rules that look at the buyer's history pay for reading it.
		if refunds, err = s.refundsSince(ctx, c.BuyerID, s.Clock.Now().Add(-90*24*time.Hour)); err != nil {
			return StepResult{}, err
		}
	}
	d := Decide(DecisionInput{Case: c, Order: o, RefundsLast90Days: refunds, Now: s.Clock.Now()}, rs)
	prev := c.Version
	if err := applyDecision(c, d, s.Clock.Now()); err != nil {
		return StepResult{}, err
	}
	if err := s.Cases.UpdateCase(ctx, c, prev); err != nil {
		if errors.Is(err, ErrVersionConflict) {
			// Someone acted meanwhile (the buyer cancelled): retry the step.
			return StepResult{}, Wrap(KindTransient, "case.review", err)
		}
		return StepResult{}, err
	}
	return s.step(ctx, c)
}

// applyDecision turns a rules decision into the case change it stands for.
func applyDecision(c *Case, d Decision, at time.Time) error {
	ch := Change{Actor: ActorRules, At: at, Note: fmt.Sprintf("rule %s (rule set v%d)", d.RuleID, d.RuleSetVersion)}
	switch d.Outcome {
	case "approve":
		ch.Action = ActApprove
		c.Approved = c.Requested
	case "reject":
		ch.Action, ch.Note = ActReject, d.Reason+"; "+ch.Note
	case "request_evidence":
		ch.Action, ch.Note = ActRequestEvidence, d.Reason+"; "+ch.Note
	default:
		ch.Action = ActSendToReview
		ch.Note = fmt.Sprintf("%s review; %s", d.Level, ch.Note)
	}
	dd := d
	c.Decision = &dd
	return c.Apply(ch)
}

// usesRefundHistory reports whether any rule has a condition on the buyer's
// refund count.
func usesRefundHistory(rs *RuleSet) bool {
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
	q := CaseQuery{BuyerID: buyer, From: t, Limit: MaxPageSize}
	for {
		page, err := s.Cases.ListCases(ctx, q)
		if err != nil {
			return 0, err
		}
		for _, c := range page.Items {
			if c.Status == StatusCompleted && c.Refunded > 0 {
				n++
			}
		}
		if page.NextCursor == "" {
			return n, nil
		}
		q.Cursor = page.NextCursor
	}
}

// BeginWait records that the workflow waits on token for the wait of the
// case's status, with its deadline (F5, F25). If the case has already moved
// on (someone acted before the wait began), it completes the wait at once.
func (s *Service) BeginWait(ctx context.Context, caseID, token string, seconds int64) error {
	c, wrote, err := s.update(ctx, caseID, s.Cases.GetCase, func(c *Case) error {
		wait, waiting := waitOf[c.Status]
		if !waiting || c.TaskToken == token {
			return errNoChange
		}
		now := s.Clock.Now()
		deadline := now.Add(time.Duration(seconds) * time.Second).UTC()
		if err := c.Apply(Change{Action: ActAwait, Actor: ActorWorkflow, At: now,
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
	return s.resume(ctx, token, c) // the case moved on before the wait began
}

// promise is the deadline shown to the buyer for wait, from now.
func (s *Service) promise(ctx context.Context, wait string, c *Case) (time.Time, error) {
	rs, err := s.ruleSet(ctx)
	if err != nil {
		return time.Time{}, err
	}
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return time.Time{}, err
	}
	return s.Clock.Now().Add(rs.Deadlines.Promised(wait, c, o)).UTC(), nil
}

// complete resumes a workflow, treating a wait that already ended as done:
// its deadline path reads the case and routes on what it finds.
func (s *Service) complete(ctx context.Context, token string, res StepResult) error {
	err := s.Waits.CompleteWait(ctx, token, res)
	if errors.Is(err, ErrWaitGone) {
		return nil
	}
	return err
}

// Deadline applies the default outcome of a wait whose deadline passed
// (F25). waitedIn is the status the case was in when the workflow began the
// wait: a case that moved on meanwhile (a decision that raced the deadline)
// is returned as it is, never given the default outcome of its new wait.
func (s *Service) Deadline(ctx context.Context, caseID string, waitedIn Status) (StepResult, error) {
	query := false
	c, _, err := s.update(ctx, caseID, s.Cases.GetCase, func(c *Case) error {
		if waitOf[c.Status] != waitOf[waitedIn] {
			return errNoChange
		}
		ch := Change{Actor: ActorDeadline, At: s.Clock.Now(), Note: "deadline passed"}
		switch waitOf[c.Status] {
		case WaitReview:
			ch.Action, ch.Note = ActApprove, "not reviewed in time: approved"
			c.Approved = c.Requested
			c.Decision = &Decision{Outcome: "approve", By: ActorDeadline, Reason: "not reviewed in time"}
		case WaitEvidence, WaitReturn, WaitDispute:
			ch.Action = ActExpire
		case WaitReceipt:
			ch.Action, ch.Note = ActConfirmReceipt, "receipt not confirmed in time: treated as received"
		case WaitReship:
			ch.Action, ch.Note = ActRemind, "replacement not shipped in time"
		case WaitRefund:
			query = true
			return errNoChange
		default:
			return errNoChange
		}
		return c.Apply(ch)
	})
	switch {
	case err != nil:
		return StepResult{}, err
	case query:
		return s.pollRefund(ctx, c)
	}
	return s.step(ctx, c)
}

// RecordFailure notes on the case's timeline that its workflow failed, so
// staff see it; the case keeps its status for them to act on.
func (s *Service) RecordFailure(ctx context.Context, caseID, cause string) error {
	_, _, err := s.update(ctx, caseID, s.Cases.GetCase, func(c *Case) error {
		return c.Apply(Change{Action: ActWorkflowFailed, Actor: ActorWorkflow, At: s.Clock.Now(), Note: cause})
	})
	return err
}

// Sweep hands every case still submitted after grace back to the workflow:
// the safety net for an intake message lost after the case was written.
// Starting a case's workflow twice is harmless (executions are named by case
// id), so the sweeper need not know which cases have one.
func (s *Service) Sweep(ctx context.Context, grace time.Duration) (int, error) {
	q := CaseQuery{Status: StatusSubmitted, To: s.Clock.Now().Add(-grace), Limit: MaxPageSize}
	n := 0
	for {
		page, err := s.Cases.ListCases(ctx, q)
		if err != nil {
			return n, err
		}
		for _, c := range page.Items {
			if err := s.Intake.EnqueueCase(ctx, c.ID); err != nil {
				return n, err
			}
			n++
		}
		if page.NextCursor == "" {
			return n, nil
		}
		q.Cursor = page.NextCursor
	}
}

// CurrentRuleSet returns the rule set in force (the default until the
// merchant stores one).
func (s *Service) CurrentRuleSet(ctx context.Context) (*RuleSet, error) {
	return s.ruleSet(ctx)
}

// PutRuleSet stores rs as the next version (admins only). A version sent
// with rs must be the current one, so two admins editing at once cannot
// silently overwrite each other.
func (s *Service) PutRuleSet(ctx context.Context, p Principal, rs *RuleSet) (*RuleSet, error) {
	const op = "ruleset.put"
	if !p.Has(RoleAdmin) {
		return nil, E(KindForbidden, op, "only admins change the rules")
	}
	cur, err := s.ruleSet(ctx)
	if err != nil {
		return nil, err
	}
	if rs.Version != 0 && rs.Version != cur.Version {
		var v Validation
		v.Add("version", "is %d but the current rule set is version %d; reload and edit that", rs.Version, cur.Version)
		return nil, v.Err(op)
	}
	next := *rs
	next.Version = cur.Version + 1
	next.UpdatedAt = s.Clock.Now().UTC()
	next.UpdatedBy = p.Actor()
	if err := s.Rules.PutRuleSet(ctx, &next); err != nil {
		return nil, err
	}
	return &next, nil
}
