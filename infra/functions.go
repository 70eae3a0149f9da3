package main

import (
	"path/filepath"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
)

// Functions are the Lambda functions of the stack, one per functions/<name>,
// each a folder of AssetDir.
var Functions = []string{"api", "webhooks", "tasks", "intake", "inbound", "reviews", "sweeper", "notifier", "evidence", "publisher"}

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
// service (shared/wire.Service): where case changes are announced. Domain
// events leave through the table's outbox, so only the publisher knows the
// bus. The payment routes are the tasks' alone (they call the providers),
// and the webhooks verify the providers' notifications: only those two get
// providerEnv.
var serviceEnv = []string{config.EnvNotificationsQueueURL}

// courierEnv is the courier aggregator's account (its secret's ARN) and the
// webhook its pushes come back to: the api checks and subscribes waybills,
// the webhooks verify the pushes (issue 15), the tasks intercept the
// parcels of refund-only cases approved while shipped (F30).
var courierEnv = []string{config.EnvKuaidi100SecretARN, config.EnvKuaidi100CallbackURL}

// mallCouponEnv are the mall's coupon service (F18) and the secret its
// queries are signed with: the functions that decide cases (the tasks'
// review step, the API's previews) ask it. An empty URL (the default)
// trusts the order snapshot.
var mallCouponEnv = []string{config.EnvMallCouponURL, config.EnvMallWebhookSecret}

// specs size each function by role: the API and the tasks answer people and
// the workflow, so they get more memory (arm64 CPU scales with it); queue
// consumers and the sweeper do little per item.
var specs = map[string]fnSpec{
	// HTTP APIs give up after 30 s; 10 s answers well before with a 5xx.
	"api": {memory: 512, timeout: 10, required: config.API,
		extra: slices.Concat([]string{config.EnvJWTHS256Secret, config.EnvJWTPublicKeys}, staffPoolEnv, serviceEnv, courierEnv, mallCouponEnv)},
	// Providers retry when we answer slowly (WeChat Pay waits 5 s).
	// The customs callback opens auto refund cases and queues them (F17).
	"webhooks": {memory: 256, timeout: 10, required: config.Webhooks,
		extra: slices.Concat(serviceEnv, providerEnv, courierEnv, []string{config.EnvIntakeQueueURL})},
	// The review step asks the mall's coupon service, signed with the
	// mall's secret (F18).
	"tasks": {memory: 512, timeout: 30, required: config.Tasks, extra: slices.Concat(serviceEnv, providerEnv, mallCouponEnv, courierEnv)},
	// Applies the merchant's rules, then starts the execution at the wait
	// they call for (issue 20: the review is no longer a state of its own).
	// 60 s: a StartExecution throttled by the account's bucket (300/s
	// refill) retries with back-off for up to 45 s (awsenv.Retryer); the
	// queue's visibility timeout follows (6 x 60 s).
	"intake": {memory: 256, timeout: 60, required: config.Intake, extra: slices.Concat(serviceEnv, mallCouponEnv)},
	// One notification settles one case: a few writes, SendTaskSuccess and
	// at most one event.
	"inbound": {memory: 256, timeout: 30, required: config.Inbound, extra: serviceEnv},
	"reviews": {memory: 256, timeout: 30, required: config.Reviews, extra: serviceEnv},
	// Checks evidence files (issue 16): a 12 MP photo decodes to a 48 MB
	// frame, and 1 GB buys the CPU that decodes it in about 0.15 s.
	"evidence": {memory: 1024, timeout: 60, required: config.Evidence, extra: serviceEnv},
	// Runs every 5 minutes; it must end before the next run starts.
	"sweeper": {memory: 256, timeout: 60, required: config.Sweeper,
		extra: slices.Concat([]string{config.EnvSweepGrace}, serviceEnv)},
	// One message is one case change: a few reads, the inbox write and at
	// most two sends (WeChat, SMS), each bounded by its client's timeout.
	"notifier": {memory: 256, timeout: 30, required: config.Notifier, extra: []string{config.EnvWeChatMiniSecretARN}},
	// A batch of up to 100 stream records is ten PutEvents calls and a
	// delete per event; the redrive reads 100 events a round.
	"publisher": {memory: 256, timeout: 60, required: config.Publisher},
}

// staffPoolEnv name the console's user pool to the api function; the stack
// sets them only when it creates the pool (consoleSignIn cognito).
var staffPoolEnv = []string{config.EnvStaffJWTIssuer, config.EnvStaffJWTClientID}

// commonEnv are set on every function.
var commonEnv = []string{config.EnvStage, config.EnvLogLevel, config.EnvProviderMode}

// EnvNames returns the environment variable names the stack sets on the
// function name: what its main requires plus the optional ones it reads.
func EnvNames(name string) []string {
	s := specs[name]
	return slices.Concat(commonEnv, s.required, s.extra)
}

// function creates functions/<name> from AssetDir/<name>/bootstrap, with its
// own role (no managed policy: it may write to its own log group only), log
// group and X-Ray tracing. Its environment is set later by setEnv, once
// every value exists (the state machine's, the HTTP API's).
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
	b.fns[name], b.logs[name] = fn, logs
	return fn
}

// setEnv sets exactly the variables of the function's spec. A name without
// a value is a bug of this package, caught by every synth.
func (b *builder) setEnv(name string) {
	for _, k := range EnvNames(name) {
		v, ok := b.env[k]
		if !ok && slices.Contains(staffPoolEnv, k) {
			continue
		}
		if !ok {
			panic("infra: no value for " + k + " of function " + name)
		}
		b.fns[name].AddEnvironment(jsii.String(k), v, nil)
	}
}

// functionAlarms raise on any error or timeout of a function: each is a
// request, message or task that failed.
func (b *builder) functionAlarms() {
	for _, name := range Functions {
		b.alarm("FunctionErrors-"+name, "The "+name+" function failed (error or timeout)",
			b.fns[name].MetricErrors(&awscloudwatch.MetricOptions{
				Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
			}), 0)
	}
}
