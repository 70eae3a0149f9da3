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
//  4. A refund whose channel has no payment route (a bank-card order) is
//     stored as manual, booked like any other, and waits for finance to pay
//     it by hand and mark it paid (MarkRefundPaid, manual.go).
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
	Workflow      Workflow
	Clock         aftersales.Clock
	// Interceptions may stop the parcel of a refund-only approved while
	// shipped before its first refund (F30); nil: refunds go at once.
	Interceptions Interceptions
}

// Interceptions is what refunds need of interceptions (returns.Service): to
// be asked, before a case's first refund, whether its parcel is being
// intercepted instead.
type Interceptions interface {
	InterceptFirst(ctx context.Context, c *aftersales.Case) (bool, error)
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
	if errors.Is(err, aftersales.ErrNotFound) && s.Interceptions != nil {
		// No refund made yet: the parcel may still be stopped first.
		if stopped, err := s.Interceptions.InterceptFirst(ctx, c); err != nil || stopped {
			return err
		}
	}
	if errors.Is(err, aftersales.ErrNotFound) {
		r, err = s.beginRefund(ctx, c)
	}
	if err != nil || r == nil {
		return err
	}
	switch r.Status {
	case aftersales.RefundRequested:
		return s.sendRefund(ctx, r)
	case aftersales.RefundManual:
		return s.awaitManual(ctx, r)
	}
	return nil
}

