package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	sdkdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/eventbus"
	"github.com/aftersales/aftersales/statemachines"
)

// AfterSalesStackProps configure NewAfterSalesStack.
type AfterSalesStackProps struct {
	awscdk.StackProps
	// Settings are the merchant's choices (SettingsFromContext).
	Settings Settings
	// Root is the repository root: the state machine definitions are read
	// from Root/statemachines. Default ".", where cdk.json runs the app.
	Root string
	// AssetDir holds one folder per function with its bootstrap binary
	// (infra/cmd/build writes them). Default Root/build. Tests point it at
	// dummy binaries so that they never cross-compile.
	AssetDir string
}

// Functions are the Lambda functions of the stack, one per functions/<name>,
// each a folder of AssetDir.
var Functions = []string{"api", "webhooks", "tasks", "intake", "inbound", "reviews", "sweeper"}

// Consumer settings shared with the local stack's pollers
// (infra/local/stack/workflow.go): batch size, maximum concurrency and the
// redrive after 5 receives.
const (
	maxReceiveCount = 5
	batchSize       = 10
	// Starting executions is throttled per account (300/s refill in large
	// regions, 150/s elsewhere); 5 pollers of 10 stay far below.
	intakeConcurrency = 5
	// Batch decisions call SendTaskSuccess (500/s refill): the mapping's
	// concurrency is what paces a 10,000-case batch.
	reviewsConcurrency = 20
	// Refund notifications arrive one by one and each settles one case;
	// providers retry for a day, so a small pool is plenty and keeps a
	// burst from contending with the workflow's own writes.
	inboundConcurrency = 5
	// visibilityFactor: AWS asks for a visibility timeout of at least six
	// times the consumer's timeout, so a batch retried by Lambda is not
	// redelivered to another poller meanwhile.
	visibilityFactor = 6
)

// fnSpec is one function's sizing and environment. required is the list
// that its main passes to config.Load; extra are optional variables it
// reads.
type fnSpec struct {
	memory   float64
	timeout  float64 // seconds
	required []string
	extra    []string
}

// providerEnv are the payment providers' settings: the ARNs of the
// provider secrets, which functions read at start (config.ProviderSecrets:
// keys stay out of the function configuration and Lambda's 4 KB of
// environment), and the notification URLs on the HTTP API. The endpoint
// overrides (WECHATPAY_ENDPOINT, ALIPAY_ENDPOINT) point at the local fakes
// and are never set in the cloud.
var providerEnv = []string{
	config.EnvWeChatPaySecretARN, config.EnvWeChatPayNotifyURL,
	config.EnvAlipaySecretARN, config.EnvAlipayNotifyURL,
}

// serviceEnv are the optional variables of every function that builds the
// service (shared/wire.Service): where domain events go. The payment
// routes are the tasks' alone (they call the providers), and the webhooks
// verify the providers' notifications: only those two get providerEnv.
var serviceEnv = []string{config.EnvEventBusName}

// specs size each function by role: the API and the tasks answer people and
// the workflow, so they get more memory (arm64 CPU scales with it); queue
// consumers and the sweeper do little per item.
var specs = map[string]fnSpec{
	// HTTP APIs give up after 30 s; 10 s answers well before with a 5xx.
	"api": {memory: 512, timeout: 10, required: config.API,
		extra: slices.Concat([]string{config.EnvJWTHS256Secret, config.EnvJWTPublicKeys}, serviceEnv)},
	// Providers retry when we answer slowly (WeChat Pay waits 5 s).
	"webhooks": {memory: 256, timeout: 10, required: config.Webhooks, extra: slices.Concat(serviceEnv, providerEnv)},
	"tasks":    {memory: 512, timeout: 30, required: config.Tasks, extra: slices.Concat(serviceEnv, providerEnv)},
	// Starts executions only (wire.Intake uses the workflows, never the
	// service's payment routes or events).
	"intake": {memory: 256, timeout: 10, required: config.Intake},
	// One notification settles one case: a few writes, SendTaskSuccess and
	// at most one event.
	"inbound": {memory: 256, timeout: 30, required: config.Inbound, extra: serviceEnv},
	"reviews": {memory: 256, timeout: 30, required: config.Reviews, extra: serviceEnv},
	// Runs every 5 minutes; it must end before the next run starts.
	"sweeper": {memory: 256, timeout: 60, required: config.Sweeper,
		extra: slices.Concat([]string{config.EnvSweepGrace}, serviceEnv)},
}

