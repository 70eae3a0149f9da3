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

// notificationRoutes are the providers' notification webhooks, for the
// providers configured (live mode).
func notificationRoutes(cfg config.Config, notices payhook.Notices, d Deps) ([]webhookRoute, error) {
	if cfg.ProviderMode != config.ProviderLive {
		return nil, nil
	}
	var routes []webhookRoute
	if cfg.WeChatPay.MchID != "" {
		n, err := wechatpay.NewNotifications(cfg.WeChatPay, d.Clock)
		if err != nil {
			return nil, err
		}
		routes = append(routes, webhookRoute{"POST", "/webhooks/wechatpay",
			&payhook.Handler{Provider: "wechatpay", Parser: n, Notices: notices, Answer: payhook.WeChatPay}})
	}
	if cfg.Alipay.AppID != "" {
		n, err := alipay.NewNotifications(cfg.Alipay, d.Clock)
		if err != nil {
			return nil, err
		}
		routes = append(routes, webhookRoute{"POST", "/webhooks/alipay",
			&payhook.Handler{Provider: "alipay", Parser: n, Notices: notices, Answer: alipayAnswer}})
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
