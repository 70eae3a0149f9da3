// Command webhooks is the Lambda function behind /webhooks/...: signed
// callbacks from the mall and the payment providers (and, later, couriers).
package main

import (
	"context"

	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	wire.Run(config.Webhooks, func(ctx context.Context, cfg config.Config) (any, error) {
		h, err := wire.Webhooks(ctx, cfg, wire.Deps{})
		return apigw.Lambda(h), err
	}, wire.ProviderSecrets)
}
