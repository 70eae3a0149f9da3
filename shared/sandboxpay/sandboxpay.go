// Package sandboxpay is a payment route that pays every refund at once
// without calling anybody: the provider mode "sandbox" of a deployment
// (a trial before the merchant has provider keys), which a deploy must ask
// for by name. Each refund still goes through the ledger, its database
// limit and the case workflow; only the provider's answer is made up, and
// says so (RefundResult.Sandbox), so that the ledger row is marked sandbox.
package sandboxpay

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.RefundProvider = (*Provider)(nil)

// Provider answers every refund as paid.
type Provider struct {
	Clock aftersales.Clock
}

// Refund reports the refund paid.
func (p *Provider) Refund(_ context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	if r.Amount.Amount <= 0 {
		return aftersales.RefundResult{}, aftersales.Invalid("sandboxpay.refund", "amount", "must be positive")
	}
	return p.paid(r), nil
}

// Query reports every refund as paid: the sandbox never loses one.
func (p *Provider) Query(_ context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	return p.paid(r), nil
}

func (p *Provider) paid(r aftersales.RefundRequest) aftersales.RefundResult {
	return aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "sandbox:" + r.OutRefundNo,
		Account: "sandbox", ArrivedAt: p.Clock.Now(), Sandbox: true}
}
