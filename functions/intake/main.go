// Command intake consumes the intake queue: one case workflow started per
// message, with partial batch failures reported.
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Intake, func(ctx context.Context, cfg config.Config) (any, error) {
		h, err := wire.Intake(ctx, cfg, wire.Deps{})
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
