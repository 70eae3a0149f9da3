package stack

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/infra/local/fakewechat"
)

// startPayments starts the WeChat Pay and Alipay sandboxes with fresh keys
// and configures the stack's live payment routes to use them, exactly as a
// deployment is configured with a merchant's keys: requests are signed by
// the providers' libraries and checked by the sandboxes, and WeChat Pay's
// notifications come back signed and encrypted to /webhooks/wechatpay.
func (s *Stack) startPayments(o Options) error {
	settle := o.RefundDelay
	if settle == 0 {
		settle = -1 // at the clock's next tick
	}
	var err error
	s.WeChatPay, err = fakewechat.New(fakewechat.Options{
		Now: o.Clock.Now, AfterFunc: o.Clock.AfterFunc, OnSettle: o.Clock.OnSettle, SettleDelay: settle,
		Logf: func(format string, args ...any) {
			s.log.Debug("wechatpay sandbox", "msg", fmt.Sprintf(format, args...))
		},
	})
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func(context.Context) error { s.WeChatPay.Close(); return nil })
	s.wechatURL, err = s.serve("wechatpay sandbox", o.WeChatPayAddr, s.WeChatPay.Handler())
	if err != nil {
		return err
	}
	s.Alipay, err = fakealipay.New(fakealipay.Options{Now: o.Clock.Now, AfterFunc: o.Clock.AfterFunc})
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func(context.Context) error { s.Alipay.Close(); return nil })
	s.alipayURL, err = s.serve("alipay sandbox", o.AlipayAddr, s.Alipay.Handler())
	if err != nil {
		return err
	}
	s.Config.WeChatPay = s.WeChatPay.Settings(s.wechatURL, s.URL+"/webhooks/wechatpay")
	s.Config.Alipay = s.Alipay.Settings(s.alipayURL)
	s.Config.Alipay.NotifyURL = s.URL + "/webhooks/alipay"
	s.log.Info("payment sandboxes", slog.String("wechatpay", s.wechatURL), slog.String("alipay", s.alipayURL))
	return nil
}
