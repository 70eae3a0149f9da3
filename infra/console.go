package main

import (
	"encoding/json"
	"net/url"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/console"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/config"
)

// Console sign-in choices (CtxConsoleSignIn).
const (
	// ConsoleCognito creates an Amazon Cognito user pool for staff, with a
	// group per role; the merchant adds staff to it (the default).
	ConsoleCognito = "cognito"
	// ConsoleOIDC signs staff in at the merchant's own OpenID issuer (the
	// jwtIssuer setting) through its authorization and token endpoints
	// (CtxConsoleAuthorizeURL, CtxConsoleTokenURL), with the app client
	// CtxConsoleClientID; its access tokens carry a roles claim as the API
	// expects.
	ConsoleOIDC = "oidc"
	// ConsoleOff deploys no console.
	ConsoleOff = "off"
)

// consoleAssets is the folder under the asset directory that holds the
// built console (infra/cmd/build writes it with the functions).
const consoleAssets = "console"

// consolePath is where the console lives on its site, as on the local
// stack (http://127.0.0.1:8080/console/).
const consolePath = "/console/"

// staffGroups are the user pool's groups: each is a role of the API
// (apigw.StaffIssuer reads them from cognito:groups).
var staffGroups = []aftersales.Role{aftersales.RoleReviewer, aftersales.RoleAdmin, aftersales.RoleArbitrator}

// consoleSite is the console's hosting: a private bucket read only by a
// CloudFront distribution through origin access control.
type consoleSite struct {
	bucket       awss3.Bucket
	distribution awscloudfront.Distribution
	origin       string // https://<distribution domain>
	pool         awscognito.UserPool
	client       awscognito.UserPoolClient
	domain       awscognito.UserPoolDomain
}

// consoleHosting creates the console's site and, with ConsoleCognito, its
// user pool. It runs before the API so that the API's CORS can allow the
// console's origin and the api function can trust the pool.
func (b *builder) consoleHosting(logs awss3.Bucket) *consoleSite {
	if b.s.ConsoleSignIn == ConsoleOff {
		return nil
	}
	c := &consoleSite{}
	c.bucket = awss3.NewBucket(b.stack, jsii.String("Console"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("console/"),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
	})
	// "/" and "/console" go to the console; a folder URL serves its
	// index.html (S3 behind origin access control has no index documents).
	paths := awscloudfront.NewFunction(b.stack, jsii.String("ConsolePaths"), &awscloudfront.FunctionProps{
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Comment: jsii.String("After-sales console: index documents and the redirect to " + consolePath),
		Code: awscloudfront.FunctionCode_FromInline(jsii.String(`function handler(event) {
  var uri = event.request.uri;
  if (uri === "/" || uri === "/console") {
    return { statusCode: 302, statusDescription: "Found", headers: { location: { value: "` + consolePath + `" } } };
  }
  if (uri.endsWith("/")) { event.request.uri = uri + "index.html"; }
  return event.request;
}`)),
	})
	c.distribution = awscloudfront.NewDistribution(b.stack, jsii.String("ConsoleCdn"), &awscloudfront.DistributionProps{
		Comment: jsii.String("After-sales console, stage " + b.s.Stage),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(c.bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			FunctionAssociations:  &[]*awscloudfront.FunctionAssociation{{EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST, Function: paths}},
			ResponseHeadersPolicy: b.consoleHeaders(),
		},
		HttpVersion: awscloudfront.HttpVersion_HTTP2_AND_3,
	})
	c.origin = "https://" + *c.distribution.DistributionDomainName()
	if b.s.ConsoleSignIn == ConsoleCognito {
		b.staffPool(c)
	}
	return c
}

// staffPool creates the staff's user pool: administrators create the
// accounts (no self sign-up), strong passwords and a second factor, one
// group per role, and a public app client for the console's
// authorization-code flow with PKCE.
func (b *builder) staffPool(c *consoleSite) {
	c.pool = awscognito.NewUserPool(b.stack, jsii.String("StaffPool"), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String("aftersales-" + b.s.Stage + "-staff"),
		SelfSignUpEnabled: jsii.Bool(false),
		SignInAliases:     &awscognito.SignInAliases{Username: jsii.Bool(true), Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		Mfa:               awscognito.Mfa_REQUIRED,
		MfaSecondFactor:   &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength: jsii.Number(12), RequireDigits: jsii.Bool(true), RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true), RequireSymbols: jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		AccountRecovery:    awscognito.AccountRecovery_EMAIL_ONLY,
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
	for _, role := range staffGroups {
		awscognito.NewCfnUserPoolGroup(b.stack, jsii.String("StaffGroup"+string(role)), &awscognito.CfnUserPoolGroupProps{
			UserPoolId:  c.pool.UserPoolId(),
			GroupName:   jsii.String(string(role)),
			Description: jsii.String("After-sales role " + string(role)),
		})
	}
	callback := c.origin + consolePath
	c.client = c.pool.AddClient(jsii.String("Console"), &awscognito.UserPoolClientOptions{
		UserPoolClientName: jsii.String("console"),
		// A browser app keeps no secret; Cognito then requires PKCE's
		// code_verifier for the code exchange.
		GenerateSecret:             jsii.Bool(false),
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		AuthFlows:                  &awscognito.AuthFlow{UserSrp: jsii.Bool(true)},
		OAuth: &awscognito.OAuthSettings{
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
			Scopes:       &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_PROFILE()},
			CallbackUrls: jsii.Strings(callback),
			LogoutUrls:   jsii.Strings(callback),
		},
		AccessTokenValidity:  awscdk.Duration_Hours(jsii.Number(1)),
		IdTokenValidity:      awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity: awscdk.Duration_Hours(jsii.Number(12)), // one working day
	})
	c.domain = c.pool.AddDomain(jsii.String("ConsoleSignIn"), &awscognito.UserPoolDomainOptions{
		CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String(b.cognitoPrefix())},
	})
	b.env[config.EnvStaffJWTIssuer] = c.pool.UserPoolProviderUrl()
	b.env[config.EnvStaffJWTClientID] = c.client.UserPoolClientId()
}

