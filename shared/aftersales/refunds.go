package aftersales

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Refund execution (F11-F13). A case in refunding has one current refund,
// numbered by Case.RefundSeq. Its life:
//
//  1. RequestRefund (a workflow task) stores the refund and books it on the
//     order ledger in one transaction the database refuses past what was
//     paid, then asks the payment route with the deterministic
//     out_refund_no. A crash anywhere in between is repaired by running the
//     step again: the refund exists, so it is only sent again, and the
//     provider deduplicates the number.
//  2. The provider's answer, a notification (RefundNotified) or a status
//     query at the wait's deadline (the poll back-off) all go through
//     recordResult, which changes an open refund once and ignores answers
//     about a refund that is already final (duplicates, reordering).
//  3. A final refund settles the case: succeeded completes it; closed gives
//     the booking back and leaves the case in refunding, flagged for staff,
//     who retry (a new number) or refund to store balance (RetryRefund).

// Refund poll back-off: when the provider has not notified, its status is
// queried after each of these delays in turn, then every RefundPollEvery.
// WeChat Pay notifies, so its first query waits a minute; Alipay answers
// synchronously and documents a first query after 10 s.
var (
	refundPolls = map[PaymentChannel][]time.Duration{
		ChannelWeChatPay: {time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute},
		ChannelAlipay:    {10 * time.Second, time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute},
	}
	// RefundPollEvery is the query interval once the back-off is spent.
	RefundPollEvery = 30 * time.Minute
	// RefundStaffWait is how long a failed refund waits for staff before
	// they are reminded again.
	RefundStaffWait = 24 * time.Hour
)

// refundPollDelay is how long to wait for news of a refund on channel after
// queries status queries.
func refundPollDelay(channel PaymentChannel, queries int) time.Duration {
	polls, ok := refundPolls[channel]
	if !ok {
		polls = refundPolls[ChannelWeChatPay]
	}
	if queries < len(polls) {
		return polls[queries]
	}
	return RefundPollEvery
}

// refundWait is how long the refunding case c waits before the next look at
// its refund.
func (s *Service) refundWait(ctx context.Context, c *Case) (time.Duration, error) {
	if c.RefundFailed {
		return RefundStaffWait, nil
	}
	r, err := s.currentRefund(ctx, c)
	switch {
	case errors.Is(err, ErrNotFound):
		o, err := s.Orders.GetOrder(ctx, c.OrderID)
		if err != nil {
			return 0, err
		}
		return refundPollDelay(routeOf(c, o), 0), nil
	case err != nil:
		return 0, err
	}
	return refundPollDelay(r.Channel, r.Queries), nil
}

// routeOf is the payment route of a case's refund: store balance when the
// buyer chose it, else the order's payment channel.
func routeOf(c *Case, o *Order) PaymentChannel {
	if c.RefundTo == RefundBalance {
		return ChannelBalance
	}
	return o.Payment.Channel
}

// errNoPayments: a service built without payment routes (only the
// workflow's tasks have them) reached a refund; never a reason to fail the
// refund itself.
var errNoPayments = E(KindInternal, "refund", "this service has no payment routes")

func refundSeq(c *Case) int { return max(c.RefundSeq, 1) }

// currentRefund loads the case's current refund (ErrNotFound before it is
// requested).
func (s *Service) currentRefund(ctx context.Context, c *Case) (*Refund, error) {
	return s.Refunds.GetRefund(ctx, c.ID, OutRefundNo(c.ID, refundSeq(c)))
}

// RequestRefund is the workflow step of a refunding case: it records the
// wait on token, then makes sure the current refund exists and has been
// sent to its payment route (F11).
func (s *Service) RequestRefund(ctx context.Context, caseID, token string, seconds int64) error {
	if err := s.BeginWait(ctx, caseID, token, seconds); err != nil {
		return err
	}
	c, err := s.Cases.GetCase(ctx, caseID)
	if err != nil || c.Status != StatusRefunding || c.RefundFailed {
		return err
	}
	r, err := s.currentRefund(ctx, c)
	if errors.Is(err, ErrNotFound) {
		r, err = s.beginRefund(ctx, c)
	}
	if err != nil || r == nil || r.Status != RefundRequested {
		return err
	}
	return s.sendRefund(ctx, r)
}

