// Command sweeper runs on a schedule and hands cases still submitted after a
// grace period back to the workflow (an intake message lost after the case
// was written is recovered here).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Sweeper, func(ctx context.Context, cfg config.Config) (any, error) {
		sweep, err := wire.Sweeper(ctx, cfg, wire.Deps{})
		return func(ctx context.Context, _ events.EventBridgeEvent) error {
			_, err := sweep(ctx)
			return err
		}, err
	})
}
