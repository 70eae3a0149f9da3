// Package refunds is the use case of refund execution (F11-F13): a case in
// refunding has one current refund, numbered by Case.RefundSeq. Its life:
//
//  1. RequestRefund (a workflow task) stores the refund and books it on the
//     order ledger in one transaction the database refuses past what was
//     paid, then asks the payment route with the deterministic
//     out_refund_no. A crash anywhere in between is repaired by running the
//     step again: the refund exists, so it is only sent again, and the
//     provider deduplicates the number.
//  2. The provider's answer, a notification (RefundNotified) or a status
//     query at the wait's deadline (PollRefund, on the poll back-off) all go
//     through recordResult, which changes an open refund once and ignores
//     answers about a refund that is already final (duplicates, reordering).
//  3. A final refund settles the case: succeeded completes it; closed gives
//     the booking back and leaves the case in refunding, flagged for staff,
//     who retry (a new number) or refund to store balance (RetryRefund).
//
// The webhooks take notifications with AcceptNotice (dedupe and queue); staff
// read the ledger with ListRefunds.
package refunds

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Workflow is what refunds need of the case workflow: to record the refund
// wait and to resume a wait the refund's outcome ends.
type Workflow interface {
	casework.Resumer
	BeginWait(ctx context.Context, caseID, token string, seconds int64) error
}

// Service executes refunds. A function builds it with the ports it calls:
// the webhooks only Notifications, Notices and Clock; the tasks everything.
type Service struct {
	Cases         aftersales.CaseStore
	Orders        aftersales.OrderStore
	Refunds       aftersales.RefundStore
	Payments      map[aftersales.PaymentChannel]aftersales.RefundProvider // by channel: wechatpay, alipay, balance
	Notifications aftersales.NotificationStore
	Notices       aftersales.NoticeQueue
	Events        aftersales.EventPublisher // domain events; nil publishes none
	Workflow      Workflow
	Clock         aftersales.Clock
}

// maxAttempts bounds retries of a lost race on a refund's status.
const maxAttempts = 3

// errNoPayments: a service built without payment routes (only the
// workflow's tasks have them) reached a refund; never a reason to fail the
// refund itself.
var errNoPayments = aftersales.E(aftersales.KindInternal, "refund", "this service has no payment routes")

// currentRefund loads the case's current refund (ErrNotFound before it is
// requested).
func (s *Service) currentRefund(ctx context.Context, c *aftersales.Case) (*aftersales.Refund, error) {
	return s.Refunds.GetRefund(ctx, c.ID, c.CurrentOutRefundNo())
}

// RequestRefund is the workflow step of a refunding case: it records the
// wait on token, then makes sure the current refund exists and has been
// sent to its payment route (F11).
func (s *Service) RequestRefund(ctx context.Context, caseID, token string, seconds int64) error {
	if err := s.Workflow.BeginWait(ctx, caseID, token, seconds); err != nil {
		return err
	}
	c, err := s.Cases.GetCase(ctx, caseID)
	if err != nil || c.Status != aftersales.StatusRefunding || c.RefundFailed {
		return err
	}
	r, err := s.currentRefund(ctx, c)
	if errors.Is(err, aftersales.ErrNotFound) {
		r, err = s.beginRefund(ctx, c)
	}
	if err != nil || r == nil || r.Status != aftersales.RefundRequested {
		return err
	}
	return s.sendRefund(ctx, r)
}

