package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Reasons of the cdk-nag suppressions. Each is narrowed to the resource and,
// for IAM5, to the exact wildcard it accepts, so a new wildcard still fails.
const (
	reasonRotation = "The values are issued outside AWS (the merchant's token issuer, the mall, WeChat Pay, " +
		"Alipay, Kuaidi100), so no rotation Lambda can renew them; the merchant rotates at the issuer, " +
		"stores the new value and redeploys with a new secretsRevision."
	reasonXRay = "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions; " +
		"the statement is added by tracing and has no other action."
	reasonIndexes = "The table's own global secondary indexes (dynamo.TableSchema's GSI1..GSI3): CDK's table " +
		"grants name them as <table>/index/*."
	reasonEvidence = "Objects under pending/, evidence/, thumbnails/ and threads/ only: the api function presigns PUT and GET for keys " +
		"pending/<buyer>/<id> and evidence/<buyer>/<id> that it chooses, HEADs an upload and copies it from " +
		"pending/ to evidence/ when evidence is attached, presigns GETs of thumbnails/<buyer>/<id>.jpg, and presigns " +
		"PUT and GET of the dispute thread files threads/<case>/<id> (copying a buyer's from pending/)."
	reasonV1Auth = "The api function verifies every bearer token before any route runs (issuer, audience, " +
		"expiry, HS256 or RS256/ES256; shared/apigw). API Gateway's JWT authorizer cannot verify HS256 " +
		"tokens; set jwtAuthorizer=true to add it in front for an OpenID issuer."
	reasonWebhooks = "Providers (the mall, payment and courier providers) cannot send bearer tokens; every " +
		"webhook carries a signature over its body that the webhooks function verifies before storing anything."
	reasonWorkflowLogs = "Step Functions' log delivery (logs:CreateLogDelivery, logs:DescribeResourcePolicies ...) " +
		"and X-Ray actions support no resource-level permissions; CDK adds them for logging and tracing."
	reasonEvidenceChecks = "Objects under evidence/ and thumbnails/ only: the evidence function reads each file a case " +
		"took, named by the bucket's event notification, and writes its thumbnail (issue 16). The X-Ray statement's " +
		"Resource * also holds rekognition:DetectLabels, which supports no resource-level permissions."
	reasonNotificationsHandler = "CDK's BucketNotificationsHandler, a deploy-time custom resource that sets the evidence " +
		"bucket's notification configuration (issue 16): CDK gives it the basic execution role and " +
		"s3:PutBucketNotification on *, neither of which the construct lets us narrow; it runs only when the stack deploys."
	reasonConsoleDeployment = "CDK's BucketDeployment, a deploy-time custom resource that copies the built console from the " +
		"CDK asset bucket to the console bucket and invalidates CloudFront's cache of it (issue 18): CDK gives it the basic " +
		"execution role, s3 read/list on the asset bucket, s3 read/write/delete under the console bucket and " +
		"cloudfront:CreateInvalidation (which supports no narrower resource here), and picks its Python runtime; it runs " +
		"only when the stack deploys."
	reasonConsoleGeo = "Merchant staff sign in from wherever they work; the console holds static files only and every " +
		"API call is authenticated. A merchant who wants geo restriction adds it to the distribution."
	reasonConsoleWAF = "The distribution serves the console's static files only (no server-side code, no data); the API " +
		"behind it is throttled and authenticates every call. A web ACL bills per request; a merchant who has one " +
		"associates it."
	reasonConsoleLogs = "Standard CloudFront logging needs ACLs on the log bucket, which this stack keeps disabled; the " +
		"files are the same for every visitor and every API call they make is logged by the HTTP API's access logs."
	reasonConsoleTLS = "The default *.cloudfront.net certificate cannot set a minimum TLS version; a merchant who serves " +
		"the console on their own domain attaches an ACM certificate with TLSv1.2_2021."
	reasonStaffPoolPlan = "The Plus feature plan (threat protection) bills per monthly active user; the pool already " +
		"requires TOTP MFA, 12-character passwords and administrator-created accounts. A merchant may turn Plus on."
	reasonPublisherFailures = "The outbox publisher's on-failure destination (issue 15): a dead-letter queue itself, " +
		"which receives the pointers of stream batches the publisher gave up on; the PublisherFailures alarm watches it."
	reasonPublisherStreams = "dynamodb:ListStreams supports no resource-level permissions; CDK's stream read grant for the " +
		"publisher's event source mapping adds it alone on *."
	reasonTasksVersions = "The tasks function only: CDK's invoke grant also covers its versions and aliases (<arn>:*)."
)

