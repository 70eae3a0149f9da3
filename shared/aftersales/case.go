package aftersales

import (
	"fmt"
	"time"
)

// RefundDestination is where the money of a case goes.
type RefundDestination string

// The refund destinations.
const (
	RefundOriginal RefundDestination = "original" // back through the payment channel of the order
	RefundBalance  RefundDestination = "balance"  // store balance, only when the buyer chose it
)

// CaseLine is one order line of a case, with the quantity claimed and the
// amount it is worth. Kind and Category are copied from the order so that
// rules and staff filters need not load the order.
type CaseLine struct {
	LineID   string
	SKU      string
	Name     string
	Kind     LineKind
	Category string
	Quantity int
	Amount   int64 // refundable amount of Quantity units when the case was created
}

// Evidence is a photo or video attached to a case.
type Evidence struct {
	ID          string
	ContentType string
	Size        int64
	// Status is EvidenceUploaded once attached; the verification step
	// (F9, issue 16) marks it EvidenceVerified, EvidenceInvalid or
	// EvidenceReused.
	Status string
	// Checks are the verification's findings, one line each ("decode:
	// image/jpeg 640x480"); empty until it ran.
	Checks []string
	// ReusedFrom is the case whose evidence this file nearly duplicates
	// (status EvidenceReused).
	ReusedFrom string
	// Thumbnail says a thumbnail was stored (ThumbnailObjectKey).
	Thumbnail bool
	// Labels and Damage are what image recognition saw, when the rule set
	// has it on for the case's category (EvidenceSettings).
	Labels []string
	Damage bool
	// Slot is the named photo it is (F16: "item", "label"), as declared
	// with its upload; empty for any other file.
	Slot string
}

// Decision records who decided a review and by which rule (F8).
type Decision struct {
	Outcome        string // approve, reject, manual, request_evidence
	By             string // "rules" or "staff:<id>"
	RuleID         string
	RuleSetVersion int
	Reason         string
	Level          Role // manual review: who may decide (reviewer or admin)
}

// TimelineEntry is one immutable line of a case's history. Seq equals the case
// version the change produced, so the timeline and the version never disagree.
type TimelineEntry struct {
	Seq    int
	At     time.Time
	Actor  string // "buyer:<id>", "staff:<id>", "rules", "system", "provider:<name>"
	Action Action
	From   Status
	To     Status
	Note   string
}

// NextStep tells everyone what the case waits for, from whom, and until when.
type NextStep struct {
	Actor    Actor
	Action   string
	Deadline time.Time // zero when the workflow has not set one yet
	// DefaultAt is when the wait's default outcome applies (F25), when it is
	// later than the Deadline promised (a member tier's SLA).
	DefaultAt time.Time
}

// Case is one after-sales application and everything that happened to it.
type Case struct {
	ID          string
	OrderID     string
	BuyerID     string
	ShopID      string
	Type        CaseType
	Reason      string
	Description string
	Lines       []CaseLine
	Currency    string
	Requested   int64
	Approved    int64
	Refunded    int64
	RefundTo    RefundDestination
	Status      Status
	Version     int
	Evidence    []Evidence
	Decision    *Decision
	Timeline    []TimelineEntry

	Return          *Shipment // the buyer's return parcel
	ReturnCondition string    // sellable or defective, from the merchant's inspection
	Replacement     *Shipment // the replacement of an exchange
	Pickup          *Pickup   // a courier pickup of the return, once booked (F21)
	// Interception is the interception of the order's outbound parcel
	// (F30), nil unless one was asked.
	Interception *Interception

	// Charges are the fees and perks applied to the case (F29, F24): who
	// bears the return postage, the restocking fee. Nil for cases that
	// return nothing, and for cases opened before they existed.
	Charges *Charges

	// Dispute is the buyer's dispute of a rejection or an amount (F15), nil
	// until one is opened.
	Dispute *Dispute

	// Bundle is the bundle of an application split into component cases
	// (F20); Components are the other cases opened by that application:
	// each component shows its own progress (the insurance refunded at
	// once, the phone waiting for its return).
	Bundle     string
	Components []string

	// Tranches are the refunds a presale case pays one after the other
	// (deposit, balance, compensation: F19), each through its own payment;
	// empty for a case paid back in one refund.
	Tranches []Tranche

	// RefundSeq numbers the case's current refund (0: none requested yet);
	// staff retrying a closed refund move it on, so the retry gets a new
	// out_refund_no while a repeated step re-sends the same one.
	RefundSeq int
	// RefundFailed says the current refund failed (closed by the provider,
	// or refused by the ledger): staff must retry it or refund to balance.
	RefundFailed bool
	// RefundManual says the current refund has no payment route (a bank-card
	// order): finance pays it by hand and marks it paid, which completes
	// the case. It is a task, not a failure.
	RefundManual bool

	// WaitingFor names the wait the workflow is in (e.g. "review"); TaskToken
	// completes it; Deadline is when its default outcome applies (F25).
	WaitingFor string
	TaskToken  string
	Deadline   time.Time
	// PromisedBy is an earlier deadline promised to the buyer (a member
	// tier's review SLA, F24); missing it is an SLA miss, not the default
	// outcome, which still waits for Deadline.
	PromisedBy time.Time
	// RemindedFor is the due time the last reminder was sent for (see
	// ReminderDue): one reminder per deadline, however often it is looked at.
	RemindedFor time.Time

	CreatedAt time.Time
	UpdatedAt time.Time

	// Raised are the domain events the change being written raises (see
	// Raise). The store writes them to its outbox with the case and never
	// reads them back: a loaded case has none.
	Raised []DomainEvent
	// Opened are the ledger accounts of the case's order the change being
	// written opens (the return postage reimbursement, F29). Like Raised,
	// the store writes them with the case, in the same write, and never
	// reads them back: a loaded case has none. See OpenAccount.
	Opened []OrderLine
}

