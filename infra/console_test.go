package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/config"
)

// TestConsoleSite checks the console's hosting: a private bucket that only
// the distribution reads (origin access control), HTTPS only, the paths
// function and strict security headers.
func TestConsoleSite(t *testing.T) {
	s := defaultSynth(t)
	bucketID, bucket := s.only(t, "AWS::S3::Bucket", "Console")
	if pab, _ := json.Marshal(bucket.Properties["PublicAccessBlockConfiguration"]); !strings.Contains(string(pab), `"BlockPublicAcls":true`) ||
		!strings.Contains(string(pab), `"RestrictPublicBuckets":true`) {
		t.Errorf("console bucket public access block = %s", pab)
	}
	_, dist := s.only(t, "AWS::CloudFront::Distribution", "ConsoleCdn")
	raw, _ := json.Marshal(dist.Properties["DistributionConfig"])
	for _, want := range []string{`"ViewerProtocolPolicy":"redirect-to-https"`, `"OriginAccessControlId"`, `"EventType":"viewer-request"`,
		`"ResponseHeadersPolicyId"`, bucketID} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("distribution lacks %s: %s", want, raw)
		}
	}
	if strings.Contains(string(raw), "OriginAccessIdentity\":\"origin-access-identity") {
		t.Errorf("distribution uses a legacy origin access identity: %s", raw)
	}
	policy, _ := json.Marshal(s.ofType("AWS::S3::BucketPolicy"))
	if !strings.Contains(string(policy), "cloudfront.amazonaws.com") || !strings.Contains(string(policy), "AWS:SourceArn") {
		t.Errorf("no bucket policy lets only the distribution read the console: %s", policy)
	}
	_, headers := s.only(t, "AWS::CloudFront::ResponseHeadersPolicy", "ConsoleHeaders")
	h, _ := json.Marshal(headers.Properties)
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'",
		"require-trusted-types-for 'script'", ".s3.",
		"execute-api.", ".amazoncognito.com", `"FrameOption":"DENY"`, `"ReferrerPolicy":"no-referrer"`, `"ContentTypeOptions":{"Override":true}`,
		`"AccessControlMaxAgeSec":31536000`} {
		if !strings.Contains(string(h), want) {
			t.Errorf("security headers lack %s: %s", want, h)
		}
	}
	_, fn := s.only(t, "AWS::CloudFront::Function", "ConsolePaths")
	if code := fmt.Sprint(fn.Properties["FunctionCode"]); !strings.Contains(code, `"/console/"`) || !strings.Contains(code, "index.html") {
		t.Errorf("paths function = %s", code)
	}
}

