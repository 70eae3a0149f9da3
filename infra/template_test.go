package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// synthesized is one stack with its template as plain JSON and the folder
// of its cloud assembly (where file assets are staged).
type synthesized struct {
	stack    awscdk.Stack
	template assertions.Template
	res      map[string]resource
	outdir   string
}

// resource is one resource of a template, as CloudFormation reads it.
type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// dummyAssets writes a fake bootstrap per function and a console page under
// dir: tests never cross-compile nor bundle, and Code_FromAsset and
// Source_Asset only need the folders to exist.
func dummyAssets(t testing.TB, dir string) string {
	if err := os.MkdirAll(filepath.Join(dir, consoleAssets), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, consoleAssets, "index.html"), []byte("<!doctype html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range Functions {
		if err := os.MkdirAll(filepath.Join(dir, f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f, "bootstrap"), []byte("not a binary"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// synth builds the stack with settings s in a fresh app whose cloud
// assembly goes to dir/out.
func synth(t testing.TB, s Settings, dir string) *synthesized {
	outdir := filepath.Join(dir, "out")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	st, err := NewAfterSalesStack(app, "AfterSales-test", &AfterSalesStackProps{
		Settings: s, Root: "..", AssetDir: dummyAssets(t, filepath.Join(dir, "build"))})
	if err != nil {
		t.Fatal(err)
	}
	tpl := assertions.Template_FromStack(st, nil)
	raw, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]resource `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return &synthesized{stack: st, template: tpl, res: doc.Resources, outdir: outdir}
}

// sharedSynth is a stack synthesized once, on first use, for every test
// that only reads it (a synth costs seconds). Its folder outlives the test
// that made it; TestMain removes it.
type sharedSynth struct {
	settings func() Settings
	once     sync.Once
	stack    *synthesized
	dir      string
}

// defaultStack has DefaultSettings; optionsStack has every option on.
var (
	defaultStack = &sharedSynth{settings: DefaultSettings}
	optionsStack = &sharedSynth{settings: allOptions}
)

// allOptions are DefaultSettings with every option on: the JWT authorizer,
// CORS origins, an alarm e-mail and the console signing in at the
// merchant's own OpenID issuer.
func allOptions() Settings {
	set := DefaultSettings()
	set.JWTAuthorizer = true
	set.JWTIssuer = "https://login.shop.example/"
	set.JWTAudience = "aftersales-api"
	set.CORSOrigins = []string{"https://shop.example", "https://m.shop.example"}
	set.AlarmEmail = "ops@shop.example"
	set.ConsoleSignIn = ConsoleOIDC
	set.ConsoleClientID = "aftersales-console"
	set.ConsoleAuthorizeURL = "https://login.shop.example/oauth2/authorize"
	set.ConsoleTokenURL = "https://login.shop.example/oauth2/token"
	return set
}

// get synthesizes the stack on the first call and returns it.
func (sh *sharedSynth) get(t *testing.T) *synthesized {
	t.Helper()
	sh.once.Do(func() {
		var err error
		if sh.dir, err = os.MkdirTemp("", "infra-test-"); err != nil {
			t.Fatal(err)
		}
		sh.stack = synth(t, sh.settings(), sh.dir)
	})
	if sh.stack == nil {
		t.Fatal("the stack failed to synthesize (see the first failing test)")
	}
	return sh.stack
}

// defaultSynth is the stack with DefaultSettings.
func defaultSynth(t *testing.T) *synthesized { return defaultStack.get(t) }

// optionsSynth is the stack with allOptions.
func optionsSynth(t *testing.T) *synthesized { return optionsStack.get(t) }

// TestMain removes the shared stacks' folders once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, sh := range []*sharedSynth{defaultStack, optionsStack} {
		if sh.dir != "" {
			os.RemoveAll(sh.dir)
		}
	}
	// Stops the node process and removes its jsii-runtime.* folder from
	// TMPDIR, which would otherwise pile up run after run.
	jsii.Close()
	os.Exit(code)
}

// ofType returns the resources of one CloudFormation type by logical id.
func (s *synthesized) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range s.res {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// fn returns the function of functions/<name> (logical ids are Fn<name><hash>).
func (s *synthesized) fn(t *testing.T, name string) (string, resource) {
	t.Helper()
	for id, r := range s.ofType("AWS::Lambda::Function") {
		if regexp.MustCompile(`^Fn` + name + `[0-9A-F]{8}$`).MatchString(id) {
			return id, r
		}
	}
	t.Fatalf("no function %s", name)
	return "", resource{}
}

// route finds the route API Gateway picks for method and path (the most
// specific match: an exact path, else the longest greedy {proxy+} prefix)
// and returns the function its integration invokes and its authorization
// type.
func (s *synthesized) route(t *testing.T, method, path string) (fn, auth string) {
	t.Helper()
	best := -1
	var match resource
	for _, r := range s.ofType("AWS::ApiGatewayV2::Route") {
		m, p, _ := strings.Cut(r.Properties["RouteKey"].(string), " ")
		if m != method && m != "ANY" {
			continue
		}
		score := -1
		if p == path {
			score = 1 << 20
		} else if prefix, ok := strings.CutSuffix(p, "{proxy+}"); ok && strings.HasPrefix(path, prefix) && len(path) > len(prefix) {
			score = len(prefix)
		}
		if score > best {
			best, match = score, r
		}
	}
	if best < 0 {
		t.Fatalf("no route for %s %s", method, path)
	}
	raw, _ := json.Marshal(match.Properties["Target"])
	integration := regexp.MustCompile(`"integrations/",\{"Ref":"([^"]+)"\}`).FindSubmatch(raw)
	if integration == nil {
		t.Fatalf("route %v: target %s is no integration", match.Properties["RouteKey"], raw)
	}
	uri := getAtt(s.res[string(integration[1])].Properties["IntegrationUri"])
	for _, name := range Functions {
		if regexp.MustCompile(`^Fn` + name + `[0-9A-F]{8}$`).MatchString(uri) {
			fn = name
		}
	}
	return fn, fmt.Sprint(match.Properties["AuthorizationType"])
}

// noPanic turns a failed assertions.* check (a jsii panic) into a test
// error with its message.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

// getAtt returns the logical id that v, a {"Fn::GetAtt": [id, attr]} or a
// {"Ref": id}, points at, or "" for any other value.
func getAtt(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		return fmt.Sprint(ga[0])
	}
	if ref, ok := m["Ref"].(string); ok {
		return ref
	}
	return ""
}

// allowStatements returns every Allow statement of every policy document in
// the template (IAM policies and roles, bucket, queue and topic policies).
// Deny statements may use wildcards: the TLS-only policies deny s3:* and
// sqs:*, which is what they are for.
func allowStatements(s *synthesized) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	var walk func(id string, v any)
	walk = func(id string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if st, ok := v["Statement"].([]any); ok {
				for _, x := range st {
					if m, ok := x.(map[string]any); ok && m["Effect"] == "Allow" {
						out[id] = append(out[id], m)
					}
				}
				return
			}
			for _, x := range v {
				walk(id, x)
			}
		case []any:
			for _, x := range v {
				walk(id, x)
			}
		}
	}
	for id, r := range s.res {
		walk(id, r.Properties)
	}
	return out
}

