package refunds

import (
	"context"
	"errors"
	"fmt"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// RetryRefund lets staff send a failed refund again, through the original
// route or to store balance (to == RefundBalance). The retry is a new refund
// with the next number; the workflow's refund step sends it. No one retries
// the refund of a case whose buyer they are (casework.ForStaff).
func (s *Service) RetryRefund(ctx context.Context, p aftersales.Principal, caseID string, to aftersales.RefundDestination) (*aftersales.Case, error) {
	const op = "refund.retry"
	if !p.IsStaff() {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only staff may retry a refund")
	}
	if to != "" && to != aftersales.RefundOriginal && to != aftersales.RefundBalance {
		return nil, aftersales.Invalid(op, "refund_to", "must be original or balance")
	}
	var token string
	c, _, err := casework.Update(ctx, s.Cases, caseID, casework.ForStaff(s.Cases, p, op), func(c *aftersales.Case) error {
		if c.Status != aftersales.StatusRefunding || !c.RefundFailed {
			return aftersales.E(aftersales.KindConflict, op, "the case has no failed refund to retry")
		}
		r, err := s.currentRefund(ctx, c)
		switch {
		case errors.Is(err, aftersales.ErrNotFound): // never reached a provider
		case err != nil:
			return err
		case r.Status == aftersales.RefundAbnormal:
			return aftersales.E(aftersales.KindConflict, op, "the refund is abnormal: the provider holds the money; settle it in the provider's console")
		}
		if to != "" {
			c.RefundTo = to
		}
		c.RefundSeq, c.RefundFailed = c.CurrentRefundSeq()+1, false
		token, c.TaskToken = c.TaskToken, "" // the workflow's refund step takes a new wait
		return c.Apply(aftersales.Change{Action: aftersales.ActRetryRefund, Actor: p.Actor(), At: s.Clock.Now(),
			Note: fmt.Sprintf("refund %s to %s", aftersales.OutRefundNo(c.ID, c.RefundSeq), c.RefundTo)})
	})
	if err != nil || token == "" {
		return c, err
	}
	return c, s.Workflow.Resume(ctx, token, c)
}

// ListRefunds returns a page of the refund ledger (F13) for staff.
func (s *Service) ListRefunds(ctx context.Context, p aftersales.Principal, q aftersales.RefundQuery) (aftersales.RefundPage, error) {
	if !p.IsStaff() {
		return aftersales.RefundPage{}, aftersales.E(aftersales.KindForbidden, "refund.list", "only staff may read the refund ledger")
	}
	if q.Limit <= 0 {
		q.Limit = aftersales.DefaultPageSize
	}
	if q.Limit > aftersales.MaxPageSize {
		return aftersales.RefundPage{}, aftersales.Invalid("refund.list", "limit", "must be at most %d", aftersales.MaxPageSize)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return aftersales.RefundPage{}, aftersales.Invalid("refund.list", "to", "must be after from")
	}
	return s.Refunds.ListRefunds(ctx, q)
}
