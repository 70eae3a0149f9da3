// Command webhooks is the Lambda function behind /webhooks/...: signed
// callbacks from the mall (and, later, payment providers and couriers).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.Webhooks...)
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	h, err := wire.Webhooks(context.Background(), cfg, wire.Deps{})
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	lambda.Start(apigw.Lambda(h))
}
