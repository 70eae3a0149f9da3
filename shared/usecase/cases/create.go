package cases

import (
	"context"
	"errors"
	"fmt"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// CreateCase opens a case for the buyer p. It validates the application
// against the order, defaults the amount to what is refundable, and writes
// the case, its line holds and the idempotency record in one step.
func (s *Service) CreateCase(ctx context.Context, p aftersales.Principal, app aftersales.Application, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
	const op = "case.create"
	if err := checkLimits(p, app); err != nil {
		return aftersales.CreateResult{}, err
	}
	if idem != nil {
		if res, done, err := s.replay(ctx, p, idem); done {
			return res, err
		}
	}
	c, err := s.newCase(ctx, p, app)
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
	switch err := s.Cases.CreateCase(ctx, c, rec); {
	case errors.Is(err, aftersales.ErrIdempotencyKeyTaken):
		// A concurrent twin won the race: answer as if we had come second.
		if res, done, err := s.replay(ctx, p, idem); done {
			return res, err
		}
		return aftersales.CreateResult{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	case err != nil:
		return aftersales.CreateResult{}, err
	}
	res := aftersales.CreateResult{Case: c}
	if s.Intake != nil {
		res.EnqueueErr = s.Intake.EnqueueCase(ctx, c.ID)
	}
	return res, nil
}

// replay answers a request whose idempotency key was seen before; done is
// false when the key is new.
func (s *Service) replay(ctx context.Context, p aftersales.Principal, idem *aftersales.IdempotentRequest) (res aftersales.CreateResult, done bool, err error) {
	rec, err := s.Idempotency.GetIdempotency(ctx, p.ID, idem.Key)
	switch {
	case errors.Is(err, aftersales.ErrNotFound):
		return aftersales.CreateResult{}, false, nil
	case err != nil:
		return aftersales.CreateResult{}, true, err
	case rec.RequestHash != idem.RequestHash:
		var v aftersales.Validation
		v.Add("Idempotency-Key", "was already used with a different request body; use a new key")
		return aftersales.CreateResult{}, true, v.Err("case.create")
	}
	return aftersales.CreateResult{Replayed: &rec}, true, nil
}

// newCase validates app on its own and against the order and the uploads
// it names, and builds the case; checkLimits has passed. It writes no case,
// but keeps the evidence files (see keepEvidence).
func (s *Service) newCase(ctx context.Context, p aftersales.Principal, app aftersales.Application) (*aftersales.Case, error) {
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
			return nil, err
		default:
			order = o
		}
	}
	if order != nil && app.Type.Valid() && app.Type.ReturnsGoods() && order.Status == aftersales.OrderPaid {
		v.Add("type", "the order has not shipped; apply for refund_only")
	}

	now := s.Clock.Now().UTC()
	c := &aftersales.Case{
		ID: s.IDs.NewID("as"), OrderID: app.OrderID, BuyerID: p.ID, Type: app.Type, Reason: app.Reason,
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
	ups, err := s.checkUploads(ctx, p, app.EvidenceIDs, "evidence", &v)
	if err != nil {
		return nil, err
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	if held {
		return nil, &aftersales.Error{Kind: aftersales.KindConflict, Op: op, Msg: aftersales.ErrLineHeld.Msg, Err: aftersales.ErrLineHeld}
	}
	if claimNote != "" {
		claimNote = fmt.Sprintf("claim computed: %s, %s", claimNote, aftersales.Money{Amount: c.Requested, Currency: c.Currency})
	}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: p.Actor(), At: now, Note: claimNote}); err != nil {
		return nil, err
	}
	for _, e := range evidenceOf(ups) {
		e.Status = "uploaded"
		c.Evidence = append(c.Evidence, e)
	}
	if err := s.keepEvidence(ctx, ups); err != nil {
		return nil, err
	}
	return c, nil
}