// TestConsoleDeployment checks that the built console is copied to the
// console bucket under console/ in two parts: the hashed script and style
// sheet cached for good (pruned of older builds), the page and its
// config.json revalidated on every load (and CloudFront's cache cleared);
// and that the config names the API and the pool's sign-in endpoints.
func TestConsoleDeployment(t *testing.T) {
	s := defaultSynth(t)
	_, files := s.only(t, "Custom::CDKBucketDeployment", "ConsoleFiles")
	raw, _ := json.Marshal(files.Properties)
	for _, want := range []string{`"DestinationBucketKeyPrefix":"console/"`, `"Prune":true`, `"Exclude":["index.html","config.json"]`,
		`"SystemMetadata":{"cache-control":"public, max-age=31536000, immutable"}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("console files lack %s: %s", want, raw)
		}
	}
	_, pages := s.only(t, "Custom::CDKBucketDeployment", "ConsolePages")
	raw, _ = json.Marshal(pages.Properties)
	// Markers stand for values known at deploy: the API's endpoint, the
	// pool's client and sign-in domain, the distribution's domain.
	for _, want := range []string{`"DestinationBucketKeyPrefix":"console/"`, `"DistributionPaths":["/console/*"]`, `"Prune":false`,
		`"Include":["index.html","config.json"]`, `"SystemMetadata":{"cache-control":"no-cache"}`, "HttpApi", "StaffPoolConsoleSignIn", "StaffPoolConsole", "ConsoleCdn"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("console pages lack %s: %s", want, raw)
		}
	}
	cfg := consoleConfig(t, s, pages)
	for _, want := range []string{`"signin":"oidc"`, `/oauth2/authorize"`, `/oauth2/token"`, `"client_id":"<<marker:`,
		`"redirect_uri":"https://<<marker:`, `/console/"`, `"api":"<<marker:`, `"scope":"openid email profile"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config.json lacks %s: %s", want, cfg)
		}
	}
}

// consoleConfig reads the config.json the deployment d copies, as staged
// in the cloud assembly (its second source).
func consoleConfig(t *testing.T, s *synthesized, d resource) string {
	t.Helper()
	keys, _ := d.Properties["SourceObjectKeys"].([]any)
	if len(keys) != 2 {
		t.Fatalf("source objects = %v, want the console and its config", keys)
	}
	raw, err := os.ReadFile(filepath.Join(s.outdir, "asset."+strings.TrimSuffix(keys[1].(string), ".zip"), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestStaffPool checks the staff's user pool: no self sign-up, TOTP MFA
// required, a strong password policy, one group per staff role, and a
// public client for the authorization-code flow back to the console,
// which the api function trusts.
func TestStaffPool(t *testing.T) {
	s := defaultSynth(t)
	poolID, pool := s.only(t, "AWS::Cognito::UserPool", "StaffPool")
	p := pool.Properties
	admin, _ := p["AdminCreateUserConfig"].(map[string]any)
	if admin["AllowAdminCreateUserOnly"] != true || p["MfaConfiguration"] != "ON" || fmt.Sprint(p["EnabledMfas"]) != "[SOFTWARE_TOKEN_MFA]" {
		t.Errorf("pool sign-up/MFA = %v %v %v", admin, p["MfaConfiguration"], p["EnabledMfas"])
	}
	pw, _ := json.Marshal(p["Policies"])
	if !strings.Contains(string(pw), `"MinimumLength":12`) || !strings.Contains(string(pw), `"RequireSymbols":true`) {
		t.Errorf("password policy = %s", pw)
	}
	var groups []string
	for _, g := range s.ofType("AWS::Cognito::UserPoolGroup") {
		groups = append(groups, g.Properties["GroupName"].(string))
		if fmt.Sprint(g.Properties["UserPoolId"]) != fmt.Sprint(map[string]any{"Ref": poolID}) {
			t.Errorf("group %v of another pool: %v", g.Properties["GroupName"], g.Properties["UserPoolId"])
		}
	}
	slices.Sort(groups)
	if fmt.Sprint(groups) != "[admin arbitrator reviewer]" {
		t.Errorf("groups = %v", groups)
	}
	clientID, client := s.only(t, "AWS::Cognito::UserPoolClient", "StaffPoolConsole")
	c := client.Properties
	raw, _ := json.Marshal(c)
	if c["GenerateSecret"] != false || fmt.Sprint(c["AllowedOAuthFlows"]) != "[code]" || c["AllowedOAuthFlowsUserPoolClient"] != true ||
		!strings.Contains(string(raw), "/console/") || !strings.Contains(string(raw), "ConsoleCdn") {
		t.Errorf("console client = %s", raw)
	}
	_, api := s.fn(t, "api")
	env, _ := json.Marshal(api.Properties["Environment"])
	if !strings.Contains(string(env), config.EnvStaffJWTIssuer) || !strings.Contains(string(env), poolID) ||
		!strings.Contains(string(env), config.EnvStaffJWTClientID) || !strings.Contains(string(env), clientID) {
		t.Errorf("the api function does not trust the pool: %s", env)
	}
}

// TestConsoleOIDC checks the console signing in at the merchant's own
// issuer: no user pool, the issuer and client in the console's config.
func TestConsoleOIDC(t *testing.T) {
	s := optionsSynth(t)
	if n := len(s.ofType("AWS::Cognito::UserPool")); n != 0 {
		t.Errorf("%d user pools with consoleSignIn=oidc, want 0", n)
	}
	_, pages := s.only(t, "Custom::CDKBucketDeployment", "ConsolePages")
	cfg := consoleConfig(t, s, pages)
	for _, want := range []string{`"signin":"oidc"`, `"authorize":"https://login.shop.example/oauth2/authorize"`,
		`"token":"https://login.shop.example/oauth2/token"`, `"client_id":"aftersales-console"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config.json lacks %s: %s", want, cfg)
		}
	}
	_, headers := s.only(t, "AWS::CloudFront::ResponseHeadersPolicy", "ConsoleHeaders")
	if h, _ := json.Marshal(headers.Properties); !strings.Contains(string(h), "https://login.shop.example") || strings.Contains(string(h), "amazoncognito") {
		t.Errorf("the CSP does not name the merchant's sign-in alone: %s", h)
	}
	_, api := s.fn(t, "api")
	if env, _ := json.Marshal(api.Properties["Environment"]); strings.Contains(string(env), config.EnvStaffJWTIssuer) {
		t.Errorf("the api function trusts a staff pool with oidc sign-in: %s", env)
	}
}

// oidc sets s to sign the console in at the merchant's own issuer.
func oidc(s *Settings) {
	s.ConsoleSignIn, s.JWTIssuer, s.ConsoleClientID = ConsoleOIDC, "https://login.example/", "console"
	s.ConsoleAuthorizeURL, s.ConsoleTokenURL = "https://login.example/authorize", "https://login.example/token"
}

// TestConsoleSettings checks the validation of the console's settings.
func TestConsoleSettings(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Settings)
		wantErr string
	}{
		{"cognito by default", func(*Settings) {}, ""},
		{"off", func(s *Settings) { s.ConsoleSignIn = ConsoleOff }, ""},
		{"oidc", func(s *Settings) { oidc(s) }, ""},
		{"oidc without an https issuer", func(s *Settings) { oidc(s); s.JWTIssuer = "aftersales" }, CtxConsoleSignIn},
		{"oidc without a client", func(s *Settings) { oidc(s); s.ConsoleClientID = "" }, CtxConsoleClientID},
		{"oidc with a plain http token endpoint", func(s *Settings) { oidc(s); s.ConsoleTokenURL = "http://login.example/token" }, CtxConsoleTokenURL},
		{"oidc without an authorization endpoint", func(s *Settings) { oidc(s); s.ConsoleAuthorizeURL = "" }, CtxConsoleAuthorizeURL},
		{"unknown", func(s *Settings) { s.ConsoleSignIn = "saml" }, `"saml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.edit(&s)
			err := s.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tt.wantErr)
			}
		})
	}
}
