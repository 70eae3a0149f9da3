package wechatpay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
)

// MaxClockSkew is how far Wechatpay-Timestamp may be from our clock. WeChat
// Pay's own SDK uses five minutes; past it a captured response or
// notification can no longer be replayed.
const MaxClockSkew = 5 * time.Minute

// SignatureType is the only signature scheme WeChat Pay v3 uses for RSA
// merchants; a Wechatpay-Signature-Type naming anything else is refused.
const SignatureType = "WECHATPAY2-SHA256-RSA2048"

// errSignature marks a message that failed verification, so callers can
// tell it from transport failures.
type errSignature struct{ reason string }

func (e *errSignature) Error() string { return "wechatpay signature: " + e.reason }

// signedMessage checks the Wechatpay-* headers of a response or notification
// against body: the serial must be our platform key's id, the timestamp
// within MaxClockSkew of now, and the signature (SHA256-RSA over
// "timestamp\nnonce\nbody\n") must verify with the platform public key. The
// RSA check is the SDK verifier's; only the clock is ours.
func signedMessage(ctx context.Context, v auth.Verifier, keyID string, now time.Time, h http.Header, body []byte) error {
	if t := strings.TrimSpace(h.Get("Wechatpay-Signature-Type")); t != "" && t != SignatureType {
		return &errSignature{fmt.Sprintf("unsupported signature type %q", t)}
	}
	serial := strings.TrimSpace(h.Get(consts.WechatPaySerial))
	signature := strings.TrimSpace(h.Get(consts.WechatPaySignature))
	ts := strings.TrimSpace(h.Get(consts.WechatPayTimestamp))
	nonce := strings.TrimSpace(h.Get(consts.WechatPayNonce))
	if serial == "" || signature == "" || ts == "" || nonce == "" {
		return &errSignature{"a Wechatpay-Serial, -Signature, -Timestamp or -Nonce header is missing"}
	}
	if serial != keyID {
		return &errSignature{fmt.Sprintf("signed by key %q, not the configured platform key %q", serial, keyID)}
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &errSignature{fmt.Sprintf("bad Wechatpay-Timestamp %q", ts)}
	}
	if skew := now.Sub(time.Unix(secs, 0)).Abs(); skew > MaxClockSkew {
		return &errSignature{fmt.Sprintf("Wechatpay-Timestamp %d is %s away from now", secs, skew.Round(time.Second))}
	}
	message := ts + "\n" + nonce + "\n" + string(body) + "\n"
	if err := v.Verify(ctx, serial, message, signature); err != nil {
		return &errSignature{err.Error()}
	}
	return nil
}

// responseValidator is the SDK client's auth.Validator with our clock: the
// SDK's own validator compares Wechatpay-Timestamp with time.Now, which
// breaks under the local stack's virtual clock.
type responseValidator struct {
	verifier auth.Verifier
	keyID    string
	now      func() time.Time
}

// Validate verifies a response's signature headers against its body, and
// leaves the body readable for the SDK's unmarshalling.
func (v *responseValidator) Validate(ctx context.Context, resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("read response body: %w", err)
	}
	return signedMessage(ctx, v.verifier, v.keyID, v.now(), resp.Header, body)
}

// GetAcceptSerial names the key we can verify, which the SDK sends as the
// request's Wechatpay-Serial so WeChat Pay signs the answer with it.
func (v *responseValidator) GetAcceptSerial(context.Context) (string, error) {
	return v.keyID, nil
}

// isSignatureError reports whether err is a failed verification.
func isSignatureError(err error) bool {
	var e *errSignature
	return errors.As(err, &e)
}
