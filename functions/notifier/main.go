// Command notifier consumes the notifications queue: for each case change
// it writes the in-app inbox entry, then sends the WeChat subscribe message
// and the SMS the merchant and the buyer enable, each once (F6).
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Notifier, func(ctx context.Context, cfg config.Config) (any, error) {
		h, err := wire.Notifier(ctx, cfg, wire.Deps{})
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	}, wire.NotifierSecrets)
}
