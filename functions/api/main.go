// Command api is the Lambda function behind the HTTP API's buyer and staff
// routes (/v1/...). It reads the courier aggregator's secret at start: it
// checks and subscribes return waybills.
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.API, func(ctx context.Context, cfg config.Config) (any, error) {
		h, err := wire.API(ctx, cfg, wire.Deps{})
		return apigw.Lambda(h), err
	}, wire.ProviderSecrets) // the courier aggregator's account (KUAIDI100_SECRET_ARN) only
}
