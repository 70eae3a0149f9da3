package returns

import (
	"context"
	"fmt"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// InterceptFirst is asked by the refund step before a case's first refund
// is made (F30): when the case is a refund-only whose order is shipped and
// not delivered, with its outbound waybill known and interception on in
// the rule set, it asks the courier to bring the parcel back, moves the
// case to intercepting and hands it back to the workflow (waiting on
// token), which then waits for the courier's answer; it reports whether it
// did. Refunding at arrival, the parcel is also tracked, so that its
// signature back at the warehouse reaches the case. A courier that refuses
// the interception outright does not hold the buyer's money back: the case
// refunds at once, as before interceptions existed.
func (s *Service) InterceptFirst(ctx context.Context, c *aftersales.Case) (bool, error) {
	if s.Interceptor == nil || c.Type != aftersales.RefundOnly || c.Status != aftersales.StatusRefunding {
		return false, nil
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return false, err
	}
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil {
		return false, err
	}
	if !aftersales.Interceptable(c, o, rs.Interception) {
		return false, nil
	}
	out := *o.Outbound
	refundAt := rs.Interception.RefundAt
	if refundAt == "" {
		refundAt = aftersales.RefundAtSuccess
	}
	if refundAt == aftersales.RefundAtArrival && s.Couriers != nil {
		// Subscribed before the interception, so no scan of its way back
		// is missed; pushes before the courier's answer change nothing.
		if err := s.Couriers.Track(ctx, c.ID, out, o.BuyerPhone); err != nil {
			return false, aftersales.Wrap(aftersales.KindTransient, "case.intercept", err)
		}
	}
	task, err := s.Interceptor.Intercept(ctx, c.ID, out, "买家仅退款，商家拦截退回")
	if aftersales.KindOf(err) == aftersales.KindInvalid {
		s.logger().WarnContext(ctx, "interception refused; refunding at once", "case_id", c.ID, "err", err.Error())
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var token string
	c, wrote, err := casework.Update(ctx, s.Cases, c.ID, s.Cases.GetCase, func(c *aftersales.Case) error {
		if c.Status != aftersales.StatusRefunding || c.Interception != nil {
			return casework.ErrNoChange
		}
		token = c.TaskToken
		now := s.Clock.Now()
		c.Interception = &aftersales.Interception{Courier: out.Courier, TrackingNumber: out.TrackingNumber, TaskID: task,
			RequestedAt: now.UTC(), RefundAt: refundAt, Status: aftersales.InterceptionRequested}
		return c.Apply(aftersales.Change{Action: aftersales.ActIntercept, Actor: aftersales.ActorWorkflow, At: now,
			Note: fmt.Sprintf("the order's parcel %s %s is on its way: the courier is asked to bring it back; refund at %s",
				out.Courier, out.TrackingNumber, refundAt)})
	})
	if err != nil || !wrote {
		return err == nil && c != nil && c.Status == aftersales.StatusIntercepting, err
	}
	if token != "" {
		return true, s.Workflow.Resume(ctx, token, c)
	}
	return true, nil
}

// applyInterception records the courier's answer on an intercepting case:
// intercepted, the case refunds now (refund at success) or waits for the
// parcel's signature at the warehouse (refund at arrival); not intercepted
// (the buyer signed for it), the refund-only becomes a return: the buyer
// is asked to send the goods back within the return deadline. An answer
// about another parcel, a second answer, or "still processing" changes
// nothing.
func (s *Service) applyInterception(c *aftersales.Case, n aftersales.ParcelNotice) error {
	ic := c.Interception
	if c.Status != aftersales.StatusIntercepting || ic == nil || ic.Status != aftersales.InterceptionRequested ||
		ic.TrackingNumber != n.Number || n.Phase == "" {
		return casework.ErrNoChange
	}
	now := s.Clock.Now()
	ch := aftersales.Change{Actor: ActorCourier, At: now}
	ic.At, ic.Note = now.UTC(), n.Scan
	switch {
	case n.Intercepted && ic.RefundAt == aftersales.RefundAtArrival:
		ch.Action, ic.Status = aftersales.ActInterceptionReturning, aftersales.InterceptionReturning
		ch.Note = fmt.Sprintf("%s %s intercepted (%s): refunded once signed for back at the warehouse", ic.Courier, ic.TrackingNumber, n.Scan)
	case n.Intercepted:
		ch.Action, ic.Status = aftersales.ActInterceptionSucceeded, aftersales.InterceptionSucceeded
		ch.Note = fmt.Sprintf("%s %s intercepted (%s): refunded", ic.Courier, ic.TrackingNumber, n.Scan)
	default:
		ch.Action, ic.Status = aftersales.ActInterceptionFailed, aftersales.InterceptionFailed
		ch.Note = fmt.Sprintf("%s %s could not be intercepted (%s): please send the goods back; refunded on receipt",
			ic.Courier, ic.TrackingNumber, n.Scan)
	}
	// Failed, the buyer has the goods: Apply turns the case into a return
	// and refund (aftersales.TypeAfter).
	return c.Apply(ch)
}

// applyInterceptedScan records the signature of an intercepted parcel back
// at the warehouse (refund at arrival): the case refunds. Other scans, and
// scans before the courier confirmed the interception (a signature then is
// the buyer's), change nothing.
func (s *Service) applyInterceptedScan(c *aftersales.Case, n aftersales.ParcelNotice) error {
	ic := c.Interception
	if ic == nil || ic.Status != aftersales.InterceptionReturning || ic.TrackingNumber != n.Number || n.Phase != aftersales.ParcelSigned {
		return casework.ErrNoChange
	}
	now := s.Clock.Now()
	ic.Status, ic.At = aftersales.InterceptionSucceeded, now.UTC()
	return c.Apply(aftersales.Change{Action: aftersales.ActReturnDelivered, Actor: ActorCourier, At: now,
		Note: n.NoteOf() + ": back at the warehouse, refunded"})
}