// consoleHeaders are the console's security headers. The page loads its own
// script and styles only; it calls the API and the sign-in endpoints, and
// shows evidence (images, video, PDF) from presigned URLs of the evidence
// bucket, which the content security policy names.
func (b *builder) consoleHeaders() awscloudfront.ResponseHeadersPolicy {
	return awscloudfront.NewResponseHeadersPolicy(b.stack, jsii.String("ConsoleHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("After-sales console security headers"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(b.consoleCSP()), Override: jsii.Bool(true),
			},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(365)), IncludeSubdomains: jsii.Bool(true), Override: jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions:       &awscloudfront.ResponseHeadersFrameOptions{FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)},
			ReferrerPolicy:     &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_NO_REFERRER, Override: jsii.Bool(true)},
		},
	})
}

// consoleCSP is the console's content security policy in the cloud
// (console.CSP, the local stack's too): it calls the HTTP API and the
// sign-in's token endpoint, and shows evidence (images, video, PDF) from
// presigned URLs of the evidence bucket. The API and the bucket are named by
// their region's domains, not by their own: the API allows the console's
// origin in CORS, so the distribution (which carries this policy) cannot
// depend on the API without a cycle.
func (b *builder) consoleCSP() string {
	region := *awscdk.Aws_REGION()
	api := "https://*.execute-api." + region + ".amazonaws.com"
	s3 := "https://*.s3." + region + ".amazonaws.com"
	signIn := "https://" + b.cognitoPrefix() + ".auth." + region + ".amazoncognito.com"
	if b.s.ConsoleSignIn == ConsoleOIDC {
		signIn = origin(b.s.ConsoleTokenURL)
	}
	return console.CSP([]string{api, signIn}, []string{s3})
}

// origin is the scheme and host of an https URL that Validate accepted.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// cognitoPrefix is the prefix of the pool's sign-in domain. Prefixes are
// global per region: the account id keeps merchants' stages apart.
func (b *builder) cognitoPrefix() string {
	return "aftersales-" + b.s.Stage + "-" + *awscdk.Aws_ACCOUNT_ID()
}

// consoleDeploy uploads the built console and its config.json (where the
// API is and how staff sign in: console.Config) to the site under
// console/, and clears CloudFront's cache of it. Two copies, because their
// caching differs: the script and style sheet are named by their content
// hash and cached for good; index.html and config.json are revalidated on
// every load, so a deploy shows at once. Each copy leaves the other's files
// alone (excluded files are never pruned).
func (b *builder) consoleDeploy(c *consoleSite, endpoint string) {
	if c == nil {
		return
	}
	cfg := console.Config{SignIn: "oidc", API: endpoint}
	switch b.s.ConsoleSignIn {
	case ConsoleCognito:
		base := *c.domain.BaseUrl(nil)
		cfg.OIDC = &console.OIDCConfig{Authorize: base + "/oauth2/authorize", Token: base + "/oauth2/token",
			ClientID: *c.client.UserPoolClientId(), RedirectURI: c.origin + consolePath, Scope: "openid email profile"}
	case ConsoleOIDC:
		cfg.OIDC = &console.OIDCConfig{Authorize: b.s.ConsoleAuthorizeURL, Token: b.s.ConsoleTokenURL,
			ClientID: b.s.ConsoleClientID, RedirectURI: c.origin + consolePath, Scope: "openid"}
	}
	// Source_JsonData takes a JSON object; tokens in its strings become
	// the deploy-time values.
	raw, _ := json.Marshal(cfg)
	var data map[string]any
	_ = json.Unmarshal(raw, &data)
	assets := jsii.String(filepath.Join(b.assets, consoleAssets))
	pages := jsii.Strings(console.Index, consoleConfigFile)
	awss3deployment.NewBucketDeployment(b.stack, jsii.String("ConsoleFiles"), &awss3deployment.BucketDeploymentProps{
		Sources:              &[]awss3deployment.ISource{awss3deployment.Source_Asset(assets, nil)},
		Exclude:              pages,
		CacheControl:         &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String("public, max-age=31536000, immutable"))},
		DestinationBucket:    c.bucket,
		DestinationKeyPrefix: jsii.String(consolePath[1:]),
		Prune:                jsii.Bool(true),
		MemoryLimit:          jsii.Number(256),
	})
	awss3deployment.NewBucketDeployment(b.stack, jsii.String("ConsolePages"), &awss3deployment.BucketDeploymentProps{
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(assets, nil),
			awss3deployment.Source_JsonData(jsii.String(consoleConfigFile), data, nil),
		},
		Exclude:              jsii.Strings("*"),
		Include:              pages,
		CacheControl:         &[]awss3deployment.CacheControl{awss3deployment.CacheControl_NoCache()},
		DestinationBucket:    c.bucket,
		DestinationKeyPrefix: jsii.String(consolePath[1:]),
		Prune:                jsii.Bool(false),
		Distribution:         c.distribution,
		DistributionPaths:    jsii.Strings(consolePath + "*"),
		MemoryLimit:          jsii.Number(256),
	})
}

// consoleConfigFile is the console's configuration beside its page.
const consoleConfigFile = "config.json"
