// Package wechatpay is the WeChat Pay API v3 refund adapter: a
// RefundProvider that asks WeChat Pay to pay refunds back
// (/v3/refund/domestic/refunds) and a verifier of the refund notifications
// WeChat Pay posts to our webhook.
//
// It uses the official SDK (github.com/wechatpay-apiv3/wechatpay-go) for
// every piece of cryptography: request signing, response and notification
// signature verification, and the AES-256-GCM decryption of notification
// resources. It runs in the WeChat Pay public key mode (a platform public key
// and its id, configured once), so it never downloads platform certificates.
//
// Two things are done here rather than by the SDK, both because the SDK
// reads the wall clock: the five-minute window on Wechatpay-Timestamp is
// checked against an injected clock (the local stack runs on a virtual clock,
// which may be days away from the wall), and requests can be routed to a
// local endpoint (the SDK hard-codes https://api.mch.weixin.qq.com; we
// rewrite scheme and host in the HTTP transport so the real host is never
// contacted when an endpoint is configured).
package wechatpay

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// DefaultTimeout bounds one call to the refund API when Settings.HTTPClient
// is nil. WeChat Pay answers in well under a second; waiting longer only
// delays the retry that the workflow makes anyway (the call is idempotent).
const DefaultTimeout = 10 * time.Second

// Settings is the merchant's WeChat Pay account as deployments carry it:
// strings, the keys as PEM text (PKCS#8 "PRIVATE KEY" for the merchant,
// PKIX "PUBLIC KEY" for the platform, as WeChat Pay issues them).
// NewProvider and NewNotifications parse it, so a deployment's mistakes
// (a garbled key, a missing id) are reported when a function starts.
type Settings struct {
	// MchID is the merchant id (商户号). The route is configured when it is
	// set.
	MchID string
	// MchSerialNo is the serial number of the merchant API certificate whose
	// private key signs our requests.
	MchSerialNo string
	// MchPrivateKeyPEM signs our requests (apiclient_key.pem).
	MchPrivateKeyPEM string
	// APIv3Key is the 32-byte key notifications' resources are encrypted
	// with (AES-256-GCM).
	APIv3Key string
	// PublicKeyID is the id of the WeChat Pay platform public key
	// ("PUB_KEY_ID_..."); responses and notifications carry it in
	// Wechatpay-Serial, and anything signed with another key is refused.
	PublicKeyID string
	// PublicKeyPEM is the WeChat Pay platform public key that signs
	// responses and notifications.
	PublicKeyPEM string
	// NotifyURL is where WeChat Pay posts refund notifications; empty means
	// the URL configured in the merchant platform.
	NotifyURL string
	// Endpoint overrides the API base URL (scheme, host and an optional path
	// prefix), for the local fake; empty means the real WeChat Pay.
	Endpoint string
	// HTTPClient sends the requests; nil means a client with DefaultTimeout.
	// It is copied, never modified. No deployment sets it: it is for tests.
	HTTPClient *http.Client
}

// merchant is Settings parsed: the keys the SDK signs and verifies with.
type merchant struct {
	mchID, mchSerialNo string
	mchPrivateKey      *rsa.PrivateKey
	apiV3Key           string
	publicKeyID        string
	publicKey          *rsa.PublicKey
	notifyURL          string
	endpoint           string
	httpClient         *http.Client
}

// parse parses the keys that are set; what is missing is left to
// validateAPI and validateNotify, which know what each use needs. Every key
// set is parsed, also one the caller does not use: a garbled key is a
// deployment mistake either way.
func (s Settings) parse() (merchant, error) {
	m := merchant{
		mchID:       strings.TrimSpace(s.MchID),
		mchSerialNo: strings.TrimSpace(s.MchSerialNo),
		apiV3Key:    s.APIv3Key,
		publicKeyID: strings.TrimSpace(s.PublicKeyID),
		notifyURL:   strings.TrimSpace(s.NotifyURL),
		endpoint:    strings.TrimSpace(s.Endpoint),
		httpClient:  s.HTTPClient,
	}
	var errs []error
	if s.MchPrivateKeyPEM != "" {
		k, err := utils.LoadPrivateKey(s.MchPrivateKeyPEM)
		if err != nil {
			errs = append(errs, fmt.Errorf("merchant private key: %w", err))
		}
		m.mchPrivateKey = k
	}
	if s.PublicKeyPEM != "" {
		k, err := utils.LoadPublicKey(s.PublicKeyPEM)
		if err != nil {
			errs = append(errs, fmt.Errorf("platform public key: %w", err))
		}
		m.publicKey = k
	}
	return m, errors.Join(errs...)
}

// validateNotify checks what verifying notifications needs.
func (m merchant) validateNotify() error {
	var errs []error
	if len(m.apiV3Key) != 32 {
		errs = append(errs, fmt.Errorf("the APIv3 key must be 32 bytes, got %d", len(m.apiV3Key)))
	}
	if m.publicKeyID == "" {
		errs = append(errs, errors.New("the platform public key id is missing"))
	}
	if m.publicKey == nil {
		errs = append(errs, errors.New("the platform public key is missing"))
	}
	return errors.Join(errs...)
}

// validateAPI checks what calling the refund API needs.
func (m merchant) validateAPI() error {
	var errs []error
	if m.mchID == "" {
		errs = append(errs, errors.New("the merchant id is missing"))
	}
	if m.mchSerialNo == "" {
		errs = append(errs, errors.New("the merchant certificate serial number is missing"))
	}
	if m.mchPrivateKey == nil {
		errs = append(errs, errors.New("the merchant private key is missing"))
	}
	if m.publicKeyID == "" {
		errs = append(errs, errors.New("the platform public key id is missing"))
	}
	if m.publicKey == nil {
		errs = append(errs, errors.New("the platform public key is missing"))
	}
	if m.endpoint != "" {
		if _, err := parseEndpoint(m.endpoint); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// parseEndpoint checks an endpoint override: an absolute http(s) URL without
// query or fragment.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint %q: want an absolute http(s) URL without query", s)
	}
	return u, nil
}

// client returns the client requests go through: a copy of the configured
// one (or a default), its transport rewritten to the endpoint when one is
// set.
func (m merchant) client() (*http.Client, error) {
	hc := &http.Client{Timeout: DefaultTimeout}
	if m.httpClient != nil {
		copied := *m.httpClient
		hc = &copied
	}
	if m.endpoint == "" {
		return hc, nil
	}
	u, err := parseEndpoint(m.endpoint)
	if err != nil {
		return nil, err
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &endpointTransport{base: base, target: u}
	return hc, nil
}

// endpointTransport sends every request to target instead of the host the
// SDK wrote into the URL. It rewrites all requests, not only those for
// api.mch.weixin.qq.com, so that a configured sandbox can never leak a call
// to the real service.
type endpointTransport struct {
	base   http.RoundTripper
	target *url.URL
}

// RoundTrip rewrites a clone of req (a RoundTripper must not modify its
// request) and sends it. The request signature covers the path the SDK
// signed; a path prefix in the endpoint is meant to be stripped by whatever
// serves the fake there.
func (t *endpointTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme = t.target.Scheme
	r.URL.Host = t.target.Host
	r.Host = t.target.Host
	if prefix := strings.TrimRight(t.target.Path, "/"); prefix != "" {
		r.URL.Path = prefix + r.URL.Path
		if r.URL.RawPath != "" {
			r.URL.RawPath = strings.TrimRight(t.target.EscapedPath(), "/") + r.URL.RawPath
		}
	}
	return t.base.RoundTrip(r)
}
