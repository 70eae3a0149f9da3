package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/alipay"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	full := map[string]string{
		EnvTableName: "t", EnvEvidenceBucket: "b", EnvJWTIssuer: "iss", EnvJWTAudience: "aud",
		EnvJWTHS256Secret: "s", EnvMallWebhookSecret: "m", EnvStateMachineARN: "arn", EnvIntakeQueueURL: "q", EnvReviewQueueURL: "r",
		EnvInboundQueueURL: "i",
	}
	liveHalfWeChat := map[string]string{EnvTableName: "t", EnvStateMachineARN: "arn", EnvProviderMode: ProviderLive,
		EnvWeChatPayMchID: "190000", EnvWeChatPayMchSerialNo: "serial", EnvAlipayAppID: "2021"}
	tests := []struct {
		name     string
		env      map[string]string
		required []string
		wantErr  []string // every name the error must mention
	}{
		{"api complete", full, API, nil},
		{"webhooks complete", full, Webhooks, nil},
		{"inbound complete", full, Inbound, nil},
		{"live provider settings are all or nothing", liveHalfWeChat, Inbound, []string{EnvWeChatPayMchPrivateKey,
			EnvWeChatPayAPIv3Key, EnvWeChatPayPublicKeyID, EnvWeChatPayPublicKey, EnvWeChatPayNotifyURL, EnvAlipayAppPrivateKey, EnvAlipayPublicKey}},
		{"nothing set", map[string]string{}, API, []string{EnvTableName, EnvEvidenceBucket, EnvJWTIssuer, EnvJWTAudience, EnvJWTHS256Secret + " or " + EnvJWTPublicKeys}},
		{"no jwt key", map[string]string{EnvTableName: "t", EnvEvidenceBucket: "b", EnvJWTIssuer: "i", EnvJWTAudience: "a", EnvStateMachineARN: "x", EnvIntakeQueueURL: "q", EnvReviewQueueURL: "r"}, API, []string{EnvJWTHS256Secret}},
		{"bad provider mode", map[string]string{EnvTableName: "t", EnvStateMachineARN: "x", EnvProviderMode: "yolo"}, Tasks, []string{EnvProviderMode}},
		{"bad sweep grace", map[string]string{EnvTableName: "t", EnvStateMachineARN: "x", EnvIntakeQueueURL: "q", EnvSweepGrace: "soon"}, Sweeper, []string{EnvSweepGrace}},
		{"webhook secret missing", map[string]string{EnvTableName: "t"}, Webhooks, []string{EnvMallWebhookSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env), tt.required...)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if c.TableName != "t" || c.Region != "us-east-1" {
					t.Errorf("config = %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, name := range tt.wantErr {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

// TestLoadProviderSettings: every provider variable lands in the adapter's
// settings, keys with their newlines restored when the environment or a
// secret stored them as `\n` escapes.
func TestLoadProviderSettings(t *testing.T) {
	const key = "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----"
	escaped := strings.ReplaceAll(key, "\n", `\n`)
	c, err := Load(env(map[string]string{
		EnvProviderMode:   ProviderLive,
		EnvWeChatPayMchID: "1900000001", EnvWeChatPayMchSerialNo: "serial", EnvWeChatPayMchPrivateKey: escaped,
		EnvWeChatPayAPIv3Key: "apiv3", EnvWeChatPayPublicKeyID: "PUB_KEY_ID_1", EnvWeChatPayPublicKey: " " + key + "\n",
		EnvWeChatPayNotifyURL: "https://api.example.com/webhooks/wechatpay", EnvWeChatPayEndpoint: "http://127.0.0.1:8081",
		EnvAlipayAppID: "2021", EnvAlipayAppPrivateKey: escaped, EnvAlipayPublicKey: "MIIBIjAN",
		EnvAlipayNotifyURL: "https://api.example.com/webhooks/alipay", EnvAlipayEndpoint: "http://127.0.0.1:9000/gateway.do",
	}))
	if err != nil {
		t.Fatal(err)
	}
	wantWeChat := wechatpay.Settings{MchID: "1900000001", MchSerialNo: "serial", MchPrivateKeyPEM: key, APIv3Key: "apiv3",
		PublicKeyID: "PUB_KEY_ID_1", PublicKeyPEM: key, NotifyURL: "https://api.example.com/webhooks/wechatpay", Endpoint: "http://127.0.0.1:8081"}
	if c.WeChatPay != wantWeChat {
		t.Errorf("WeChatPay = %+v,\nwant %+v", c.WeChatPay, wantWeChat)
	}
	wantAlipay := alipay.Settings{AppID: "2021", AppPrivateKey: key, AlipayPublicKey: "MIIBIjAN",
		NotifyURL: "https://api.example.com/webhooks/alipay", Endpoint: "http://127.0.0.1:9000/gateway.do"}
	if c.Alipay != wantAlipay {
		t.Errorf("Alipay = %+v,\nwant %+v", c.Alipay, wantAlipay)
	}
}

func TestWithSecrets(t *testing.T) {
	secrets := map[string]string{
		"arn:wechat": `{"mch_id":"1900000001","mch_private_key_pem":"-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----","app_id":"","unused":"x"}`,
		"arn:alipay": `{"app_id":"","app_private_key_pem":"","alipay_public_key_pem":""}`,
		"arn:bad":    `not json`,
	}
	fetch := func(arn string) ([]byte, error) {
		s, ok := secrets[arn]
		if !ok {
			return nil, errors.New("AccessDenied")
		}
		return []byte(s), nil
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    map[string]string // variable -> value seen through the overlay
		wantErr string
	}{
		{"no secret ARNs: the environment as it is", map[string]string{EnvWeChatPayMchID: "env"},
			map[string]string{EnvWeChatPayMchID: "env", EnvAlipayAppID: ""}, ""},
		{"secret fields stand for their variables", map[string]string{EnvWeChatPaySecretARN: "arn:wechat", EnvAlipaySecretARN: "arn:alipay"},
			map[string]string{EnvWeChatPayMchID: "1900000001", EnvWeChatPayMchPrivateKey: "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----",
				EnvWeChatPayAppID: "", EnvAlipayAppID: "", "unused": ""}, ""},
		{"the environment wins over the secret", map[string]string{EnvWeChatPaySecretARN: "arn:wechat", EnvWeChatPayMchID: "local"},
			map[string]string{EnvWeChatPayMchID: "local"}, ""},
		{"an unreadable secret is named", map[string]string{EnvAlipaySecretARN: "arn:missing"}, nil, "alipay secret: AccessDenied"},
		{"a secret that is not JSON is named", map[string]string{EnvWeChatPaySecretARN: "arn:bad"}, nil, "wechatpay secret is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv, err := WithSecrets(env(tt.env), fetch)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got := getenv(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// TestProviderModeDefaultsToLive: a function told nothing about the
// provider mode calls the providers; sandbox must be asked for by name.
func TestProviderModeDefaultsToLive(t *testing.T) {
	for _, tt := range []struct {
		name, mode, want string
	}{
		{"not set", "", ProviderLive},
		{"live", ProviderLive, ProviderLive},
		{"sandbox by name", ProviderSandbox, ProviderSandbox},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(map[string]string{EnvProviderMode: tt.mode}))
			if err != nil || c.ProviderMode != tt.want {
				t.Fatalf("mode %q, %v; want %q", c.ProviderMode, err, tt.want)
			}
		})
	}
}

// TestMissingProviderSecrets: a live configuration names what is missing in
// the words of the secrets the merchant fills in: a half-filled secret at
// Load, and no provider at all at CheckProviders; sandbox needs none.
func TestMissingProviderSecrets(t *testing.T) {
	wechat, alipay := "aftersales/prod/provider/wechatpay", "aftersales/prod/provider/alipay"
	tests := []struct {
		name    string
		env     map[string]string
		loadErr []string // what Load's error names; nil: Load succeeds
		check   []string // what CheckProviders' error names; nil: it passes
	}{
		{"live with both secrets empty", map[string]string{EnvStage: "prod", EnvProviderMode: ProviderLive}, nil,
			[]string{"no payment provider is configured", wechat + " (mch_id, mch_serial_no, mch_private_key_pem, apiv3_key, public_key_id, public_key_pem)",
				alipay + " (app_id, app_private_key_pem, alipay_public_key_pem)", "secretsRevision", "providerMode sandbox"}},
		{"mode not set and both secrets empty", map[string]string{EnvStage: "prod"}, nil, []string{"no payment provider is configured"}},
		{"sandbox needs no secret", map[string]string{EnvStage: "prod", EnvProviderMode: ProviderSandbox}, nil, nil},
		{"a half-filled WeChat Pay secret", map[string]string{EnvStage: "prod", EnvProviderMode: ProviderLive,
			EnvWeChatPayMchID: "190000", EnvWeChatPayMchSerialNo: "serial", EnvWeChatPayNotifyURL: "https://x/webhooks/wechatpay"},
			[]string{EnvWeChatPayAPIv3Key + " (field apiv3_key of the secret " + wechat + ")",
				EnvWeChatPayPublicKey + " (field public_key_pem of the secret " + wechat + ")"}, nil},
		{"an Alipay key without its app id", map[string]string{EnvStage: "prod", EnvProviderMode: ProviderLive,
			EnvAlipayPublicKey: "MIIB"}, []string{EnvAlipayAppID + " (field app_id of the secret " + alipay + ")",
			EnvAlipayAppPrivateKey + " (field app_private_key_pem"}, nil},
		{"one provider is enough", map[string]string{EnvStage: "prod", EnvProviderMode: ProviderLive,
			EnvAlipayAppID: "2021", EnvAlipayAppPrivateKey: "k", EnvAlipayPublicKey: "p"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if tt.loadErr != nil {
				if err == nil {
					t.Fatal("Load succeeded, want an error")
				}
				for _, s := range tt.loadErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("Load error %q does not name %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.CheckProviders()
			if tt.check == nil {
				if err != nil {
					t.Fatalf("CheckProviders: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckProviders passed, want an error")
			}
			for _, s := range tt.check {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("CheckProviders error %q does not name %q", err, s)
				}
			}
		})
	}
}
