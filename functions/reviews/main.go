// Command reviews consumes the batch review queue: each message is one case
// of a batch decided as a single staff decision would be (F10).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.Reviews...)
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	h, err := wire.Reviews(context.Background(), cfg, wire.Deps{})
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
