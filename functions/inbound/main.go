// Command inbound consumes the inbound queue: verified refund notifications
// from WeChat Pay and Alipay, each completing its refund's wait, with
// partial batch failures reported.
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Inbound, func(ctx context.Context, cfg config.Config) (any, error) {
		h, err := wire.Inbound(ctx, cfg, wire.Deps{})
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
