package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

// repoContext is the context `cdk synth` passes the app with no -c:
// cdk.json's, plus extra as -c passes it (strings).
func repoContext(t *testing.T, extra map[string]any) map[string]any {
	t.Helper()
	ctx, err := cdkJSONContext("../cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(ctx) == 0 {
		t.Fatal("cdk.json has no context: the test reads the wrong file")
	}
	maps.Copy(ctx, extra)
	return ctx
}

// settingsOf reads Settings from ctx as the app does.
func settingsOf(t *testing.T, ctx map[string]any) Settings {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	s, err := SettingsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// outputs returns the stack's outputs: value and description by id.
func (s *synthesized) outputs(t *testing.T) map[string]struct{ Value, Description string } {
	t.Helper()
	raw, err := json.Marshal(s.template.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Outputs map[string]struct {
			Value       any    `json:"Value"`
			Description string `json:"Description"`
		} `json:"Outputs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]struct{ Value, Description string }{}
	for id, o := range doc.Outputs {
		out[id] = struct{ Value, Description string }{fmt.Sprint(o.Value), o.Description}
	}
	return out
}

// providerModes returns the PROVIDER_MODE of every function.
func (s *synthesized) providerModes(t *testing.T) map[string]any {
	t.Helper()
	modes := map[string]any{}
	for _, name := range Functions {
		_, fn := s.fn(t, name)
		modes[name] = fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)[config.EnvProviderMode]
	}
	return modes
}

// sandboxWarned reports whether the stack carries the sandbox warning.
func sandboxWarned(s *synthesized) bool {
	warned := true
	func() {
		defer func() {
			if recover() != nil { // HasWarning panics when there is none
				warned = false
			}
		}()
		assertions.Annotations_FromStack(s.stack).HasWarning(jsii.String("*"),
			assertions.Match_StringLikeRegexp(jsii.String("providerMode is sandbox: no refund moves money")))
	}()
	return warned
}

// TestNoContextDeploysLive: `cdk synth` (or deploy) with no -c gives a
// stack whose functions call the real payment providers, says so in its
// outputs, and warns of nothing: a cloud deploy never fakes money unless
// asked to by name.
func TestNoContextDeploysLive(t *testing.T) {
	fromCDKJSON := settingsOf(t, repoContext(t, nil))
	if fromCDKJSON.ProviderMode != config.ProviderLive {
		t.Fatalf("cdk.json gives providerMode %q, want %q", fromCDKJSON.ProviderMode, config.ProviderLive)
	}
	if got := settingsOf(t, map[string]any{}); got.ProviderMode != config.ProviderLive {
		t.Errorf("an empty context gives providerMode %q, want %q", got.ProviderMode, config.ProviderLive)
	}
	// cdk.json says what the defaults say, so the default stack is the
	// one `cdk synth` makes.
	if fmt.Sprint(fromCDKJSON) != fmt.Sprint(DefaultSettings()) {
		t.Fatalf("cdk.json's settings %+v differ from DefaultSettings %+v", fromCDKJSON, DefaultSettings())
	}
	s := defaultSynth(t)
	for name, mode := range s.providerModes(t) {
		if mode != config.ProviderLive {
			t.Errorf("function %s: %s = %v, want %s", name, config.EnvProviderMode, mode, config.ProviderLive)
		}
	}
	if o := s.outputs(t)["ProviderMode"]; o.Value != config.ProviderLive || !strings.HasPrefix(o.Description, "live:") {
		t.Errorf("output ProviderMode = %+v, want live", o)
	}
	if sandboxWarned(s) {
		t.Error("a live stack carries the sandbox warning")
	}
}

// TestSandboxIsAskedForByName: -c providerMode=sandbox gives a sandbox
// stack that says so in its outputs and warns at synth.
func TestSandboxIsAskedForByName(t *testing.T) {
	set := settingsOf(t, repoContext(t, map[string]any{CtxProviderMode: "sandbox"}))
	if set.ProviderMode != config.ProviderSandbox {
		t.Fatalf("providerMode %q, want sandbox", set.ProviderMode)
	}
	s := synth(t, set, t.TempDir())
	for name, mode := range s.providerModes(t) {
		if mode != config.ProviderSandbox {
			t.Errorf("function %s: %s = %v, want sandbox", name, config.EnvProviderMode, mode)
		}
	}
	if o := s.outputs(t)["ProviderMode"]; o.Value != config.ProviderSandbox || !strings.Contains(o.Description, "no refund moves money") {
		t.Errorf("output ProviderMode = %+v, want sandbox saying no money moves", o)
	}
	if !sandboxWarned(s) {
		t.Error("a sandbox stack synthesizes without a warning")
	}
}
