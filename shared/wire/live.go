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

// wechatConfig and alipayConfig read a provider's settings; ok is false
// when the merchant has not configured that provider.
func wechatConfig(cfg config.Config) (c wechatpay.Config, ok bool, err error) {
	w := cfg.WeChatPay
	if w.MchID == "" {
		return c, false, nil
	}
	c, err = wechatpay.PEMConfig{MchID: w.MchID, MchSerialNo: w.MchSerialNo, MchPrivateKeyPEM: w.MchPrivateKeyPEM,
		APIv3Key: w.APIv3Key, PublicKeyID: w.PublicKeyID, PublicKeyPEM: w.PublicKeyPEM, NotifyURL: w.NotifyURL,
		Endpoint: w.Endpoint}.Config()
	return c, err == nil, err
}

func alipayConfig(cfg config.Config) (c alipay.Config, ok bool, err error) {
	a := cfg.Alipay
	if a.AppID == "" {
		return c, false, nil
	}
	c, err = alipay.LoadConfig(a.AppID, a.AppPrivateKeyPEM, a.PublicKeyPEM, a.NotifyURL, a.Endpoint)
	return c, err == nil, err
}

// livePayments builds the WeChat Pay and Alipay routes the merchant has
// configured.
func livePayments(cfg config.Config, d Deps) (map[aftersales.PaymentChannel]aftersales.RefundProvider, error) {
	m := map[aftersales.PaymentChannel]aftersales.RefundProvider{}
	wc, ok, err := wechatConfig(cfg)
	if err != nil {
		return nil, err
	}
	if ok {
		if m[aftersales.ChannelWeChatPay], err = wechatpay.NewProvider(wc, d.Clock); err != nil {
			return nil, err
		}
	}
	ac, ok, err := alipayConfig(cfg)
	if err != nil {
		return nil, err
	}
	if ok {
		if m[aftersales.ChannelAlipay], err = alipay.NewProvider(ac, d.Clock); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// notificationRoutes are the providers' notification webhooks, for the
// providers configured (live mode).
func notificationRoutes(cfg config.Config, svc *aftersales.Service, d Deps) ([]webhookRoute, error) {
	if cfg.ProviderMode != config.ProviderLive {
		return nil, nil
	}
	var routes []webhookRoute
	wc, ok, err := wechatConfig(cfg)
	if err != nil {
		return nil, err
	}
	if ok {
		n, err := wechatpay.NewNotifications(wc, d.Clock)
		if err != nil {
			return nil, err
		}
		routes = append(routes, webhookRoute{"POST", "/webhooks/wechatpay",
			&payhook.Handler{Provider: "wechatpay", Parser: n, Service: svc, Answer: payhook.WeChatPay}})
	}
	ac, ok, err := alipayConfig(cfg)
	if err != nil {
		return nil, err
	}
	if ok {
		n, err := alipay.NewNotifications(ac)
		if err != nil {
			return nil, err
		}
		routes = append(routes, webhookRoute{"POST", "/webhooks/alipay",
			&payhook.Handler{Provider: "alipay", Parser: n, Service: svc, Answer: alipayAnswer}})
	}
	return routes, nil
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
