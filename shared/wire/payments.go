package wire

import (
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/sandboxpay"
	"github.com/aftersales/aftersales/shared/storebalance"
)

// payments builds the payment routes by channel: store balance always; in
// sandbox mode a route that pays at once for the provider channels; in live
// mode the providers configured. Bank-card payments are refunded through
// the provider they were made with, which the mall names as the order's
// channel; a channel without a route fails the refund for staff. Deps.Decorate,
// when set, wraps every route.
func payments(cfg config.Config, d Deps, events aftersales.EventPublisher) (map[aftersales.PaymentChannel]aftersales.RefundProvider, error) {
	m := map[aftersales.PaymentChannel]aftersales.RefundProvider{
		aftersales.ChannelBalance: &storebalance.Provider{Events: events, Clock: d.Clock},
	}
	switch cfg.ProviderMode {
	case config.ProviderSandbox:
		sb := &sandboxpay.Provider{Clock: d.Clock}
		m[aftersales.ChannelWeChatPay], m[aftersales.ChannelAlipay] = sb, sb
	case config.ProviderLive:
		live, err := livePayments(cfg, d)
		if err != nil {
			return nil, err
		}
		for ch, p := range live {
			m[ch] = p
		}
	}
	if d.Decorate != nil {
		for ch, p := range m {
			m[ch] = d.Decorate.Payment(ch, p)
		}
	}
	return m, nil
}
