package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/config"
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
	if p.Settings.ConsoleSignIn != ConsoleOff {
		if _, err := os.Stat(filepath.Join(p.AssetDir, consoleAssets, "index.html")); err != nil {
			missing = append(missing, err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("infra: function binaries or console missing (run `go run ./infra/cmd/build` first): %w", errors.Join(missing...))
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
	if p.Settings.ProviderMode == config.ProviderSandbox {
		// The CDK CLI prints warnings at synth and deploy (and --strict
		// makes them fail).
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String(sandboxWarningID), jsii.String(sandboxWarning), nil)
	}
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return stack, nil
}

// sandboxWarningID and sandboxWarning are the stack's warning when it is
// synthesized in provider mode sandbox: it must never pass for a live one.
const (
	sandboxWarningID = "aftersales:providerModeSandbox"
	sandboxWarning   = "providerMode is sandbox: no refund moves money. Every approved refund is marked arrived at once " +
		"without calling WeChat Pay, Alipay or the mall's balance service, and its ledger row is marked sandbox. " +
		"Deploy without -c providerMode=sandbox (live is the default) to pay real refunds."
)

// builder carries what the parts of the stack share while it is built.
type builder struct {
	stack  awscdk.Stack
	s      Settings
	assets string

	retention awslogs.RetentionDays
	// env holds the value of every variable a function may get; each part
	// adds the values it owns, and setEnv gives each function its own.
	env    map[string]*string
	fns    map[string]awslambda.Function
	logs   map[string]awslogs.LogGroup // each function's
	alarms awssns.Topic
	// accessLogs is the bucket of the other buckets' server access logs.
	accessLogs awss3.Bucket
	// console is the console's site; nil with ConsoleOff.
	console *consoleSite
}

// build creates every resource of the stack and wires them: values the
// functions need go into b.env, permissions are grants on the resources.
//
// The calls keep one order on purpose: constructs appear in the template
// in the order they are created, and each role's policy lists its
// statements in the order they are granted, so reordering them would
// change the template (and redeploy the policies) for nothing.
func (b *builder) build(definition string) {
	b.retention = retentions[b.s.LogRetentionDays]
	b.fns, b.logs = map[string]awslambda.Function{}, map[string]awslogs.LogGroup{}
	b.env = map[string]*string{
		config.EnvStage:         jsii.String(b.s.Stage),
		config.EnvLogLevel:      jsii.String(b.s.LogLevel),
		config.EnvProviderMode:  jsii.String(b.s.ProviderMode),
		config.EnvJWTIssuer:     jsii.String(b.s.JWTIssuer),
		config.EnvJWTAudience:   jsii.String(b.s.JWTAudience),
		config.EnvSweepGrace:    jsii.String(b.s.SweepGrace),
		config.EnvMallCouponURL: jsii.String(b.s.MallCouponURL),
	}

	table := b.table()
	evidence := b.buckets()
	queues := b.queues()
	bus := b.eventBus()
	secrets := b.secrets()
	smARN := b.workflowARN()
	// The state machine's definition names the tasks function; the other
	// functions follow it in Functions order.
	sm := b.workflow(definition, b.function("tasks"))
	for _, name := range Functions {
		if b.fns[name] == nil {
			b.function(name)
		}
	}
	b.console = b.consoleHosting(b.accessLogs)
	httpAPI := b.httpAPI(b.fns["api"], b.fns["webhooks"])
	b.consoleDeploy(b.console, *httpAPI.ApiEndpoint()+"/v1")
	for _, name := range Functions {
		b.setEnv(name)
	}

	// Least privilege, grant by grant: what each function's code calls.
	b.grantSecrets(secrets)
	b.grantTable(table)
	b.grantWorkflow(sm, smARN)
	b.grantSends(queues)
	b.grantPutEvents(bus)
	b.grantEvidence(evidence)
	b.grantSMS()
	b.evidenceNotifications(evidence, queues)
	b.consume(queues)
	publisherFailures := b.outbox(table, bus)

	b.sweepSchedule()
	refunds := b.refundEvents(bus)

	b.alarmTopic()
	b.queueAlarms(queues)
	b.workflowAlarms(sm)
	b.functionAlarms()
	b.apiAlarms(httpAPI)
	b.refundFailedAlarm(refunds[aftersales.EventRefundFailed].matched)
	b.startFailureAlarm()
	b.refundManualAlarm(refunds[aftersales.EventRefundManual].matched)
	b.outboxAlarms(publisherFailures)

	b.outputs(stackOutputs{
		endpoint: *httpAPI.ApiEndpoint(), evidence: evidence, table: table, workflow: sm,
		bus: bus, refundFailures: refunds[aftersales.EventRefundFailed].logs, refundManual: refunds[aftersales.EventRefundManual].logs,
	})
	b.suppress(secrets.all(), httpAPI, sm)
}

// name prefixes resource names chosen by us (secrets, log groups), so that
// stages in one account do not collide.
func (b *builder) name(suffix string) string { return "aftersales/" + b.s.Stage + "/" + suffix }

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
