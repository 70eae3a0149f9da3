package cases

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// customsCaller is who opens the cases of the mall's customs callback: the
// scope of its events' ids, used as idempotency keys.
var customsCaller = aftersales.Principal{ID: aftersales.ActorMallCustoms}

// Customs takes a customs status of a cross-border order (F17, POST
// /webhooks/mall/customs). A failed clearance or a returned parcel opens
// an auto refund case approved by the system: everything left of what was
// paid for the goods, the tariff and the shipping goes back through the
// ledger and the payment routes, with no application and no review, and
// the buyer sees the case among theirs. One event id opens one case
// however often the mall sends it. A cleared parcel, or an order with
// nothing left to refund (a second event about it), opens none: the
// result has no Case then.
func (s *Service) Customs(ctx context.Context, ev aftersales.CustomsEvent) (aftersales.CreateResult, error) {
	const op = "case.customs"
	if err := ev.Validate(); err != nil {
		return aftersales.CreateResult{}, err
	}
	if !ev.Refunds() {
		return aftersales.CreateResult{}, nil
	}
	idem := &aftersales.IdempotentRequest{Key: ev.EventID, RequestHash: ev.OrderID + "/" + string(ev.Status),
		Render: func(c *aftersales.Case) (int, []byte, error) { return http.StatusCreated, []byte(c.ID), nil }}
	res, err := s.open(ctx, customsCaller, idem, func(id string) (*aftersales.Case, []*aftersales.Case, error) {
		c, err := s.customsCase(ctx, id, ev)
		return c, nil, err
	})
	switch {
	case errors.Is(err, errNothingLeft), errors.Is(err, aftersales.ErrLineHeld):
		// Refunded already, or being refunded by the case of an earlier
		// event: nothing more is owed.
		return aftersales.CreateResult{}, nil
	case err != nil:
		return aftersales.CreateResult{}, err
	}
	return res, nil
}

// errNothingLeft: the order has nothing left to refund.
var errNothingLeft = aftersales.E(aftersales.KindConflict, "case.customs", "nothing is left to refund on the order")

// customsCase builds auto refund case id for ev: every line and fee of the
// order with money left and no active case.
func (s *Service) customsCase(ctx context.Context, id string, ev aftersales.CustomsEvent) (*aftersales.Case, error) {
	const op = "case.customs"
	o, err := s.Orders.GetOrder(ctx, ev.OrderID)
	if errors.Is(err, aftersales.ErrNotFound) {
		return nil, aftersales.Invalid(op, "order_id", "no order %q is known", ev.OrderID)
	}
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now().UTC()
	c := &aftersales.Case{ID: id, OrderID: o.ID, BuyerID: o.BuyerID, ShopID: o.ShopID, Type: aftersales.AutoRefund,
		Reason: ev.ReasonCode(), Description: ev.Detail, Currency: o.Currency, RefundTo: aftersales.RefundOriginal,
		CreatedAt: now, UpdatedAt: now}
	var goods, fees int64
	var held []string
	for _, ol := range o.LedgerLines() {
		if f, ok := o.Fee(ol.LineID); ok {
			ol = *f // the fee with its ledger
		} else if l, ok := o.Line(ol.LineID); ok {
			ol = *l
		}
		if ol.Kind == aftersales.KindCompensation {
			continue // owed for a late presale shipment, not paid: no customs refund
		}
		if ol.ActiveCaseID != "" {
			held = append(held, fmt.Sprintf("%s (case %s)", ol.LineID, ol.ActiveCaseID))
			continue
		}
		amount := ol.Refundable(ol.Quantity)
		if amount == 0 {
			continue
		}
		if ol.Kind == aftersales.KindFee {
			fees += amount
		} else {
			goods += amount
		}
		c.Lines = append(c.Lines, aftersales.CaseLine{LineID: ol.LineID, SKU: ol.SKU, Name: ol.Name, Kind: ol.Kind,
			Category: ol.Category, Quantity: ol.Quantity, Amount: amount})
	}
	if goods+fees == 0 {
		return nil, errNothingLeft
	}
	money := func(n int64) aftersales.Money { return aftersales.Money{Amount: n, Currency: c.Currency} }
	c.Requested, c.Approved = goods+fees, goods+fees
	what := fmt.Sprintf("customs: %s", ev.Status)
	if ev.Detail != "" {
		what += ": " + ev.Detail
	}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: aftersales.ActorMallCustoms, At: now, Note: what}); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("goods %s + fees %s = %s refunded automatically", money(goods), money(fees), money(goods+fees))
	if len(held) > 0 {
		// Their own cases refund them; staff see why they are not here.
		note += "; left to their active cases: " + strings.Join(held, ", ")
	}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActAutoRefund, Actor: aftersales.ActorWorkflow, At: now, Note: note}); err != nil {
		return nil, err
	}
	c.Decision = &aftersales.Decision{Outcome: string(aftersales.OutcomeApprove), By: aftersales.ActorMallCustoms, Reason: what}
	return c, nil
}
