package wechatpay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The refund notification event types (退款结果通知). Each names the final
// status its resource carries.
const (
	EventRefundSuccess  = "REFUND.SUCCESS"
	EventRefundAbnormal = "REFUND.ABNORMAL"
	EventRefundClosed   = "REFUND.CLOSED"
)

// eventStatus is the refund_status each event type must carry.
var eventStatus = map[string]string{
	EventRefundSuccess:  "SUCCESS",
	EventRefundAbnormal: "ABNORMAL",
	EventRefundClosed:   "CLOSED",
}

// The notification resource's encryption, as WeChat Pay documents it.
const (
	resourceAlgorithm = "AEAD_AES_256_GCM"
	refundAAD         = "refund" // associated_data of refund resources
)

// Notifications verifies and decrypts WeChat Pay refund notifications. It
// is safe for concurrent use.
type Notifications struct {
	verifier auth.Verifier
	keyID    string
	apiV3Key string
	mchID    string
	clock    aftersales.Clock
}

// NewNotifications builds the verifier from s (the APIv3 key and the
// platform public key with its id; the merchant id, when set, must match the
// notifications'), parsing its keys. clock is the time Wechatpay-Timestamp
// is checked against; nil means the system clock.
func NewNotifications(s Settings, clock aftersales.Clock) (*Notifications, error) {
	m, err := s.parse()
	if err == nil {
		err = m.validateNotify()
	}
	if err != nil {
		return nil, fmt.Errorf("wechatpay notifications: %w", err)
	}
	if clock == nil {
		clock = aftersales.SystemClock{}
	}
	return &Notifications{
		verifier: verifiers.NewSHA256WithRSAPubkeyVerifier(m.publicKeyID, *m.publicKey),
		keyID:    m.publicKeyID,
		apiV3Key: m.apiV3Key,
		mchID:    m.mchID,
		clock:    clock,
	}, nil
}

// refundResource is the decrypted resource of a refund notification.
type refundResource struct {
	MchID               string     `json:"mchid"`
	TransactionID       string     `json:"transaction_id"`
	OutTradeNo          string     `json:"out_trade_no"`
	RefundID            string     `json:"refund_id"`
	OutRefundNo         string     `json:"out_refund_no"`
	RefundStatus        string     `json:"refund_status"`
	SuccessTime         *time.Time `json:"success_time,omitempty"`
	UserReceivedAccount string     `json:"user_received_account"`
}

// gcmNonceSize is the nonce length of AEAD_AES_256_GCM resources: WeChat
// Pay sends a 12-character nonce, the standard GCM nonce size.
const gcmNonceSize = 12

// Parse verifies a notification as received (headers and raw body) and
// returns the refund it reports. Verification comes first and covers the
// exact bytes received, so nothing unauthenticated is even decoded:
// a wrong key id, a timestamp more than MaxClockSkew from the clock, or a
// signature that does not verify are KindUnauthenticated; an authentic
// notification that cannot be decrypted or decoded, or is not a refund
// result, is KindInvalid.
func (n *Notifications) Parse(ctx context.Context, header http.Header, body []byte) (aftersales.RefundNotice, error) {
	const op = "wechatpay.notification"
	if err := signedMessage(ctx, n.verifier, n.keyID, n.clock.Now(), header, body); err != nil {
		return aftersales.RefundNotice{}, &aftersales.Error{Kind: aftersales.KindUnauthenticated, Op: op,
			Msg: "the notification's signature does not verify", Err: err}
	}
	bad := func(format string, args ...any) (aftersales.RefundNotice, error) {
		return aftersales.RefundNotice{}, aftersales.E(aftersales.KindInvalid, op, fmt.Sprintf(format, args...))
	}

	var env notify.Request
	if err := json.Unmarshal(body, &env); err != nil {
		return bad("the notification is not JSON: %v", err)
	}
	want, ok := eventStatus[env.EventType]
	if !ok {
		return bad("event type %q is not a refund result", env.EventType)
	}
	if env.ID == "" {
		return bad("the notification has no id")
	}
	if env.Resource == nil || env.Resource.Ciphertext == "" {
		return bad("the notification has no resource")
	}
	if env.Resource.Algorithm != resourceAlgorithm {
		return bad("resource algorithm %q is not %s", env.Resource.Algorithm, resourceAlgorithm)
	}
	if len(env.Resource.Nonce) != gcmNonceSize {
		// wechatpay-go hands the nonce to crypto/cipher, which panics on
		// any other length (found by FuzzNotificationEnvelope).
		return bad("the resource nonce is %d bytes, not %d", len(env.Resource.Nonce), gcmNonceSize)
	}
	plain, err := utils.DecryptAES256GCM(n.apiV3Key, env.Resource.AssociatedData, env.Resource.Nonce, env.Resource.Ciphertext)
	if err != nil {
		// Authentic but undecryptable: the APIv3 key was changed in the
		// merchant platform and not here, or WeChat sent garbage.
		return aftersales.RefundNotice{}, &aftersales.Error{Kind: aftersales.KindInvalid, Op: op,
			Msg: "the notification's resource cannot be decrypted with the APIv3 key", Err: err}
	}
	var res refundResource
	if err := json.Unmarshal([]byte(plain), &res); err != nil {
		return bad("the notification's resource is not a refund: %v", err)
	}
	if res.OutRefundNo == "" {
		return bad("the notification's resource has no out_refund_no")
	}
	if res.RefundStatus != want {
		return bad("event %s carries refund_status %q", env.EventType, res.RefundStatus)
	}
	if n.mchID != "" && res.MchID != "" && res.MchID != n.mchID {
		return bad("the notification is for merchant %q, not %q", res.MchID, n.mchID)
	}
	result := aftersales.RefundResult{
		State:            states[res.RefundStatus],
		ProviderRefundID: res.RefundID,
		Account:          res.UserReceivedAccount,
	}
	if result.State == aftersales.StateSucceeded {
		result.ArrivedAt = timeOf(res.SuccessTime)
	}
	return aftersales.RefundNotice{
		Channel:        aftersales.ChannelWeChatPay,
		NotificationID: env.ID,
		OutRefundNo:    res.OutRefundNo,
		RefundResult:   result,
	}, nil
}
