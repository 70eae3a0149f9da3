// Command sweeper runs on a schedule and hands cases still submitted after a
// grace period back to the workflow (an intake message lost after the case
// was written is recovered here).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.Sweeper...)
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	sweep, err := wire.Sweeper(context.Background(), cfg, wire.Deps{})
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
		_, err := sweep(ctx)
		return err
	})
}