// beginRefund stores the case's current refund with its ledger booking. A
// refund the ledger cannot take (or that has no payment route) fails the
// case's refund for staff; it returns nil then.
func (s *Service) beginRefund(ctx context.Context, c *aftersales.Case) (*aftersales.Refund, error) {
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	seq := c.CurrentRefundSeq()
	r := &aftersales.Refund{
		OutRefundNo: aftersales.OutRefundNo(c.ID, seq), CaseID: c.ID, Seq: seq, OrderID: c.OrderID,
		BuyerID: c.BuyerID, BuyerPhone: o.BuyerPhone,
		Amount: aftersales.Money{Amount: c.Approved, Currency: c.Currency}, Shares: sharesOf(c.Lines, c.Approved),
		Channel: aftersales.RefundRoute(c, o), Destination: c.RefundTo,
		TransactionID: o.Payment.TransactionID, OrderTotal: o.Payment.Amount, Reason: c.Reason,
		Status: aftersales.RefundRequested, CreatedAt: now, UpdatedAt: now,
	}
	r.ApprovedBy, r.ApprovedAt = approval(c)
	if s.Payments == nil {
		return nil, errNoPayments
	}
	if _, ok := s.Payments[r.Channel]; !ok {
		return nil, s.failRefund(ctx, c.ID, seq, fmt.Sprintf("no payment route for channel %s: refund to balance or pay by hand", r.Channel))
	}
	switch err := s.Refunds.BeginRefund(ctx, r); {
	case errors.Is(err, aftersales.ErrRefundExists): // an earlier try of this step stored it
		return s.Refunds.GetRefund(ctx, c.ID, r.OutRefundNo)
	case errors.Is(err, aftersales.ErrOverRefund):
		return nil, s.failRefund(ctx, c.ID, seq, fmt.Sprintf("%s would exceed what is left of the paid amount", r.Amount))
	case err != nil:
		return nil, err
	}
	return r, nil
}

// approval finds who approved the case's money and when, from its timeline.
func approval(c *aftersales.Case) (by string, at time.Time) {
	for i := len(c.Timeline) - 1; i >= 0; i-- {
		e := c.Timeline[i]
		if e.To == aftersales.StatusRefunding && e.From != aftersales.StatusRefunding {
			return e.Actor, e.At
		}
	}
	return "", time.Time{}
}

// sharesOf splits amount over lines in proportion to their amounts (the last
// line takes the rounding remainder): what the order ledger books per line.
func sharesOf(lines []aftersales.CaseLine, amount int64) map[string]int64 {
	shares := make(map[string]int64, len(lines))
	if amount <= 0 || len(lines) == 0 {
		return shares
	}
	var total int64
	for _, l := range lines {
		total += l.Amount
	}
	left := amount
	for i, l := range lines {
		share := left
		if i < len(lines)-1 && total > 0 {
			share = amount * l.Amount / total
		}
		shares[l.LineID] += share
		left -= share
	}
	return shares
}

// request is what r's payment route needs to pay it.
func requestOf(r *aftersales.Refund) aftersales.RefundRequest {
	return aftersales.RefundRequest{
		OutRefundNo: r.OutRefundNo, CaseID: r.CaseID, OrderID: r.OrderID, BuyerID: r.BuyerID,
		Amount: r.Amount, OrderTotal: aftersales.Money{Amount: r.OrderTotal, Currency: r.Amount.Currency},
		TransactionID: r.TransactionID, Reason: r.Reason,
	}
}

// sendRefund asks r's payment route to pay it. A refusal closes the refund
// (staff act); a transient failure is returned for the step to retry with
// the same number.
func (s *Service) sendRefund(ctx context.Context, r *aftersales.Refund) error {
	if s.Payments == nil {
		return errNoPayments
	}
	p, ok := s.Payments[r.Channel]
	if !ok {
		return s.failRefund(ctx, r.CaseID, r.Seq, fmt.Sprintf("no payment route for channel %s", r.Channel))
	}
	res, err := p.Refund(ctx, requestOf(r))
	if aftersales.KindOf(err) == aftersales.KindInvalid {
		res, err = aftersales.RefundResult{State: aftersales.StateClosed}, nil
	}
	if err != nil {
		return err
	}
	return s.recordResult(ctx, r.CaseID, r.OutRefundNo, res, "provider:"+string(r.Channel), false)
}

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
			c.Refunded = r.Amount.Amount
			ch.Action = aftersales.ActRefundSucceeded
			ch.Note = fmt.Sprintf("refund %s: %s arrived via %s at %s", r.ID(), r.Amount, r.Channel, r.ArrivedAt.Format(time.RFC3339))
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
			if err := s.publishFailure(ctx, c, r.OutRefundNo, ch.Note); err != nil {
				return err
			}
		}
		return c.Apply(ch)
	})
	if err != nil || !wrote || token == "" {
		return err
	}
	return s.Workflow.Resume(ctx, token, c)
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
		if err := s.publishFailure(ctx, c, aftersales.OutRefundNo(c.ID, seq), note); err != nil {
			return err
		}
		return c.Apply(aftersales.Change{Action: aftersales.ActRefundFailed, Actor: aftersales.ActorWorkflow, At: s.Clock.Now(), Note: note})
	})
	if err != nil || !wrote || token == "" {
		return err
	}
	return s.Workflow.Resume(ctx, token, c)
}

