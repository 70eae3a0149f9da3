package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/config"
)

// localConfig is a configuration in provider mode mode with no provider
// keys, whose AWS clients point at a closed local port: building a
// function never calls anything, and nothing here reaches AWS.
func localConfig(t *testing.T, mode string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			config.EnvStage: "prod", config.EnvProviderMode: mode, config.EnvTableName: "t", config.EnvStateMachineARN: "arn:sm",
			config.EnvMallWebhookSecret: "m", config.EnvInboundQueueURL: "http://127.0.0.1:1/q",
			config.EnvDynamoDBEndpoint: "http://127.0.0.1:1", config.EnvSQSEndpoint: "http://127.0.0.1:1",
			config.EnvSFNEndpoint: "http://127.0.0.1:1",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func quietDeps() Deps {
	return Deps{Clock: aftersales.SystemClock{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestTasksRefuseToStartWithoutProviders: the function that pays refunds
// does not start live with empty provider secrets, and its error names the
// secrets and fields to fill; sandbox, asked for by name, starts.
func TestTasksRefuseToStartWithoutProviders(t *testing.T) {
	live := liveConfig(t)
	live.Endpoints = localConfig(t, config.ProviderLive).Endpoints
	tests := []struct {
		name    string
		cfg     config.Config
		wantErr []string
	}{
		{"live with empty secrets", localConfig(t, config.ProviderLive), []string{"no payment provider is configured",
			"aftersales/prod/provider/wechatpay (mch_id,", "aftersales/prod/provider/alipay (app_id,"}},
		{"sandbox", localConfig(t, config.ProviderSandbox), nil},
		{"live with both providers", live, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Tasks(t.Context(), tt.cfg, quietDeps())
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Tasks: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("the tasks started live with no payment provider: every refund would wait for finance, unannounced")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
}

// TestStartFailedLine: the line a function writes when it cannot start is
// the JSON the stack's metric filter counts ($.level, $.msg) with the
// reason.
func TestStartFailedLine(t *testing.T) {
	var buf bytes.Buffer
	logStartFailed(slog.New(slog.NewJSONHandler(&buf, nil)), errors.New("config: no payment provider is configured"))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q: %v", buf.String(), err)
	}
	if line["level"] != "ERROR" || line["msg"] != config.StartFailed || !strings.Contains(line["err"].(string), "no payment provider") {
		t.Errorf("line %v, want level ERROR, msg %q and the reason", line, config.StartFailed)
	}
}

// TestProviderWebhooksInEveryMode: the notify URLs exist in every mode.
// Where the deployment holds no keys (sandbox, or a provider not
// configured) every notification is refused as unverified, in the
// provider's own answer format, and nothing is queued; where it holds them,
// a notification that fails verification is refused the same way.
func TestProviderWebhooksInEveryMode(t *testing.T) {
	live := liveConfig(t)
	live.Endpoints = localConfig(t, config.ProviderLive).Endpoints
	configs := []struct {
		name string
		cfg  config.Config
	}{
		{"sandbox", localConfig(t, config.ProviderSandbox)},
		{"live, providers not configured", localConfig(t, config.ProviderLive)},
		{"live, both configured", live},
	}
	posts := []struct {
		path     string
		header   map[string]string
		body     string
		wantBody string
	}{
		{"/webhooks/wechatpay", map[string]string{"Content-Type": "application/json", "Wechatpay-Serial": "PUB_KEY_ID_0",
			"Wechatpay-Signature": "c2ln", "Wechatpay-Timestamp": "1700000000", "Wechatpay-Nonce": "n"},
			`{"id":"EV-1","event_type":"REFUND.SUCCESS","resource":{}}`, `"code":"FAIL"`},
		{"/webhooks/alipay", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"notify_id=1&out_request_no=as_1-1&sign_type=RSA2&sign=c2ln", "fail"},
	}
	for _, c := range configs {
		h, err := Webhooks(t.Context(), c.cfg, quietDeps())
		if err != nil {
			t.Fatalf("%s: Webhooks: %v", c.name, err)
		}
		for _, p := range posts {
			t.Run(c.name+" "+p.path, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, p.path, strings.NewReader(p.body))
				for k, v := range p.header {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), p.wantBody) {
					t.Fatalf("%d %q, want 401 holding %s (an unverifiable notification refused, not a missing route)",
						rec.Code, rec.Body, p.wantBody)
				}
			})
		}
	}
}

// TestPaymentRoutesByMode: sandbox routes every channel (store balance and
// bank card too) to a sandbox that calls nobody and says so; live routes
// store balance and the providers configured, and leaves bank card without
// a route (a manual refund for finance).
func TestPaymentRoutesByMode(t *testing.T) {
	channels := []aftersales.PaymentChannel{aftersales.ChannelWeChatPay, aftersales.ChannelAlipay,
		aftersales.ChannelBankCard, aftersales.ChannelBalance}
	tests := []struct {
		name    string
		cfg     config.Config
		routed  []aftersales.PaymentChannel
		sandbox bool
	}{
		{"sandbox", localConfig(t, config.ProviderSandbox), channels, true},
		{"live", liveConfig(t), []aftersales.PaymentChannel{aftersales.ChannelWeChatPay, aftersales.ChannelAlipay, aftersales.ChannelBalance}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := payments(tt.cfg, quietDeps())
			if err != nil {
				t.Fatal(err)
			}
			if len(m) != len(tt.routed) {
				t.Errorf("routes for %d channels, want %v", len(m), tt.routed)
			}
			for _, ch := range tt.routed {
				p, ok := m[ch]
				if !ok {
					t.Errorf("no route for %s", ch)
					continue
				}
				if !tt.sandbox {
					continue
				}
				res, err := p.Refund(t.Context(), aftersales.RefundRequest{OutRefundNo: "as_1-1", Amount: aftersales.Money{Amount: 1, Currency: "CNY"}})
				if err != nil || !res.Sandbox || res.State != aftersales.StateSucceeded {
					t.Errorf("%s: sandbox answered %+v %v, want succeeded and marked sandbox", ch, res, err)
				}
			}
		})
	}
}
