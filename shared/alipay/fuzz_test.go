package alipay_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/alipay"
)

// FuzzNotification signs any form with the local Alipay's key, so the
// fuzzer explores what an authentic notification may say. A refusal is
// Invalid, Unauthenticated or "not a refund", never Internal (Alipay would
// retry it for a day); an accepted one is for our app and reports exactly
// its own notify_id and out_biz_no.
func FuzzNotification(f *testing.F) {
	fake, err := fakealipay.New(fakealipay.Options{Now: func() time.Time { return start }})
	if err != nil {
		f.Fatal(err)
	}
	n, err := alipay.NewNotifications(fake.Settings("http://127.0.0.1:1"), fixedClock(start.Add(time.Minute)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(refundNotification(fake.AppID()).Encode())
	stale := refundNotification(fake.AppID())
	stale.Set("notify_time", "2020-01-01 00:00:00")
	f.Add(stale.Encode())
	f.Add("notify_type=trade_status_sync&refund_fee=-1&gmt_refund=x&out_biz_no=a&notify_id=1&app_id=" + fake.AppID())
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, form string) {
		body := form
		v, parseErr := url.ParseQuery(form)
		if parseErr == nil {
			body = fake.SignNotification(v).Encode()
		}
		got, err := n.Parse(context.Background(), formHeader, []byte(body))
		if err != nil {
			switch aftersales.KindOf(err) {
			case aftersales.KindInvalid, aftersales.KindUnauthenticated:
			default:
				t.Fatalf("refusal of kind %v: %v", aftersales.KindOf(err), err)
			}
			if got != (aftersales.RefundNotice{}) {
				t.Errorf("returned %+v with the error", got)
			}
			return
		}
		if parseErr != nil {
			t.Fatalf("accepted a body that is not a form: %q", form)
		}
		if v.Get("app_id") != fake.AppID() {
			t.Errorf("accepted a notification for app %q", v.Get("app_id"))
		}
		if got.Channel != aftersales.ChannelAlipay || got.NotificationID == "" || got.NotificationID != v.Get("notify_id") ||
			got.OutRefundNo == "" || got.OutRefundNo != v.Get("out_biz_no") {
			t.Errorf("notice %+v from %v", got, v)
		}
	})
}
