// Command reviews consumes the batch review queue: each message is one case
// of a batch, decided as a single staff decision would be (F10).
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Reviews, func(ctx context.Context, cfg config.Config) (any, error) {
		h, err := wire.Reviews(ctx, cfg, wire.Deps{})
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
