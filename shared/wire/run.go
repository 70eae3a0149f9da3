package wire

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/config"
)

// Run is the body of every functions/<name>/main.go: read the payment
// providers' secrets (when their ARNs are set), load the configuration
// (naming every missing variable), build the handler once per cold start,
// and hand it to the Lambda runtime. A start failure exits with the reason
// logged, which Lambda reports as an init error.
func Run(required []string, build func(context.Context, config.Config) (any, error)) {
	ctx := context.Background()
	var cfg config.Config
	getenv, err := config.WithSecrets(os.Getenv, awsenv.SecretReader(ctx, os.Getenv(config.EnvRegion)))
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
	slog.Error("start", "err", err.Error())
	os.Exit(1)
}
