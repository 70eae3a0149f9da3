// Package wire is the composition root of the functions: it builds the
// adapters and services a function needs from its configuration. The Lambda
// mains and the local stack both call it, so what runs locally is wired
// exactly as what runs in the cloud.
package wire

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/mallhook"
	"github.com/aftersales/aftersales/shared/s3blob"
	"github.com/aftersales/aftersales/shared/sandboxpay"
	"github.com/aftersales/aftersales/shared/sfntask"
	"github.com/aftersales/aftersales/shared/sqsbus"
	"github.com/aftersales/aftersales/shared/sqsevent"
	"github.com/aftersales/aftersales/shared/stepfn"
	"github.com/aftersales/aftersales/shared/ulids"
)

// Deps are what a caller may supply instead of the defaults: the local stack
// passes its controllable clock and its logger.
type Deps struct {
	Clock  aftersales.Clock
	Logger *slog.Logger
	// Intake replaces the SQS intake queue (the local stack wraps it to
	// simulate a lost message).
	Intake aftersales.Intake
	// OnRefund, when set, sees every refund request before the payment
	// route does (the local benchmark times submit -> refund requested).
	OnRefund func(aftersales.RefundRequest)
	// Store replaces DynamoDB (the local stack's scale runs use the
	// in-memory store: minidyn's transactions cost O(table size)).
	Store Store
}

// Store is every store port in one: what the DynamoDB adapter implements.
type Store interface {
	aftersales.CaseStore
	aftersales.OrderStore
	aftersales.IdempotencyStore
	aftersales.RuleSetStore
	aftersales.ReviewJobStore
}

func (d Deps) withDefaults(cfg config.Config) Deps {
	if d.Clock == nil {
		d.Clock = aftersales.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = Logger(cfg.LogLevel)
	}
	return d
}

// Logger returns the JSON logger of the functions at level ("debug", "info",
// "warn", "error"; default info).
func Logger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: l}))
}

// Service builds the case service on DynamoDB, S3, SQS and Step Functions.
func Service(ctx context.Context, cfg config.Config, d Deps) (*aftersales.Service, error) {
	svc, _, err := service(ctx, cfg, d)
	return svc, err
}

func service(ctx context.Context, cfg config.Config, d Deps) (*aftersales.Service, *stepfn.Workflows, error) {
	d = d.withDefaults(cfg)
	ac, err := awsenv.Load(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.ProviderMode == config.ProviderLive {
		return nil, nil, errors.New("wire: provider mode live needs the payment providers, which are not built yet; use sandbox")
	}
	store := dynamo.New(awsenv.DynamoDB(ac, cfg.Endpoints.DynamoDB), cfg.TableName, dynamo.WithClock(d.Clock))
	flows := stepfn.New(awsenv.SFN(ac, cfg.Endpoints.StepFunctions), cfg.StateMachineARN)
	refunds := &sandboxpay.Refunder{}
	svc := &aftersales.Service{
		Cases:       store,
		Orders:      store,
		Idempotency: store,
		Rules:       store,
		Evidence:    s3blob.New(awsenv.S3(ac, cfg.Endpoints.S3), cfg.EvidenceBucket, d.Clock),
		Clock:       d.Clock,
		IDs:         ulids.New(d.Clock),
		Waits:       flows,
		Refunds:     refunds,
	}
	if d.OnRefund != nil {
		svc.Refunds = observedRefunder{Refunder: refunds, observe: d.OnRefund}
	}
	if d.Store != nil {
		svc.Cases, svc.Orders, svc.Idempotency, svc.Rules, svc.Jobs = d.Store, d.Store, d.Store, d.Store, d.Store
	} else {
		svc.Jobs = store
	}
	if cfg.ReviewQueueURL != "" {
		svc.Reviews = sqsbus.Reviews{Queue: sqsbus.New(awsenv.SQS(ac, cfg.Endpoints.SQS), cfg.ReviewQueueURL)}
	}
	switch {
	case d.Intake != nil:
		svc.Intake = d.Intake
	case cfg.IntakeQueueURL != "":
		svc.Intake = sqsbus.New(awsenv.SQS(ac, cfg.Endpoints.SQS), cfg.IntakeQueueURL)
	}
	refunds.Confirm = svc.ConfirmRefund
	return svc, flows, nil
}

// Tasks builds the handler of the workflow's task states (functions/tasks).
func Tasks(ctx context.Context, cfg config.Config, d Deps) (*sfntask.Handler, error) {
	d = d.withDefaults(cfg)
	svc, err := Service(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	return &sfntask.Handler{Service: svc, Logger: d.Logger}, nil
}

// Intake builds the consumer of the intake queue (functions/intake).
func Intake(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Intake, error) {
	d = d.withDefaults(cfg)
	_, flows, err := service(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	return &sqsevent.Intake{Workflows: flows, Logger: d.Logger}, nil
}

// Sweeper builds the scheduled sweep (functions/sweeper): it re-enqueues
// cases still submitted after the grace period.
func Sweeper(ctx context.Context, cfg config.Config, d Deps) (func(context.Context) (int, error), error) {
	d = d.withDefaults(cfg)
	svc, err := Service(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (int, error) {
		n, err := svc.Sweep(ctx, cfg.SweepGrace)
		d.Logger.InfoContext(ctx, "sweep", "requeued", n)
		return n, err
	}, nil
}

// API builds the HTTP API's handler (functions/api).
func API(ctx context.Context, cfg config.Config, d Deps) (http.Handler, error) {
	d = d.withDefaults(cfg)
	svc, err := Service(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	auth, err := apigw.NewAuthenticator(cfg.JWT.Issuer, cfg.JWT.Audience, cfg.JWT.HS256Secret, cfg.JWT.PublicKeysPEM, d.Clock)
	if err != nil {
		return nil, err
	}
	return apigw.NewServer(svc, auth, d.Logger), nil
}

// Webhooks builds the handler of the webhook routes (functions/webhooks).
func Webhooks(ctx context.Context, cfg config.Config, d Deps) (http.Handler, error) {
	d = d.withDefaults(cfg)
	svc, err := Service(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, rt := range webhookRoutes(cfg, svc, d) {
		mux.Handle(rt.method+" "+rt.path, rt.handler)
	}
	return apigw.Middleware(d.Logger, mux), nil
}

type webhookRoute struct {
	method, path string
	handler      http.Handler
}

// webhookRoutes lists the webhook operations; the OpenAPI test reads it too.
func webhookRoutes(cfg config.Config, svc *aftersales.Service, d Deps) []webhookRoute {
	return []webhookRoute{
		{"POST", "/webhooks/mall/orders", &mallhook.Handler{Secret: cfg.MallWebhookSecret, Service: svc, Clock: d.Clock}},
	}
}

// Reviews builds the consumer of the batch review queue (functions/reviews).
func Reviews(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Reviews, error) {
	d = d.withDefaults(cfg)
	svc, err := Service(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	return &sqsevent.Reviews{Service: svc, Logger: d.Logger}, nil
}

var _ Store = (*dynamo.Store)(nil)

// observedRefunder tells an observer about each refund request.
type observedRefunder struct {
	aftersales.Refunder
	observe func(aftersales.RefundRequest)
}

func (o observedRefunder) Refund(ctx context.Context, r aftersales.RefundRequest) error {
	o.observe(r)
	return o.Refunder.Refund(ctx, r)
}
