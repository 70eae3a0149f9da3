// Command tasks is the Lambda function behind the case workflow's task
// states (statemachines/case.asl.json): review, waits, deadlines, refunds.
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Tasks, func(ctx context.Context, cfg config.Config) (any, error) {
		h, err := wire.Tasks(ctx, cfg, wire.Deps{})
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	}, wire.ProviderSecrets)
}
