// Package wire is the composition root of the functions: it builds the
// adapters and use cases a function needs from its configuration, and no
// more (the intake function makes a Step Functions client only). The Lambda
// mains and the local stack both call it, so what runs locally is wired
// exactly as what runs in the cloud; the local stack's changes go through
// one seam, Deps.Decorate.
package wire

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/eventbus"
	"github.com/aftersales/aftersales/shared/mallhook"
	"github.com/aftersales/aftersales/shared/rekog"
	"github.com/aftersales/aftersales/shared/s3blob"
	"github.com/aftersales/aftersales/shared/sfntask"
	"github.com/aftersales/aftersales/shared/sms"
	"github.com/aftersales/aftersales/shared/sqsbus"
	"github.com/aftersales/aftersales/shared/sqsevent"
	"github.com/aftersales/aftersales/shared/stepfn"
	"github.com/aftersales/aftersales/shared/ulids"
	"github.com/aftersales/aftersales/shared/usecase"
	"github.com/aftersales/aftersales/shared/wechatmsg"
)

// Deps are what a caller may supply instead of the defaults.
type Deps struct {
	Clock  aftersales.Clock
	Logger *slog.Logger
	// Decorate, when set, changes what each function is built with. The
	// cloud sets none; the local stack meters the SDK's calls, keeps data
	// in memory, records domain events and wraps the payment routes.
	Decorate Decorator
}

// Decorator changes what a function is built with, in the order wire
// builds it: the SDK configuration, then the ports, then each payment route
// (built last, because the store balance route publishes through the
// ports' event publisher).
type Decorator interface {
	AWS(cfg *aws.Config)
	Ports(p *usecase.Ports)
	Payment(ch aftersales.PaymentChannel, p aftersales.RefundProvider) aftersales.RefundProvider
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

// builder makes the clients and ports of one function.
type builder struct {
	cfg config.Config
	d   Deps
	ac  aws.Config
}

func start(ctx context.Context, cfg config.Config, d Deps) (*builder, error) {
	if d.Clock == nil {
		d.Clock = aftersales.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = Logger(cfg.LogLevel)
	}
	ac, err := awsenv.Load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if d.Decorate != nil {
		d.Decorate.AWS(&ac)
	}
	return &builder{cfg: cfg, d: d, ac: ac}, nil
}

// ports are the stores on DynamoDB with the clock and identifiers; each
// function adds the other ports it calls.
func (b *builder) ports() usecase.Ports {
	store := dynamo.New(awsenv.DynamoDB(b.ac, b.cfg.Endpoints.DynamoDB), b.cfg.TableName, dynamo.WithClock(b.d.Clock))
	p := usecase.Ports{Clock: b.d.Clock, IDs: ulids.New(b.d.Clock), Logger: b.d.Logger}.WithStore(store)
	if b.cfg.NotificationsQueueURL != "" {
		// Every function that changes cases announces the changes (F6).
		p.Announcer = sqsbus.Announcer{Queue: b.queue(b.cfg.NotificationsQueueURL)}
	}
	return p
}

func (b *builder) workflows() *stepfn.Workflows {
	return stepfn.New(awsenv.SFN(b.ac, b.cfg.Endpoints.StepFunctions), b.cfg.StateMachineARN)
}

func (b *builder) queue(url string) *sqsbus.Queue {
	return sqsbus.New(awsenv.SQS(b.ac, b.cfg.Endpoints.SQS), url)
}

// events publishes domain events to EventBridge, or only logs them when no
// bus is configured.
func (b *builder) events() aftersales.EventPublisher {
	if b.cfg.EventBusName == "" {
		return eventbus.Log{Logger: b.d.Logger}
	}
	return eventbus.New(awsenv.EventBridge(b.ac), b.cfg.EventBusName)
}

// resuming are the ports of functions that resume workflows: the stores,
// Step Functions for the task tokens, and the domain events the refund
// outcomes publish.
func (b *builder) resuming() usecase.Ports {
	p := b.ports()
	p.Waits = b.workflows()
	p.Events = b.events()
	return p
}

// decorate hands p to the caller's decorator, if any.
func (b *builder) decorate(p *usecase.Ports) {
	if b.d.Decorate != nil {
		b.d.Decorate.Ports(p)
	}
}

// services decorates p and builds the use cases on it.
func (b *builder) services(p usecase.Ports) *usecase.Services {
	b.decorate(&p)
	return usecase.New(p)
}

// API builds the HTTP API's handler (functions/api).
func API(ctx context.Context, cfg config.Config, d Deps) (http.Handler, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	p := b.ports()
	p.Evidence = s3blob.New(awsenv.S3(b.ac, cfg.Endpoints.S3), cfg.EvidenceBucket, b.d.Clock)
	p.Waits = b.workflows()
	if cfg.IntakeQueueURL != "" {
		p.Intake = b.queue(cfg.IntakeQueueURL)
	}
	if cfg.ReviewQueueURL != "" {
		p.Reviews = sqsbus.Reviews{Queue: b.queue(cfg.ReviewQueueURL)}
	}
	svc := b.services(p)
	auth, err := apigw.NewAuthenticator(cfg.JWT.Issuer, cfg.JWT.Audience, cfg.JWT.HS256Secret, cfg.JWT.PublicKeysPEM, b.d.Clock)
	if err != nil {
		return nil, err
	}
	return apigw.NewServer(apigw.Services{Inbox: svc.Inbox, Cases: svc.Cases, Reviews: svc.Review, Returns: svc.Returns,
		Refunds: svc.Refunds, RuleSets: svc.RuleSets, Disputes: svc.Disputes,
		Policies: svc.Policies}, auth, b.d.Logger), nil
}

// Webhooks builds the handler of the webhook routes (functions/webhooks):
// it verifies, records and queues, and starts no workflow.
func Webhooks(ctx context.Context, cfg config.Config, d Deps) (http.Handler, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	p := b.ports()
	p.Notices = sqsbus.Inbound{Queue: b.queue(cfg.InboundQueueURL)}
	svc := b.services(p)
	routes, err := webhookRoutes(cfg, svc, b.d)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, rt.handler)
	}
	return apigw.Middleware(b.d.Logger, mux), nil
}

