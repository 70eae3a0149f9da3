package main

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

// Paths of the payment providers' notifications, served by the webhooks
// function (docs/openapi.yaml); their full URLs are the notify URLs.
const (
	wechatPayNotifyPath = "/webhooks/wechatpay"
	alipayNotifyPath    = "/webhooks/alipay"
	kuaidi100PushPath   = "/webhooks/kuaidi100"
)

// httpAPI routes /v1 to the api function and /webhooks to the webhooks
// function, on one throttled, access-logged $default stage, and publishes
// the providers' notify URLs. No cycle: the API resource itself references
// no function (its routes, integrations and permissions do), so the
// functions may depend on it.
func (b *builder) httpAPI(api, webhooks awslambda.Function) awsapigatewayv2.HttpApi {
	props := &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String("aftersales-" + b.s.Stage),
		CreateDefaultStage: jsii.Bool(false),
	}
	origins := b.s.CORSOrigins
	if b.console != nil {
		// The console calls the API from its CloudFront origin.
		origins = append(origins[:len(origins):len(origins)], b.console.origin)
	}
	if len(origins) > 0 {
		props.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(origins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_ANY},
			AllowHeaders: jsii.Strings("authorization", "content-type", "idempotency-key"),
			ExposeHeaders: jsii.Strings("location", "idempotent-replayed", "x-request-id",
				"www-authenticate"),
			MaxAge: awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	httpAPI := awsapigatewayv2.NewHttpApi(b.stack, jsii.String("HttpApi"), props)
	b.apiStage(httpAPI)
	b.apiRoutes(httpAPI, api, webhooks)
	endpoint := *httpAPI.ApiEndpoint()
	b.env[config.EnvWeChatPayNotifyURL] = jsii.String(endpoint + wechatPayNotifyPath)
	b.env[config.EnvAlipayNotifyURL] = jsii.String(endpoint + alipayNotifyPath)
	b.env[config.EnvKuaidi100CallbackURL] = jsii.String(endpoint + kuaidi100PushPath)
	return httpAPI
}

// apiStage adds the $default stage: auto-deployed, throttled as the
// settings say so that a flood cannot run up the bill, and logging every
// request to its own log group.
func (b *builder) apiStage(httpAPI awsapigatewayv2.HttpApi) {
	accessLogs := awslogs.NewLogGroup(b.stack, jsii.String("HttpApiAccessLogs"), &awslogs.LogGroupProps{Retention: b.retention})
	stage := httpAPI.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(b.s.APIRateLimit),
			BurstLimit: jsii.Number(b.s.APIBurstLimit),
		},
	})
	format, _ := json.Marshal(map[string]string{
		"requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
		"requestTime": "$context.requestTime", "routeKey": "$context.routeKey",
		"status": "$context.status", "responseLength": "$context.responseLength",
		"latency": "$context.integrationLatency", "integrationError": "$context.integrationErrorMessage",
		"authorizerError": "$context.authorizer.error",
	})
	// The L2 stage takes access log settings through an interface that Go
	// code cannot implement across jsii; the L1 property is the same thing.
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(string(format)),
	})
}

// apiRoutes sends /v1 to the api function, behind the JWT authorizer when
// the settings ask for it, and the providers' posts under /webhooks to the
// webhooks function.
func (b *builder) apiRoutes(httpAPI awsapigatewayv2.HttpApi, api, webhooks awslambda.Function) {
	v1 := &awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/v1/{proxy+}"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiIntegration"), api, nil),
	}
	if b.s.JWTAuthorizer {
		v1.Authorizer = awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("Jwt"), jsii.String(b.s.JWTIssuer),
			&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{JwtAudience: jsii.Strings(b.s.JWTAudience)})
	}
	httpAPI.AddRoutes(v1)
	// Providers post their notifications (the mall's orders, WeChat Pay's
	// and Alipay's refund notifications at wechatPayNotifyPath and
	// alipayNotifyPath, ...); they carry signatures, not bearer tokens,
	// which the webhooks function verifies. One route for all of them: the
	// function's own router answers 404 for any other path.
	httpAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/webhooks/{proxy+}"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("WebhooksIntegration"), webhooks, nil),
	})
}

// apiAlarms raise when too many requests fail on our side. A rate, not a
// count: a busy day's few 500s should not page anyone, a broken deploy
// should.
func (b *builder) apiAlarms(httpAPI awsapigatewayv2.HttpApi) {
	rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("100 * errors / MAX([requests, 1])"),
		Label:      jsii.String("5xx %"),
		Period:     awscdk.Duration_Minutes(jsii.Number(5)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":   httpAPI.MetricServerError(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum")}),
			"requests": httpAPI.MetricCount(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum")}),
		},
	})
	b.alarm("Api5xxRate", "More than 1% of API requests answered 5xx over 5 minutes", rate, 1)
}
