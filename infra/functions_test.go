package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/infra/local/bench"
	"github.com/aftersales/aftersales/shared/config"
)

// TestFunctionsMatchFolders checks that the stack deploys every folder of
// functions/, and nothing else.
func TestFunctionsMatchFolders(t *testing.T) {
	entries, err := os.ReadDir("../functions")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	got := slices.Sorted(slices.Values(Functions))
	if !slices.Equal(got, dirs) {
		t.Errorf("stack functions %v, functions/ has %v: every function needs a spec in infra", got, dirs)
	}
}

// TestFunctions checks each function's runtime, tracing, log group, sizing
// and exact environment, and that secret values reach them as dynamic
// references only.
func TestFunctions(t *testing.T) {
	s := defaultSynth(t)
	mallCouponVars := []string{config.EnvMallCouponURL, config.EnvMallWebhookSecret}
	common := []string{config.EnvStage, config.EnvLogLevel, config.EnvProviderMode}
	// What each main passes to config.Load, plus the optional variables it
	// reads: the JWT keys (api), the grace period (sweeper), and, in every
	// function that builds the service, the notifications queue and the payment
	// providers' settings (never their endpoint overrides).
	// The courier aggregator's account and webhook (issue 15): the api
	// subscribes waybills, the webhooks verify pushes.
	courierVars := []string{config.EnvKuaidi100SecretARN, config.EnvKuaidi100CallbackURL}
	want := map[string][]string{
		// The functions that decide cases ask the mall's coupon service,
		// signed with the mall's secret (F18); the webhooks queue the
		// customs callback's auto refunds (F17). The api trusts the
		// console's user pool (consoleSignIn cognito by default).
		"api": slices.Concat(config.API, []string{config.EnvJWTHS256Secret, config.EnvJWTPublicKeys,
			config.EnvStaffJWTIssuer, config.EnvStaffJWTClientID}, serviceVars, courierVars, mallCouponVars),
		"webhooks": slices.Concat(config.Webhooks, serviceVars, providerVars, courierVars, []string{config.EnvIntakeQueueURL}),
		"tasks":    slices.Concat(config.Tasks, serviceVars, providerVars, mallCouponVars, courierVars), // intercepts parcels (F30)
		"intake":   slices.Concat(config.Intake, serviceVars, mallCouponVars),                           // applies the rules (issue 20), asking the coupon service (F18)
		"inbound":  slices.Concat(config.Inbound, serviceVars),
		"reviews":  slices.Concat(config.Reviews, serviceVars),
		"sweeper":  slices.Concat(config.Sweeper, []string{config.EnvSweepGrace}, serviceVars),
		// The notifier changes no case: no bus, no queue to announce on;
		// its senders' settings come from the notify secret.
		"notifier": slices.Concat(config.Notifier, []string{config.EnvWeChatMiniSecretARN}),
		"evidence": slices.Concat(config.Evidence, serviceVars),
		// The outbox's publisher alone knows the bus (issue 15).
		"publisher": config.Publisher,
	}
	logGroups := s.ofType("AWS::Logs::LogGroup")
	for _, name := range Functions {
		t.Run(name, func(t *testing.T) {
			if _, ok := want[name]; !ok {
				t.Fatalf("no expected environment for %s: add it to this test", name)
			}
			_, fn := s.fn(t, name)
			p := fn.Properties
			if got := fmt.Sprint(p["Architectures"]); got != "[arm64]" {
				t.Errorf("architectures %s, want [arm64]", got)
			}
			if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" {
				t.Errorf("runtime %v handler %v, want provided.al2023 bootstrap", p["Runtime"], p["Handler"])
			}
			if m, _ := p["TracingConfig"].(map[string]any); m["Mode"] != "Active" {
				t.Errorf("tracing %v, want Active", p["TracingConfig"])
			}
			lg := getAtt(p["LoggingConfig"].(map[string]any)["LogGroup"])
			if r, ok := logGroups[lg]; !ok || r.Properties["RetentionInDays"] != float64(DefaultSettings().LogRetentionDays) {
				t.Errorf("log group %q: %v, want retention %d", lg, r.Properties, DefaultSettings().LogRetentionDays)
			}
			vars := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			got := slices.Sorted(func(yield func(string) bool) {
				for k := range vars {
					if !yield(k) {
						return
					}
				}
			})
			exp := slices.Sorted(slices.Values(append(slices.Clone(common), want[name]...)))
			if !slices.Equal(got, exp) {
				t.Errorf("environment %v, want %v", got, exp)
			}
			if names := slices.Sorted(slices.Values(EnvNames(name))); !slices.Equal(names, exp) {
				t.Errorf("EnvNames(%q) = %v, want %v", name, names, exp)
			}
			for _, k := range got {
				if strings.HasSuffix(k, "_ENDPOINT") {
					t.Errorf("%s is set: endpoint overrides are for the local stack only", k)
				}
			}
			if p["MemorySize"] == nil || p["Timeout"] == nil {
				t.Errorf("memory %v timeout %v: both must be set per role", p["MemorySize"], p["Timeout"])
			}
			// The benchmark's cost model prices duration at these sizes.
			if mb, ok := p["MemorySize"].(float64); !ok || int(mb) != bench.FunctionMemoryMB[name] {
				t.Errorf("memory %v MB, the cost model (infra/local/bench) assumes %d MB", p["MemorySize"], bench.FunctionMemoryMB[name])
			}
		})
	}
	// A plain secret value in the template would be readable by anyone who
	// can read the stack: secrets must be dynamic references.
	_, api := s.fn(t, "api")
	raw, _ := json.Marshal(api.Properties["Environment"])
	for _, k := range []string{config.EnvJWTHS256Secret, config.EnvJWTPublicKeys} {
		if !regexp.MustCompile(`"` + k + `":\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:`).Match(raw) {
			t.Errorf("%s is not a Secrets Manager dynamic reference: %s", k, raw)
		}
	}
}

// serviceVars are the optional variables of every function that builds the
// service, as shared/config names them; providerVars are the payment
// providers' settings, for the tasks (refunds) and the webhooks
// (notifications) only.
var (
	serviceVars  = []string{config.EnvNotificationsQueueURL}
	providerVars = []string{config.EnvWeChatPaySecretARN, config.EnvWeChatPayNotifyURL, config.EnvAlipaySecretARN, config.EnvAlipayNotifyURL}
)
