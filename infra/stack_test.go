package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/infra/local/bench"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/statemachines"
)

// synthesized is one stack with its template as plain JSON and the folder
// of its cloud assembly (where file assets are staged).
type synthesized struct {
	stack    awscdk.Stack
	template assertions.Template
	res      map[string]resource
	outdir   string
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// dummyAssets writes a fake bootstrap per function under dir: tests never
// cross-compile, and Code_FromAsset only needs the folder to exist.
func dummyAssets(t testing.TB, dir string) string {
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

var (
	defaultOnce  sync.Once
	defaultStack *synthesized
	defaultDir   string
)

// defaultSynth is the stack with DefaultSettings, synthesized once for
// every test that only reads it (a synth costs seconds). Its folder
// outlives the test that made it; TestMain removes it.
func defaultSynth(t *testing.T) *synthesized {
	defaultOnce.Do(func() {
		var err error
		if defaultDir, err = os.MkdirTemp("", "infra-test-"); err != nil {
			t.Fatal(err)
		}
		defaultStack = synth(t, DefaultSettings(), defaultDir)
	})
	if defaultStack == nil {
		t.Fatal("the default stack failed to synthesize (see the first failing test)")
	}
	return defaultStack
}

func TestMain(m *testing.M) {
	code := m.Run()
	if defaultDir != "" {
		os.RemoveAll(defaultDir)
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

func TestResourceCounts(t *testing.T) {
	s := defaultSynth(t)
	want := map[string]int{
		// No other function: no custom resource brings its own.
		"AWS::Lambda::Function":            len(Functions),
		"AWS::Lambda::EventSourceMapping":  3, // intake, inbound, reviews
		"AWS::SQS::Queue":                  6, // three queues, three DLQs
		"AWS::DynamoDB::Table":             1,
		"AWS::S3::Bucket":                  2, // evidence and its access logs
		"AWS::StepFunctions::StateMachine": 1,
		"AWS::ApiGatewayV2::Api":           1,
		"AWS::ApiGatewayV2::Stage":         1,
		"AWS::ApiGatewayV2::Route":         2,
		"AWS::ApiGatewayV2::Authorizer":    0,
		"AWS::Events::Rule":                2, // the sweeper's schedule, refund failures
		"AWS::Events::EventBus":            1,
		"AWS::Logs::ResourcePolicy":        1, // EventBridge writes the refund failures
		"AWS::SecretsManager::Secret":      5, // jwt, mall, wechatpay, alipay, kuaidi100
		"AWS::SNS::Topic":                  1,
		"AWS::SNS::Subscription":           0, // no alarmEmail by default
		// 3 DLQs + failed and timed-out executions + functions + API 5xx + refund failures
		"AWS::CloudWatch::Alarm": 3 + 2 + len(Functions) + 1 + 1,
		// functions, the API's access logs, the workflow, refund failures
		"AWS::Logs::LogGroup": len(Functions) + 3,
	}
	for typ, n := range want {
		noPanic(t, typ, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	}
}

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

func TestFunctions(t *testing.T) {
	s := defaultSynth(t)
	common := []string{config.EnvStage, config.EnvLogLevel, config.EnvProviderMode}
	// What each main passes to config.Load, plus the optional variables it
	// reads: the JWT keys (api), the grace period (sweeper), and, in every
	// function that builds the service, the event bus and the payment
	// providers' settings (never their endpoint overrides).
	want := map[string][]string{
		"api":      slices.Concat(config.API, []string{config.EnvJWTHS256Secret, config.EnvJWTPublicKeys}, serviceVars),
		"webhooks": slices.Concat(config.Webhooks, serviceVars, providerVars),
		"tasks":    slices.Concat(config.Tasks, serviceVars, providerVars),
		"intake":   config.Intake,
		"inbound":  slices.Concat(config.Inbound, serviceVars),
		"reviews":  slices.Concat(config.Reviews, serviceVars),
		"sweeper":  slices.Concat(config.Sweeper, []string{config.EnvSweepGrace}, serviceVars),
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
	serviceVars  = []string{config.EnvEventBusName}
	providerVars = []string{config.EnvWeChatPaySecretARN, config.EnvWeChatPayNotifyURL, config.EnvAlipaySecretARN, config.EnvAlipayNotifyURL}
)

// TestProviderSettings checks where the payment providers' settings come
// from: the tasks and the webhooks get each provider secret's ARN
// (and may read that secret, nothing else), the notify URLs are the HTTP
// API's, and a new secretsRevision updates every function that reads a
// secret.
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
			reads := strings.Contains(string(raw), "resolve:secretsmanager") || vars[config.EnvWeChatPaySecretARN] != nil
			desc, _ := fn.Properties["Description"].(string)
			if has := strings.HasSuffix(desc, "secrets revision "+DefaultSettings().SecretsRevision); has != reads {
				t.Errorf("description %q, reads secrets %v: a function reading secrets names the secretsRevision, and only such a one", desc, reads)
			}
		})
	}
	for _, name := range []string{"wechatpay", "alipay"} {
		t.Run("who reads "+name, func(t *testing.T) {
			id, _ := s.only(t, "AWS::SecretsManager::Secret", "Provider"+name)
			got := s.grantees(t, "secretsmanager:GetSecretValue", id)
			if fmt.Sprint(got) != "[tasks webhooks]" {
				t.Errorf("readers %v, want the tasks (refunds) and the webhooks (notifications)", got)
			}
		})
	}
	// The secrets' templates have exactly the fields the functions read
	// (config.ProviderSecrets), empty, plus the generated key that keeps
	// them free of values.
	secrets := map[string][]string{}
	for _, spec := range config.ProviderSecrets {
		secrets[spec.Name] = slices.Collect(maps.Keys(spec.Fields))
	}
	if len(secrets["wechatpay"]) != 7 || len(secrets["alipay"]) != 3 {
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

func TestQueuesHaveDeadLetterQueues(t *testing.T) {
	s := defaultSynth(t)
	queues := s.ofType("AWS::SQS::Queue")
	tlsOnly := map[string]bool{}
	for _, pol := range s.ofType("AWS::SQS::QueuePolicy") {
		raw, _ := json.Marshal(pol.Properties["PolicyDocument"])
		if !strings.Contains(string(raw), `"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"`) {
			continue
		}
		for _, q := range pol.Properties["Queues"].([]any) {
			tlsOnly[getAtt(q)] = true
		}
	}
	dlqs := map[string]bool{}
	for id, q := range queues {
		if q.Properties["SqsManagedSseEnabled"] != true {
			t.Errorf("queue %s is not encrypted (SqsManagedSseEnabled)", id)
		}
		if !tlsOnly[id] {
			t.Errorf("queue %s: no policy denying requests without TLS", id)
		}
		if rp, ok := q.Properties["RedrivePolicy"].(map[string]any); ok {
			target := getAtt(rp["deadLetterTargetArn"])
			if queues[target].Type == "" {
				t.Errorf("queue %s: dead-letter target %v is not a queue of the stack", id, rp["deadLetterTargetArn"])
			}
			if rp["maxReceiveCount"] != float64(5) {
				t.Errorf("queue %s: maxReceiveCount %v, want 5", id, rp["maxReceiveCount"])
			}
			dlqs[target] = true
		}
	}
	consumed := 0
	for id, q := range queues {
		if dlqs[id] {
			continue
		}
		consumed++
		if _, ok := q.Properties["RedrivePolicy"]; !ok {
			t.Errorf("queue %s has no dead-letter queue", id)
		}
	}
	if consumed != 3 || len(dlqs) != 3 {
		t.Errorf("%d consumed queues and %d DLQs, want 3 and 3 (intake, reviews, inbound)", consumed, len(dlqs))
	}
}

func TestConsumersReportBatchItemFailures(t *testing.T) {
	s := defaultSynth(t)
	queues := s.ofType("AWS::SQS::Queue")
	fns := s.ofType("AWS::Lambda::Function")
	mappings := s.ofType("AWS::Lambda::EventSourceMapping")
	if len(mappings) == 0 {
		t.Fatal("no event source mapping")
	}
	for id, m := range mappings {
		p := m.Properties
		if got := fmt.Sprint(p["FunctionResponseTypes"]); got != "[ReportBatchItemFailures]" {
			t.Errorf("%s: FunctionResponseTypes %s", id, got)
		}
		sc, _ := p["ScalingConfig"].(map[string]any)
		if n, _ := sc["MaximumConcurrency"].(float64); n < 2 {
			t.Errorf("%s: MaximumConcurrency %v, want set (>= 2)", id, sc["MaximumConcurrency"])
		}
		q, ok := queues[getAtt(p["EventSourceArn"])]
		if !ok {
			t.Errorf("%s: source %v is not a queue of the stack", id, p["EventSourceArn"])
			continue
		}
		if _, ok := q.Properties["RedrivePolicy"]; !ok {
			t.Errorf("%s consumes a queue without a DLQ", id)
		}
		fn := fns[getAtt(p["FunctionName"])]
		timeout, _ := fn.Properties["Timeout"].(float64)
		visibility, _ := q.Properties["VisibilityTimeout"].(float64)
		if timeout == 0 || visibility < 6*timeout {
			t.Errorf("%s: visibility timeout %v < 6 x function timeout %v", id, visibility, timeout)
		}
	}
}

func TestStateMachinePlaceholdersSubstituted(t *testing.T) {
	s := defaultSynth(t)
	src, err := os.ReadFile(filepath.Join("..", "statemachines", statemachines.Case))
	if err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)
	names := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(string(src), -1) {
		names[m[1]] = true
	}
	if !names[statemachines.TasksFunctionArn] {
		t.Fatalf("%s has no ${%s}: the test reads the wrong file", statemachines.Case, statemachines.TasksFunctionArn)
	}
	machines := s.ofType("AWS::StepFunctions::StateMachine")
	if len(machines) != 1 {
		t.Fatalf("%d state machines, want 1", len(machines))
	}
	var fnTasks string
	for id := range s.ofType("AWS::Lambda::Function") {
		if strings.HasPrefix(id, "Fntasks") {
			fnTasks = id
		}
	}
	for id, sm := range machines {
		p := sm.Properties
		if p["StateMachineType"] != "STANDARD" {
			t.Errorf("%s: type %v, want STANDARD", id, p["StateMachineType"])
		}
		if tc, _ := p["TracingConfiguration"].(map[string]any); tc["Enabled"] != true {
			t.Errorf("%s: tracing off", id)
		}
		if lc, _ := p["LoggingConfiguration"].(map[string]any); lc["Level"] != "ALL" || lc["Destinations"] == nil {
			t.Errorf("%s: logging %v, want level ALL to a log group", id, lc)
		}
		subs, _ := p["DefinitionSubstitutions"].(map[string]any)
		if getAtt(subs[statemachines.TasksFunctionArn]) != fnTasks {
			t.Errorf("%s: %s = %v, want the tasks function's ARN", id, statemachines.TasksFunctionArn, subs[statemachines.TasksFunctionArn])
		}
		// The deployed definition is the staged asset; CloudFormation
		// replaces each ${key} of DefinitionSubstitutions in it.
		loc, _ := p["DefinitionS3Location"].(map[string]any)
		key, _ := loc["Key"].(string)
		staged, err := os.ReadFile(filepath.Join(s.outdir, "asset."+key))
		if err != nil {
			t.Fatalf("%s: staged definition: %v", id, err)
		}
		if string(staged) != string(src) {
			t.Errorf("%s: the staged definition differs from %s", id, statemachines.Case)
		}
		def := string(staged)
		for k := range subs {
			def = strings.ReplaceAll(def, "${"+k+"}", "arn:substituted")
		}
		if left := placeholder.FindAllString(def, -1); len(left) > 0 || strings.Contains(def, "${") {
			t.Errorf("%s: placeholders left after substitution: %v", id, left)
		}
	}
}

func TestEvidenceBucketPrivateAndTLSOnly(t *testing.T) {
	s := defaultSynth(t)
	buckets := s.ofType("AWS::S3::Bucket")
	policies := s.ofType("AWS::S3::BucketPolicy")
	for id, b := range buckets {
		p := b.Properties
		pab, _ := p["PublicAccessBlockConfiguration"].(map[string]any)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if pab[k] != true {
				t.Errorf("bucket %s: %s is not true", id, k)
			}
		}
		if p["BucketEncryption"] == nil {
			t.Errorf("bucket %s: no default encryption", id)
		}
		tlsOnly := false
		for _, pol := range policies {
			if getAtt(pol.Properties["Bucket"]) != id {
				continue
			}
			raw, _ := json.Marshal(pol.Properties["PolicyDocument"])
			tlsOnly = tlsOnly || strings.Contains(string(raw), `"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"`)
		}
		if !tlsOnly {
			t.Errorf("bucket %s: no policy denying requests without TLS", id)
		}
	}
	var evidence map[string]any
	for id, b := range buckets {
		if strings.HasPrefix(id, "Evidence") {
			evidence = b.Properties
		}
	}
	if evidence == nil {
		t.Fatal("no evidence bucket")
	}
	raw, _ := json.Marshal(evidence["LifecycleConfiguration"])
	if !strings.Contains(string(raw), `"StorageClass":"STANDARD_IA","TransitionInDays":90`) {
		t.Errorf("evidence lifecycle %s: want STANDARD_IA after 90 days", raw)
	}
	if evidence["CorsConfiguration"] != nil {
		t.Errorf("CORS %v without any configured origin", evidence["CorsConfiguration"])
	}
}

func TestTableMirrorsSchema(t *testing.T) {
	s := defaultSynth(t)
	tables := s.ofType("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d tables, want 1", len(tables))
	}
	want := dynamo.TableSchema("x")
	keys := func(v any) string {
		var parts []string
		for _, k := range v.([]any) {
			m := k.(map[string]any)
			parts = append(parts, fmt.Sprint(m["AttributeName"], ":", m["KeyType"]))
		}
		return strings.Join(parts, ",")
	}
	for id, tb := range tables {
		p := tb.Properties
		var wantKeys []string
		for _, k := range want.KeySchema {
			wantKeys = append(wantKeys, *k.AttributeName+":"+string(k.KeyType))
		}
		if got := keys(p["KeySchema"]); got != strings.Join(wantKeys, ",") {
			t.Errorf("%s: keys %s, want %s", id, got, strings.Join(wantKeys, ","))
		}
		var gotDefs, wantDefs []string
		for _, d := range p["AttributeDefinitions"].([]any) {
			m := d.(map[string]any)
			gotDefs = append(gotDefs, fmt.Sprint(m["AttributeName"], ":", m["AttributeType"]))
		}
		for _, d := range want.AttributeDefinitions {
			wantDefs = append(wantDefs, *d.AttributeName+":"+string(d.AttributeType))
		}
		slices.Sort(gotDefs)
		slices.Sort(wantDefs)
		if !slices.Equal(gotDefs, wantDefs) {
			t.Errorf("%s: attributes %v, want %v", id, gotDefs, wantDefs)
		}
		gotGSI := map[string]string{}
		for _, g := range p["GlobalSecondaryIndexes"].([]any) {
			m := g.(map[string]any)
			gotGSI[m["IndexName"].(string)] = keys(m["KeySchema"]) + " " + fmt.Sprint(m["Projection"].(map[string]any)["ProjectionType"])
		}
		wantGSI := map[string]string{}
		for _, g := range want.GlobalSecondaryIndexes {
			var ks []string
			for _, k := range g.KeySchema {
				ks = append(ks, *k.AttributeName+":"+string(k.KeyType))
			}
			wantGSI[*g.IndexName] = strings.Join(ks, ",") + " " + string(g.Projection.ProjectionType)
		}
		if fmt.Sprint(gotGSI) != fmt.Sprint(wantGSI) {
			t.Errorf("%s: indexes %v, want %v", id, gotGSI, wantGSI)
		}
		if p["BillingMode"] != string(want.BillingMode) {
			t.Errorf("%s: billing %v, want %s", id, p["BillingMode"], want.BillingMode)
		}
		if pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any); pitr["PointInTimeRecoveryEnabled"] != true {
			t.Errorf("%s: point-in-time recovery off", id)
		}
		if p["DeletionProtectionEnabled"] != true {
			t.Errorf("%s: deletion protection off", id)
		}
		if ttl, _ := p["TimeToLiveSpecification"].(map[string]any); ttl["AttributeName"] != dynamo.AttrTTL || ttl["Enabled"] != true {
			t.Errorf("%s: TTL %v, want on %s", id, ttl, dynamo.AttrTTL)
		}
		if sse, _ := p["SSESpecification"].(map[string]any); sse["SSEEnabled"] != true {
			t.Errorf("%s: SSE %v", id, sse)
		}
	}
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

func TestNoWildcardActionsOrFullAccess(t *testing.T) {
	s := defaultSynth(t)
	statements := allowStatements(s)
	if len(statements) < len(Functions) {
		t.Fatalf("found policies on %d resources: the walk is broken", len(statements))
	}
	for id, sts := range statements {
		for _, st := range sts {
			var actions []string
			switch a := st["Action"].(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, x := range a {
					actions = append(actions, fmt.Sprint(x))
				}
			}
			for _, a := range actions {
				if strings.Contains(a, "*") {
					t.Errorf("%s allows the wildcard action %q", id, a)
				}
			}
		}
	}
	for id, r := range s.ofType("AWS::IAM::Role") {
		raw, _ := json.Marshal(r.Properties["ManagedPolicyArns"])
		if strings.Contains(string(raw), "FullAccess") {
			t.Errorf("role %s has a FullAccess policy: %s", id, raw)
		}
	}
	for _, name := range Functions {
		_, fn := s.fn(t, name)
		role := getAtt(fn.Properties["Role"])
		if mp := s.res[role].Properties["ManagedPolicyArns"]; mp != nil {
			t.Errorf("function %s's role has managed policies %v: it should write only to its own log group", name, mp)
		}
	}
}

func TestHTTPAPI(t *testing.T) {
	s := defaultSynth(t)
	routes := map[string]string{}
	for _, r := range s.ofType("AWS::ApiGatewayV2::Route") {
		routes[r.Properties["RouteKey"].(string)] = fmt.Sprint(r.Properties["AuthorizationType"])
	}
	want := map[string]string{"ANY /v1/{proxy+}": "NONE", "POST /webhooks/{proxy+}": "NONE"}
	if fmt.Sprint(routes) != fmt.Sprint(want) {
		t.Errorf("routes %v, want %v", routes, want)
	}
	for _, tc := range []struct {
		name, method, path, fn string
	}{
		{"buyer API", "POST", "/v1/cases", "api"},
		{"staff API", "GET", "/v1/refunds", "api"},
		{"mall order events", "POST", "/webhooks/mall/orders", "webhooks"},
		{"WeChat Pay refund notifications", "POST", wechatPayNotifyPath, "webhooks"},
		{"Alipay refund notifications", "POST", alipayNotifyPath, "webhooks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn, auth := s.route(t, tc.method, tc.path)
			if fn != tc.fn {
				t.Errorf("%s %s goes to %q, want the %s function", tc.method, tc.path, fn, tc.fn)
			}
			if auth != "NONE" { // without jwtAuthorizer, nothing stands in front
				t.Errorf("%s %s: authorization %s, want NONE", tc.method, tc.path, auth)
			}
		})
	}
	for id, st := range s.ofType("AWS::ApiGatewayV2::Stage") {
		p := st.Properties
		rs, _ := p["DefaultRouteSettings"].(map[string]any)
		if rs["ThrottlingRateLimit"] != DefaultSettings().APIRateLimit || rs["ThrottlingBurstLimit"] != DefaultSettings().APIBurstLimit {
			t.Errorf("stage %s: throttling %v", id, rs)
		}
		als, _ := p["AccessLogSettings"].(map[string]any)
		if getAtt(als["DestinationArn"]) == "" || !strings.Contains(fmt.Sprint(als["Format"]), "$context.requestId") {
			t.Errorf("stage %s: access logs %v", id, als)
		}
	}
	for _, out := range []string{"ApiUrl", "MallWebhookUrl", "EvidenceBucketName", "TableName", "CaseStateMachineArn"} {
		noPanic(t, "output "+out, func() { s.template.HasOutput(jsii.String(out), assertions.Match_AnyValue()) })
	}
}

