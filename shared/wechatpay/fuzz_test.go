package wechatpay_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// notifyRig is the local WeChat Pay that seals notifications, and the
// receiver that parses them, on one fixed clock.
func notifyRig(f *testing.F) (*fakewechat.Server, *wechatpay.Notifications) {
	f.Helper()
	k, err := fakewechat.GenerateKeys()
	if err != nil {
		f.Fatal(err)
	}
	fake, err := fakewechat.New(fakewechat.Options{Keys: &k, Now: func() time.Time { return t0 }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(fake.Close)
	n, err := wechatpay.NewNotifications(fake.Settings("", ""), fixedClock(t0))
	if err != nil {
		f.Fatal(err)
	}
	return fake, n
}

// checkNotice holds for any outcome of Parse: an error is Unauthenticated or
// Invalid (never Internal: WeChat Pay would retry a 500 for a day) and comes
// with no notice; a notice names its notification and refund and has a
// known state.
func checkNotice(t *testing.T, got aftersales.RefundNotice, err error) {
	t.Helper()
	if err != nil {
		if k := aftersales.KindOf(err); k != aftersales.KindUnauthenticated && k != aftersales.KindInvalid {
			t.Fatalf("error of kind %v: %v", k, err)
		}
		if got != (aftersales.RefundNotice{}) {
			t.Errorf("returned %+v with the error", got)
		}
		return
	}
	if got.Channel != aftersales.ChannelWeChatPay || got.NotificationID == "" || got.OutRefundNo == "" {
		t.Errorf("notice without channel, id or refund: %+v", got)
	}
	switch got.State {
	case aftersales.StateSucceeded, aftersales.StateClosed, aftersales.StateAbnormal:
	default:
		t.Errorf("notice of state %q", got.State)
	}
}

// FuzzNotificationResource seals any plaintext as a refund notification's
// resource (encrypted and signed as WeChat Pay does), so the fuzzer explores
// what an authentic notification may carry. An accepted one reports exactly
// the refund number and status of its plaintext.
func FuzzNotificationResource(f *testing.F) {
	f.Add(wechatpay.EventRefundSuccess, `{"mchid":"`+fakewechat.DefaultMchID+`","out_refund_no":"as_1-1","refund_id":"5030","refund_status":"SUCCESS","success_time":"2031-03-01T09:59:58+08:00","amount":{"refund":1}}`)
	f.Add(wechatpay.EventRefundClosed, `{"out_refund_no":"as_1-1","refund_status":"CLOSED"}`)
	f.Add(wechatpay.EventRefundSuccess, `{"out_refund_no":"as_1-1","refund_status":"SUCCESS","success_time":"not a time"}`)
	f.Add("TRANSACTION.SUCCESS", `{"out_trade_no":"o-1"}`)
	fake, n := notifyRig(f)
	f.Fuzz(func(t *testing.T, event, plain string) {
		h, body, err := fake.SealNotification(event, "退款", []byte(plain))
		if err != nil {
			t.Fatalf("the local WeChat Pay cannot seal %q: %v", plain, err)
		}
		got, err := n.Parse(context.Background(), h, body)
		checkNotice(t, got, err)
		if err != nil {
			return
		}
		var res struct {
			OutRefundNo  string `json:"out_refund_no"`
			RefundStatus string `json:"refund_status"`
		}
		if err := json.Unmarshal([]byte(plain), &res); err != nil {
			t.Fatalf("accepted a resource that is not JSON: %q", plain)
		}
		if got.OutRefundNo != res.OutRefundNo || string(got.State) == "" {
			t.Errorf("notice %+v from resource %s", got, plain)
		}
	})
}

// FuzzNotificationEnvelope signs any body with the platform key, so the
// fuzzer explores the envelope around the encrypted resource.
func FuzzNotificationEnvelope(f *testing.F) {
	fake, n := notifyRig(f)
	_, sealed, err := fake.SealNotification(wechatpay.EventRefundSuccess, "退款", []byte(`{"out_refund_no":"as_1-1","refund_status":"SUCCESS"}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add([]byte(`{"id":"x","event_type":"REFUND.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAA","nonce":"","associated_data":""}}`))
	f.Add([]byte(`{"id":"x","event_type":"REFUND.SUCCESS","resource":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := fake.SignHeaders(body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.Parse(context.Background(), h, body)
		checkNotice(t, got, err)
	})
}
