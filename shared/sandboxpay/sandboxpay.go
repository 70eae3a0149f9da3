// Package sandboxpay is a payment route that pays every refund: the
// provider mode "sandbox" of a deployment, and the local stack's default.
// It confirms each refund through Service.ConfirmRefund, the same path a
// real provider's notification takes, so the workflow's task-token wait is
// exercised end to end.
package sandboxpay

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.Refunder = (*Refunder)(nil)

// Refunder confirms every refund at once through Confirm.
type Refunder struct {
	// Confirm is called as a provider notification would be; the wiring sets
	// it to the case service's ConfirmRefund.
	Confirm func(ctx context.Context, caseID, outRefundNo string) error
}

// Refund accepts the refund and confirms it.
func (r *Refunder) Refund(ctx context.Context, req aftersales.RefundRequest) error {
	if req.Amount.Amount <= 0 {
		return aftersales.E(aftersales.KindInvalid, "sandboxpay.refund", "the amount must be positive")
	}
	return r.Confirm(ctx, req.CaseID, req.OutRefundNo)
}

// Query reports every refund as paid: the sandbox never loses one.
func (r *Refunder) Query(context.Context, string) (aftersales.RefundState, error) {
	return aftersales.RefundSucceeded, nil
}
