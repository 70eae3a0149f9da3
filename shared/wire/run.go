package wire

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/config"
)

// Option changes how Run starts a function.
type Option func(*runOptions)

type runOptions struct {
	// secrets reads a secret by ARN; nil reads none.
	secrets func(ctx context.Context, region string) func(arn string) ([]byte, error)
	specs   []config.SecretSpec
}

// ProviderSecrets makes Run read the payment providers' secrets
// (config.ProviderSecrets, when their ARN variables are set) before it
// loads the configuration: for the functions that call the providers or
// verify their notifications. The others neither read the keys nor link the
// Secrets Manager client.
func ProviderSecrets(o *runOptions) {
	o.secrets, o.specs = awsenv.SecretReader, config.ProviderSecrets
}

// NotifierSecrets makes Run read the mini-program's secret
// (config.NotifierSecrets): for the notifier only.
func NotifierSecrets(o *runOptions) {
	o.secrets, o.specs = awsenv.SecretReader, config.NotifierSecrets
}

// Run is the body of every functions/<name>/main.go: load the configuration
// (naming every missing variable), build the handler once per cold start,
// and hand it to the Lambda runtime. A start failure exits with the reason
// logged (config.StartFailed), which Lambda reports as an init error.
func Run(required []string, build func(context.Context, config.Config) (any, error), opts ...Option) {
	ctx := context.Background()
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	getenv, err := os.Getenv, error(nil)
	if o.secrets != nil {
		getenv, err = config.WithSecretsOf(o.specs, os.Getenv, o.secrets(ctx, os.Getenv(config.EnvRegion)))
	}
	var cfg config.Config
	if err == nil {
		cfg, err = config.Load(getenv, required...)
	}
	if err == nil {
		var h any
		if h, err = build(ctx, cfg); err == nil {
			lambda.Start(h)
			return
		}
	}
	logStartFailed(Logger(os.Getenv(config.EnvLogLevel)), err)
	os.Exit(1)
}

// logStartFailed writes the line the stack's start-failure alarm counts.
func logStartFailed(log *slog.Logger, err error) {
	log.Error(config.StartFailed, "err", err.Error())
}