// beginRefund stores the case's current refund with its ledger booking. A
// refund whose channel has no payment route is stored as a manual refund,
// for finance to pay by hand; one the ledger cannot take (or an amount that
// is not positive) fails the case's refund for staff, and beginRefund
// returns nil then.
func (s *Service) beginRefund(ctx context.Context, c *aftersales.Case) (*aftersales.Refund, error) {
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	seq := c.CurrentRefundSeq()
	if c, err = s.deductCharges(ctx, c, seq); err != nil {
		return nil, err
	}
	amount := c.Outstanding() // a settled dispute's refund pays only what comes on top of the first
	if amount <= 0 {
		return nil, s.failRefund(ctx, c.ID, seq, notPositive(aftersales.Money{Amount: amount, Currency: c.Currency}))
	}
	r := &aftersales.Refund{
		OutRefundNo: aftersales.OutRefundNo(c.ID, seq), CaseID: c.ID, Seq: seq, OrderID: c.OrderID,
		BuyerID: c.BuyerID, BuyerPhone: o.BuyerPhone,
		Amount: aftersales.Money{Amount: amount, Currency: c.Currency}, Shares: sharesOf(c.Lines, amount),
		Channel: aftersales.RefundRoute(c, o), Destination: c.RefundTo,
		TransactionID: o.Payment.TransactionID, OrderTotal: o.Payment.Amount, Reason: c.Reason,
		Status: aftersales.RefundRequested, CreatedAt: now, UpdatedAt: now,
	}
	if t, ok := c.CurrentTranche(); ok {
		trancheRefund(r, c, o, t)
	}
	r.ApprovedBy, r.ApprovedAt = approval(c)
	if s.Payments == nil {
		return nil, errNoPayments
	}
	if _, ok := s.Payments[r.Channel]; !ok {
		// Booked all the same: the database's limit holds for money paid
		// by hand as for any other.
		r.Status = aftersales.RefundManual
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

// deductCharges applies the case's charges before its first refund is
// stored (F29), each with its line on the timeline, and returns the case as
// it stands then: the restocking fee comes off the approved amount, then
// the return postage the merchant reimburses becomes the refund's last
// tranche (after the fee, so the fee never eats the reimbursement). It is
// one case change, made once (Charges.Deducted, the postage tranche): a
// step run again finds it made.
func (s *Service) deductCharges(ctx context.Context, c *aftersales.Case, seq int) (*aftersales.Case, error) {
	ch := c.Charges
	if ch == nil || (ch.RestockingFee <= 0 || ch.Deducted > 0) && ch.PostageReimbursed <= 0 {
		return c, nil
	}
	out, _, err := casework.Update(ctx, s.Cases, c.ID, s.Cases.GetCase, func(x *aftersales.Case) error {
		if x.Status != aftersales.StatusRefunding || x.CurrentRefundSeq() != seq {
			return casework.ErrNoChange
		}
		now := s.Clock.Now()
		deducted, err := x.DeductCharges(now)
		if err != nil {
			return err
		}
		added, err := x.AddPostageTranche(now)
		if err == nil && !deducted && !added {
			return casework.ErrNoChange
		}
		return err
	})
	return out, err
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
			share = aftersales.Share(amount, l.Amount, total)
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

// route is r's payment route. A refund stored as requested whose channel
// has no route (the configuration changed since) fails for staff rather
// than turning manual: the provider may hold it already, and paying it by
// hand too could pay it twice. route then returns no provider, and the
// error of recording the failure.
func (s *Service) route(ctx context.Context, r *aftersales.Refund) (aftersales.RefundProvider, error) {
	if s.Payments == nil {
		return nil, errNoPayments
	}
	if p, ok := s.Payments[r.Channel]; ok {
		return p, nil
	}
	return nil, s.failRefund(ctx, r.CaseID, r.Seq, fmt.Sprintf("no payment route for channel %s", r.Channel))
}

// sendRefund asks r's payment route to pay it. A refusal closes the refund
// (staff act); a transient failure is returned for the step to retry with
// the same number. A refund that would not pay a positive amount is never
// sent (see refuseRefund).
func (s *Service) sendRefund(ctx context.Context, r *aftersales.Refund) error {
	if r.Amount.Amount <= 0 {
		return s.refuseRefund(ctx, r)
	}
	p, err := s.route(ctx, r)
	if p == nil {
		return err
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

// notPositive is the note on a case whose refund was refused for its amount.
func notPositive(amount aftersales.Money) string {
	return fmt.Sprintf("no refund of %s was sent: a refund must be positive; the approved amount needs a person", amount)
}

// refuseRefund closes a stored refund that would pay nothing or less (the
// stores refuse to begin one now, but a row written before they did may
// remain) without sending it, and fails the case's refund for staff. The
// provider never hears of it: defence in depth behind the amount checks of
// claims, approvals and the ledger.
func (s *Service) refuseRefund(ctx context.Context, r *aftersales.Refund) error {
	if r.Status == aftersales.RefundRequested {
		closed := *r
		closed.Status, closed.UpdatedAt = aftersales.RefundClosed, s.Clock.Now()
		if err := s.Refunds.UpdateRefund(ctx, &closed, aftersales.RefundRequested); err != nil && !errors.Is(err, aftersales.ErrRefundChanged) {
			return err
		}
	}
	return s.failRefund(ctx, r.CaseID, r.Seq, notPositive(r.Amount))
}

// trancheRefund makes r the refund of tranche t of a case paid back in
// several (F19): its amount, back through the stage's own payment (the
// deposit's transaction for the deposit, the balance's for the balance),
// booked on the goods' lines. The compensation is money the buyer never
// paid: no provider refunds a transaction past its amount, so it goes to
// the store balance, booked on its own ledger line, whose bound is the
// deposit; so does the return postage the merchant reimburses (F29), on
// the case's postage account, whose bound is the reimbursement.
func trancheRefund(r *aftersales.Refund, c *aftersales.Case, o *aftersales.Order, t aftersales.Tranche) {
	if t.Stage == aftersales.StageGoods {
		// The goods of a case paid back in one refund before its postage
		// tranche: the refund it always was, for this amount.
		r.Amount.Amount, r.Shares = t.Amount, sharesOf(c.Lines, t.Amount)
		return
	}
	pay := o.StagePayment(t.Stage)
	r.Amount.Amount = t.Amount
	r.TransactionID, r.OrderTotal = pay.TransactionID, pay.Amount
	if c.RefundTo != aftersales.RefundBalance {
		r.Channel = pay.Channel
	}
	r.Reason = c.Reason + ": " + t.Stage
	if t.Stage == aftersales.StageReturnPostage {
		// Money on top of what was paid (F29), like the compensation: to
		// the store balance, on the case's own postage account.
		r.Channel, r.Destination = aftersales.ChannelBalance, aftersales.RefundBalance
		r.Shares = map[string]int64{aftersales.ReturnPostageID(c.ID): t.Amount}
		return
	}
	if t.Stage == aftersales.StageCompensation {
		r.Channel, r.Destination = aftersales.ChannelBalance, aftersales.RefundBalance
		r.Shares = map[string]int64{aftersales.PresaleCompensationID: t.Amount}
		return
	}
	r.Shares = sharesOf(c.Lines, t.Amount)
}