// providerSecrets are the provider secrets, named
// aftersales/<stage>/provider/<name>, with the fields functions read
// (config.ProviderSecrets) and the variable carrying each one's ARN. The
// merchant fills them in before switching providerMode to live.
var providerSecrets = []struct {
	name        string
	description string
	fields      []string
	arnEnv      string // "": not read by any function yet
}{
	{"wechatpay", "WeChat Pay v3: mch_id, app_id, the API certificate's mch_serial_no and mch_private_key_pem " +
		"(apiclient_key.pem), apiv3_key (32 bytes), and the platform public key (public_key_id PUB_KEY_ID_..., public_key_pem)",
		secretFields(config.EnvWeChatPaySecretARN), config.EnvWeChatPaySecretARN},
	{"alipay", "Alipay: app_id, the app's RSA2 app_private_key_pem, and alipay_public_key_pem (the Alipay public key of the app)",
		secretFields(config.EnvAlipaySecretARN), config.EnvAlipaySecretARN},
	// The courier adapter is not wired yet.
	{"kuaidi100", "Kuaidi100: customer, key and salt (not used yet)", []string{"customer", "key", "salt"}, ""},
}

// secretFields are the JSON fields of the secret whose ARN arnEnv carries.
func secretFields(arnEnv string) []string {
	for _, spec := range config.ProviderSecrets {
		if spec.ARNEnv == arnEnv {
			return slices.Sorted(maps.Keys(spec.Fields))
		}
	}
	panic("no provider secret read through " + arnEnv)
}

// Paths of the payment providers' notifications, served by the webhooks
// function (docs/openapi.yaml); their full URLs are the notify URLs.
const (
	wechatPayNotifyPath = "/webhooks/wechatpay"
	alipayNotifyPath    = "/webhooks/alipay"
)

// commonEnv are set on every function.
var commonEnv = []string{config.EnvStage, config.EnvLogLevel, config.EnvProviderMode}

// EnvNames returns the environment variable names the stack sets on the
// function name: what its main requires plus the optional ones it reads.
func EnvNames(name string) []string {
	s := specs[name]
	return slices.Concat(commonEnv, s.required, s.extra)
}