func TestAlarms(t *testing.T) {
	s := defaultSynth(t)
	var topic string
	for id := range s.ofType("AWS::SNS::Topic") {
		topic = id
	}
	watched := map[string]int{}
	for id, a := range s.ofType("AWS::CloudWatch::Alarm") {
		p := a.Properties
		if acts, _ := p["AlarmActions"].([]any); len(acts) != 1 || getAtt(acts[0]) != topic {
			t.Errorf("alarm %s: actions %v, want the alarm topic", id, p["AlarmActions"])
		}
		if name, ok := p["MetricName"].(string); ok {
			watched[name]++
		} else if p["Metrics"] != nil {
			watched["math"]++
		}
	}
	want := map[string]int{"ApproximateNumberOfMessagesVisible": 3, "ExecutionsFailed": 1, "ExecutionsTimedOut": 1,
		"Errors": len(Functions), "math": 1, "MatchedEvents": 1}
	if fmt.Sprint(watched) != fmt.Sprint(want) {
		t.Errorf("alarms watch %v, want %v", watched, want)
	}
}

// nagFindings returns every unsuppressed AwsSolutions finding.
func nagFindings(st awscdk.Stack) []string {
	a := assertions.Annotations_FromStack(st)
	match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
	var out []string
	for _, m := range append(*a.FindError(jsii.String("*"), match), *a.FindWarning(jsii.String("*"), match)...) {
		out = append(out, *m.Id+": "+fmt.Sprint(m.Entry.Data))
	}
	return out
}

