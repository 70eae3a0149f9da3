package aftersales

import (
	"context"
	"time"
)

// Interception of an outbound parcel (F30): a refund-only case approved
// while its order is shipped but not delivered asks the courier to send
// the parcel back to the merchant instead of refunding at once. Intercepted,
// the money goes back (at the courier's confirmation, or once the parcel is
// signed for back at the warehouse, as the rule set says); not intercepted
// (the buyer signed for it), the case becomes a return.

// WaitInterception is the wait of an intercepting case: the courier's
// answer (and, refunding at arrival, the parcel's arrival back) until
// Deadlines.Interception from the request, when the case is refunded as
// approved rather than left waiting on a silent courier.
const WaitInterception = "interception"

// The interception actions.
const (
	ActIntercept             Action = "intercept"              // the courier was asked to bring the parcel back
	ActInterceptionSucceeded Action = "interception_succeeded" // intercepted: refunded now (refund_at success)
	ActInterceptionReturning Action = "interception_returning" // intercepted: refunded once signed back at the warehouse (refund_at arrival)
	ActInterceptionFailed    Action = "interception_failed"    // delivered after all: the case becomes a return
	ActInterceptionLapsed    Action = "interception_lapsed"    // no answer by the deadline: refunded as approved
)

// interceptionTransitions are the transition table's rows of F30. A
// failed interception turns the refund-only into a return-and-refund
// (InterceptionFailed does), so the return rows serve it from there.
var interceptionTransitions = []Transition{
	{StatusRefunding, ActIntercept, []CaseType{RefundOnly}, StatusIntercepting},
	{StatusIntercepting, ActAwait, []CaseType{RefundOnly}, StatusIntercepting},
	{StatusIntercepting, ActInterceptionSucceeded, []CaseType{RefundOnly}, StatusRefunding},
	{StatusIntercepting, ActInterceptionReturning, []CaseType{RefundOnly}, StatusIntercepting},
	{StatusIntercepting, ActReturnDelivered, []CaseType{RefundOnly}, StatusRefunding},
	{StatusIntercepting, ActInterceptionFailed, []CaseType{RefundOnly}, StatusAwaitingReturn},
	{StatusIntercepting, ActInterceptionLapsed, []CaseType{RefundOnly}, StatusRefunding},
}

// typeChanges are the actions that change a case's type: a refund-only
// whose parcel could not be stopped goes on as a return and refund.
var typeChanges = map[Action]map[CaseType]CaseType{
	ActInterceptionFailed: {RefundOnly: ReturnRefund},
}

// TypeAfter is the type a case of type t has after action: t itself
// unless the action changes it.
func TypeAfter(action Action, t CaseType) CaseType {
	if nt, ok := typeChanges[action][t]; ok {
		return nt
	}
	return t
}

// When an intercepted parcel's money goes back (InterceptionSettings.RefundAt).
const (
	RefundAtSuccess = "success" // at the courier's confirmation (the default)
	RefundAtArrival = "arrival" // once the parcel is signed for back at the warehouse
)

// InterceptionSettings are the merchant's interception terms (F30).
type InterceptionSettings struct {
	// Disabled: refund-only cases of shipped orders refund at once.
	Disabled bool
	// RefundAt is RefundAtSuccess (also when empty) or RefundAtArrival.
	RefundAt string
}

// DefaultInterceptionSettings: intercept, refund at the courier's
// confirmation.
func DefaultInterceptionSettings() InterceptionSettings {
	return InterceptionSettings{RefundAt: RefundAtSuccess}
}

func (s InterceptionSettings) validate(v *Validation) {
	v.Check(s.RefundAt == "" || s.RefundAt == RefundAtSuccess || s.RefundAt == RefundAtArrival,
		"interception.refund_at", "must be %q or %q, not %q", RefundAtSuccess, RefundAtArrival, s.RefundAt)
}

// Interception statuses.
const (
	InterceptionRequested = "requested" // asked, no answer yet
	InterceptionReturning = "returning" // intercepted, on its way back (refund at arrival)
	InterceptionSucceeded = "succeeded"
	InterceptionFailed    = "failed"
	InterceptionLapsed    = "lapsed"
)

// Interception is the interception of a case's outbound parcel.
type Interception struct {
	Courier        string
	TrackingNumber string
	TaskID         string // the aggregator's
	RequestedAt    time.Time
	RefundAt       string // the rule set's RefundAt when it was asked
	Status         string // one of the Interception statuses
	At             time.Time
	Note           string // the courier's message
}

// Interceptable reports whether approving case c of order o must first
// intercept the order's parcel: a refund-only (the goods stay with the
// buyer otherwise), not refunded yet nor retried by staff, of an order
// shipped and not delivered whose outbound waybill is known.
func Interceptable(c *Case, o *Order, s InterceptionSettings) bool {
	return !s.Disabled && c.Type == RefundOnly && c.Interception == nil && c.Refunded == 0 && c.CurrentRefundSeq() == 1 &&
		o != nil && o.Status == OrderShipped && o.DeliveredAt.IsZero() &&
		o.Outbound != nil && o.Outbound.Courier != "" && o.Outbound.TrackingNumber != ""
}

// InterceptionDue is when the interception wait of c ends.
func (d Deadlines) InterceptionDue(c *Case) time.Time {
	if c.Interception == nil {
		return time.Time{}
	}
	return c.Interception.RequestedAt.Add(d.Interception)
}

// Interceptor asks the courier aggregator to intercept an outbound parcel;
// the outcome arrives as a ParcelInterception push, and (refund at
// arrival) the parcel's way back as tracking pushes.
type Interceptor interface {
	Intercept(ctx context.Context, caseID string, sh Shipment, reason string) (taskID string, err error)
}
