package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// CreateCase opens a case for the buyer p. It validates the application
// against the order, defaults the amount to what is refundable, and writes
// the case, its line holds and the idempotency record in one step.
//
// With idem, the request first claims its key (see claim): of concurrent
// requests with one key, only the one holding the claim builds a case, and
// its answer replaces the claim in the case's own write. The others wait
// for that answer. A request that creates no case releases its claim:
// only a created case's answer is remembered, so a retry after an error
// is judged afresh.
func (s *Service) CreateCase(ctx context.Context, p aftersales.Principal, app aftersales.Application, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
	if err := checkLimits(p, app); err != nil {
		// Before the key is claimed: a request past its limits claims nothing.
		return aftersales.CreateResult{}, err
	}
	return s.open(ctx, p, idem, func(id string) (*aftersales.Case, []*aftersales.Case, error) { return s.newCase(ctx, p, id, app) })
}

// open creates the case build makes (with the component cases it split
// off, F20), once per idempotency key of p's: the protocol of CreateCase,
// shared by every way a case is opened.
func (s *Service) open(ctx context.Context, p aftersales.Principal, idem *aftersales.IdempotentRequest, build builder) (aftersales.CreateResult, error) {
	id := s.IDs.NewID("as")
	if idem == nil {
		return s.create(ctx, p, id, build, nil)
	}
	started := s.Clock.Now()
	if res, done, err := s.claim(ctx, p, id, idem); done {
		return res, err
	}
	res, err := s.create(ctx, p, id, build, idem)
	if err == nil {
		return res, nil
	}
	if s.Clock.Now().Sub(started) >= aftersales.IdempotencyClaimTTL {
		// The claim may have expired and been taken over while this request
		// worked; then the error it met is likely the hold of the case that
		// request opened, and that request's answer is the answer.
		if rec, gerr := s.Idempotency.GetIdempotency(ctx, p.ID, idem.Key); gerr == nil && rec.CaseID != id {
			return replay(rec, idem)
		}
	}
	// Nothing was written: free the key for the client's retry now. The
	// client's own cancellation must not keep it; a release that fails
	// leaves the claim to expire (IdempotencyClaimTTL), when the key is free
	// again anyway.
	_ = s.Idempotency.ReleaseIdempotency(context.WithoutCancel(ctx), p.ID, idem.Key, id)
	return res, err
}

// builder builds case id, and the component cases an application
// returning a bundle is split into (none for most).
type builder func(id string) (*aftersales.Case, []*aftersales.Case, error)

