// Package payhook receives payment providers' refund notifications
// (POST /webhooks/wechatpay, POST /webhooks/alipay): it reads the body, has
// the provider's adapter verify and decode it, hands it to Notices (which
// drops replays and queues new ones for the inbound consumer) and
// answers the way each provider requires. Nothing is processed here:
// providers time out after a few seconds and retry for a day.
package payhook

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
)

// Parser verifies a provider's notification and decodes it; verification
// failures are KindUnauthenticated, malformed bodies KindInvalid. The
// wechatpay and alipay adapters' Notifications implement it.
type Parser interface {
	Parse(ctx context.Context, header http.Header, body []byte) (aftersales.RefundNotice, error)
}

// Unverifiable is the Parser of a provider the deployment holds no keys for
// (provider mode sandbox, or a provider not configured): no notification
// can be verified, so every one is refused as unauthenticated and changes
// nothing. The route still exists, so a misrouted or forged notification
// meets a refusal that says why, not a 404.
type Unverifiable struct {
	Reason string // why nothing can be verified, for the logs
}

// Parse refuses the notification.
func (u Unverifiable) Parse(context.Context, http.Header, []byte) (aftersales.RefundNotice, error) {
	return aftersales.RefundNotice{}, aftersales.E(aftersales.KindUnauthenticated, "payhook.verify", "cannot verify the notification: "+u.Reason)
}

// Notices takes verified notifications: it drops replays and queues new
// ones for the inbound consumer.
type Notices interface {
	AcceptNotice(ctx context.Context, n aftersales.RefundNotice) (duplicate bool, err error)
}

// Answer writes a provider's expected reply: err nil means "taken".
type Answer func(w http.ResponseWriter, r *http.Request, err error)

// maxBody bounds a notification; real ones are about 1 KB.
const maxBody = 64 << 10

// Handler serves one provider's notification route.
type Handler struct {
	Provider string // for logs
	Parser   Parser
	Notices  Notices
	Answer   Answer
}

// ServeHTTP verifies before anything else reads the notification; a
// notification that fails verification changes nothing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := apigw.Logger(r.Context())
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err == nil && len(body) > maxBody {
		err = errors.New("the body is too large")
	}
	if err != nil {
		h.Answer(w, r, aftersales.Wrap(aftersales.KindInvalid, "payhook.read", err))
		return
	}
	n, err := h.Parser.Parse(r.Context(), r.Header, body)
	if err != nil {
		log.Warn("notification refused", "provider", h.Provider, "kind", aftersales.KindOf(err).String(), "err", err.Error())
		h.Answer(w, r, err)
		return
	}
	dup, err := h.Notices.AcceptNotice(r.Context(), n)
	if err != nil {
		log.Error("notification not queued; the provider will retry", "provider", h.Provider,
			"out_refund_no", n.OutRefundNo, "err", err.Error())
		h.Answer(w, r, err)
		return
	}
	log.Info("notification accepted", "provider", h.Provider, "notification_id", n.NotificationID,
		"out_refund_no", n.OutRefundNo, "state", string(n.State), "duplicate", dup)
	h.Answer(w, r, nil)
}

// WeChatPay answers as WeChat Pay v3 requires: 204 when taken; otherwise a
// 4xx (verification failed, not to be retried as is) or 5xx (try again)
// with {"code":"FAIL","message":...}.
func WeChatPay(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	status := http.StatusInternalServerError
	msg := "temporarily unavailable"
	switch aftersales.KindOf(err) {
	case aftersales.KindUnauthenticated:
		status, msg = http.StatusUnauthorized, "signature verification failed"
	case aftersales.KindInvalid:
		status, msg = http.StatusBadRequest, aftersales.MessageOf(err)
	}
	apigw.WriteJSON(w, status, map[string]string{"code": "FAIL", "message": msg})
}

// Alipay answers as Alipay requires: the body "success" when taken, and
// anything else ("fail") to have it sent again later. Alipay reads only the
// body; the status says what happened to people reading logs.
func Alipay(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	status, body := http.StatusOK, "success"
	switch kind := aftersales.KindOf(err); {
	case err == nil:
	case kind == aftersales.KindUnauthenticated:
		status, body = http.StatusUnauthorized, "fail"
	case kind == aftersales.KindInvalid:
		status, body = http.StatusBadRequest, "fail"
	default:
		status, body = http.StatusInternalServerError, "fail"
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
