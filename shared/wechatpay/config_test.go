package wechatpay_test

import (
	"strings"
	"testing"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

func TestConfigFromEnv(t *testing.T) {
	k, _ := testKeys(t)
	fake, err := fakewechat.New(fakewechat.Options{Keys: &k})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	tests := []struct {
		name    string
		change  func(env map[string]string)
		wantErr string
	}{
		{name: "as issued"},
		{name: "newlines escaped", change: func(env map[string]string) {
			for _, name := range []string{config.EnvWeChatPayMchPrivateKey, config.EnvWeChatPayPublicKey} {
				env[name] = strings.ReplaceAll(env[name], "\n", `\n`)
			}
		}},
		{name: "private key garbled", change: func(env map[string]string) {
			env[config.EnvWeChatPayMchPrivateKey] = "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----"
		}, wantErr: "merchant private key"},
		{name: "public key is a private key", change: func(env map[string]string) { env[config.EnvWeChatPayPublicKey] = env[config.EnvWeChatPayMchPrivateKey] }, wantErr: "platform public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := fake.Env("http://127.0.0.1:8081", "https://api.example.com/webhooks/wechatpay")
			if tt.change != nil {
				tt.change(env)
			}
			cfg, err := wechatpay.ConfigFromEnv(func(name string) string { return env[name] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one about %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := fake.MerchantConfig("http://127.0.0.1:8081", "https://api.example.com/webhooks/wechatpay")
			if cfg.MchID != want.MchID || cfg.MchSerialNo != want.MchSerialNo || cfg.APIv3Key != want.APIv3Key ||
				cfg.PublicKeyID != want.PublicKeyID || cfg.NotifyURL != want.NotifyURL || cfg.Endpoint != want.Endpoint ||
				!cfg.MchPrivateKey.Equal(want.MchPrivateKey) || !cfg.PublicKey.Equal(want.PublicKey) {
				t.Fatalf("ConfigFromEnv = %+v,\nwant %+v", cfg, want)
			}
			if _, err := wechatpay.NewProvider(cfg, nil); err != nil {
				t.Errorf("NewProvider: %v", err)
			}
			if _, err := wechatpay.NewNotifications(cfg, nil); err != nil {
				t.Errorf("NewNotifications: %v", err)
			}
		})
	}
}