// create builds case id and writes it with idem's answer in place of the
// request's claim. Its component cases are written first; should the case
// itself not be written, they are cancelled again, so that no part of a
// refused application stays open.
func (s *Service) create(ctx context.Context, p aftersales.Principal, id string, build builder, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
	const op = "case.create"
	c, parts, err := build(id)
	if err != nil {
		return aftersales.CreateResult{}, err
	}
	var rec *aftersales.IdempotencyRecord
	if idem != nil {
		status, body, err := idem.Render(c)
		if err != nil {
			return aftersales.CreateResult{}, aftersales.Wrap(aftersales.KindInternal, op, err)
		}
		now := s.Clock.Now().UTC()
		rec = &aftersales.IdempotencyRecord{Scope: p.ID, Key: idem.Key, RequestHash: idem.RequestHash, CaseID: c.ID,
			StatusCode: status, Response: body, CreatedAt: now, ExpiresAt: now.Add(aftersales.IdempotencyTTL)}
	}
	var written []*aftersales.Case
	for _, part := range parts {
		if err := s.Cases.CreateCase(ctx, part, nil); err != nil {
			s.abandon(ctx, written, err)
			return aftersales.CreateResult{}, err
		}
		written = append(written, part)
	}
	err = s.Cases.CreateCase(ctx, c, rec)
	if err != nil {
		s.abandon(ctx, written, err)
	}
	switch {
	case errors.Is(err, aftersales.ErrIdempotencyKeyTaken):
		// The claim outlived IdempotencyClaimTTL and another request took
		// the key over: CreateCase answers as that request. Should it have
		// gone too, the client's retry starts afresh.
		return aftersales.CreateResult{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	case err != nil:
		return aftersales.CreateResult{}, err
	}
	res := aftersales.CreateResult{Case: c}
	if s.Intake != nil {
		var errs []error
		for _, x := range append(written, c) {
			errs = append(errs, s.Intake.EnqueueCase(ctx, x.ID))
		}
		res.EnqueueErr = errors.Join(errs...)
	}
	return res, nil
}

// abandon cancels the component cases written for an application whose
// own case could not be written (cause), so that none stays open alone.
// A cancellation that fails leaves the component to the buyer, who sees
// it among their cases and may cancel it.
func (s *Service) abandon(ctx context.Context, parts []*aftersales.Case, cause error) {
	ctx = context.WithoutCancel(ctx)
	for _, part := range parts {
		_, _, _ = casework.Update(ctx, s.Cases, part.ID, s.Cases.GetCase, func(c *aftersales.Case) error {
			return c.Apply(aftersales.Change{Action: aftersales.ActCancel, Actor: aftersales.ActorWorkflow, At: s.Clock.Now(),
				Note: fmt.Sprintf("the application it was split from was not opened: %v", cause)})
		})
	}
}

// duplicateWaits are the pauses of a duplicate request between its looks
// at the request that holds its key: short at first, as opening a case
// takes tens of milliseconds, then longer; about 2 s in all, well inside
// the api function's 10 s, before the duplicate is told to retry.
var duplicateWaits = []time.Duration{
	20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 160 * time.Millisecond,
	320 * time.Millisecond, 640 * time.Millisecond, 640 * time.Millisecond,
}

// claim makes this request, about to create case id, the one working on
// its idempotency key; done is false when it is. Otherwise it answers as
// the request holding the key does: its remembered answer, replayed (that
// request may finish while this one waits), 422 when the key came with
// another body, or ErrIdempotencyKeyInProgress when it is still working
// after duplicateWaits. A key freed meanwhile (its request failed and
// released it, or crashed and its claim expired) is claimed again.
func (s *Service) claim(ctx context.Context, p aftersales.Principal, id string, idem *aftersales.IdempotentRequest) (res aftersales.CreateResult, done bool, err error) {
	const op = "case.create"
	for i := 0; ; i++ {
		now := s.Clock.Now().UTC()
		err = s.Idempotency.ClaimIdempotency(ctx, aftersales.IdempotencyRecord{Scope: p.ID, Key: idem.Key,
			RequestHash: idem.RequestHash, CaseID: id, CreatedAt: now, ExpiresAt: now.Add(aftersales.IdempotencyClaimTTL)})
		if !errors.Is(err, aftersales.ErrIdempotencyKeyTaken) {
			return aftersales.CreateResult{}, err != nil, err
		}
		res, done, err = s.answer(ctx, p, idem)
		switch {
		case done && !errors.Is(err, aftersales.ErrIdempotencyKeyInProgress):
			return res, true, err
		case i == len(duplicateWaits):
			return aftersales.CreateResult{}, true, aftersales.ErrIdempotencyKeyInProgress.For(op)
		case done:
			if err := s.pause(ctx, duplicateWaits[i]); err != nil {
				return aftersales.CreateResult{}, true, aftersales.Wrap(aftersales.KindTransient, op, err)
			}
		}
	}
}

// answer is the answer of the request that holds idem's key; done is false
// when no live record holds it.
func (s *Service) answer(ctx context.Context, p aftersales.Principal, idem *aftersales.IdempotentRequest) (res aftersales.CreateResult, done bool, err error) {
	rec, err := s.Idempotency.GetIdempotency(ctx, p.ID, idem.Key)
	switch {
	case errors.Is(err, aftersales.ErrNotFound):
		return aftersales.CreateResult{}, false, nil
	case err != nil:
		return aftersales.CreateResult{}, true, err
	}
	res, err = replay(rec, idem)
	return res, true, err
}

// replay answers idem as the request whose record rec is: with its answer,
// or, while it has none, ErrIdempotencyKeyInProgress. The key with another
// body is 422.
func replay(rec aftersales.IdempotencyRecord, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
	const op = "case.create"
	switch {
	case rec.RequestHash != idem.RequestHash:
		var v aftersales.Validation
		v.Add("Idempotency-Key", "was already used with a different request body; use a new key")
		return aftersales.CreateResult{}, v.Err(op)
	case rec.InProgress():
		return aftersales.CreateResult{}, aftersales.ErrIdempotencyKeyInProgress.For(op)
	}
	return aftersales.CreateResult{Replayed: &rec}, nil
}

// pause waits d, or until ctx is done (see casework.Pause).
func (s *Service) pause(ctx context.Context, d time.Duration) error {
	return casework.Pause(ctx, s.Pause, d)
}

// newCase validates app on its own and against the order and the uploads
// it names, and builds case id; checkLimits has passed. It writes no case,
// but keeps the evidence files (see keepEvidence).
func (s *Service) newCase(ctx context.Context, p aftersales.Principal, id string, app aftersales.Application) (*aftersales.Case, []*aftersales.Case, error) {
	c, o, ups, err := s.buildCase(ctx, p, id, app)
	if err != nil {
		return nil, nil, err
	}
	parts, err := s.splitBundle(ctx, p, c, o, app)
	if err != nil {
		return nil, nil, err
	}
	if err := s.keepEvidence(ctx, c.ID, ups); err != nil {
		return nil, nil, err
	}
	return c, parts, nil
}

// buildCase is the part of newCase that only reads: it validates app on
// its own and against its order (returned) and the uploads it names
// (returned, not yet kept), and builds case id as submitted. Opening a
// case and previewing one (Preview) share it, so that a preview refuses
// exactly what opening would, with the same errors.
func (s *Service) buildCase(ctx context.Context, p aftersales.Principal, id string, app aftersales.Application) (*aftersales.Case, *aftersales.Order, []aftersales.Upload, error) {
	const op = "case.create"
	var v aftersales.Validation
	checkApplication(&v, app)
	if app.RefundTo == "" {
		app.RefundTo = aftersales.RefundOriginal
	}
	var order *aftersales.Order
	if app.OrderID != "" {
		o, err := s.Orders.GetOrder(ctx, app.OrderID)
		switch {
		case errors.Is(err, aftersales.ErrNotFound) || (err == nil && o.BuyerID != p.ID):
			// Another buyer's order looks exactly like a missing one.
			v.Add("order_id", "no order %q of yours is known", app.OrderID)
		case err != nil:
			return nil, nil, nil, err
		default:
			order = o
		}
	}
	if order != nil && app.Type.Valid() && app.Type.ReturnsGoods() && order.Status == aftersales.OrderPaid {
		v.Add("type", "the order has not shipped; apply for refund_only")
	}

	now := s.Clock.Now().UTC()
	c := &aftersales.Case{
		ID: id, OrderID: app.OrderID, BuyerID: p.ID, Type: app.Type, Reason: app.Reason,
		Description: app.Description, RefundTo: app.RefundTo, CreatedAt: now, UpdatedAt: now,
	}
	held, claimNote := false, ""
	var refundable int64
	seen := map[string]bool{}
	for i, lr := range app.Lines {
		if order == nil || lr.LineID == "" || seen[lr.LineID] {
			continue // named by checkApplication
		}
		seen[lr.LineID] = true
		p := fmt.Sprintf("lines[%d]", i)
		ol, ok := order.Line(lr.LineID)
		if !v.Check(ok, p+".line_id", "order %s has no line %q", order.ID, lr.LineID) {
			continue
		}
		if !v.Check(lr.Quantity >= 1 && lr.Quantity <= ol.Quantity, p+".quantity", "must be between 1 and %d", ol.Quantity) {
			continue
		}
		held = held || ol.ActiveCaseID != ""
		amount := ol.Refundable(lr.Quantity)
		refundable += amount
		c.Lines = append(c.Lines, aftersales.CaseLine{LineID: ol.LineID, SKU: ol.SKU, Name: ol.Name, Kind: ol.Kind,
			Category: ol.Category, Quantity: lr.Quantity, Amount: amount})
	}
	if order != nil && v.Valid() && app.Claim == nil && app.Type != aftersales.Exchange {
		// The lines' share of the shipping fee, when the rule set gives it
		// back for this reason (issue 17), is a line of the case of its own,
		// booked on the shipping fee's ledger account.
		share, err := s.shippingShare(ctx, order, c, app.Reason)
		if err != nil {
			return nil, nil, nil, err
		}
		if share > 0 {
			acct, _ := order.Account(aftersales.FeeShippingID)
			refundable += share
			c.Lines = append(c.Lines, aftersales.CaseLine{LineID: acct.LineID, SKU: acct.SKU, Name: acct.Name, Kind: aftersales.KindFee,
				Quantity: 1, Amount: share})
		}
	}
	if order != nil && v.Valid() {
		c.ShopID, c.Currency = order.ShopID, order.Currency
		switch {
		case held:
			// Reported after field errors: fix the request first, then the conflict.
		case app.Type == aftersales.Exchange:
			v.Check(app.Amount == nil || *app.Amount == 0, "amount", "an exchange refunds no money; leave it out")
		case refundable == 0:
			v.Add("lines", "nothing is left to refund on these lines")
		case app.Claim != nil && app.Type != aftersales.Claim:
			v.Add("claim", "only claims carry claim details")
		case app.Claim != nil && app.Amount != nil:
			v.Add("amount", "a claim with details has its amount computed from them; leave it out")
		case app.Claim != nil:
			c.Requested, claimNote = aftersales.ClaimAmount(app.Claim, c.Lines, refundable, &v)
		case app.Amount == nil:
			c.Requested = refundable
		default:
			if v.Check(*app.Amount >= 1 && *app.Amount <= refundable, "amount", "must be between 1 and %d, the refundable amount of these lines", refundable) {
				c.Requested = *app.Amount
			}
		}
	}
	presaleNote, err := s.presaleTranches(ctx, c, order, &v)
	if err != nil {
		return nil, nil, nil, err
	}
	ups, err := s.checkUploads(ctx, p, app.EvidenceIDs, "evidence", &v)
	if err != nil {
		return nil, nil, nil, err
	}
	aftersales.CheckDocumentSlots(&v, "evidence", filesOf(ups), c) // an appliance's documents (F21)
	if err := v.Err(op); err != nil {
		return nil, nil, nil, err
	}
	if held {
		return nil, nil, nil, &aftersales.Error{Kind: aftersales.KindConflict, Op: op, Msg: aftersales.ErrLineHeld.Msg, Err: aftersales.ErrLineHeld}
	}
	if claimNote != "" {
		claimNote = fmt.Sprintf("claim computed: %s, %s", claimNote, aftersales.Money{Amount: c.Requested, Currency: c.Currency})
	}
	if presaleNote != "" {
		claimNote = presaleNote
	}
	if c.Type.ReturnsGoods() {
		// Who pays the return and what it costs are shown before the buyer
		// ships (F29): worked out now, by the rule set in force now.
		rs, err := s.ruleSet(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		c.Charges = aftersales.ChargesFor(rs, c, order)
		// The charges are the submission's word on a return; a presale's
		// refund plan stays beside them.
		if note := chargesNote(c); note != "" && presaleNote != "" {
			claimNote = presaleNote + "; " + note
		} else if note != "" {
			claimNote = note
		}
	}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: p.Actor(), At: now, Note: claimNote}); err != nil {
		return nil, nil, nil, err
	}
	for _, e := range evidenceOf(ups) {
		e.Status = "uploaded"
		c.Evidence = append(c.Evidence, e)
	}
	return c, order, ups, nil
}

