package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestHTTPAPI checks the routes (which function serves which path, without
// an authorizer by default), the stage's throttling and access logs, and
// the outputs.
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

// TestOptionsHTTPAPI checks the HTTP API with every option on: the JWT
// authorizer in front of /v1 but not of the providers' webhooks, and the
// CORS origins.
func TestOptionsHTTPAPI(t *testing.T) {
	set := allOptions()
	s := optionsSynth(t)
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
		origins, _ := cors["AllowOrigins"].([]any)
		// The merchant's origins, then the console's (its distribution's
		// domain, known at deploy).
		if len(origins) != len(set.CORSOrigins)+1 || fmt.Sprint(origins[:len(set.CORSOrigins)]) != fmt.Sprint(set.CORSOrigins) ||
			!strings.Contains(fmt.Sprint(origins[len(set.CORSOrigins)]), "ConsoleCdn") {
			t.Errorf("API CORS origins %v, want %v and the console's", cors["AllowOrigins"], set.CORSOrigins)
		}
	}
}
