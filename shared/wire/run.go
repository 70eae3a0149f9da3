package wire

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aftersales/aftersales/shared/config"
)

// Run is the body of every functions/<name>/main.go: load the configuration
// (naming every missing variable), build the handler once per cold start,
// and hand it to the Lambda runtime. A start failure exits with the reason
// logged, which Lambda reports as an init error.
func Run(required []string, build func(context.Context, config.Config) (any, error)) {
	cfg, err := config.Load(os.Getenv, required...)
	if err == nil {
		var h any
		if h, err = build(context.Background(), cfg); err == nil {
			lambda.Start(h)
			return
		}
	}
	slog.Error("start", "err", err.Error())
	os.Exit(1)
}
