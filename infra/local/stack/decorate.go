package stack

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase"
	"github.com/aftersales/aftersales/shared/wire"
)

// decorations are the local stack's changes to what wire builds for each
// function: its one seam into the production wiring.
type decorations struct {
	// apiOptions meter every AWS SDK call (the benchmark's cost phase).
	apiOptions []func(*middleware.Stack) error
	// store replaces DynamoDB when set (scale runs: minidyn's transactions
	// cost O(table size)).
	store usecase.Store
	// intake replaces the intake queue (the tests lose a message with it).
	intake aftersales.Intake
	// onRefund sees every refund request before its payment route does
	// (the benchmark times submit -> refund requested).
	onRefund func(aftersales.RefundRequest)
	// wrapPayment wraps each payment route (the chaos run's crashes).
	wrapPayment func(aftersales.PaymentChannel, aftersales.RefundProvider) aftersales.RefundProvider
}

var _ wire.Decorator = (*decorations)(nil)

// AWS adds the meter to the SDK's middleware.
func (d *decorations) AWS(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, d.apiOptions...)
}

// Ports swaps in the in-memory store and the local intake.
func (d *decorations) Ports(p *usecase.Ports) {
	if d.store != nil {
		*p = p.WithStore(d.store)
	}
	if p.Intake != nil && d.intake != nil {
		p.Intake = d.intake
	}
}

// Payment wraps a payment route with the observer and the chaos wrapper.
func (d *decorations) Payment(ch aftersales.PaymentChannel, p aftersales.RefundProvider) aftersales.RefundProvider {
	if d.onRefund != nil {
		p = observedProvider{RefundProvider: p, observe: d.onRefund}
	}
	if d.wrapPayment != nil {
		p = d.wrapPayment(ch, p)
	}
	return p
}

// observedProvider tells an observer about each refund request.
type observedProvider struct {
	aftersales.RefundProvider
	observe func(aftersales.RefundRequest)
}

func (o observedProvider) Refund(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	o.observe(r)
	return o.RefundProvider.Refund(ctx, r)
}