// policyOwners maps each IAM policy of the template to the functions whose
// roles it is attached to.
func (s *synthesized) policyOwners(t *testing.T) map[string][]string {
	t.Helper()
	roleFn := map[string]string{}
	for _, name := range Functions {
		_, fn := s.fn(t, name)
		roleFn[getAtt(fn.Properties["Role"])] = name
	}
	out := map[string][]string{}
	for id, p := range s.ofType("AWS::IAM::Policy") {
		roles, _ := p.Properties["Roles"].([]any)
		for _, r := range roles {
			if fn, ok := roleFn[getAtt(r)]; ok {
				out[id] = append(out[id], fn)
			}
		}
	}
	return out
}

// grantees returns the functions allowed action on the resource with
// logical id res (through GetAtt or Ref), and reports any statement that
// allows the action on a wildcard resource.
func (s *synthesized) grantees(t *testing.T, action, res string) []string {
	t.Helper()
	owners := s.policyOwners(t)
	var fns []string
	for id, sts := range allowStatements(s) {
		for _, st := range sts {
			raw, _ := json.Marshal(st["Action"])
			if !strings.Contains(string(raw), `"`+action+`"`) {
				continue
			}
			resources, ok := st["Resource"].([]any)
			if !ok {
				resources = []any{st["Resource"]}
			}
			for _, r := range resources {
				if r == "*" {
					t.Errorf("%s allows %s on every resource", id, action)
				}
				if getAtt(r) == res {
					fns = append(fns, owners[id]...)
				}
			}
		}
	}
	slices.Sort(fns)
	return slices.Compact(fns)
}

// only returns the single resource of type typ whose logical id starts with
// prefix.
func (s *synthesized) only(t *testing.T, typ, prefix string) (string, resource) {
	t.Helper()
	var ids []string
	for id := range s.ofType(typ) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d %s named %s*, want 1: %v", len(ids), typ, prefix, ids)
	}
	return ids[0], s.res[ids[0]]
}
