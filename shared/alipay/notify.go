package alipay

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"time"

	alipaysdk "github.com/smartwalle/alipay/v3"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Notification fields this package reads or checks.
const (
	// NotifyTypeTradeStatusSync is notify_type of trade status
	// notifications, refunds included.
	NotifyTypeTradeStatusSync = alipaysdk.NotifyTypeTradeStatusSync
	// SignTypeRSA2 is the only sign_type accepted.
	SignTypeRSA2 = "RSA2"
)

// MaxNotificationAge is how old a notification (by its notify_time) may be.
// 25 hours is Alipay's retry window: it resends an unanswered notification
// 8 times over 4m, 10m, 10m, 1h, 2h, 6h and 15h, then stops, so nothing
// older comes from Alipay; it is a captured notification replayed.
const MaxNotificationAge = 25 * time.Hour

// ErrNotRefund is returned (KindInvalid) for a notification that verifies
// but is not about a refund, such as a payment's TRADE_SUCCESS. Alipay
// resends a notification until it is answered "success", so a webhook that
// shares its notify_url with payments may want to acknowledge these
// (errors.Is(err, ErrNotRefund)) instead of refusing them.
var ErrNotRefund = aftersales.E(aftersales.KindInvalid, "alipay.notification", "not a refund notification")

// Notifications verifies and decodes the trade status notifications Alipay
// posts (application/x-www-form-urlencoded, RSA2 over the sorted
// parameters). It is safe for concurrent use.
type Notifications struct {
	client *alipaysdk.Client
	appID  string
	clock  aftersales.Clock
}

// NewNotifications builds the verifier from s, checking its keys. Verifying
// needs only the app id and the Alipay public key, but the library parses
// the app private key whenever it builds a client, so s must carry one too.
// clock is the time notify_time is checked against; nil means the system
// clock.
func NewNotifications(s Settings, clock aftersales.Clock) (*Notifications, error) {
	s = s.trimmed()
	c, err := newClient(s)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = aftersales.SystemClock{}
	}
	return &Notifications{client: c, appID: s.AppID, clock: clock}, nil
}

// Parse verifies a notification body and returns the refund it reports.
//
// A refund notification is a trade_status_sync carrying out_biz_no (our
// out_request_no, i.e. the OutRefundNo), refund_fee (the trade's refunded
// total) and gmt_refund; it becomes a RefundNotice with State succeeded,
// ArrivedAt = gmt_refund in UTC, NotificationID = notify_id (for
// deduplication) and ProviderRefundID = trade_no.
//
// A notification is fresh for MaxNotificationAge after its notify_time,
// judged by the clock. Within that window a replay is caught by its
// notify_id (payhook and the refunds use case keep receipts 30 days);
// past it, even a correctly signed notification is refused, whatever its
// id: Alipay never sends one that old. A notify_time ahead of the clock is
// taken, since only Alipay can sign one.
//
// Errors: KindUnauthenticated when the signature is missing, not RSA2 or
// does not verify with the Alipay public key (nothing of the body is
// trusted then), or the notification is older than MaxNotificationAge;
// KindInvalid when the body is malformed (notify_time included), for
// another app, or (ErrNotRefund) not about a refund.
func (n *Notifications) Parse(ctx context.Context, header http.Header, body []byte) (aftersales.RefundNotice, error) {
	const op = "alipay.notification"
	invalid := func(msg string, err error) (aftersales.RefundNotice, error) {
		return aftersales.RefundNotice{}, &aftersales.Error{Kind: aftersales.KindInvalid, Op: op, Msg: msg, Err: err}
	}
	unauthenticated := func(msg string, err error) (aftersales.RefundNotice, error) {
		return aftersales.RefundNotice{}, &aftersales.Error{Kind: aftersales.KindUnauthenticated, Op: op, Msg: msg, Err: err}
	}
	if ct := header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return invalid("the body must be application/x-www-form-urlencoded", err)
		}
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return invalid("the body is not a form", err)
	}
	if values.Get("sign") == "" {
		return unauthenticated("the notification is not signed", nil)
	}
	if st := values.Get("sign_type"); st != SignTypeRSA2 {
		return unauthenticated("the notification is not signed with RSA2", nil)
	}
	nt, err := n.client.DecodeNotification(values) // verifies first
	if err != nil {
		return unauthenticated("the notification's signature does not verify", err)
	}
	if nt.AppId != n.appID {
		return invalid("the notification is for another app", nil)
	}
	if nt.NotifyId == "" {
		return invalid("the notification has no notify_id", nil)
	}
	sent, err := parseTime(nt.NotifyTime)
	if err != nil {
		return invalid("notify_time is not a time", err)
	}
	if age := n.clock.Now().Sub(sent); age > MaxNotificationAge {
		return unauthenticated(fmt.Sprintf("the notification was sent %s ago, after Alipay's %s of retries: a replay",
			age.Truncate(time.Second), MaxNotificationAge), nil)
	}
	if nt.NotifyType != NotifyTypeTradeStatusSync || nt.OutBizNo == "" || nt.GmtRefund == "" || nt.RefundFee == "" {
		return aftersales.RefundNotice{}, ErrNotRefund
	}
	if _, err := ParseYuan(nt.RefundFee); err != nil {
		return invalid("refund_fee is not an amount", err)
	}
	at, err := parseTime(nt.GmtRefund)
	if err != nil {
		return invalid("gmt_refund is not a time", err)
	}
	return aftersales.RefundNotice{
		Channel:        aftersales.ChannelAlipay,
		NotificationID: nt.NotifyId,
		OutRefundNo:    nt.OutBizNo,
		RefundResult: aftersales.RefundResult{
			State:            aftersales.StateSucceeded,
			ProviderRefundID: nt.TradeNo,
			ArrivedAt:        at,
		},
	}, nil
}
