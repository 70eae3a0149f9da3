// Command api is the Lambda function behind the HTTP API's buyer and staff
// routes (/v1/...).
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
	cfg, err := config.Load(os.Getenv, config.API...)
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	h, err := wire.API(context.Background(), cfg, wire.Deps{})
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	lambda.Start(apigw.Lambda(h))
}
