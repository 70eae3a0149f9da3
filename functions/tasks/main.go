// Command tasks is the Lambda function behind the case workflow's task
// states (statemachines/case.asl.json): review, waits, deadlines, refunds.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/wire"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.Tasks...)
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	h, err := wire.Tasks(context.Background(), cfg, wire.Deps{})
	if err != nil {
		slog.Error("start", "err", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