// suppress accepts rule id on c and its children for reason; with
// appliesTo, only the findings whose wildcard matches one of the regexps.
func suppress(c constructs.IConstruct, id, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		var a []any
		for _, re := range appliesTo {
			a = append(a, &cdknag.RegexAppliesTo{Regex: jsii.String(re)})
		}
		s.AppliesTo = &a
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// suppress records every accepted cdk-nag finding with its reason.
func (b *builder) suppress(secrets []awssecretsmanager.Secret, api awsapigatewayv2.HttpApi, sm awsstepfunctions.StateMachine) {
	for _, s := range secrets {
		suppress(s, "AwsSolutions-SMG4", reasonRotation)
	}
	for name, fn := range b.fns {
		role := fn.Role()
		suppress(role, "AwsSolutions-IAM5", reasonXRay, `/^Resource::\*$/`)
		// Every function uses the table (the intake too, since it applies
		// the rules: issue 20).
		suppress(role, "AwsSolutions-IAM5", reasonIndexes, `/^Resource::<Table[0-9A-F]{8}\.Arn>\/index\/\*$/`)
		if name == "notifier" {
			suppress(role, "AwsSolutions-IAM5", reasonSMS,
				`/^Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:(phone-number|sender-id|pool|opt-out-list)\/\*$/`)
		}
		if name == "publisher" {
			suppress(role, "AwsSolutions-IAM5", reasonPublisherStreams, `/^Resource::\*$/`)
		}
		if name == "api" {
			suppress(role, "AwsSolutions-IAM5", reasonEvidence, `/^Resource::<Evidence[0-9A-F]{8}\.Arn>\/(pending|evidence|thumbnails|threads)\/\*$/`)
		}
		if name == "evidence" {
			suppress(role, "AwsSolutions-IAM5", reasonEvidenceChecks, `/^Resource::<Evidence[0-9A-F]{8}\.Arn>\/(evidence|thumbnails)\/\*$/`)
		}
	}
	if !b.s.JWTAuthorizer {
		suppress(api.Node().FindChild(jsii.String("ANY--v1--{proxy+}")), "AwsSolutions-APIG4", reasonV1Auth)
	}
	suppress(api.Node().FindChild(jsii.String("POST--webhooks--{proxy+}")), "AwsSolutions-APIG4", reasonWebhooks)
	suppress(sm.Role(), "AwsSolutions-IAM5", reasonWorkflowLogs, `/^Resource::\*$/`)
	for _, c := range *b.stack.Node().Children() {
		if strings.HasPrefix(*c.Node().Id(), "BucketNotificationsHandler") {
			suppress(c, "AwsSolutions-IAM4", reasonNotificationsHandler, `/^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole$/`)
			suppress(c, "AwsSolutions-IAM5", reasonNotificationsHandler, `/^Resource::\*$/`)
		}
	}
	if c := b.console; c != nil {
		cdn := c.distribution
		suppress(cdn, "AwsSolutions-CFR1", reasonConsoleGeo)
		suppress(cdn, "AwsSolutions-CFR2", reasonConsoleWAF)
		suppress(cdn, "AwsSolutions-CFR3", reasonConsoleLogs)
		suppress(cdn, "AwsSolutions-CFR4", reasonConsoleTLS)
		if c.pool != nil {
			suppress(c.pool, "AwsSolutions-COG8", reasonStaffPoolPlan)
		}
		for _, child := range *b.stack.Node().Children() {
			if strings.HasPrefix(*child.Node().Id(), "Custom::CDKBucketDeployment") {
				suppress(child, "AwsSolutions-L1", reasonConsoleDeployment)
				suppress(child, "AwsSolutions-IAM4", reasonConsoleDeployment, `/^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole$/`)
				suppress(child, "AwsSolutions-IAM5", reasonConsoleDeployment, `/^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$/`,
					`/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>\/\*$/`,
					`/^Resource::<Console[0-9A-F]{8}\.Arn>\/\*$/`, `/^Resource::\*$/`)
			}
		}
	}
	suppress(b.stack.Node().FindChild(jsii.String("PublisherFailures")), "AwsSolutions-SQS3", reasonPublisherFailures)
	suppress(sm.Role(), "AwsSolutions-IAM5", reasonTasksVersions, `/^Resource::<Fntasks[0-9A-F]{8}\.Arn>:\*$/`)
}
