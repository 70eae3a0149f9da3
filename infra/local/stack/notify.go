package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aftersales/aftersales/infra/local/esm"
	"github.com/aftersales/aftersales/infra/local/fakesms"
	"github.com/aftersales/aftersales/infra/local/fakewechatmsg"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/wire"
)

// The notifications queue (F6).
const (
	NotificationsQueue = "aftersales-notifications"
	NotificationsDLQ   = "aftersales-notifications-dlq"
	FunctionNotifier   = "notifier"
)

// startMessaging starts the stand-ins of the notification senders (WeChat
// subscribe messages, SMS) and points the configuration at them.
func (s *Stack) startMessaging(o Options) error {
	s.WeChatMsg = fakewechatmsg.New(o.Clock.Now)
	wechatURL, err := s.serve("wechat stand-in", o.WeChatMsgAddr, s.WeChatMsg.Handler())
	if err != nil {
		return err
	}
	s.SMS = fakesms.New(o.Clock.Now)
	smsURL, err := s.serve("sms stand-in", o.SMSAddr, s.SMS.Handler())
	if err != nil {
		return err
	}
	s.Config.Notify.WeChatAppID, s.Config.Notify.WeChatAppSecret = s.WeChatMsg.AppID, s.WeChatMsg.AppSecret
	s.Config.Notify.WeChatTemplateID, s.Config.Notify.WeChatEndpoint = s.WeChatMsg.TemplateID, wechatURL
	s.Config.Notify.SMSOrigination, s.Config.Notify.SMSEndpoint = s.SMS.Origination, smsURL
	s.log.Info("message stand-ins", slog.String("wechat", wechatURL), slog.String("sms", smsURL))
	return nil
}

// startNotifications creates the notifications queue (every function
// built after it announces case changes there) and its consumer, the
// notifier.
func (s *Stack) startNotifications(ctx context.Context, client *sqs.Client) error {
	url, err := createQueue(ctx, client, NotificationsQueue, NotificationsDLQ)
	if err != nil {
		return fmt.Errorf("create notifications queue: %w", err)
	}
	s.Config.NotificationsQueueURL = url
	notifier, err := wire.Notifier(ctx, s.Config, s.deps)
	if err != nil {
		return err
	}
	s.fns.notifier = notifier.Handle
	// Sends are paced by the providers' rate limits, not by us: a few
	// batches at once, as the mapping's maximum concurrency in the stack.
	if err := s.consume(ctx, client, url, FunctionNotifier, notifier.Handle, 5); err != nil {
		return err
	}
	s.notifier = s.mappings[len(s.mappings)-1]
	return nil
}

// WaitIdleButNotifier is WaitIdle for everything but the notifier: a
// notification whose send failed waits for its visibility timeout on the
// stack's clock, which WaitIdle would wait for forever (see
// esm.Mapping.WaitIdle). Tests of failing senders use it with
// AwaitNotifier and move the clock themselves.
func (s *Stack) WaitIdleButNotifier(ctx context.Context) error { return s.waitIdle(ctx, s.notifier) }

// AwaitNotifier returns once cond holds for the notifier's counters, or
// ctx's error.
func (s *Stack) AwaitNotifier(ctx context.Context, cond func(esm.Stats) bool) error {
	return s.notifier.Await(ctx, cond)
}

// NotifierStats are the notifier's counters.
func (s *Stack) NotifierStats() esm.Stats { return s.notifier.Stats() }

// devWeChatMessages serves GET /dev/wechat/messages: the subscribe messages
// the WeChat stand-in accepted, oldest first, and how many sends it failed
// on purpose.
func (s *Stack) devWeChatMessages(w http.ResponseWriter, r *http.Request) {
	apigw.WriteJSON(w, http.StatusOK, map[string]any{"items": s.WeChatMsg.Messages(), "failed": s.WeChatMsg.Failed()})
}

// devWeChatFail serves POST /dev/wechat/fail {"times": n}: the next n
// sends answer errcode -1 (WeChat busy); 0 ends it.
func (s *Stack) devWeChatFail(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Times *int `json:"times"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Times == nil || *req.Times < 0 {
		apigw.WriteError(w, r, aftersales.Invalid("dev.wechat_fail", "times", "must be a whole number >= 0"))
		return
	}
	s.WeChatMsg.Fail(*req.Times)
	apigw.WriteJSON(w, http.StatusOK, map[string]int{"times": *req.Times})
}

// devSMS serves GET /dev/sms: the text messages the SMS stand-in accepted.
func (s *Stack) devSMS(w http.ResponseWriter, r *http.Request) {
	apigw.WriteJSON(w, http.StatusOK, map[string]any{"items": s.SMS.Messages()})
}
