package main

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// TestSettingsFromContext reads settings as -c passes them (strings) and as
// cdk.json holds them (JSON types), and rejects invalid ones.
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
