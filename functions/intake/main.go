// Command intake consumes the intake queue: one case workflow started per
// message, with partial batch failures reported.
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
	cfg, err := config.Load(os.Getenv, config.Intake...)
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	h, err := wire.Intake(context.Background(), cfg, wire.Deps{})
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
