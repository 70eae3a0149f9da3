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

	"github.com/aftersales/aftersales/shared/config"
)

// DefaultTimeout bounds one call to the refund API when Config.HTTPClient is
// nil. WeChat Pay answers in well under a second; waiting longer only delays
// the retry that the workflow makes anyway (the call is idempotent).
const DefaultTimeout = 10 * time.Second

// Config is what the adapter needs to talk to WeChat Pay as one merchant.
type Config struct {
	// MchID is the merchant id (商户号).
	MchID string
	// MchSerialNo is the serial number of the merchant API certificate whose
	// private key signs our requests.
	MchSerialNo string
	// MchPrivateKey signs our requests (apiclient_key.pem).
	MchPrivateKey *rsa.PrivateKey
	// APIv3Key is the 32-byte key notifications' resources are encrypted
	// with (AES-256-GCM).
	APIv3Key string
	// PublicKeyID is the id of the WeChat Pay platform public key
	// ("PUB_KEY_ID_..."); responses and notifications carry it in
	// Wechatpay-Serial, and anything signed with another key is refused.
	PublicKeyID string
	// PublicKey is the WeChat Pay platform public key that signs responses
	// and notifications.
	PublicKey *rsa.PublicKey
	// NotifyURL is where WeChat Pay posts refund notifications; empty means
	// the URL configured in the merchant platform.
	NotifyURL string
	// Endpoint overrides the API base URL (scheme, host and an optional path
	// prefix), for the local fake; empty means the real WeChat Pay.
	Endpoint string
	// HTTPClient sends the requests; nil means a client with DefaultTimeout.
	// It is copied, never modified.
	HTTPClient *http.Client
}

// validateNotify checks what verifying notifications needs.
func (c Config) validateNotify() error {
	var errs []error
	if len(c.APIv3Key) != 32 {
		errs = append(errs, fmt.Errorf("the APIv3 key must be 32 bytes, got %d", len(c.APIv3Key)))
	}
	if strings.TrimSpace(c.PublicKeyID) == "" {
		errs = append(errs, errors.New("the platform public key id is missing"))
	}
	if c.PublicKey == nil {
		errs = append(errs, errors.New("the platform public key is missing"))
	}
	return errors.Join(errs...)
}

// validateAPI checks what calling the refund API needs.
func (c Config) validateAPI() error {
	var errs []error
	if strings.TrimSpace(c.MchID) == "" {
		errs = append(errs, errors.New("the merchant id is missing"))
	}
	if strings.TrimSpace(c.MchSerialNo) == "" {
		errs = append(errs, errors.New("the merchant certificate serial number is missing"))
	}
	if c.MchPrivateKey == nil {
		errs = append(errs, errors.New("the merchant private key is missing"))
	}
	if strings.TrimSpace(c.PublicKeyID) == "" {
		errs = append(errs, errors.New("the platform public key id is missing"))
	}
	if c.PublicKey == nil {
		errs = append(errs, errors.New("the platform public key is missing"))
	}
	if c.Endpoint != "" {
		if _, err := parseEndpoint(c.Endpoint); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// PEMConfig is the configuration as deployments carry it: strings from the
// environment or a secret. Keys are PEM text (PKCS#8 "PRIVATE KEY" for the
// merchant, PKIX "PUBLIC KEY" for the platform, as WeChat Pay issues them).
type PEMConfig struct {
	MchID            string // Config.MchID
	MchSerialNo      string // Config.MchSerialNo
	MchPrivateKeyPEM string // Config.MchPrivateKey as PKCS#8 PEM
	APIv3Key         string // Config.APIv3Key
	PublicKeyID      string // Config.PublicKeyID
	PublicKeyPEM     string // Config.PublicKey as PKIX PEM
	NotifyURL        string // Config.NotifyURL
	Endpoint         string // Config.Endpoint
}

// Config parses the keys and returns the adapter configuration. Keys may have
// their newlines escaped as `\n`, because multi-line values rarely survive
// environment variables and secret editors intact.
func (p PEMConfig) Config() (Config, error) {
	c := Config{
		MchID:       strings.TrimSpace(p.MchID),
		MchSerialNo: strings.TrimSpace(p.MchSerialNo),
		APIv3Key:    p.APIv3Key,
		PublicKeyID: strings.TrimSpace(p.PublicKeyID),
		NotifyURL:   strings.TrimSpace(p.NotifyURL),
		Endpoint:    strings.TrimSpace(p.Endpoint),
	}
	var errs []error
	if p.MchPrivateKeyPEM != "" {
		k, err := utils.LoadPrivateKey(config.PEM(p.MchPrivateKeyPEM))
		if err != nil {
			errs = append(errs, fmt.Errorf("merchant private key: %w", err))
		}
		c.MchPrivateKey = k
	}
	if p.PublicKeyPEM != "" {
		k, err := utils.LoadPublicKey(config.PEM(p.PublicKeyPEM))
		if err != nil {
			errs = append(errs, fmt.Errorf("platform public key: %w", err))
		}
		c.PublicKey = k
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("wechatpay config: %w", err)
	}
	return c, nil
}

// ConfigFromEnv reads the WECHATPAY_* variables (named in shared/config)
// through getenv, e.g. os.Getenv, and parses them with PEMConfig.Config.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	return PEMConfig{
		MchID:            getenv(config.EnvWeChatPayMchID),
		MchSerialNo:      getenv(config.EnvWeChatPayMchSerialNo),
		MchPrivateKeyPEM: getenv(config.EnvWeChatPayMchPrivateKey),
		APIv3Key:         getenv(config.EnvWeChatPayAPIv3Key),
		PublicKeyID:      getenv(config.EnvWeChatPayPublicKeyID),
		PublicKeyPEM:     getenv(config.EnvWeChatPayPublicKey),
		NotifyURL:        getenv(config.EnvWeChatPayNotifyURL),
		Endpoint:         getenv(config.EnvWeChatPayEndpoint),
	}.Config()
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

// httpClient returns the client requests go through: a copy of the
// configured one (or a default), its transport rewritten to the endpoint
// when one is set.
func (c Config) httpClient() (*http.Client, error) {
	hc := &http.Client{Timeout: DefaultTimeout}
	if c.HTTPClient != nil {
		copied := *c.HTTPClient
		hc = &copied
	}
	if c.Endpoint == "" {
		return hc, nil
	}
	u, err := parseEndpoint(c.Endpoint)
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
