// Package wire is the composition root of the functions: it builds the
// adapters and use cases a function needs from its configuration, and no
// more (the intake function makes a Step Functions client only). The Lambda
// mains and the local stack both call it, so what runs locally is wired
// exactly as what runs in the cloud; the local stack's changes go through
// one seam, Deps.Decorate.
package wire

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/eventbus"
	"github.com/aftersales/aftersales/shared/kuaidi100"
	"github.com/aftersales/aftersales/shared/mallcoupon"
	"github.com/aftersales/aftersales/shared/mallhook"
	"github.com/aftersales/aftersales/shared/outbox"
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
	// in memory and wraps the payment routes.
	Decorate Decorator
}

// Decorator changes what a function is built with, in the order wire
// builds it: the SDK configuration, then the ports, then each payment
// route.
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

// coupons is the mall's coupon service, or nil when none is configured
// (the order snapshot's redeemed flag is trusted then).
func (b *builder) coupons() aftersales.CouponService {
	if b.cfg.MallCouponURL == "" {
		return nil
	}
	return mallcoupon.New(b.cfg.MallCouponURL, b.cfg.MallWebhookSecret, b.d.Clock)
}

func (b *builder) workflows() *stepfn.Workflows {
	return stepfn.New(awsenv.SFN(b.ac, b.cfg.Endpoints.StepFunctions), b.cfg.StateMachineARN)
}

func (b *builder) queue(url string) *sqsbus.Queue {
	return sqsbus.New(awsenv.SQS(b.ac, b.cfg.Endpoints.SQS), url)
}

// resuming are the ports of functions that resume workflows: the stores
// and Step Functions for the task tokens. The domain events their changes
// raise leave through the table's outbox (Publisher), not from here.
func (b *builder) resuming() usecase.Ports {
	p := b.ports()
	p.Waits = b.workflows()
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
	p.Coupons = b.coupons() // a preview decides as the workflow will (F18)
	if cfg.IntakeQueueURL != "" {
		p.Intake = b.queue(cfg.IntakeQueueURL)
	}
	if cfg.ReviewQueueURL != "" {
		p.Reviews = sqsbus.Reviews{Queue: b.queue(cfg.ReviewQueueURL)}
	}
	p.Couriers = couriers(cfg)
	svc := b.services(p)
	auth, err := apigw.NewAuthenticator(cfg.JWT.Issuer, cfg.JWT.Audience, cfg.JWT.HS256Secret, cfg.JWT.PublicKeysPEM, b.d.Clock)
	if err != nil {
		return nil, err
	}
	if cfg.JWT.StaffIssuer != "" {
		// Fetched in the background and refreshed hourly (or at once for an
		// unknown key id, at most every 5 minutes): a pool that cannot be
		// reached at a cold start refuses console tokens, never the buyers'.
		keys, err := keyfunc.NewDefaultCtx(ctx, []string{strings.TrimSuffix(cfg.JWT.StaffIssuer, "/") + "/.well-known/jwks.json"})
		if err != nil {
			return nil, fmt.Errorf("wire: staff issuer keys: %w", err)
		}
		if err := auth.TrustStaff(apigw.StaffIssuer{Issuer: cfg.JWT.StaffIssuer, ClientID: cfg.JWT.StaffClientID, Keys: keys.Keyfunc}); err != nil {
			return nil, err
		}
	}
	return apigw.NewServer(apigw.Services{Inbox: svc.Inbox, Cases: svc.Cases, Reviews: svc.Review, Returns: svc.Returns,
		Refunds: svc.Refunds, RuleSets: svc.RuleSets, Disputes: svc.Disputes,
		Policies: svc.Policies, Pickups: svc.Returns}, auth, b.d.Logger), nil
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
	p.Parcels = sqsbus.Inbound{Queue: b.queue(cfg.InboundQueueURL)}
	if cfg.IntakeQueueURL != "" {
		// The customs callback opens auto refund cases (F17) and hands
		// them to the workflow like the API hands buyers' cases.
		p.Intake = b.queue(cfg.IntakeQueueURL)
	}
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
		&mallhook.Handler{Secret: cfg.MallWebhookSecret, Orders: svc.Orders, Clock: d.Clock}},
		// F17: customs failures and returned parcels refund the order.
		webhookRoute{"POST", "/webhooks/mall/customs",
			&mallhook.CustomsHandler{Secret: cfg.MallWebhookSecret, Customs: svc.Cases, Clock: d.Clock}},
		// Courier pushes (issue 15); with no salt key every push is refused.
		webhookRoute{"POST", "/webhooks/kuaidi100", &kuaidi100.Hook{Salts: kuaidi100.Salts{Key: []byte(cfg.Kuaidi100.SaltKey)},
			Parcels: svc.Returns, Logger: d.Logger}}), err
}

