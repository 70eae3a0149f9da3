package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/config"
)

// TestProviderSettings checks where the payment providers' settings come
// from: the tasks and the webhooks get each provider secret's ARN
// (TestProviderSecretReaders: and may read that secret, nothing else), the
// notify URLs are the HTTP API's, and a new secretsRevision updates every
// function that reads a secret.
func TestProviderSettings(t *testing.T) {
	s := defaultSynth(t)
	var apiID string
	for id := range s.ofType("AWS::ApiGatewayV2::Api") {
		apiID = id
	}
	secretARN := func(secret string) string {
		return `^\{"Ref":"Provider` + secret + `[0-9A-F]{8}"\}$`
	}
	atAPI := func(path string) string {
		return `^\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["` + apiID + `","ApiEndpoint"\]\},"` + path + `"\]\]\}$`
	}
	want := []struct {
		env, value string
	}{
		{config.EnvWeChatPaySecretARN, secretARN("wechatpay")},
		{config.EnvWeChatPayNotifyURL, atAPI("/webhooks/wechatpay")},
		{config.EnvAlipaySecretARN, secretARN("alipay")},
		{config.EnvAlipayNotifyURL, atAPI("/webhooks/alipay")},
	}
	for _, name := range Functions {
		_, fn := s.fn(t, name)
		vars := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		pays := name == "tasks" || name == "webhooks"
		for _, w := range want {
			t.Run(name+"/"+w.env, func(t *testing.T) {
				v, ok := vars[w.env]
				if !pays {
					if ok {
						t.Errorf("set on a function that neither refunds nor verifies notifications")
					}
					return
				}
				raw, _ := json.Marshal(v)
				if !regexp.MustCompile(w.value).Match(raw) {
					t.Errorf("value %s, want it to match %s", raw, w.value)
				}
			})
		}
		t.Run(name+"/secrets revision", func(t *testing.T) {
			raw, _ := json.Marshal(vars)
			reads := strings.Contains(string(raw), "resolve:secretsmanager") || vars[config.EnvWeChatPaySecretARN] != nil ||
				vars[config.EnvWeChatMiniSecretARN] != nil
			desc, _ := fn.Properties["Description"].(string)
			if has := strings.HasSuffix(desc, "secrets revision "+DefaultSettings().SecretsRevision); has != reads {
				t.Errorf("description %q, reads secrets %v: a function reading secrets names the secretsRevision, and only such a one", desc, reads)
			}
		})
	}
}

// TestProviderSecretReaders checks that the functions given a provider
// secret's ARN, and only they, may read that secret.
func TestProviderSecretReaders(t *testing.T) {
	s := defaultSynth(t)
	for _, name := range []string{"wechatpay", "alipay"} {
		t.Run("who reads "+name, func(t *testing.T) {
			id, _ := s.only(t, "AWS::SecretsManager::Secret", "Provider"+name)
			got := s.grantees(t, "secretsmanager:GetSecretValue", id)
			if fmt.Sprint(got) != "[tasks webhooks]" {
				t.Errorf("readers %v, want the tasks (refunds) and the webhooks (notifications)", got)
			}
		})
	}
	t.Run("who reads kuaidi100", func(t *testing.T) {
		id, _ := s.only(t, "AWS::SecretsManager::Secret", "Providerkuaidi100")
		if got := s.grantees(t, "secretsmanager:GetSecretValue", id); fmt.Sprint(got) != "[api tasks webhooks]" {
			t.Errorf("readers %v, want the api (subscribes waybills), the tasks (intercept parcels, F30) and the webhooks (verifies pushes)", got)
		}
	})
	t.Run("who reads notify", func(t *testing.T) {
		id, _ := s.only(t, "AWS::SecretsManager::Secret", "Providernotify")
		if got := s.grantees(t, "secretsmanager:GetSecretValue", id); fmt.Sprint(got) != "[notifier]" {
			t.Errorf("readers %v, want the notifier only (the mini-program's app secret, F6)", got)
		}
	})
}

// TestProviderSecretTemplates checks that the provider secrets' templates
// have exactly the fields the functions read (config.ProviderSecrets),
// empty, plus the generated key that keeps them free of values.
func TestProviderSecretTemplates(t *testing.T) {
	s := defaultSynth(t)
	secrets := map[string][]string{}
	for _, spec := range slices.Concat(config.ProviderSecrets, config.NotifierSecrets) {
		secrets[spec.Name] = slices.Collect(maps.Keys(spec.Fields))
	}
	if len(secrets["wechatpay"]) != 7 || len(secrets["alipay"]) != 3 || len(secrets["notify"]) != 4 {
		t.Fatalf("provider secret fields %v", secrets)
	}
	for name, fields := range secrets {
		t.Run("secret "+name, func(t *testing.T) {
			var found bool
			for id, r := range s.ofType("AWS::SecretsManager::Secret") {
				if !regexp.MustCompile(`^Provider` + name + `[0-9A-F]{8}$`).MatchString(id) {
					continue
				}
				found = true
				if r.Properties["Name"] != "aftersales/prod/provider/"+name {
					t.Errorf("name %v", r.Properties["Name"])
				}
				gen, _ := r.Properties["GenerateSecretString"].(map[string]any)
				var tmpl map[string]string
				if err := json.Unmarshal([]byte(fmt.Sprint(gen["SecretStringTemplate"])), &tmpl); err != nil {
					t.Fatalf("template %v: %v", gen["SecretStringTemplate"], err)
				}
				got := slices.Sorted(maps.Keys(tmpl))
				if exp := slices.Sorted(slices.Values(fields)); !slices.Equal(got, exp) {
					t.Errorf("template fields %v, want %v", got, exp)
				}
				for k, v := range tmpl {
					if v != "" {
						t.Errorf("template field %s = %q: a template holds no value", k, v)
					}
				}
				if gen["GenerateStringKey"] == nil || slices.Contains(fields, fmt.Sprint(gen["GenerateStringKey"])) {
					t.Errorf("generated key %v overwrites a field", gen["GenerateStringKey"])
				}
			}
			if !found {
				t.Fatalf("no secret provider/%s", name)
			}
		})
	}
}

// TestSecretsHoldNoValue checks that every secret is named under the
// stage and generated by Secrets Manager: no value of any is in the
// template, which anyone who can read the stack can read.
func TestSecretsHoldNoValue(t *testing.T) {
	s := defaultSynth(t)
	for id, r := range s.ofType("AWS::SecretsManager::Secret") {
		if name := fmt.Sprint(r.Properties["Name"]); !strings.HasPrefix(name, "aftersales/"+DefaultSettings().Stage+"/") {
			t.Errorf("%s: name %s, want it under aftersales/<stage>/", id, name)
		}
		if r.Properties["SecretString"] != nil || r.Properties["GenerateSecretString"] == nil {
			t.Errorf("%s: %v, want a generated secret without SecretString", id, r.Properties)
		}
	}
}
