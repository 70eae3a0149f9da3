package config

import (
	"strings"
	"testing"
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
