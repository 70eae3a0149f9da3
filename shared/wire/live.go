package wire

import (
	"errors"
	"net/http"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/alipay"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/payhook"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// livePayments builds the WeChat Pay and Alipay routes the merchant has
// configured.
func livePayments(cfg config.Config, d Deps) (map[aftersales.PaymentChannel]aftersales.RefundProvider, error) {
	m := map[aftersales.PaymentChannel]aftersales.RefundProvider{}
	var err error
	if cfg.WeChatPay.MchID != "" {
		if m[aftersales.ChannelWeChatPay], err = wechatpay.NewProvider(cfg.WeChatPay, d.Clock); err != nil {
			return nil, err
		}
	}
	if cfg.Alipay.AppID != "" {
		if m[aftersales.ChannelAlipay], err = alipay.NewProvider(cfg.Alipay, d.Clock); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// notificationRoutes are the providers' notification webhooks. They exist
// in every mode, so that the notify URLs never answer 404: a provider
// configured in live mode verifies its notifications; otherwise (sandbox
// mode, or a provider the merchant has not configured) nothing can verify
// them, and every notification is refused as unverified.
func notificationRoutes(cfg config.Config, notices payhook.Notices, d Deps) ([]webhookRoute, error) {
	live := cfg.ProviderMode == config.ProviderLive
	var wechatParser, alipayParser payhook.Parser = unverifiable(cfg, "wechatpay"), unverifiable(cfg, "alipay")
	if live && cfg.WeChatPay.MchID != "" {
		n, err := wechatpay.NewNotifications(cfg.WeChatPay, d.Clock)
		if err != nil {
			return nil, err
		}
		wechatParser = n
	}
	if live && cfg.Alipay.AppID != "" {
		n, err := alipay.NewNotifications(cfg.Alipay, d.Clock)
		if err != nil {
			return nil, err
		}
		alipayParser = n
	}
	return []webhookRoute{
		{"POST", "/webhooks/wechatpay", &payhook.Handler{Provider: "wechatpay", Parser: wechatParser, Notices: notices, Answer: payhook.WeChatPay}},
		{"POST", "/webhooks/alipay", &payhook.Handler{Provider: "alipay", Parser: alipayParser, Notices: notices, Answer: alipayAnswer}},
	}, nil
}

// unverifiable is the parser of a provider this deployment has no keys
// for: it says why, in the error every notification gets.
func unverifiable(cfg config.Config, provider string) payhook.Unverifiable {
	if cfg.ProviderMode != config.ProviderLive {
		return payhook.Unverifiable{Reason: "provider mode " + cfg.ProviderMode + ": no refund was sent to " + provider}
	}
	return payhook.Unverifiable{Reason: provider + " is not configured (its secret " + cfg.SecretName(provider) + " is empty)"}
}

// alipayAnswer acknowledges verified notifications that are not about a
// refund (payments made by the mall share the notify URL): Alipay would
// otherwise send them again for a day.
func alipayAnswer(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, alipay.ErrNotRefund) {
		err = nil
	}
	payhook.Alipay(w, r, err)
}
