package fakewechat

import (
	"fmt"
	"strings"
)

// The placeholders of a WeChat Pay notification fixture (see FillFixture).
const (
	PlaceholderResourceNonce      = "{{wechatpay_resource_nonce}}"
	PlaceholderResourceCiphertext = "{{wechatpay_resource_ciphertext}}"
	PlaceholderTimestamp          = "{{wechatpay_timestamp}}"
	PlaceholderNonce              = "{{wechatpay_nonce}}"
	PlaceholderSignature          = "{{wechatpay_signature}}"
	PlaceholderSerial             = "{{wechatpay_serial}}"
)

// FillFixture completes a notification fixture, whose ciphertext and
// signature depend on this fake's keys and clock and so cannot be frozen in
// a file: it encrypts resource (the plaintext refund JSON) into the body's
// resource placeholders, signs the resulting body, and replaces the header
// placeholders in headers (in place; header names as the fixture spells
// them). It returns the completed body.
func (s *Server) FillFixture(headers map[string]string, body string, resource []byte) (string, error) {
	if !strings.Contains(body, PlaceholderResourceCiphertext) || !strings.Contains(body, PlaceholderResourceNonce) {
		return "", fmt.Errorf("fakewechat: the fixture body lacks %s or %s", PlaceholderResourceCiphertext, PlaceholderResourceNonce)
	}
	nonce, ciphertext, err := s.encrypt(resource)
	if err != nil {
		return "", err
	}
	body = strings.ReplaceAll(body, PlaceholderResourceNonce, nonce)
	body = strings.ReplaceAll(body, PlaceholderResourceCiphertext, ciphertext)
	h, err := s.SignHeaders([]byte(body))
	if err != nil {
		return "", err
	}
	r := strings.NewReplacer(
		PlaceholderTimestamp, h.Get("Wechatpay-Timestamp"),
		PlaceholderNonce, h.Get("Wechatpay-Nonce"),
		PlaceholderSignature, h.Get("Wechatpay-Signature"),
		PlaceholderSerial, h.Get("Wechatpay-Serial"),
	)
	for k, v := range headers {
		headers[k] = r.Replace(v)
	}
	return body, nil
}