// ruleSet is the rule set in force; a service built without a rule set
// store (stores' race tests) works with the default one.
func (s *Service) ruleSet(ctx context.Context) (*aftersales.RuleSet, error) {
	if s.Rules == nil {
		return aftersales.DefaultRuleSet(), nil
	}
	return casework.RuleSet(ctx, s.Rules)
}

// chargesNote says on the submission's timeline line what the return will
// cost the buyer: who pays its postage, and any restocking fee.
func chargesNote(c *aftersales.Case) string {
	ch := c.Charges
	if ch == nil {
		return ""
	}
	var note string
	switch {
	case ch.FreeReturnShipping:
		note = "return postage paid by the merchant in full (member perk)"
	case ch.ReturnShippingPaidBy == aftersales.PayerMerchant && ch.ReturnPostageCap > 0:
		note = fmt.Sprintf("return postage paid by the merchant up to %s", aftersales.Money{Amount: ch.ReturnPostageCap, Currency: c.Currency})
	case ch.ReturnShippingPaidBy == aftersales.PayerMerchant:
		note = "return postage paid by the merchant"
	default:
		note = "return postage paid by the buyer"
	}
	if ch.RestockingFee > 0 {
		note += fmt.Sprintf("; restocking fee %s (%s) will be deducted from the refund", aftersales.Money{Amount: ch.RestockingFee, Currency: c.Currency}, ch.RestockingNote)
	}
	return note
}

// shippingShare is what the case's lines bear of the order's shipping fee
// when the rule set's fees.refund_shipping_for names reason; 0 otherwise.
func (s *Service) shippingShare(ctx context.Context, o *aftersales.Order, c *aftersales.Case, reason string) (int64, error) {
	if o.Fees.Shipping <= 0 {
		return 0, nil
	}
	rs, err := s.ruleSet(ctx)
	if err != nil || !slices.Contains(rs.Fees.RefundShippingFor, reason) {
		return 0, err
	}
	var share int64
	for _, cl := range c.Lines {
		if ol, ok := o.Line(cl.LineID); ok {
			share += o.FeeShare(aftersales.FeeShippingID, ol, cl.Quantity)
		}
	}
	acct, ok := o.Account(aftersales.FeeShippingID)
	if !ok {
		return 0, nil
	}
	return min(share, max(acct.PaidAmount-acct.Refunded, 0)), nil
}