// NewAfterSalesStack builds the whole deployment of one merchant: HTTP API,
// functions, table, queues, workflow, evidence bucket, schedule, secrets and
// alarms, with cdk-nag's AwsSolutions checks applied to it.
func NewAfterSalesStack(scope constructs.Construct, id string, props *AfterSalesStackProps) (awscdk.Stack, error) {
	p := *props
	if err := p.Settings.Validate(); err != nil {
		return nil, err
	}
	if p.Root == "" {
		p.Root = "."
	}
	if p.AssetDir == "" {
		p.AssetDir = filepath.Join(p.Root, "build")
	}
	var missing []error
	for _, name := range Functions {
		if _, err := os.Stat(filepath.Join(p.AssetDir, name, "bootstrap")); err != nil {
			missing = append(missing, err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("infra: function binaries missing (run `go run ./infra/cmd/build` first): %w", errors.Join(missing...))
	}
	definition := filepath.Join(p.Root, "statemachines", statemachines.Case)
	if _, err := os.Stat(definition); err != nil {
		return nil, fmt.Errorf("infra: state machine definition: %w", err)
	}
	sp := p.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("After-sales (refunds, returns) for online stores, stage " + p.Settings.Stage)
	}
	stack := awscdk.NewStack(scope, &id, &sp)
	// Server access logs are delivered under a bucket policy instead of the
	// legacy log-delivery ACL, so both buckets keep ACLs disabled. Set on
	// the stack, not in cdk.json, so tests build the same stack.
	stack.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	b := &builder{stack: stack, s: p.Settings, assets: p.AssetDir}
	b.build(definition)
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return stack, nil
}

// builder carries what the parts of the stack share while it is built.
type builder struct {
	stack  awscdk.Stack
	s      Settings
	assets string

	retention awslogs.RetentionDays
	env       map[string]*string
	fns       map[string]awslambda.Function
	alarms    awssns.Topic
}

// build creates every resource of the stack and wires them: values the
// functions need go into b.env, permissions are grants on the resources.
func (b *builder) build(definition string) {
	st, s := b.stack, b.s
	b.retention = retentions[s.LogRetentionDays]
	b.fns = map[string]awslambda.Function{}

	table := b.table()
	_, evidence := b.buckets()
	intakeDLQ, intake := b.queue("Intake", specs["intake"].timeout)
	reviewDLQ, reviews := b.queue("Reviews", specs["reviews"].timeout)
	inboundDLQ, inbound := b.queue("Inbound", specs["inbound"].timeout)
	bus := awsevents.NewEventBus(st, jsii.String("EventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String("aftersales-" + s.Stage),
		Description:  jsii.String("Domain events of the after-sales stack " + s.Stage + " (source aftersales): add rules for refund.balance_credited and refund.failed"),
	})

	jwtKeys := awssecretsmanager.NewSecret(st, jsii.String("JwtKeys"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(b.name("jwt")),
		Description: jsii.String("Keys of the buyers' and staff's bearer tokens: hs256_secret (shared secret) and/or public_keys_pem (RS256/ES256); set the unused one to an empty string"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"public_keys_pem":""}`),
			GenerateStringKey:    jsii.String("hs256_secret"),
			ExcludePunctuation:   jsii.Bool(true),
			PasswordLength:       jsii.Number(64),
		},
	})
	mallSecret := awssecretsmanager.NewSecret(st, jsii.String("MallWebhookSecret"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(b.name("mall-webhook")),
		Description: jsii.String("HMAC-SHA256 secret of the mall's order events; generated, copy it into the mall"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			ExcludePunctuation: jsii.Bool(true),
			PasswordLength:     jsii.Number(48),
		},
	})
	// The payment providers' secrets start with every field empty (sandbox
	// mode needs none); the merchant fills them in before switching to
	// live. Functions get their ARNs and read them at start.
	b.env = map[string]*string{}
	// secretEnv names the variables that carry a secret's value.
	secretEnv := map[string]bool{config.EnvJWTHS256Secret: true, config.EnvJWTPublicKeys: true, config.EnvMallWebhookSecret: true}
	var secrets []awssecretsmanager.Secret
	secretByARNEnv := map[string]awssecretsmanager.Secret{}
	for _, p := range providerSecrets {
		fields := map[string]string{}
		for _, f := range p.fields {
			fields[f] = ""
		}
		tmpl, _ := json.Marshal(fields)
		secret := awssecretsmanager.NewSecret(st, jsii.String("Provider-"+p.name), &awssecretsmanager.SecretProps{
			SecretName:  jsii.String(b.name("provider/" + p.name)),
			Description: jsii.String(p.description + "; fill in every field before providerMode live, then deploy with a new secretsRevision"),
			// A generated key keeps the template free of any value; the
			// fields are the merchant's to fill.
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				SecretStringTemplate: jsii.String(string(tmpl)),
				GenerateStringKey:    jsii.String("unused"),
			},
		})
		secrets = append(secrets, secret)
		if p.arnEnv != "" {
			b.env[p.arnEnv] = secret.SecretArn()
			secretByARNEnv[p.arnEnv] = secret
			// A new secretsRevision still matters: functions read the
			// secret at cold start, and updating them starts new ones.
			secretEnv[p.arnEnv] = true
		}
	}

	// Every function gets the variables of its spec, and only those.
	maps.Copy(b.env, map[string]*string{
		config.EnvStage:             jsii.String(s.Stage),
		config.EnvLogLevel:          jsii.String(s.LogLevel),
		config.EnvProviderMode:      jsii.String(s.ProviderMode),
		config.EnvTableName:         table.TableName(),
		config.EnvEvidenceBucket:    evidence.BucketName(),
		config.EnvJWTIssuer:         jsii.String(s.JWTIssuer),
		config.EnvJWTAudience:       jsii.String(s.JWTAudience),
		config.EnvJWTHS256Secret:    jwtKeys.SecretValueFromJson(jsii.String("hs256_secret")).UnsafeUnwrap(),
		config.EnvJWTPublicKeys:     jwtKeys.SecretValueFromJson(jsii.String("public_keys_pem")).UnsafeUnwrap(),
		config.EnvMallWebhookSecret: mallSecret.SecretValue().UnsafeUnwrap(),
		config.EnvIntakeQueueURL:    intake.QueueUrl(),
		config.EnvReviewQueueURL:    reviews.QueueUrl(),
		config.EnvInboundQueueURL:   inbound.QueueUrl(),
		config.EnvSweepGrace:        jsii.String(s.SweepGrace),
		config.EnvEventBusName:      bus.EventBusName(),
	})
	// The state machine names the tasks function in its definition, and the
	// tasks function needs the state machine's ARN: built from its fixed
	// name, that ARN depends on no resource, which breaks the cycle.
	smName := "aftersales-" + s.Stage + "-case"
	smARN := st.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("states"),
		Resource:     jsii.String("stateMachine"),
		ResourceName: jsii.String(smName),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	b.env[config.EnvStateMachineARN] = smARN
	tasks := b.function("tasks")
	smLogs := awslogs.NewLogGroup(st, jsii.String("CaseWorkflowLogs"), &awslogs.LogGroupProps{
		// Step Functions needs a name under /aws/vendedlogs/ to keep the
		// log delivery resource policy small.
		LogGroupName: jsii.String("/aws/vendedlogs/states/" + b.name("case")),
		Retention:    b.retention,
	})
	sm := awsstepfunctions.NewStateMachine(st, jsii.String("CaseWorkflow"), &awsstepfunctions.StateMachineProps{
		StateMachineName: jsii.String(smName),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromFile(jsii.String(definition), nil),
		DefinitionSubstitutions: &map[string]*string{
			statemachines.TasksFunctionArn: tasks.FunctionArn(),
		},
		TracingEnabled: jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination: smLogs,
			Level:       awsstepfunctions.LogLevel_ALL,
			// Payloads carry task tokens, which would let anyone who can
			// read the logs resume a wait; the state names and errors are
			// enough to follow a case.
			IncludeExecutionData: jsii.Bool(false),
		},
	})
	tasks.GrantInvoke(sm)

	api := b.function("api")
	webhooks := b.function("webhooks")
	intakeFn := b.function("intake")
	inboundFn := b.function("inbound")
	reviewsFn := b.function("reviews")
	sweeper := b.function("sweeper")
	// The notify URLs name the HTTP API, whose integrations name the api and
	// webhooks functions. No cycle: the API resource itself references no
	// function (its routes, integrations and permissions do), so the
	// functions may depend on it.
	httpAPI := b.httpAPI(api, webhooks)
	endpoint := *httpAPI.ApiEndpoint()
	b.env[config.EnvWeChatPayNotifyURL] = jsii.String(endpoint + wechatPayNotifyPath)
	b.env[config.EnvAlipayNotifyURL] = jsii.String(endpoint + alipayNotifyPath)
	for _, name := range Functions {
		b.setEnv(name)
		// Secret values reach the functions as dynamic references resolved
		// at deploy; a new revision changes the description, which makes
		// CloudFormation update the function and resolve them again.
		if slices.ContainsFunc(EnvNames(name), func(k string) bool { return secretEnv[k] }) {
			b.fns[name].Node().DefaultChild().(awslambda.CfnFunction).SetDescription(jsii.String("After-sales " + name + ", secrets revision " + s.SecretsRevision))
		}
		// A function given a provider secret's ARN reads it at start.
		for env, secret := range secretByARNEnv {
			if slices.Contains(EnvNames(name), env) {
				secret.GrantRead(b.fns[name], nil)
			}
		}
	}

	// Least privilege, grant by grant: what each function's code calls.
	for _, fn := range []awslambda.Function{api, webhooks, tasks, inboundFn, reviewsFn} {
		table.GrantReadWriteData(fn)
	}
	table.GrantReadData(sweeper) // lists submitted cases only
	for _, fn := range []awslambda.Function{api, reviewsFn} {
		sm.GrantTaskResponse(fn) // decisions resume waits
	}
	sm.GrantTaskResponse(inboundFn) // settled refunds resume the refund wait
	// Confirmed refunds resume waits too; the same grant through the ARN
	// by name, as a grant on sm would make the tasks function depend on it.
	tasks.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"),
		Resources: &[]*string{smARN},
	}))
	sm.GrantStartExecution(intakeFn)
	intake.GrantSendMessages(api)
	intake.GrantSendMessages(sweeper)
	reviews.GrantSendMessages(api)
	inbound.GrantSendMessages(webhooks) // verified notifications
	// Every function that builds the service may publish domain events
	// (refund.balance_credited, refund.failed), on this bus only.
	for _, name := range Functions {
		if slices.Contains(EnvNames(name), config.EnvEventBusName) {
			bus.GrantPutEventsTo(b.fns[name], nil)
		}
	}
	// Presigned PUT/GET are signed with the api function's role, and
	// attaching evidence HEADs the object: PutObject and GetObject under
	// evidence/. ListBucket makes a missing object answer 404 instead of
	// 403, which the api reports as "not uploaded".
	evidenceObjects := evidence.ArnForObjects(jsii.String("evidence/*"))
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:PutObject", "s3:GetObject"),
		Resources: &[]*string{evidenceObjects},
	}))
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{evidence.BucketArn()},
	}))

	intakeFn.AddEventSource(awslambdaeventsources.NewSqsEventSource(intake, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(batchSize),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(intakeConcurrency),
	}))
	reviewsFn.AddEventSource(awslambdaeventsources.NewSqsEventSource(reviews, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(batchSize),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(reviewsConcurrency),
	}))
	inboundFn.AddEventSource(awslambdaeventsources.NewSqsEventSource(inbound, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(batchSize),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(inboundConcurrency),
	}))

	awsevents.NewRule(st, jsii.String("SweepSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Re-queue cases still submitted after the grace period"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(5))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(sweeper, &awseventstargets.LambdaFunctionProps{
			// The next run comes in 5 minutes anyway.
			RetryAttempts: jsii.Number(1),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(4)),
		})},
	})

	refundFailed, refundFailedLogs := b.refundFailures(bus)

	b.alarms = awssns.NewTopic(st, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("After-sales alarms (" + s.Stage + ")"),
		EnforceSSL:  jsii.Bool(true),
	})
	if s.AlarmEmail != "" {
		b.alarms.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.AlarmEmail), nil))
	}
	for _, q := range []struct {
		id  string
		dlq awssqs.Queue
	}{{"IntakeDLQ", intakeDLQ}, {"ReviewsDLQ", reviewDLQ}, {"InboundDLQ", inboundDLQ}} {
		b.alarm(q.id+"Messages", "A message gave up after 5 receives: inspect it and redrive the queue",
			q.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}), 0)
	}
	b.alarm("CaseWorkflowFailed", "A case workflow failed: its case is stuck until staff act",
		sm.MetricFailed(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}), 0)
	b.alarm("CaseWorkflowTimedOut", "A case workflow hit its 90-day limit",
		sm.MetricTimedOut(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}), 0)
	for _, name := range Functions {
		b.alarm("FunctionErrors-"+name, "The "+name+" function failed (error or timeout)",
			b.fns[name].MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}), 0)
	}
	// A rate, not a count: a busy day's few 500s should not page anyone,
	// a broken deploy should.
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
	// Any match is an alarm (Sum > 0, that is >= 1 event in 5 minutes).
	b.alarm("RefundFailed", "A refund failed (closed or abnormal at the provider, no payment route, or refused by the "+
		"order ledger): its case waits for staff to retry it or refund to store balance; the events are in the log group "+
		"of the RefundFailuresLogGroup output", refundFailed, 0)

	out := func(id, value, desc string) {
		awscdk.NewCfnOutput(st, jsii.String(id), &awscdk.CfnOutputProps{Value: jsii.String(value), Description: jsii.String(desc)})
	}
	out("ApiUrl", endpoint+"/v1", "Base URL of the buyer and staff API")
	out("MallWebhookUrl", endpoint+"/webhooks/mall/orders", "Paste into the mall's order event settings")
	out("EvidenceBucketName", *evidence.BucketName(), "S3 bucket of the buyers' evidence")
	out("TableName", *table.TableName(), "DynamoDB table")
	out("CaseStateMachineArn", *sm.StateMachineArn(), "Step Functions state machine of the cases")
	out("AlarmTopicArn", *b.alarms.TopicArn(), "Subscribe here to receive alarms")
	// Names as chosen here: the secrets' SecretName is parsed from the ARN.
	out("JwtSecretName", b.name("jwt"), "Set hs256_secret or public_keys_pem")
	out("MallWebhookSecretName", b.name("mall-webhook"), "Copy its value into the mall")
	for _, p := range providerSecrets {
		out("SecretName"+p.name, b.name("provider/"+p.name), "Fill in before provider mode live")
	}
	out("EventBusName", *bus.EventBusName(), "EventBridge bus of the domain events (source aftersales): add rules for "+
		"detail-type refund.balance_credited (credit the buyer's store balance) and refund.failed")
	out("EventBusArn", *bus.EventBusArn(), "ARN of the domain event bus")
	out("RefundFailuresLogGroup", *refundFailedLogs.LogGroupName(), "Every refund.failed event: what the RefundFailed alarm counted")

	b.suppress(append([]awssecretsmanager.Secret{jwtKeys, mallSecret}, secrets...), httpAPI, sm)
}

// name prefixes resource names chosen by us (secrets, log groups), so that
// stages in one account do not collide.
func (b *builder) name(suffix string) string { return "aftersales/" + b.s.Stage + "/" + suffix }

// table mirrors dynamo.TableSchema: the keys, attribute types and indexes
// are read from it, so the code and the deployed table cannot drift.
func (b *builder) table() awsdynamodb.Table {
	schema := dynamo.TableSchema("unused")
	types := map[string]awsdynamodb.AttributeType{}
	for _, d := range schema.AttributeDefinitions {
		t := awsdynamodb.AttributeType_STRING
		switch d.AttributeType {
		case sdkdynamodb.ScalarAttributeTypeN:
			t = awsdynamodb.AttributeType_NUMBER
		case sdkdynamodb.ScalarAttributeTypeB:
			t = awsdynamodb.AttributeType_BINARY
		}
		types[*d.AttributeName] = t
	}
	keys := func(ks []sdkdynamodb.KeySchemaElement) (pk, sk *awsdynamodb.Attribute) {
		for _, k := range ks {
			a := &awsdynamodb.Attribute{Name: k.AttributeName, Type: types[*k.AttributeName]}
			if k.KeyType == sdkdynamodb.KeyTypeHash {
				pk = a
			} else {
				sk = a
			}
		}
		return pk, sk
	}
	pk, sk := keys(schema.KeySchema)
	table := awsdynamodb.NewTable(b.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: pk,
		SortKey:      sk,
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection:  jsii.Bool(true),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
		TimeToLiveAttribute: jsii.String(dynamo.AttrTTL),
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
	})
	for _, g := range schema.GlobalSecondaryIndexes {
		gpk, gsk := keys(g.KeySchema)
		projection := awsdynamodb.ProjectionType_ALL
		switch g.Projection.ProjectionType {
		case sdkdynamodb.ProjectionTypeKeysOnly:
			projection = awsdynamodb.ProjectionType_KEYS_ONLY
		case sdkdynamodb.ProjectionTypeInclude:
			projection = awsdynamodb.ProjectionType_INCLUDE
		}
		gsi := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      g.IndexName,
			PartitionKey:   gpk,
			SortKey:        gsk,
			ProjectionType: projection,
		}
		if len(g.Projection.NonKeyAttributes) > 0 {
			gsi.NonKeyAttributes = jsii.Strings(g.Projection.NonKeyAttributes...)
		}
		table.AddGlobalSecondaryIndex(gsi)
	}
	return table
}

// buckets creates the evidence bucket and the bucket of its access logs.
func (b *builder) buckets() (logs, evidence awss3.Bucket) {
	logs = awss3.NewBucket(b.stack, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		// Server access logging can only deliver to SSE-S3 buckets.
		Encryption:      awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration: awscdk.Duration_Days(jsii.Number(365)),
		}},
	})
	props := &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("evidence/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			// Evidence is read while a case is open, rarely afterwards.
			Transitions: &[]*awss3.Transition{{
				StorageClass:    awss3.StorageClass_INFREQUENT_ACCESS(),
				TransitionAfter: awscdk.Duration_Days(jsii.Number(90)),
			}},
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	}
	if len(b.s.CORSOrigins) > 0 {
		props.Cors = &[]*awss3.CorsRule{{
			AllowedOrigins: jsii.Strings(b.s.CORSOrigins...),
			// PUT uploads with a presigned URL; GET and HEAD let staff
			// pages fetch what they show.
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_PUT, awss3.HttpMethods_GET, awss3.HttpMethods_HEAD},
			AllowedHeaders: jsii.Strings("content-type", "x-amz-*"),
			ExposedHeaders: jsii.Strings("etag"),
			MaxAge:         jsii.Number(3000),
		}}
	}
	return logs, awss3.NewBucket(b.stack, jsii.String("Evidence"), props)
}

// queue creates a queue consumed by a function of the given timeout, with
// its dead-letter queue.
func (b *builder) queue(id string, consumerTimeout float64) (dlq, q awssqs.Queue) {
	dlq = awssqs.NewQueue(b.stack, jsii.String(id+"DLQ"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), // the maximum: time to investigate
	})
	q = awssqs.NewQueue(b.stack, jsii.String(id+"Queue"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(visibilityFactor * consumerTimeout)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(maxReceiveCount)},
	})
	return dlq, q
}

// function creates functions/<name> from AssetDir/<name>/bootstrap, with its
// own role (no managed policy: it may write to its own log group only), log
// group and X-Ray tracing. Its environment is set later by setEnv, once
// the state machine exists.
func (b *builder) function(name string) awslambda.Function {
	spec := specs[name]
	id := "Fn-" + name
	logs := awslogs.NewLogGroup(b.stack, jsii.String(id+"-Logs"), &awslogs.LogGroupProps{Retention: b.retention})
	role := awsiam.NewRole(b.stack, jsii.String(id+"-Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Runs the " + name + " function"),
	})
	fn := awslambda.NewFunction(b.stack, jsii.String(id), &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(b.assets, name)), nil),
		MemorySize:   jsii.Number(spec.memory),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(spec.timeout)),
		Tracing:      awslambda.Tracing_ACTIVE,
		LogGroup:     logs,
		Role:         role,
		Description:  jsii.String("After-sales " + name),
	})
	logs.GrantWrite(role)
	b.fns[name] = fn
	return fn
}

// setEnv sets exactly the variables of the function's spec. A name without
// a value is a bug of this file, caught by every synth.
func (b *builder) setEnv(name string) {
	for _, k := range EnvNames(name) {
		v, ok := b.env[k]
		if !ok {
			panic("infra: no value for " + k + " of function " + name)
		}
		b.fns[name].AddEnvironment(jsii.String(k), v, nil)
	}
}

// refundFailures keeps every refund.failed event of bus in a log group (an
// EventBridge rule with the log group as its target) and returns the rule's
// MatchedEvents, which the RefundFailed alarm watches, and the log group.
//
// The rule and its target are L1: the L2 CloudWatchLogGroup target writes
// the log group's resource policy through a custom resource (a Node.js
// Lambda function with a wildcard policy); AWS::Logs::ResourcePolicy does
// the same natively.
func (b *builder) refundFailures(bus awsevents.EventBus) (awscloudwatch.IMetric, awslogs.LogGroup) {
	st := b.stack
	// EventBridge writes to log groups named /aws/events/...
	logs := awslogs.NewLogGroup(st, jsii.String("RefundFailedEvents"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String("/aws/events/" + b.name("refund-failed")),
		Retention:    b.retention,
	})
	logs.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources:  &[]*string{logs.LogGroupArn()},
	}))
	ruleName := "aftersales-" + b.s.Stage + "-refund-failed"
	awsevents.NewCfnRule(st, jsii.String("RefundFailedRule"), &awsevents.CfnRuleProps{
		Name:         jsii.String(ruleName),
		Description:  jsii.String("Refunds that failed and wait for staff: kept in a log group, counted by the RefundFailed alarm"),
		EventBusName: bus.EventBusName(),
		EventPattern: map[string]any{"source": []string{eventbus.Source}, "detail-type": []string{aftersales.EventRefundFailed}},
		State:        jsii.String("ENABLED"),
		Targets: &[]*awsevents.CfnRule_TargetProperty{{
			Id: jsii.String("RefundFailedLog"),
			// The target names the log group without the ":*" of its ARN.
			Arn: st.FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("logs"),
				Resource:     jsii.String("log-group"),
				ResourceName: logs.LogGroupName(),
				ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
			}),
		}},
	})
	// Rules on a custom bus report their metrics with both dimensions; a
	// metric with RuleName alone is the default bus's and stays empty.
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/Events"),
		MetricName:    jsii.String("MatchedEvents"),
		DimensionsMap: &map[string]*string{"EventBusName": bus.EventBusName(), "RuleName": jsii.String(ruleName)},
		Statistic:     jsii.String("Sum"),
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
	}), logs
}

// httpAPI routes /v1 to the api function and /webhooks to the webhooks
// function, on one throttled, access-logged $default stage.
func (b *builder) httpAPI(api, webhooks awslambda.Function) awsapigatewayv2.HttpApi {
	props := &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String("aftersales-" + b.s.Stage),
		CreateDefaultStage: jsii.Bool(false),
	}
	if len(b.s.CORSOrigins) > 0 {
		props.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(b.s.CORSOrigins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_ANY},
			AllowHeaders: jsii.Strings("authorization", "content-type", "idempotency-key"),
			ExposeHeaders: jsii.Strings("location", "idempotent-replayed", "x-request-id",
				"www-authenticate"),
			MaxAge: awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	httpAPI := awsapigatewayv2.NewHttpApi(b.stack, jsii.String("HttpApi"), props)
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
	return httpAPI
}

// alarm raises when metric exceeds threshold in one 5-minute period.
func (b *builder) alarm(id, description string, metric awscloudwatch.IMetric, threshold float64) {
	a := awscloudwatch.NewAlarm(b.stack, jsii.String("Alarm-"+id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		// No data means nothing happened: no error, no message.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(b.alarms))
}

// retentions are the retention periods CloudWatch Logs accepts, in days.
var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}