// publishFailure tells staff's tools (the refund-failure alarm) that a
// refund needs them. It is published before the case records the failure,
// so a failure never goes unannounced; a retried step may announce it twice
// under the same id.
func (s *Service) publishFailure(ctx context.Context, c *aftersales.Case, no, note string) error {
	if s.Events == nil {
		return nil
	}
	return s.Events.Publish(ctx, aftersales.DomainEvent{
		ID: no + ":failed", Type: aftersales.EventRefundFailed, At: s.Clock.Now(),
		CaseID: c.ID, OrderID: c.OrderID, BuyerID: c.BuyerID,
		Detail: map[string]any{"out_refund_no": no, "amount": c.Approved, "currency": c.Currency, "note": note},
	})
}

// PollRefund runs at the refund wait's deadline: it sends a refund that
// never reached its provider, asks the provider about an open one, settles
// the case from a final one, and reminds staff of a failed one. It returns
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
		err = s.settleCase(ctx, r, "provider:"+string(r.Channel))
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
	if s.Payments == nil {
		return errNoPayments
	}
	p, ok := s.Payments[r.Channel]
	if !ok {
		return s.failRefund(ctx, r.CaseID, r.Seq, fmt.Sprintf("no payment route for channel %s", r.Channel))
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

// RetryRefund lets staff send a failed refund again, through the original
// route or to store balance (to == RefundBalance). The retry is a new refund
// with the next number; the workflow's refund step sends it.
func (s *Service) RetryRefund(ctx context.Context, p aftersales.Principal, caseID string, to aftersales.RefundDestination) (*aftersales.Case, error) {
	const op = "refund.retry"
	if !p.IsStaff() {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only staff may retry a refund")
	}
	if to != "" && to != aftersales.RefundOriginal && to != aftersales.RefundBalance {
		return nil, aftersales.Invalid(op, "refund_to", "must be original or balance")
	}
	var token string
	c, _, err := casework.Update(ctx, s.Cases, caseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		if c.Status != aftersales.StatusRefunding || !c.RefundFailed {
			return aftersales.E(aftersales.KindConflict, op, "the case has no failed refund to retry")
		}
		r, err := s.currentRefund(ctx, c)
		switch {
		case errors.Is(err, aftersales.ErrNotFound): // never reached a provider
		case err != nil:
			return err
		case r.Status == aftersales.RefundAbnormal:
			return aftersales.E(aftersales.KindConflict, op, "the refund is abnormal: the provider holds the money; settle it in the provider's console")
		}
		if to != "" {
			c.RefundTo = to
		}
		c.RefundSeq, c.RefundFailed = c.CurrentRefundSeq()+1, false
		token, c.TaskToken = c.TaskToken, "" // the workflow's refund step takes a new wait
		return c.Apply(aftersales.Change{Action: aftersales.ActRetryRefund, Actor: p.Actor(), At: s.Clock.Now(),
			Note: fmt.Sprintf("refund %s to %s", aftersales.OutRefundNo(c.ID, c.RefundSeq), c.RefundTo)})
	})
	if err != nil || token == "" {
		return c, err
	}
	return c, s.Workflow.Resume(ctx, token, c)
}

// ListRefunds returns a page of the refund ledger (F13) for staff.
func (s *Service) ListRefunds(ctx context.Context, p aftersales.Principal, q aftersales.RefundQuery) (aftersales.RefundPage, error) {
	if !p.IsStaff() {
		return aftersales.RefundPage{}, aftersales.E(aftersales.KindForbidden, "refund.list", "only staff may read the refund ledger")
	}
	if q.Limit <= 0 {
		q.Limit = aftersales.DefaultPageSize
	}
	if q.Limit > aftersales.MaxPageSize {
		return aftersales.RefundPage{}, aftersales.Invalid("refund.list", "limit", "must be at most %d", aftersales.MaxPageSize)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return aftersales.RefundPage{}, aftersales.Invalid("refund.list", "to", "must be after from")
	}
	return s.Refunds.ListRefunds(ctx, q)
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
