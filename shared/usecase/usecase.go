// Package usecase wires the use cases to each other and to their ports.
// Each use case is a package of its own beside this one (cases, review,
// returns, refunds, workflow, rulesets, orders, disputes, policies), built on the shared steps
// of casework and the domain of shared/aftersales. A function fills only
// the ports its use cases call; the local stack and the tests fill them
// all.
package usecase

import (
	"log/slog"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/cases"
	"github.com/aftersales/aftersales/shared/usecase/disputes"
	"github.com/aftersales/aftersales/shared/usecase/mall"
	"github.com/aftersales/aftersales/shared/usecase/notify"
	"github.com/aftersales/aftersales/shared/usecase/orders"
	"github.com/aftersales/aftersales/shared/usecase/policies"
	"github.com/aftersales/aftersales/shared/usecase/refunds"
	"github.com/aftersales/aftersales/shared/usecase/returns"
	"github.com/aftersales/aftersales/shared/usecase/review"
	"github.com/aftersales/aftersales/shared/usecase/rulesets"
	"github.com/aftersales/aftersales/shared/usecase/verify"
	"github.com/aftersales/aftersales/shared/usecase/workflow"
)

// Ports are every port the use cases take. A port left nil is one the
// caller promises never to reach.
type Ports struct {
	Cases         aftersales.CaseStore
	Orders        aftersales.OrderStore
	Idempotency   aftersales.IdempotencyStore
	Evidence      aftersales.EvidenceStore
	Rules         aftersales.RuleSetStore
	Jobs          aftersales.ReviewJobStore
	Refunds       aftersales.RefundStore
	Notifications aftersales.NotificationStore
	Threads       aftersales.ThreadStore
	Inbox         aftersales.InboxStore      // F6: buyers' and staff's in-app inboxes
	Deliveries    aftersales.DeliveryStore   // F6: one send per (event, channel)
	Photos        aftersales.PhotoHashStore  // the evidence checks' photo hashes (issue 16)
	Recognizer    aftersales.ImageRecognizer // image recognition of evidence photos; nil: off

	Waits    aftersales.Waits
	Intake   aftersales.Intake
	Reviews  aftersales.ReviewQueue
	Notices  aftersales.NoticeQueue
	Payments map[aftersales.PaymentChannel]aftersales.RefundProvider
	// Announcer queues every case change that tells someone (F6); nil:
	// changes are not announced (functions that never change a case).
	Announcer aftersales.Announcer
	// Senders are the notification channels the merchant enables.
	Senders []aftersales.Sender
	Logger  *slog.Logger
	// Couriers checks and tracks return parcels (Kuaidi100, issue 15);
	// nil: no courier aggregator, waybills are checked by form only.
	Couriers aftersales.Couriers
	// Interceptor stops parcels on their way to buyers (F30); nil: no
	// interceptions, refund-only cases of shipped orders refund at once.
	Interceptor aftersales.Interceptor
	// Parcels queues verified courier pushes for the inbound consumer.
	Parcels aftersales.ParcelQueue

	Clock aftersales.Clock
	IDs   aftersales.IDGenerator

	// Coupons is the mall's coupon service (F18): asked at decision time
	// whether virtual goods were used; nil trusts the order snapshot.
	Coupons aftersales.CouponService
}

// Services are the use cases, wired to each other: the workflow resumes
// waits for the others, and polls refunds at the refund wait's deadline.
type Services struct {
	Cases    *cases.Service
	Review   *review.Service
	Returns  *returns.Service
	Refunds  *refunds.Service
	Workflow *workflow.Service
	RuleSets *rulesets.Service
	Orders   *orders.Service
	Disputes *disputes.Service
	Policies *policies.Service
	Notify   *notify.Service
	Inbox    *notify.Inbox
	Verify   *verify.Service
}

