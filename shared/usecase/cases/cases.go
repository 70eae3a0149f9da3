// Package cases is the use case of the buyer's applications (F2-F4): a
// case is opened against an order snapshot (validated, its amount defaulted
// to what is refundable or computed from claim details, idempotent on the
// client's key), listed and read with object-level checks, given evidence
// uploaded straight to object storage, and cancelled while nothing
// irreversible has happened.
package cases

import (
	"context"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Service serves the buyer's applications and the case lists.
type Service struct {
	Cases       aftersales.CaseStore
	Orders      aftersales.OrderStore
	Idempotency aftersales.IdempotencyStore
	Evidence    aftersales.EvidenceStore
	Rules       aftersales.RuleSetStore // read by Preview and Goodwill
	Intake      aftersales.Intake       // hands new cases to the workflow
	Workflow    casework.Resumer        // resumes a wait a buyer's change ends
	Clock       aftersales.Clock
	IDs         aftersales.IDGenerator
	// Coupons answers a preview's redemption question as the workflow's
	// decision will (F18); nil: the snapshot is trusted.
	Coupons aftersales.CouponService
	// Pause waits d or until ctx is done, while a duplicate request waits
	// for the request that holds its idempotency key (nil: a timer). Tests
	// set it to wait for what they wait for, rather than for time.
	Pause func(ctx context.Context, d time.Duration) error
}

// GetCase returns a case the principal may see: a buyer only their own (a
// stranger's case is not found, never forbidden, so ids reveal nothing).
func (s *Service) GetCase(ctx context.Context, p aftersales.Principal, id string) (*aftersales.Case, error) {
	return casework.Visible(ctx, s.Cases, p, id)
}

// ListCases returns a page of cases: a buyer's own, or the staff queue.
func (s *Service) ListCases(ctx context.Context, p aftersales.Principal, q aftersales.CaseQuery) (aftersales.CasePage, error) {
	if err := casework.RequireRole(p, "case.list"); err != nil {
		return aftersales.CasePage{}, err
	}
	if !p.ReadsAllCases() {
		q = aftersales.CaseQuery{BuyerID: p.ID, Status: q.Status, Cursor: q.Cursor, Limit: q.Limit}
	}
	q, err := casework.CheckQuery(q)
	if err != nil {
		return aftersales.CasePage{}, err
	}
	return s.Cases.ListCases(ctx, q)
}

// Cancel withdraws the buyer's case while nothing irreversible has happened.
func (s *Service) Cancel(ctx context.Context, p aftersales.Principal, caseID string) (*aftersales.Case, error) {
	return s.change(ctx, p, caseID, true, func(c *aftersales.Case) error {
		return c.Apply(aftersales.Change{Action: aftersales.ActCancel, Actor: p.Actor(), At: s.Clock.Now()})
	})
}

// change is update for a principal: the case must be visible to p (and,
// with buyerOnly, be p's own). When the change moved the case out of a wait
// (a cancellation, evidence that answers a request), the waiting workflow is
// resumed at once rather than at the wait's deadline.
func (s *Service) change(ctx context.Context, p aftersales.Principal, caseID string, buyerOnly bool, fn func(*aftersales.Case) error) (*aftersales.Case, error) {
	var token string
	c, _, err := casework.Update(ctx, s.Cases, caseID, casework.VisibleTo(s.Cases, p),
		func(c *aftersales.Case) error {
			if buyerOnly && !c.OwnedBy(p.ID) {
				return aftersales.E(aftersales.KindForbidden, "case.change", "only the case's buyer may do this")
			}
			token = c.TaskToken
			return fn(c)
		})
	if err != nil || token == "" || c.TaskToken != "" {
		return c, err
	}
	return c, s.Workflow.Resume(ctx, token, c)
}
