// Command evidence consumes the evidence queue: the S3 event notifications
// of files kept under evidence/ (a case took them), each checked (decodes
// as what it claims, within the limits, not another claim's photo, not
// taken before delivery) and the result recorded on its case (issue 16).
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Evidence, func(ctx context.Context, cfg config.Config) (any, error) {
		h, err := wire.Evidence(ctx, cfg, wire.Deps{})
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