func TestNagClean(t *testing.T) {
	s := defaultSynth(t)
	for _, f := range nagFindings(s.stack) {
		t.Error(f)
	}
}

// TestNagCatchesFindings proves the check above can fail: an unencrypted
// queue without a DLQ added to the stack is reported.
func TestNagCatchesFindings(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st, err := NewAfterSalesStack(app, "AfterSales-bad", &AfterSalesStackProps{Settings: DefaultSettings(), Root: "..", AssetDir: dummyAssets(t, t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	awssqs.NewQueue(st, jsii.String("Careless"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_UNENCRYPTED})
	found := strings.Join(nagFindings(st), "\n")
	for _, rule := range []string{"AwsSolutions-SQS2", "AwsSolutions-SQS3", "AwsSolutions-SQS4"} {
		if !strings.Contains(found, "/AfterSales-bad/Careless/Resource: "+rule) {
			t.Errorf("cdk-nag did not report %s on the careless queue; findings:\n%s", rule, found)
		}
	}
}

// TestOptions synthesizes the stack with every option on: the JWT
// authorizer, CORS origins and an alarm e-mail.
func TestOptions(t *testing.T) {
	set := DefaultSettings()
	set.JWTAuthorizer = true
	set.JWTIssuer = "https://login.shop.example/"
	set.JWTAudience = "aftersales-api"
	set.CORSOrigins = []string{"https://shop.example", "https://m.shop.example"}
	set.AlarmEmail = "ops@shop.example"
	s := synth(t, set, t.TempDir())
	for _, f := range nagFindings(s.stack) {
		t.Error(f)
	}
	auths := s.ofType("AWS::ApiGatewayV2::Authorizer")
	for id, a := range auths {
		jc, _ := a.Properties["JwtConfiguration"].(map[string]any)
		if a.Properties["AuthorizerType"] != "JWT" || jc["Issuer"] != set.JWTIssuer || fmt.Sprint(jc["Audience"]) != "["+set.JWTAudience+"]" {
			t.Errorf("authorizer %s: %v", id, a.Properties)
		}
	}
	if len(auths) != 1 {
		t.Errorf("%d authorizers, want 1", len(auths))
	}
	for _, path := range []string{wechatPayNotifyPath, alipayNotifyPath, "/webhooks/mall/orders"} {
		if fn, auth := s.route(t, "POST", path); fn != "webhooks" || auth != "NONE" {
			t.Errorf("POST %s: function %q authorization %s, want webhooks without JWT", path, fn, auth)
		}
	}
	for _, r := range s.ofType("AWS::ApiGatewayV2::Route") {
		want := "JWT"
		if strings.HasPrefix(r.Properties["RouteKey"].(string), "POST /webhooks/") {
			want = "NONE" // providers sign their bodies; they have no tokens
		}
		if r.Properties["AuthorizationType"] != want {
			t.Errorf("route %v: authorization %v, want %s", r.Properties["RouteKey"], r.Properties["AuthorizationType"], want)
		}
	}
	for _, api := range s.ofType("AWS::ApiGatewayV2::Api") {
		cors, _ := api.Properties["CorsConfiguration"].(map[string]any)
		if fmt.Sprint(cors["AllowOrigins"]) != fmt.Sprint(set.CORSOrigins) {
			t.Errorf("API CORS origins %v, want %v", cors["AllowOrigins"], set.CORSOrigins)
		}
	}
	for id, b := range s.ofType("AWS::S3::Bucket") {
		if !strings.HasPrefix(id, "Evidence") {
			continue
		}
		raw, _ := json.Marshal(b.Properties["CorsConfiguration"])
		if !strings.Contains(string(raw), `"AllowedMethods":["PUT","GET","HEAD"]`) || !strings.Contains(string(raw), `"AllowedOrigins":["https://shop.example","https://m.shop.example"]`) {
			t.Errorf("evidence CORS %s", raw)
		}
	}
	noPanic(t, "e-mail subscription", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{"Protocol": "email", "Endpoint": set.AlarmEmail})
	})
}

func TestSettingsFromContext(t *testing.T) {
	read := func(ctx map[string]any) (Settings, error) {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
		return SettingsFromContext(app.Node())
	}
	got, err := read(map[string]any{})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(DefaultSettings()) {
		t.Errorf("empty context: %+v %v, want the defaults", got, err)
	}
	// As `cdk deploy -c key=value` passes them: strings.
	got, err = read(map[string]any{
		CtxStage: "staging", CtxCORSOrigins: "https://a.example, https://b.example", CtxJWTAuthorizer: "true",
		CtxJWTIssuer: "https://id.example/", CtxLogRetentionDays: "30", CtxAPIRateLimit: "50", CtxAlarmEmail: "a@b.example",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Stage != "staging" || fmt.Sprint(got.CORSOrigins) != "[https://a.example https://b.example]" || !got.JWTAuthorizer ||
		got.LogRetentionDays != 30 || got.APIRateLimit != 50 || got.AlarmEmail != "a@b.example" {
		t.Errorf("string context read as %+v", got)
	}
	// As cdk.json holds them: JSON types.
	got, err = read(map[string]any{CtxCORSOrigins: []any{"https://a.example"}, CtxJWTAuthorizer: false, CtxLogRetentionDays: float64(365)})
	if err != nil || fmt.Sprint(got.CORSOrigins) != "[https://a.example]" || got.LogRetentionDays != 365 {
		t.Errorf("JSON context read as %+v, %v", got, err)
	}
	for _, bad := range []map[string]any{
		{CtxProviderMode: "prod"},
		{CtxStage: "Prod"},
		{CtxCORSOrigins: "https://a.example/path"},
		{CtxCORSOrigins: "*"},
		{CtxLogRetentionDays: "10"},
		{CtxJWTAuthorizer: "yes please"},
		{CtxJWTAuthorizer: true}, // the default issuer is no OpenID URL
		{CtxSweepGrace: "soon"},
		{CtxLogLevel: "loud"},
		{CtxAPIRateLimit: "0"},
		{CtxAlarmEmail: "nobody"},
	} {
		if _, err := read(bad); err == nil {
			t.Errorf("context %v accepted", bad)
		}
	}
}

func TestMissingBinariesFailClearly(t *testing.T) {
	assets := dummyAssets(t, t.TempDir())
	if err := os.Remove(filepath.Join(assets, "tasks", "bootstrap")); err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	_, err := NewAfterSalesStack(app, "AfterSales-missing", &AfterSalesStackProps{Settings: DefaultSettings(), Root: "..", AssetDir: assets})
	if err == nil || !strings.Contains(err.Error(), "infra/cmd/build") || !strings.Contains(err.Error(), filepath.Join("tasks", "bootstrap")) {
		t.Errorf("err = %v, want one naming the missing binary and the build command", err)
	}
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

// TestRefundExecution covers what refund execution added to the stack: the
// inbound queue and its consumer, the domain event bus, and the refund
// failure rule with its alarm.
func TestRefundExecution(t *testing.T) {
	s := defaultSynth(t)
	queueID, queue := s.only(t, "AWS::SQS::Queue", "InboundQueue")
	dlqID, _ := s.only(t, "AWS::SQS::Queue", "InboundDLQ")
	busID, bus := s.only(t, "AWS::Events::EventBus", "EventBus")
	inboundFn, _ := s.fn(t, "inbound")
	var rule resource
	for _, r := range s.ofType("AWS::Events::Rule") {
		if r.Properties["EventBusName"] != nil {
			rule = r
		}
	}
	stage := DefaultSettings().Stage
	for _, tc := range []struct {
		name  string
		check func(t *testing.T)
	}{
		{"inbound queue redrives to its DLQ after 5 receives", func(t *testing.T) {
			rp, _ := queue.Properties["RedrivePolicy"].(map[string]any)
			if getAtt(rp["deadLetterTargetArn"]) != dlqID || rp["maxReceiveCount"] != float64(maxReceiveCount) {
				t.Errorf("redrive %v, want %s after %d receives", rp, dlqID, maxReceiveCount)
			}
			if queue.Properties["SqsManagedSseEnabled"] != true {
				t.Error("not encrypted")
			}
		}},
		{"inbound DLQ has an alarm", func(t *testing.T) {
			var found bool
			for _, a := range s.ofType("AWS::CloudWatch::Alarm") {
				raw, _ := json.Marshal(a.Properties["Dimensions"])
				found = found || (a.Properties["MetricName"] == "ApproximateNumberOfMessagesVisible" &&
					strings.Contains(string(raw), `"Fn::GetAtt":["`+dlqID+`","QueueName"]`))
			}
			if !found {
				t.Error("no alarm on the inbound DLQ's visible messages")
			}
		}},
		{"inbound consumes the queue with partial batch failures", func(t *testing.T) {
			var found int
			for id, m := range s.ofType("AWS::Lambda::EventSourceMapping") {
				p := m.Properties
				if getAtt(p["EventSourceArn"]) != queueID {
					continue
				}
				found++
				if getAtt(p["FunctionName"]) != inboundFn {
					t.Errorf("%s: the inbound queue feeds %v, want the inbound function", id, p["FunctionName"])
				}
				sc, _ := p["ScalingConfig"].(map[string]any)
				if p["BatchSize"] != float64(batchSize) || fmt.Sprint(p["FunctionResponseTypes"]) != "[ReportBatchItemFailures]" ||
					sc["MaximumConcurrency"] != float64(inboundConcurrency) {
					t.Errorf("%s: batch %v, responses %v, scaling %v; want %d, [ReportBatchItemFailures], %d",
						id, p["BatchSize"], p["FunctionResponseTypes"], sc, batchSize, inboundConcurrency)
				}
			}
			if found != 1 {
				t.Errorf("%d mappings read the inbound queue, want 1", found)
			}
		}},
		{"only webhooks sends to the inbound queue", func(t *testing.T) {
			if got := s.grantees(t, "sqs:SendMessage", queueID); fmt.Sprint(got) != "[webhooks]" {
				t.Errorf("senders %v, want [webhooks]", got)
			}
		}},
		{"only inbound receives and deletes from the inbound queue", func(t *testing.T) {
			for _, a := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage"} {
				if got := s.grantees(t, a, queueID); fmt.Sprint(got) != "[inbound]" {
					t.Errorf("%s: %v, want [inbound]", a, got)
				}
			}
		}},
		{"inbound resumes refund waits", func(t *testing.T) {
			sm, _ := s.only(t, "AWS::StepFunctions::StateMachine", "CaseWorkflow")
			if got := s.grantees(t, "states:SendTaskSuccess", sm); !slices.Contains(got, "inbound") {
				t.Errorf("SendTaskSuccess on the workflow: %v, want inbound among them", got)
			}
		}},
		{"bus named from the stage", func(t *testing.T) {
			if bus.Properties["Name"] != "aftersales-"+stage {
				t.Errorf("bus name %v, want aftersales-%s", bus.Properties["Name"], stage)
			}
		}},
		{"PutEvents on the bus only, for every function that builds the service", func(t *testing.T) {
			var want []string
			for _, name := range Functions {
				_, fn := s.fn(t, name)
				v := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)[config.EnvEventBusName]
				if v == nil {
					continue
				}
				want = append(want, name)
				if getAtt(v) != busID {
					t.Errorf("%s: %s = %v, want the bus's name", name, config.EnvEventBusName, v)
				}
			}
			slices.Sort(want)
			if got := s.grantees(t, "events:PutEvents", busID); !slices.Equal(got, want) {
				t.Errorf("PutEvents granted to %v, want %v", got, want)
			}
			if builders := []string{"api", "inbound", "reviews", "sweeper", "tasks", "webhooks"}; !slices.Equal(want, builders) {
				t.Errorf("functions with %s: %v, want %v", config.EnvEventBusName, want, builders)
			}
			for id, sts := range allowStatements(s) {
				for _, st := range sts {
					raw, _ := json.Marshal(st)
					if strings.Contains(string(raw), `"events:PutEvents"`) && getAtt(st["Resource"]) != busID {
						t.Errorf("%s allows PutEvents on %v, want the bus only", id, st["Resource"])
					}
				}
			}
		}},
		{"refund.failed rule on the bus keeps the events in a log group", func(t *testing.T) {
			p := rule.Properties
			if getAtt(p["EventBusName"]) != busID {
				t.Fatalf("no rule on the bus")
			}
			if got := fmt.Sprint(p["EventPattern"]); got != "map[detail-type:[refund.failed] source:[aftersales]]" {
				t.Errorf("pattern %s", got)
			}
			if p["Name"] != "aftersales-"+stage+"-refund-failed" || p["State"] != "ENABLED" {
				t.Errorf("name %v state %v", p["Name"], p["State"])
			}
			logsID, logs := s.only(t, "AWS::Logs::LogGroup", "RefundFailedEvents")
			targets, _ := p["Targets"].([]any)
			raw, _ := json.Marshal(targets)
			if len(targets) != 1 || !strings.Contains(string(raw), `":log-group:",{"Ref":"`+logsID+`"}`) {
				t.Errorf("targets %s, want the log group %s", raw, logsID)
			}
			if !strings.HasPrefix(fmt.Sprint(logs.Properties["LogGroupName"]), "/aws/events/") ||
				logs.Properties["RetentionInDays"] != float64(DefaultSettings().LogRetentionDays) {
				t.Errorf("log group %v", logs.Properties)
			}
			var allowed bool
			for _, pol := range s.ofType("AWS::Logs::ResourcePolicy") {
				raw, _ := json.Marshal(pol.Properties["PolicyDocument"])
				allowed = allowed || (strings.Contains(string(raw), `\"Principal\":{\"Service\":\"events.amazonaws.com\"}`) &&
					strings.Contains(string(raw), `logs:PutLogEvents`) && strings.Contains(string(raw), `"Fn::GetAtt":["`+logsID+`","Arn"]`))
			}
			if !allowed {
				t.Error("no resource policy lets EventBridge write to the log group")
			}
		}},
		{"alarm on the rule's MatchedEvents", func(t *testing.T) {
			var found int
			for id, a := range s.ofType("AWS::CloudWatch::Alarm") {
				p := a.Properties
				if p["MetricName"] != "MatchedEvents" {
					continue
				}
				found++
				dims := map[string]any{}
				for _, d := range p["Dimensions"].([]any) {
					m := d.(map[string]any)
					dims[m["Name"].(string)] = m["Value"]
				}
				// A rule on a custom bus reports with both dimensions.
				if len(dims) != 2 || dims["RuleName"] != rule.Properties["Name"] || getAtt(dims["EventBusName"]) != busID {
					t.Errorf("%s: dimensions %v, want RuleName %v and EventBusName of the bus", id, dims, rule.Properties["Name"])
				}
				atLeastOne := (p["ComparisonOperator"] == "GreaterThanThreshold" && p["Threshold"] == float64(0)) ||
					(p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" && p["Threshold"] == float64(1))
				if p["Namespace"] != "AWS/Events" || p["Statistic"] != "Sum" || p["Period"] != float64(300) ||
					p["EvaluationPeriods"] != float64(1) || !atLeastOne {
					t.Errorf("%s: %v, want Sum of AWS/Events MatchedEvents >= 1 in one 5-minute period", id, p)
				}
			}
			if found != 1 {
				t.Errorf("%d MatchedEvents alarms, want 1", found)
			}
		}},
		{"outputs name the bus and the failures' log group", func(t *testing.T) {
			outs := s.template.ToJSON()
			raw, _ := json.Marshal((*outs)["Outputs"])
			var o map[string]struct{ Value any }
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			if getAtt(o["EventBusName"].Value) != busID {
				t.Errorf("EventBusName output %v, want the bus's name", o["EventBusName"].Value)
			}
			logsID, _ := s.only(t, "AWS::Logs::LogGroup", "RefundFailedEvents")
			if getAtt(o["RefundFailuresLogGroup"].Value) != logsID {
				t.Errorf("RefundFailuresLogGroup output %v", o["RefundFailuresLogGroup"].Value)
			}
		}},
	} {
		t.Run(tc.name, tc.check)
	}
}
