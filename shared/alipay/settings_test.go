package alipay_test

import (
	"strings"
	"testing"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/shared/alipay"
)

// bare strips the PEM armour and newlines, leaving the base64 that
// Alipay's key tool prints.
func bare(pemText string) string {
	var b strings.Builder
	for _, line := range strings.Split(pemText, "\n") {
		if !strings.HasPrefix(line, "-----") {
			b.WriteString(strings.TrimSpace(line))
		}
	}
	return b.String()
}

// TestSettings: the constructors take the keys in the forms deployments
// carry them and refuse, at start, settings the library could not sign or
// verify with.
func TestSettings(t *testing.T) {
	fake, err := fakealipay.New(fakealipay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, pub := fake.AppPrivateKeyPEM(), fake.AlipayPublicKeyPEM()
	tests := []struct {
		name            string
		appID, key, pub string
		endpoint        string
		wantErr         string // a part of the error; "" for success
	}{
		{name: "PEM", appID: "2021000000000001", key: key, pub: pub},
		{name: "bare base64 as Alipay's tool prints", appID: "2021000000000001", key: bare(key), pub: bare(pub)},
		{name: "padded", appID: " 2021000000000001\n", key: "\n" + bare(key) + " ", pub: " " + pub + "\n",
			endpoint: " http://127.0.0.1:9000/gateway.do\n"},
		{name: "local endpoint", appID: "2021000000000001", key: key, pub: pub, endpoint: "http://127.0.0.1:9000/gateway.do"},
		{name: "everything missing", wantErr: "app id is missing"},
		{name: "private key missing", appID: "1", pub: pub, wantErr: "app private key is missing"},
		{name: "public key missing", appID: "1", key: key, wantErr: "Alipay public key is missing"},
		{name: "private key garbled", appID: "1", key: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", pub: pub,
			wantErr: "app private key"},
		{name: "public key swapped with the private key", appID: "1", key: key, pub: key, wantErr: "Alipay public key"},
		{name: "endpoint not a URL", appID: "1", key: key, pub: pub, endpoint: "localhost:9000", wantErr: "endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := alipay.Settings{AppID: tt.appID, AppPrivateKey: tt.key, AlipayPublicKey: tt.pub,
				NotifyURL: " https://api.example.com/webhooks/alipay ", Endpoint: tt.endpoint}
			_, errProvider := alipay.NewProvider(s, nil)
			_, errNotify := alipay.NewNotifications(s, nil)
			for _, err := range []error{errProvider, errNotify} {
				if tt.wantErr == "" && err != nil {
					t.Fatal(err)
				}
				if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Fatalf("err %v, want one mentioning %q", err, tt.wantErr)
				}
			}
		})
	}
}
