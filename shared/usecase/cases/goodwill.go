package cases

import (
	"context"
	"errors"
	"fmt"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Goodwill opens a goodwill case (F28, POST /v1/staff/goodwill-refunds):
// staff refund a buyer without an application, within what is left of what
// was paid on the lines it is booked on. It is approved as it is opened,
// by the caller, who must be an admin above the rule set's
// admin_approval_above and must not be the order's buyer; the workflow then
// refunds it like any approved case, through the ledger's limit. With idem,
// one key opens one case however often the request is sent: a double click
// never pays twice.
func (s *Service) Goodwill(ctx context.Context, p aftersales.Principal, r aftersales.GoodwillRequest, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
	const op = "case.goodwill"
	if err := casework.RequireStaff(p, op); err != nil {
		return aftersales.CreateResult{}, err
	}
	if err := r.Validate(op); err != nil {
		return aftersales.CreateResult{}, err
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return aftersales.CreateResult{}, err
	}
	if r.Amount > rs.AdminApprovalAbove && !p.Has(aftersales.RoleAdmin) {
		return aftersales.CreateResult{}, aftersales.E(aftersales.KindForbidden, op,
			fmt.Sprintf("a goodwill refund above %s needs an admin", aftersales.Money{Amount: rs.AdminApprovalAbove, Currency: aftersales.CNY}))
	}
	return s.open(ctx, p, idem, func(id string) (*aftersales.Case, []*aftersales.Case, error) {
		c, err := s.goodwillCase(ctx, p, id, r)
		return c, nil, err
	})
}

// goodwillCase builds goodwill case id for r, approved by p.
func (s *Service) goodwillCase(ctx context.Context, p aftersales.Principal, id string, r aftersales.GoodwillRequest) (*aftersales.Case, error) {
	const op = "case.goodwill"
	o, err := s.Orders.GetOrder(ctx, r.OrderID)
	if errors.Is(err, aftersales.ErrNotFound) {
		return nil, aftersales.Invalid(op, "order_id", "no order %q is known", r.OrderID)
	}
	if err != nil {
		return nil, err
	}
	if o.BuyerID == p.ID {
		return nil, aftersales.E(aftersales.KindForbidden, op,
			"staff may not refund an order they are the buyer of (separation of duties); another member of staff must")
	}
	now := s.Clock.Now().UTC()
	refundTo := r.RefundTo
	if refundTo == "" {
		refundTo = aftersales.RefundOriginal
	}
	c := &aftersales.Case{ID: id, OrderID: o.ID, BuyerID: o.BuyerID, ShopID: o.ShopID, Type: aftersales.Goodwill,
		Reason: r.Reason, Description: r.Note, Currency: o.Currency, RefundTo: refundTo, CreatedAt: now, UpdatedAt: now}
	var v aftersales.Validation
	var left int64
	// The fee accounts count as lines here (issue 17): a goodwill refund
	// may give the shipping fee back, and one on the whole order may reach
	// everything that was paid.
	accounts := o.Accounts()
	for i, ol := range accounts {
		named := len(r.Lines) == 0
		for j, id := range r.Lines {
			if id == ol.LineID {
				named = true
				v.Check(ol.ActiveCaseID == "" || ol.ActiveCaseID == c.ID, fmt.Sprintf("lines[%d]", j),
					"line %s has an active case (%s); book the goodwill refund on another line or after it ends", id, ol.ActiveCaseID)
			}
		}
		amount := ol.Refundable(ol.Quantity)
		if !named || amount == 0 || (len(r.Lines) == 0 && ol.ActiveCaseID != "") {
			continue
		}
		left += amount
		c.Lines = append(c.Lines, aftersales.CaseLine{LineID: ol.LineID, SKU: ol.SKU, Name: ol.Name, Kind: ol.Kind,
			Category: ol.Category, Quantity: accounts[i].Quantity, Amount: amount})
	}
	for i, id := range r.Lines {
		if _, ok := o.Account(id); !ok {
			v.Add(fmt.Sprintf("lines[%d]", i), "order %s has no line %q", o.ID, id)
		}
	}
	if v.Valid() {
		v.Check(r.Amount <= left, "amount", "must be at most %d: what is left of what was paid on %s", left, linesWord(r.Lines))
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	c.Requested, c.Approved = r.Amount, r.Amount
	reason := r.Reason
	if r.Note != "" {
		reason += ": " + r.Note
	}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: p.Actor(), At: now, Note: "goodwill refund"}); err != nil {
		return nil, err
	}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActApprove, Actor: p.Actor(), At: now,
		Note: fmt.Sprintf("goodwill %s: %s", aftersales.Money{Amount: r.Amount, Currency: c.Currency}, reason)}); err != nil {
		return nil, err
	}
	c.Decision = &aftersales.Decision{Outcome: "approve", By: p.Actor(), Reason: reason}
	return c, nil
}

func linesWord(lines []string) string {
	if len(lines) == 0 {
		return "the order's lines without an active case"
	}
	return "the lines named"
}