// New builds the use cases on p.
func New(p Ports) *Services {
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.Announcer != nil {
		// Every use case writes through this store, so no change of a case
		// can skip its announcement.
		p.Cases = &notify.Announcing{CaseStore: p.Cases, Announcer: p.Announcer, Logger: p.Logger}
	}
	if p.Orders != nil && p.Rules != nil {
		// Likewise no change the mall must hear of can skip its event: it
		// goes into the outbox with the change (issue 15).
		p.Cases = &mall.Raising{CaseStore: p.Cases, Orders: p.Orders, Rules: p.Rules}
	}
	wf := &workflow.Service{Cases: p.Cases, Orders: p.Orders, Rules: p.Rules, Refunds: p.Refunds,
		Waits: p.Waits, Intake: p.Intake, Clock: p.Clock, Coupons: p.Coupons}
	rf := &refunds.Service{Cases: p.Cases, Orders: p.Orders, Refunds: p.Refunds, Payments: p.Payments,
		Notifications: p.Notifications, Notices: p.Notices, Workflow: wf, Clock: p.Clock}
	wf.Polls = rf
	rt := &returns.Service{Cases: p.Cases, Orders: p.Orders, Workflow: wf, Clock: p.Clock, Couriers: p.Couriers,
		Notifications: p.Notifications, Parcels: p.Parcels, Logger: p.Logger, Interceptor: p.Interceptor, Rules: p.Rules}
	if p.Interceptor != nil {
		rf.Interceptions = rt // F30: a refund-only's parcel is stopped before its refund
	}
	cs := &cases.Service{Cases: p.Cases, Orders: p.Orders, Idempotency: p.Idempotency, Evidence: p.Evidence, Rules: p.Rules,
		Intake: p.Intake, Workflow: wf, Clock: p.Clock, IDs: p.IDs, Coupons: p.Coupons}
	return &Services{
		Cases: cs,
		Review: &review.Service{Cases: p.Cases, Rules: p.Rules, Jobs: p.Jobs, Queue: p.Reviews, Workflow: wf,
			Clock: p.Clock, IDs: p.IDs},
		Returns:  rt,
		Refunds:  rf,
		Workflow: wf,
		RuleSets: &rulesets.Service{Rules: p.Rules, Clock: p.Clock},
		Orders:   &orders.Service{Orders: p.Orders, Announcer: p.Announcer, Logger: p.Logger, Clock: p.Clock},
		Disputes: &disputes.Service{Cases: p.Cases, Threads: p.Threads, Rules: p.Rules, Intake: p.Intake, Files: p.Evidence,
			Workflow: wf, Clock: p.Clock, IDs: p.IDs},
		Policies: &policies.Service{Rules: p.Rules, Cases: cs, Clock: p.Clock},
		Notify: &notify.Service{Cases: p.Cases, Orders: p.Orders, Inbox: p.Inbox, Deliveries: p.Deliveries,
			Senders: p.Senders, Templates: notify.MustLoadTemplates(), Rules: p.Rules, Clock: p.Clock, Logger: p.Logger},
		Inbox: &notify.Inbox{Store: p.Inbox, Clock: p.Clock},
		Verify: &verify.Service{Cases: p.Cases, Orders: p.Orders, Rules: p.Rules, Evidence: p.Evidence, Hashes: p.Photos,
			Recognizer: p.Recognizer, Workflow: wf, Clock: p.Clock},
	}
}

// Store is every store port in one: what the DynamoDB and the in-memory
// adapters implement.
type Store interface {
	aftersales.CaseStore
	aftersales.OrderStore
	aftersales.IdempotencyStore
	aftersales.RuleSetStore
	aftersales.ReviewJobStore
	aftersales.RefundStore
	aftersales.NotificationStore
	aftersales.ThreadStore
	aftersales.InboxStore
	aftersales.DeliveryStore
}

// WithStore returns p with every store port taken from s.
func (p Ports) WithStore(s Store) Ports {
	p.Cases, p.Orders, p.Idempotency, p.Rules, p.Jobs, p.Refunds, p.Notifications, p.Threads = s, s, s, s, s, s, s, s
	p.Inbox, p.Deliveries = s, s
	// Photo hashes are a store of their own in memory (memstore.PhotoHashes)
	// and part of the table on DynamoDB: taken when s keeps them.
	if ph, ok := s.(aftersales.PhotoHashStore); ok {
		p.Photos = ph
	}
	return p
}
