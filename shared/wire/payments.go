package wire

import (
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/sandboxpay"
	"github.com/aftersales/aftersales/shared/storebalance"
)

// payments builds the payment routes by channel. In live mode: store
// balance, and the providers configured; a channel without a route (bank
// card, or a provider the merchant has not configured) becomes a manual
// refund for finance in the refunds use case. In sandbox mode, which a
// deploy asks for by name: one route for every channel that pays at once
// and calls nobody, not even the mall's balance service, so that no money
// moves and every ledger row says sandbox. Deps.Decorate, when set, wraps
// every route.
func payments(cfg config.Config, d Deps) (map[aftersales.PaymentChannel]aftersales.RefundProvider, error) {
	m := map[aftersales.PaymentChannel]aftersales.RefundProvider{}
	switch cfg.ProviderMode {
	case config.ProviderSandbox:
		sb := &sandboxpay.Provider{Clock: d.Clock}
		for _, ch := range []aftersales.PaymentChannel{aftersales.ChannelWeChatPay, aftersales.ChannelAlipay,
			aftersales.ChannelBankCard, aftersales.ChannelBalance} {
			m[ch] = sb
		}
	case config.ProviderLive:
		m[aftersales.ChannelBalance] = &storebalance.Provider{Clock: d.Clock}
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
