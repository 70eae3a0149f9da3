package alipay_test

import (
	"strings"
	"testing"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/shared/alipay"
	"github.com/aftersales/aftersales/shared/config"
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

func TestLoadConfig(t *testing.T) {
	fake, err := fakealipay.New(fakealipay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, pub := fake.AppPrivateKeyPEM(), fake.AlipayPublicKeyPEM()
	escaped := func(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", `\n`) }
	tests := []struct {
		name             string
		appID, key, pub  string
		endpoint         string
		wantErr          string // a part of the error; "" for success
		wantKey, wantPub string
	}{
		{name: "PEM", appID: "2021000000000001", key: key, pub: pub, wantKey: strings.TrimSpace(key), wantPub: strings.TrimSpace(pub)},
		{name: "escaped newlines", appID: "2021000000000001", key: escaped(key), pub: escaped(pub),
			wantKey: strings.TrimSpace(key), wantPub: strings.TrimSpace(pub)},
		{name: "bare base64 as Alipay's tool prints", appID: "2021000000000001", key: bare(key), pub: bare(pub),
			wantKey: bare(key), wantPub: bare(pub)},
		{name: "local endpoint", appID: "2021000000000001", key: key, pub: pub, endpoint: "http://127.0.0.1:9000/gateway.do",
			wantKey: strings.TrimSpace(key), wantPub: strings.TrimSpace(pub)},
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
			c, err := alipay.LoadConfig(tt.appID, tt.key, tt.pub, " https://api.example.com/webhooks/alipay ", tt.endpoint)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AppID != tt.appID || c.AppPrivateKey != tt.wantKey || c.AlipayPublicKey != tt.wantPub ||
				c.NotifyURL != "https://api.example.com/webhooks/alipay" || c.Endpoint != tt.endpoint {
				t.Fatalf("got %+v", c)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	fake, err := fakealipay.New(fakealipay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		config.EnvAlipayAppID:         fake.AppID(),
		config.EnvAlipayAppPrivateKey: fake.AppPrivateKeyPEM(),
		config.EnvAlipayPublicKey:     fake.AlipayPublicKeyPEM(),
		config.EnvAlipayNotifyURL:     "https://api.example.com/webhooks/alipay",
		config.EnvAlipayEndpoint:      "http://127.0.0.1:9000/gateway.do",
	}
	c, err := alipay.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := fake.AppConfig("http://127.0.0.1:9000/gateway.do")
	want.AppPrivateKey, want.AlipayPublicKey = strings.TrimSpace(want.AppPrivateKey), strings.TrimSpace(want.AlipayPublicKey)
	want.NotifyURL = "https://api.example.com/webhooks/alipay"
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	if _, err := alipay.ConfigFromEnv(func(string) string { return "" }); err == nil {
		t.Fatal("an empty environment loaded")
	}
}