type webhookRoute struct {
	method, path string
	handler      http.Handler
}

// webhookRoutes lists the webhook operations; the OpenAPI test reads it too.
func webhookRoutes(cfg config.Config, svc *usecase.Services, d Deps) ([]webhookRoute, error) {
	routes, err := notificationRoutes(cfg, svc.Refunds, d)
	return append(routes, webhookRoute{"POST", "/webhooks/mall/orders",
		&mallhook.Handler{Secret: cfg.MallWebhookSecret, Orders: svc.Orders, Clock: d.Clock}}), err
}

// Tasks builds the handler of the workflow's task states (functions/tasks).
// Only the tasks call payment providers (the refund step and its status
// queries), so only they get payment routes: the other functions neither
// hold the providers' keys nor link their libraries.
func Tasks(ctx context.Context, cfg config.Config, d Deps) (*sfntask.Handler, error) {
	// A live deployment with no provider configured would turn every
	// refund into a manual one: it is a deploy mistake (empty secrets), so
	// the tasks refuse to start, naming the secrets, and the stack alarms.
	if err := cfg.CheckProviders(); err != nil {
		return nil, err
	}
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	p := b.resuming()
	b.decorate(&p) // first: the store balance route publishes through p.Events
	if p.Payments, err = payments(cfg, b.d, p.Events); err != nil {
		return nil, err
	}
	svc := usecase.New(p)
	return &sfntask.Handler{Workflow: svc.Workflow, Refunds: svc.Refunds, Logger: b.d.Logger}, nil
}

// Intake builds the consumer of the intake queue (functions/intake): it
// starts workflows and needs nothing else.
func Intake(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Intake, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	// The rules review runs here, before the execution starts (issue 20).
	return &sqsevent.Intake{Workflows: b.workflows(), Rules: b.services(b.ports()).Workflow, Logger: b.d.Logger}, nil
}

// Sweeper builds the scheduled sweep (functions/sweeper): it re-enqueues
// cases whose intake message was lost (Workflow.Sweep), then sends the
// reminders of deadlines that are near (Workflow.Remind).
func Sweeper(ctx context.Context, cfg config.Config, d Deps) (func(context.Context) (int, error), error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	p := b.ports()
	p.Intake = b.queue(cfg.IntakeQueueURL)
	wf := b.services(p).Workflow
	return func(ctx context.Context) (int, error) {
		n, err := wf.Sweep(ctx, cfg.SweepGrace)
		b.d.Logger.InfoContext(ctx, "sweep", "requeued", n)
		if err != nil {
			return n, err
		}
		r, err := wf.Remind(ctx)
		b.d.Logger.InfoContext(ctx, "reminders", "sent", r)
		return n + r, err
	}, nil
}

// Inbound builds the consumer of the inbound queue (functions/inbound):
// verified provider notifications that complete refunds.
func Inbound(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Inbound, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	return &sqsevent.Inbound{Notices: b.services(b.resuming()).Refunds, Logger: b.d.Logger}, nil
}

// Reviews builds the consumer of the batch review queue (functions/reviews).
func Reviews(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Reviews, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	return &sqsevent.Reviews{Reviewer: b.services(b.resuming()).Review, Logger: b.d.Logger}, nil
}

// Notifier builds the consumer of the notifications queue
// (functions/notifier): it writes the inbox and sends on the channels the
// merchant configured (config.Notify): WeChat subscribe messages, SMS.
func Notifier(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Notifications, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	p := b.ports()
	p.Announcer = nil // the notifier changes no case
	n := cfg.Notify
	if n.WeChat() {
		p.Senders = append(p.Senders, wechatmsg.New(wechatmsg.Settings{AppID: n.WeChatAppID, AppSecret: n.WeChatAppSecret,
			TemplateID: n.WeChatTemplateID, Endpoint: n.WeChatEndpoint}))
	}
	if n.SMS() {
		p.Senders = append(p.Senders, &sms.Sender{Client: sms.NewClient(b.ac, n.SMSEndpoint), Origination: n.SMSOrigination})
	}
	return &sqsevent.Notifications{Notifier: b.services(p).Notify, Logger: b.d.Logger}, nil
}

var _ usecase.Store = (*dynamo.Store)(nil)

// Evidence builds the consumer of the evidence queue (functions/evidence):
// the S3 notifications of files kept under evidence/, each checked and the
// result recorded on its case (issue 16).
func Evidence(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Evidence, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	p := b.resuming()
	p.Evidence = s3blob.New(awsenv.S3(b.ac, cfg.Endpoints.S3), cfg.EvidenceBucket, b.d.Clock)
	// Rekognition in the cloud; with local stand-ins (endpoint overrides)
	// the heuristic, as there is no local Rekognition and nothing local
	// may call AWS. Either is used only for the categories the rule set
	// names, none by default.
	p.Recognizer = rekog.New(rekognition.NewFromConfig(b.ac))
	if cfg.Endpoints.S3 != "" {
		p.Recognizer = rekog.Heuristic{}
	}
	return &sqsevent.Evidence{Checker: b.services(p).Verify, Logger: b.d.Logger}, nil
}