// beginRefund stores the case's current refund with its ledger booking. A
// refund the ledger cannot take (or that has no payment route) fails the
// case's refund for staff; it returns nil then.
func (s *Service) beginRefund(ctx context.Context, c *Case) (*Refund, error) {
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	seq := refundSeq(c)
	r := &Refund{
		OutRefundNo: OutRefundNo(c.ID, seq), CaseID: c.ID, Seq: seq, OrderID: c.OrderID,
		BuyerID: c.BuyerID, BuyerPhone: o.BuyerPhone,
		Amount: Money{Amount: c.Approved, Currency: c.Currency}, Shares: sharesOf(c.Lines, c.Approved),
		Channel: routeOf(c, o), Destination: c.RefundTo,
		TransactionID: o.Payment.TransactionID, OrderTotal: o.Payment.Amount, Reason: c.Reason,
		Status: RefundRequested, CreatedAt: now, UpdatedAt: now,
	}
	r.ApprovedBy, r.ApprovedAt = approval(c)
	if s.Payments == nil {
		return nil, errNoPayments
	}
	if _, ok := s.Payments[r.Channel]; !ok {
		return nil, s.failRefund(ctx, c.ID, seq, fmt.Sprintf("no payment route for channel %s: refund to balance or pay by hand", r.Channel))
	}
	switch err := s.Refunds.BeginRefund(ctx, r); {
	case errors.Is(err, ErrRefundExists): // an earlier try of this step stored it
		return s.Refunds.GetRefund(ctx, c.ID, r.OutRefundNo)
	case errors.Is(err, ErrOverRefund):
		return nil, s.failRefund(ctx, c.ID, seq, fmt.Sprintf("%s would exceed what is left of the paid amount", r.Amount))
	case err != nil:
		return nil, err
	}
	return r, nil
}

// approval finds who approved the case's money and when, from its timeline.
func approval(c *Case) (by string, at time.Time) {
	for i := len(c.Timeline) - 1; i >= 0; i-- {
		e := c.Timeline[i]
		if e.To == StatusRefunding && e.From != StatusRefunding {
			return e.Actor, e.At
		}
	}
	return "", time.Time{}
}