// Change is one thing happening to a case.
type Change struct {
	Action Action
	Actor  string
	Note   string
	At     time.Time
}

// Apply moves the case through the transition table: it checks that the
// action is allowed in the current status for the case type, sets the new
// status, bumps the version and appends the timeline entry. A refused action
// is a KindConflict error and leaves the case untouched.
func (c *Case) Apply(ch Change) error {
	to, ok := Next(c.Status, ch.Action, c.Type)
	if !ok {
		return &Error{Kind: KindConflict, Op: "case.apply",
			Msg: fmt.Sprintf("a %s case that is %s cannot %s", c.Type, statusWord(c.Status), ch.Action)}
	}
	from := c.Status
	c.Status = to
	c.Type = TypeAfter(ch.Action, c.Type)
	c.Version++
	c.UpdatedAt = ch.At.UTC()
	if from != to {
		// A wait belongs to the status it was started in.
		c.WaitingFor, c.TaskToken, c.Deadline, c.PromisedBy = "", "", time.Time{}, time.Time{}
	}
	c.Timeline = append(c.Timeline, TimelineEntry{
		Seq: c.Version, At: c.UpdatedAt, Actor: ch.Actor, Action: ch.Action, From: from, To: to, Note: ch.Note,
	})
	return nil
}

func statusWord(s Status) string {
	if s == StatusNone {
		return "new"
	}
	return string(s)
}

// NextMarkRefundPaid is the next step of a case whose refund finance pays by
// hand: POST /v1/staff/cases/{id}/mark-refund-paid once the money is sent.
const NextMarkRefundPaid = "mark_refund_paid"

// Next returns what the case waits for, or nil when it has ended.
func (c *Case) Next() *NextStep {
	w, ok := waits[c.Status]
	if !ok {
		return nil
	}
	n := &NextStep{Actor: w.actor, Action: w.action, Deadline: c.Deadline}
	switch {
	case c.Status == StatusRefunding && c.RefundFailed:
		n.Actor, n.Action = ActorMerchant, "retry_refund"
	case c.Status == StatusRefunding && c.RefundManual:
		n.Actor, n.Action = ActorMerchant, NextMarkRefundPaid
	case c.Status == StatusAwaitingReturn && c.Pickup == nil && c.Bulky():
		n.Action = NextBookPickup
	case c.Status == StatusAwaitingReturn && c.Pickup != nil && c.Pickup.Status == PickupBooked:
		n.Actor, n.Action = ActorCourier, "collect_pickup"
	}
	if !c.PromisedBy.IsZero() && c.PromisedBy.Before(c.Deadline) {
		n.Deadline, n.DefaultAt = c.PromisedBy, c.Deadline
	}
	return n
}

// OwnedBy reports whether buyer is the case's buyer.
func (c *Case) OwnedBy(buyer string) bool { return c.BuyerID == buyer }

// AttachEvidence adds uploaded evidence to the case (F3, F4). It is a case
// change of its own: versioned and on the timeline.
func (c *Case) AttachEvidence(evs []Evidence, actor string, at time.Time) error {
	var v Validation
	if len(c.Evidence)+len(evs) > MaxEvidencePerCase {
		v.Add("evidence_ids", "a case holds at most %d files; it has %d", MaxEvidencePerCase, len(c.Evidence))
	}
	have := map[string]bool{}
	for _, e := range c.Evidence {
		have[e.ID] = true
	}
	for i, e := range evs {
		v.Check(!have[e.ID], fmt.Sprintf("evidence_ids[%d]", i), "%s is already attached", e.ID)
		have[e.ID] = true
	}
	if err := v.Err("case.attach_evidence"); err != nil {
		return err
	}
	if err := c.Apply(Change{Action: ActAttachEvidence, Actor: actor, At: at, Note: fmt.Sprintf("%d file(s)", len(evs))}); err != nil {
		return err
	}
	for _, e := range evs {
		e.Status = EvidenceUploaded
		c.Evidence = append(c.Evidence, e)
	}
	return nil
}
