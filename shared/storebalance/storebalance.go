// Package storebalance is the refund route to the buyer's store balance
// (F11, only when the buyer chose it, or staff switched a failed refund to
// it). The refund row in the ledger is the record of the credit; the mall,
// which keeps balances, learns of it from a domain event and credits the
// buyer, deduplicating on the event id (the out_refund_no).
package storebalance

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.RefundProvider = (*Provider)(nil)

// Provider credits refunds to store balance by publishing an event.
type Provider struct {
	Events aftersales.EventPublisher
	Clock  aftersales.Clock
}

// Refund publishes the credit and reports it succeeded: the balance is ours
// to give, so there is nothing to wait for. Publishing again for the same
// refund (a retried step) repeats the same event id.
func (p *Provider) Refund(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	if r.Amount.Amount <= 0 {
		return aftersales.RefundResult{}, aftersales.Invalid("storebalance.refund", "amount", "must be positive")
	}
	now := p.Clock.Now()
	err := p.Events.Publish(ctx, aftersales.DomainEvent{
		ID: r.OutRefundNo, Type: aftersales.EventBalanceCredited, At: now,
		CaseID: r.CaseID, OrderID: r.OrderID, BuyerID: r.BuyerID,
		Detail: map[string]any{"out_refund_no": r.OutRefundNo, "amount": r.Amount.Amount, "currency": r.Amount.Currency},
	})
	if err != nil {
		return aftersales.RefundResult{}, err
	}
	return aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "balance:" + r.OutRefundNo,
		Account: "store balance", ArrivedAt: now}, nil
}

// Query reports every balance refund as unknown: the only record of a
// credit is the published event, so a refund whose step stopped before
// publishing is simply published again (the event id deduplicates it).
func (p *Provider) Query(context.Context, aftersales.RefundRequest) (aftersales.RefundResult, error) {
	return aftersales.RefundResult{}, aftersales.ErrNotFound
}
