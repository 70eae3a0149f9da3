package alipay

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	alipaysdk "github.com/smartwalle/alipay/v3"
)

// ProductionGateway is Alipay's open API gateway, used when
// Settings.Endpoint is empty.
const ProductionGateway = "https://openapi.alipay.com/gateway.do"

// DefaultTimeout bounds one call to the gateway when Settings.HTTPClient is
// nil. Alipay answers in well under a second; waiting longer only delays the
// retry that the workflow makes anyway (refunds are idempotent).
const DefaultTimeout = 10 * time.Second

// chinaTime is the zone Alipay writes its times in (gmt_refund_pay,
// gmt_refund, the request timestamp). China has kept UTC+8 without daylight
// saving since 1991, so a fixed zone is exact and needs no tzdata in the
// Lambda image.
var chinaTime = time.FixedZone("CST", 8*60*60)

// Settings is the merchant's Alipay app as deployments carry it: strings,
// the keys as text. NewProvider and NewNotifications check them, so a
// deployment's mistakes (a garbled key, a missing id) are reported when a
// function starts.
type Settings struct {
	// AppID is the Alipay open platform app id (应用 APPID). The route is
	// configured when it is set.
	AppID string
	// AppPrivateKey signs our requests: the app's RSA2 private key, PEM
	// (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY") or the bare base64
	// that Alipay's key tool prints.
	AppPrivateKey string
	// AlipayPublicKey verifies Alipay's responses and notifications: the
	// "支付宝公钥" of the app, PEM ("PUBLIC KEY") or bare base64.
	AlipayPublicKey string
	// NotifyURL is sent as the notify_url of refund requests. Alipay posts
	// refund notifications to the notify_url of the payment; the fake uses
	// this one. Empty: none is sent.
	NotifyURL string
	// Endpoint overrides the gateway URL (the local fake); empty means
	// ProductionGateway.
	Endpoint string
	// HTTPClient sends the requests; nil means a client with DefaultTimeout.
	// It is copied, never modified. No deployment sets it: it is for tests.
	HTTPClient *http.Client
}

// trimmed returns s without the whitespace around its values, which
// environment files and secret editors leave; the library would take a
// padded key or gateway URL as a broken one.
func (s Settings) trimmed() Settings {
	s.AppID = strings.TrimSpace(s.AppID)
	s.AppPrivateKey = strings.TrimSpace(s.AppPrivateKey)
	s.AlipayPublicKey = strings.TrimSpace(s.AlipayPublicKey)
	s.NotifyURL = strings.TrimSpace(s.NotifyURL)
	s.Endpoint = strings.TrimSpace(s.Endpoint)
	return s
}

// parseEndpoint checks a gateway URL: absolute http(s), no fragment.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint %q: want an absolute http(s) URL", s)
	}
	return u, nil
}

// newClient builds the library client for s, which the caller has trimmed.
//
// The library's isProduction flag only picks the default gateway and decides
// whether a response or notification naming an unknown alipay_cert_sn makes
// the client download that certificate from the gateway. We run in the
// public key mode and always name the gateway ourselves, so the flag is
// false: a forged notification carrying alipay_cert_sn is refused instead of
// triggering an outbound call, and no request can go to a host we did not
// configure.
func newClient(s Settings) (*alipaysdk.Client, error) {
	var errs []error
	if s.AppID == "" {
		errs = append(errs, errors.New("the app id is missing"))
	}
	if s.AppPrivateKey == "" {
		errs = append(errs, errors.New("the app private key is missing"))
	}
	if s.AlipayPublicKey == "" {
		errs = append(errs, errors.New("the Alipay public key is missing"))
	}
	gateway := s.Endpoint
	if gateway == "" {
		gateway = ProductionGateway
	}
	if _, err := parseEndpoint(gateway); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("alipay config: %w", err)
	}

	hc := &http.Client{Timeout: DefaultTimeout}
	if s.HTTPClient != nil {
		copied := *s.HTTPClient
		hc = &copied
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = statusTransport{base: base}

	c, err := alipaysdk.New(s.AppID, s.AppPrivateKey, false,
		alipaysdk.WithSandboxGateway(gateway), // with isProduction false, this sets the gateway; see above
		alipaysdk.WithHTTPClient(hc),
		alipaysdk.WithTimeLocation(chinaTime))
	if err != nil {
		return nil, fmt.Errorf("alipay config: the app private key: %w", err)
	}
	if err := c.LoadAliPayPublicKey(s.AlipayPublicKey); err != nil {
		return nil, fmt.Errorf("alipay config: the Alipay public key: %w", err)
	}
	return c, nil
}

// statusError is an HTTP answer that is not the gateway's 200: the library
// would only see a body it cannot decode.
type statusError struct{ code int }

func (e *statusError) Error() string { return fmt.Sprintf("alipay gateway answered HTTP %d", e.code) }

// statusTransport turns non-2xx answers into a statusError, so that a 502
// from a load balancer is reported as such rather than as a JSON error.
type statusTransport struct{ base http.RoundTripper }

// RoundTrip sends req and checks the status.
func (t statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		return nil, &statusError{code: resp.StatusCode}
	}
	return resp, nil
}