// sharesOf splits amount over lines in proportion to their amounts (the last
// line takes the rounding remainder): what the order ledger books per line.
func sharesOf(lines []CaseLine, amount int64) map[string]int64 {
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
func (r *Refund) request() RefundRequest {
	return RefundRequest{
		OutRefundNo: r.OutRefundNo, CaseID: r.CaseID, OrderID: r.OrderID, BuyerID: r.BuyerID,
		Amount: r.Amount, OrderTotal: Money{Amount: r.OrderTotal, Currency: r.Amount.Currency},
		TransactionID: r.TransactionID, Reason: r.Reason,
	}
}

// sendRefund asks r's payment route to pay it. A refusal closes the refund
// (staff act); a transient failure is returned for the step to retry with
// the same number.
func (s *Service) sendRefund(ctx context.Context, r *Refund) error {
	if s.Payments == nil {
		return errNoPayments
	}
	p, ok := s.Payments[r.Channel]
	if !ok {
		return s.failRefund(ctx, r.CaseID, r.Seq, fmt.Sprintf("no payment route for channel %s", r.Channel))
	}
	res, err := p.Refund(ctx, r.request())
	if KindOf(err) == KindInvalid {
		res, err = RefundResult{State: StateClosed}, nil
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
func (s *Service) RefundNotified(ctx context.Context, n RefundNotice) error {
	caseID, _, ok := ParseOutRefundNo(n.OutRefundNo)
	if !ok {
		return Wrap(KindNotFound, "refund.notified", fmt.Errorf("%w: refund number %q", ErrNotFound, n.OutRefundNo))
	}
	return s.recordResult(ctx, caseID, n.OutRefundNo, n.RefundResult, "provider:"+string(n.Channel), false)
}

// recordResult is the one place a provider's word about a refund lands:
// the answer to the request, a status query, or a notification. It moves an
// open refund once (on condition of the status it read), then settles the
// case from the refund's final status. queried counts a status query for
// the poll back-off.
func (s *Service) recordResult(ctx context.Context, caseID, no string, res RefundResult, actor string, queried bool) error {
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
		if next == RefundSucceeded {
			r.ArrivedAt = res.ArrivedAt
			if r.ArrivedAt.IsZero() {
				r.ArrivedAt = now
			}
		}
		err = s.Refunds.UpdateRefund(ctx, r, prev)
		if errors.Is(err, ErrRefundChanged) && attempt < maxChangeAttempts {
			continue // a concurrent answer won; look again
		}
		if err != nil {
			return err
		}
		if next.Final() {
			return s.settleCase(ctx, r, actor)
		}
		if prev == RefundRequested {
			return s.noteStarted(ctx, r)
		}
		return nil
	}
}

// statusOf maps a provider's state onto the refund's status.
func statusOf(st RefundState) RefundStatus {
	switch st {
	case StateSucceeded:
		return RefundSucceeded
	case StateClosed:
		return RefundClosed
	case StateAbnormal:
		return RefundAbnormal
	}
	return RefundProcessing
}

// noteStarted tells the buyer the refund is on its way (F11).
func (s *Service) noteStarted(ctx context.Context, r *Refund) error {
	_, _, err := s.update(ctx, r.CaseID, s.Cases.GetCase, func(c *Case) error {
		if c.Status != StatusRefunding || refundSeq(c) != r.Seq || c.RefundFailed {
			return errNoChange
		}
		return c.Apply(Change{Action: ActRefundStarted, Actor: "provider:" + string(r.Channel), At: s.Clock.Now(),
			Note: fmt.Sprintf("refund %s of %s initiated via %s, expected in 1-3 working days", r.ID(), r.Amount, r.Channel)})
	})
	return err
}

// settleCase brings the case in line with its final refund r: succeeded
// completes it, closed or abnormal flags it for staff. It is idempotent, and
// resumes the waiting workflow when it changed the case.
func (s *Service) settleCase(ctx context.Context, r *Refund, actor string) error {
	var token string
	c, wrote, err := s.update(ctx, r.CaseID, s.Cases.GetCase, func(c *Case) error {
		if c.Status != StatusRefunding || refundSeq(c) != r.Seq || c.RefundFailed {
			return errNoChange // settled already, or a refund staff replaced
		}
		token = c.TaskToken
		ch := Change{Actor: actor, At: s.Clock.Now()}
		switch r.Status {
		case RefundSucceeded:
			c.Refunded = r.Amount.Amount
			ch.Action = ActRefundSucceeded
			ch.Note = fmt.Sprintf("refund %s: %s arrived via %s at %s", r.ID(), r.Amount, r.Channel, r.ArrivedAt.Format(time.RFC3339))
		case RefundClosed:
			c.RefundFailed = true
			ch.Action = ActRefundFailed
			ch.Note = fmt.Sprintf("refund %s closed by %s: staff may retry it or refund to store balance", r.ID(), r.Channel)
		default: // abnormal
			c.RefundFailed = true
			ch.Action = ActRefundFailed
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
	return s.resume(ctx, token, c)
}

// failRefund flags the case's refund seq as failed before it reached a
// provider (no route, or the ledger refused it).
func (s *Service) failRefund(ctx context.Context, caseID string, seq int, note string) error {
	var token string
	c, wrote, err := s.update(ctx, caseID, s.Cases.GetCase, func(c *Case) error {
		if c.Status != StatusRefunding || refundSeq(c) != seq || c.RefundFailed {
			return errNoChange
		}
		token = c.TaskToken
		c.RefundFailed = true
		if err := s.publishFailure(ctx, c, OutRefundNo(c.ID, seq), note); err != nil {
			return err
		}
		return c.Apply(Change{Action: ActRefundFailed, Actor: ActorWorkflow, At: s.Clock.Now(), Note: note})
	})
	if err != nil || !wrote || token == "" {
		return err
	}
	return s.resume(ctx, token, c)
}

// publishFailure tells staff's tools (the refund-failure alarm) that a
// refund needs them. It is published before the case records the failure,
// so a failure never goes unannounced; a retried step may announce it twice
// under the same id.
func (s *Service) publishFailure(ctx context.Context, c *Case, no, note string) error {
	if s.Events == nil {
		return nil
	}
	return s.Events.Publish(ctx, DomainEvent{
		ID: no + ":failed", Type: EventRefundFailed, At: s.Clock.Now(),
		CaseID: c.ID, OrderID: c.OrderID, BuyerID: c.BuyerID,
		Detail: map[string]any{"out_refund_no": no, "amount": c.Approved, "currency": c.Currency, "note": note},
	})
}

// pollRefund runs at the refund wait's deadline: it sends a refund that
// never reached its provider, asks the provider about an open one, settles
// the case from a final one, and reminds staff of a failed one.
func (s *Service) pollRefund(ctx context.Context, c *Case) (StepResult, error) {
	if c.RefundFailed {
		var err error
		c, _, err = s.update(ctx, c.ID, s.Cases.GetCase, func(c *Case) error {
			if c.Status != StatusRefunding || !c.RefundFailed {
				return errNoChange
			}
			return c.Apply(Change{Action: ActRemind, Actor: ActorDeadline, At: s.Clock.Now(),
				Note: "the refund failed and still waits for staff to retry it or refund to balance"})
		})
		if err != nil {
			return StepResult{}, err
		}
		return s.step(ctx, c)
	}
	r, err := s.currentRefund(ctx, c)
	switch {
	case errors.Is(err, ErrNotFound):
		return s.step(ctx, c) // not stored yet: the refund step stores and sends it
	case err != nil:
		return StepResult{}, err
	}
	switch {
	case r.Status.Final():
		err = s.settleCase(ctx, r, "provider:"+string(r.Channel))
	case r.Status == RefundRequested:
		err = s.sendRefund(ctx, r)
	default:
		err = s.queryRefund(ctx, r)
	}
	if err != nil {
		return StepResult{}, err
	}
	if c, err = s.Cases.GetCase(ctx, c.ID); err != nil {
		return StepResult{}, err
	}
	return s.step(ctx, c)
}

// queryRefund asks r's provider for its status; a provider that never
// received it (a crash between booking and sending) is sent it again.
func (s *Service) queryRefund(ctx context.Context, r *Refund) error {
	if s.Payments == nil {
		return errNoPayments
	}
	p, ok := s.Payments[r.Channel]
	if !ok {
		return s.failRefund(ctx, r.CaseID, r.Seq, fmt.Sprintf("no payment route for channel %s", r.Channel))
	}
	res, err := p.Query(ctx, r.request())
	if errors.Is(err, ErrNotFound) {
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
func (s *Service) RetryRefund(ctx context.Context, p Principal, caseID string, to RefundDestination) (*Case, error) {
	const op = "refund.retry"
	if !p.IsStaff() {
		return nil, E(KindForbidden, op, "only staff may retry a refund")
	}
	if to != "" && to != RefundOriginal && to != RefundBalance {
		return nil, Invalid(op, "refund_to", "must be original or balance")
	}
	var token string
	c, _, err := s.update(ctx, caseID, s.Cases.GetCase, func(c *Case) error {
		if c.Status != StatusRefunding || !c.RefundFailed {
			return E(KindConflict, op, "the case has no failed refund to retry")
		}
		r, err := s.currentRefund(ctx, c)
		switch {
		case errors.Is(err, ErrNotFound): // never reached a provider
		case err != nil:
			return err
		case r.Status == RefundAbnormal:
			return E(KindConflict, op, "the refund is abnormal: the provider holds the money; settle it in the provider's console")
		}
		if to != "" {
			c.RefundTo = to
		}
		c.RefundSeq, c.RefundFailed = refundSeq(c)+1, false
		token, c.TaskToken = c.TaskToken, "" // the workflow's refund step takes a new wait
		return c.Apply(Change{Action: ActRetryRefund, Actor: p.Actor(), At: s.Clock.Now(),
			Note: fmt.Sprintf("refund %s to %s", OutRefundNo(c.ID, c.RefundSeq), c.RefundTo)})
	})
	if err != nil || token == "" || s.Waits == nil {
		return c, err
	}
	return c, s.resume(ctx, token, c)
}

// ListRefunds returns a page of the refund ledger (F13) for staff.
func (s *Service) ListRefunds(ctx context.Context, p Principal, q RefundQuery) (RefundPage, error) {
	if !p.IsStaff() {
		return RefundPage{}, E(KindForbidden, "refund.list", "only staff may read the refund ledger")
	}
	if q.Limit <= 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit > MaxPageSize {
		return RefundPage{}, Invalid("refund.list", "limit", "must be at most %d", MaxPageSize)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return RefundPage{}, Invalid("refund.list", "to", "must be after from")
	}
	return s.Refunds.ListRefunds(ctx, q)
}

// AcceptNotice takes a verified provider notification at the webhook: a
// replayed one (its id already recorded) changes nothing; a new one is
// queued for the inbound consumer, then recorded. Recording after queueing
// means a failed queueing is retried by the provider, never lost; a
// concurrent duplicate may be queued twice, which RefundNotified absorbs.
func (s *Service) AcceptNotice(ctx context.Context, n RefundNotice) (duplicate bool, err error) {
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
