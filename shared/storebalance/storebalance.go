// Package storebalance is the refund route to the buyer's store balance
// (F11, only when the buyer chose it, or staff switched a failed refund to
// it). The refund row in the ledger is the record of the credit; the mall,
// which keeps balances, learns of it from the domain event
// refund.balance_credited, which the refunds use case raises with the case
// change that records the refund's success (the transactional outbox), so
// the mall is told if and only if the credit is recorded, under the
// out_refund_no as the event id.
package storebalance

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.RefundProvider = (*Provider)(nil)

// Provider credits refunds to store balance.
type Provider struct {
	Clock aftersales.Clock
}

// Refund reports the credit succeeded: the balance is ours to give, so
// there is nothing to wait for, and nothing leaves here (the event leaves
// with the case change that records the success).
func (p *Provider) Refund(_ context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	if r.Amount.Amount <= 0 {
		return aftersales.RefundResult{}, aftersales.Invalid("storebalance.refund", "amount", "must be positive")
	}
	return aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "balance:" + r.OutRefundNo,
		Account: "store balance", ArrivedAt: p.Clock.Now()}, nil
}

// Query reports every balance refund as unknown: nothing outside holds a
// record of it, so a refund whose step stopped before its result was
// stored is simply credited again under the same out_refund_no.
func (p *Provider) Query(context.Context, aftersales.RefundRequest) (aftersales.RefundResult, error) {
	return aftersales.RefundResult{}, aftersales.ErrNotFound
}
