// Package wire is the composition root of the functions: it builds the
// adapters and services a function needs from its configuration. The Lambda
// mains and the local stack both call it, so what runs locally is wired
// exactly as what runs in the cloud.
package wire

import (
	"context"

	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/smithy-go/middleware"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/eventbus"
	"github.com/aftersales/aftersales/shared/mallhook"
	"github.com/aftersales/aftersales/shared/s3blob"
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
	// Events replaces the EventBridge publisher (the local stack records
	// events in memory).
	Events aftersales.EventPublisher
	// WrapPayment, when set, wraps each payment route (the local stack's
	// chaos run injects crashes after the provider call).
	WrapPayment func(aftersales.PaymentChannel, aftersales.RefundProvider) aftersales.RefundProvider
	// Store replaces DynamoDB (the local stack's scale runs use the
	// in-memory store: minidyn's transactions cost O(table size)).
	Store Store
	// APIOptions are added to every AWS SDK client's middleware stack (the
	// local benchmark meters the calls a case costs).
	APIOptions []func(*middleware.Stack) error
}

// Store is every store port in one: what the DynamoDB adapter implements.
type Store interface {
	aftersales.CaseStore
	aftersales.OrderStore
	aftersales.IdempotencyStore
	aftersales.RuleSetStore
	aftersales.ReviewJobStore
	aftersales.RefundStore
	aftersales.NotificationStore
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
	ac.APIOptions = append(ac.APIOptions, d.APIOptions...)
	store := dynamo.New(awsenv.DynamoDB(ac, cfg.Endpoints.DynamoDB), cfg.TableName, dynamo.WithClock(d.Clock))
	flows := stepfn.New(awsenv.SFN(ac, cfg.Endpoints.StepFunctions), cfg.StateMachineARN)
	var st Store = store
	if d.Store != nil {
		st = d.Store
	}
	svc := &aftersales.Service{
		Cases: st, Orders: st, Idempotency: st, Rules: st, Jobs: st, Refunds: st, Notifications: st,
		Evidence: s3blob.New(awsenv.S3(ac, cfg.Endpoints.S3), cfg.EvidenceBucket, d.Clock),
		Clock:    d.Clock,
		IDs:      ulids.New(d.Clock),
		Waits:    flows,
	}
	events := d.Events
	if events == nil {
		events = eventbus.Log{Logger: d.Logger}
		if cfg.EventBusName != "" {
			events = eventbus.New(awsenv.EventBridge(ac), cfg.EventBusName)
		}
	}
	svc.Events = events
	if cfg.ReviewQueueURL != "" {
		svc.Reviews = sqsbus.Reviews{Queue: sqsbus.New(awsenv.SQS(ac, cfg.Endpoints.SQS), cfg.ReviewQueueURL)}
	}
	switch {
	case d.Intake != nil:
		svc.Intake = d.Intake
	case cfg.IntakeQueueURL != "":
		svc.Intake = sqsbus.New(awsenv.SQS(ac, cfg.Endpoints.SQS), cfg.IntakeQueueURL)
	}
	if cfg.InboundQueueURL != "" {
		svc.Notices = sqsbus.Inbound{Queue: sqsbus.New(awsenv.SQS(ac, cfg.Endpoints.SQS), cfg.InboundQueueURL)}
	}
	return svc, flows, nil
}

// Tasks builds the handler of the workflow's task states (functions/tasks).
// Only the tasks call payment providers (the refund step and its status
// queries), so only they get payment routes: the other functions neither
// hold the providers' keys nor link their libraries.
func Tasks(ctx context.Context, cfg config.Config, d Deps) (*sfntask.Handler, error) {
	d = d.withDefaults(cfg)
	svc, err := Service(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	if svc.Payments, err = payments(cfg, d, svc.Events); err != nil {
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
	routes, err := webhookRoutes(cfg, svc, d)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, rt.handler)
	}
	return apigw.Middleware(d.Logger, mux), nil
}

type webhookRoute struct {
	method, path string
	handler      http.Handler
}

// webhookRoutes lists the webhook operations; the OpenAPI test reads it too.
func webhookRoutes(cfg config.Config, svc *aftersales.Service, d Deps) ([]webhookRoute, error) {
	routes, err := notificationRoutes(cfg, svc, d)
	return append(routes, webhookRoute{"POST", "/webhooks/mall/orders",
		&mallhook.Handler{Secret: cfg.MallWebhookSecret, Service: svc, Clock: d.Clock}}), err
}

// Inbound builds the consumer of the inbound queue (functions/inbound):
// verified provider notifications that complete refunds.
func Inbound(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Inbound, error) {
	d = d.withDefaults(cfg)
	svc, err := Service(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	return &sqsevent.Inbound{Service: svc, Logger: d.Logger}, nil
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

// observedProvider tells an observer about each refund request.
type observedProvider struct {
	aftersales.RefundProvider
	observe func(aftersales.RefundRequest)
}

func (o observedProvider) Refund(ctx context.Context, r aftersales.RefundRequest) (aftersales.RefundResult, error) {
	o.observe(r)
	return o.RefundProvider.Refund(ctx, r)
}
