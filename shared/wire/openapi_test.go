package wire

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/aftersales/aftersales/infra/local/fakealipay"
	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/usecase"
)

// TestOpenAPIMatchesRouter checks that docs/openapi.yaml documents exactly
// the operations the functions serve (no undocumented route, no documented
// route that does not exist) and, for the API's, exactly the query
// parameters each takes.
func TestOpenAPIMatchesRouter(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string                               `yaml:"openapi"`
		Paths      map[string]map[string]map[string]any `yaml:"paths"`
		Components struct {
			Parameters map[string]map[string]any `yaml:"parameters"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q, want 3.1.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	srv := apigw.NewServer(apigw.Services{}, nil, nil)
	var served []string
	for _, rt := range srv.Routes() {
		served = append(served, rt.Method+" "+rt.Path)
	}
	routes, err := webhookRoutes(liveConfig(t), &usecase.Services{}, Deps{Clock: aftersales.SystemClock{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		served = append(served, rt.method+" "+rt.path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	for _, op := range served {
		if !slices.Contains(documented, op) {
			t.Errorf("served but not documented: %s", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("documented but not served: %s", op)
		}
	}

	// The query parameters each API operation documents are those the
	// router lets through (apigw.QueryParams); any other is refused.
	for _, rt := range srv.Routes() {
		op := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		var query []string
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			p, _ := p.(map[string]any)
			if ref, ok := p["$ref"].(string); ok {
				p = doc.Components.Parameters[strings.TrimPrefix(ref, "#/components/parameters/")]
			}
			if p["in"] == "query" {
				query = append(query, p["name"].(string))
			}
		}
		want := slices.Clone(apigw.QueryParams(rt.Method, rt.Path))
		slices.Sort(query)
		slices.Sort(want)
		if !slices.Equal(query, want) {
			t.Errorf("%s %s: documented query parameters %v, the router takes %v", rt.Method, rt.Path, query, want)
		}
	}
}

// liveConfig is a live-mode configuration with both providers, keyed by
// the local fakes' generated keys.
func liveConfig(t *testing.T) config.Config {
	t.Helper()
	fw, err := fakewechat.New(fakewechat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fw.Close)
	fa, err := fakealipay.New(fakealipay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fa.Close)
	env := fw.Env("http://127.0.0.1:1", "http://127.0.0.1:2/webhooks/wechatpay")
	env[config.EnvProviderMode] = config.ProviderLive
	env[config.EnvAlipayAppID] = fa.AppID()
	env[config.EnvAlipayAppPrivateKey] = fa.AppPrivateKeyPEM()
	env[config.EnvAlipayPublicKey] = fa.AlipayPublicKeyPEM()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