// couriers is the courier aggregator when Kuaidi100 is configured, nil
// otherwise (waybills are then checked by their form only).
func couriers(cfg config.Config) aftersales.Couriers {
	k := cfg.Kuaidi100
	if !k.Configured() {
		return nil
	}
	return &kuaidi100.Couriers{Client: kuaidi100.New(k.Settings, nil, nil), Salts: kuaidi100.Salts{Key: []byte(k.SaltKey)},
		Callback: k.CallbackURL, Warehouse: k.ReturnTo}
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
	p.Coupons = b.coupons() // the review step asks whether virtual goods were used (F18)
	if c := couriers(cfg); c != nil {
		// The refund step intercepts a shipped refund-only's parcel
		// first (F30), tracking it when refunding at its arrival.
		p.Couriers, p.Interceptor = c, c.(aftersales.Interceptor)
	}
	b.decorate(&p)
	if p.Payments, err = payments(cfg, b.d); err != nil {
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
	// The rules review runs here, before the execution starts (issue 20),
	// asking the mall's coupon service about virtual goods (F18).
	p := b.ports()
	p.Coupons = b.coupons()
	return &sqsevent.Intake{Workflows: b.workflows(), Rules: b.services(p).Workflow, Logger: b.d.Logger}, nil
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
// verified provider notifications that complete refunds, and courier pushes
// that move returns.
func Inbound(ctx context.Context, cfg config.Config, d Deps) (*sqsevent.Inbound, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	svc := b.services(b.resuming())
	return &sqsevent.Inbound{Notices: svc.Refunds, Parcels: svc.Returns, Logger: b.d.Logger}, nil
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

// Publisher builds the outbox publisher (functions/publisher, and the
// local stack's poller): the table's outbox events onto the bus (issue 15).
func Publisher(ctx context.Context, cfg config.Config, d Deps) (*outbox.Publisher, error) {
	b, err := start(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	p := b.ports()
	b.decorate(&p)
	box, ok := p.Cases.(aftersales.OutboxStore)
	if !ok {
		return nil, fmt.Errorf("wire: the case store %T keeps no outbox", p.Cases)
	}
	var bus outbox.Bus = eventbus.Log{Logger: b.d.Logger}
	if cfg.EventBusName != "" {
		bus = eventbus.New(awsenv.EventBridge(b.ac, cfg.Endpoints.EventBridge), cfg.EventBusName)
	}
	return &outbox.Publisher{Bus: bus, Outbox: box, Logger: b.d.Logger}, nil
}

// PublisherFunction builds the publisher function's handler: the table
// stream's batches, and the schedule that redrives what the stream gave
// up on (outbox.RedriveAge).
func PublisherFunction(ctx context.Context, cfg config.Config, d Deps) (*outbox.Function, error) {
	p, err := Publisher(ctx, cfg, d)
	if err != nil {
		return nil, err
	}
	clock := d.Clock
	if clock == nil {
		clock = aftersales.SystemClock{}
	}
	return &outbox.Function{Publisher: p,
		Redrive: &outbox.Poller{Outbox: p.Outbox, Publisher: p, Clock: clock, MinAge: outbox.RedriveAge}}, nil
}
