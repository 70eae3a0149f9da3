package aftersales

// Status is where a case is in its life. The set is closed; every change of
// status goes through the transition table below.
type Status string

// The case statuses of the API contract.
const (
	StatusNone             Status = "" // before the case exists
	StatusSubmitted        Status = "submitted"
	StatusPendingReview    Status = "pending_review"
	StatusAwaitingEvidence Status = "awaiting_evidence"
	StatusAwaitingReturn   Status = "awaiting_return"
	StatusReturnInTransit  Status = "return_in_transit"
	StatusAwaitingReceipt  Status = "awaiting_receipt"
	StatusRefunding        Status = "refunding"
	StatusReshipping       Status = "reshipping"
	StatusRejected         Status = "rejected"
	StatusDisputed         Status = "disputed"
	StatusEscalated        Status = "escalated"
	StatusCompleted        Status = "completed"
	StatusClosed           Status = "closed"
	StatusCancelled        Status = "cancelled"
	// StatusIntercepting: a refund-only approved while its parcel was on
	// its way to the buyer waits for the courier to intercept it (F30).
	StatusIntercepting Status = "intercepting"
)

// Statuses lists every status a case can be in.
var Statuses = []Status{
	StatusSubmitted, StatusPendingReview, StatusAwaitingEvidence, StatusAwaitingReturn,
	StatusReturnInTransit, StatusAwaitingReceipt, StatusRefunding, StatusReshipping,
	StatusRejected, StatusDisputed, StatusEscalated, StatusCompleted, StatusClosed, StatusCancelled,
	StatusIntercepting,
}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if s == x {
			return true
		}
	}
	return false
}

// Terminal reports whether the case has ended; an ended case no longer holds
// its order lines.
func (s Status) Terminal() bool {
	return s == StatusCompleted || s == StatusClosed || s == StatusCancelled
}

// Action is something that happens to a case. Actions name what happened,
// not the status it leads to: the timeline reads as a history.
type Action string

// The actions.
const (
	ActSubmit          Action = "submit"           // buyer applies
	ActAttachEvidence  Action = "attach_evidence"  // buyer adds evidence
	ActSendToReview    Action = "send_to_review"   // rules ask for a person
	ActRequestEvidence Action = "request_evidence" // rules or staff ask the buyer for evidence
	ActApprove         Action = "approve"          // rules, staff, or a review deadline approve
	ActReject          Action = "reject"           // rules or staff reject
	ActShipReturn      Action = "ship_return"      // buyer posts the return waybill
	ActReturnDelivered Action = "return_delivered" // courier reports the return delivered
	ActConfirmReceipt  Action = "confirm_receipt"  // staff (or the receipt deadline) confirm receipt
	ActReship          Action = "reship"           // staff ship the replacement of an exchange
	ActRefundSucceeded Action = "refund_succeeded" // provider confirms the money arrived
	ActRefundFailed    Action = "refund_failed"    // provider refused or closed the refund; staff must act
	ActRefundStarted   Action = "refund_started"   // the provider accepted the refund: "expected in 1-3 working days"
	ActRetryRefund     Action = "retry_refund"     // staff send a failed refund again (or to store balance)
	ActRefundManual    Action = "refund_manual"    // no payment route for the channel: finance pays by hand, then marks it paid
	ActOpenDispute     Action = "open_dispute"     // buyer contests a rejection or an amount
	ActAnswerDispute   Action = "answer_dispute"   // the merchant's first answer to a dispute stops its answer deadline
	ActPropose         Action = "propose"          // either side proposes a refund to settle a dispute
	ActMessage         Action = "message"          // a message in the dispute thread (its words are in the thread)
	ActDeadlineSoon    Action = "deadline_soon"    // a deadline is near: the buyer (or, for a review promise, staff) is reminded
	ActAgree           Action = "agree"            // both sides agreed on a proposal
	ActEscalate        Action = "escalate"         // no agreement by the deadline
	ActArbitrate       Action = "arbitrate"        // platform decides for a refund
	ActDismiss         Action = "dismiss"          // platform decides against the buyer
	ActExpire          Action = "expire"           // a buyer deadline passed with no action
	ActCancel          Action = "cancel"           // buyer withdraws
	ActAwait           Action = "await"            // the workflow starts waiting (deadline set)
	ActRemind          Action = "remind"           // a deadline without a default outcome passed; staff are reminded
	ActWorkflowFailed  Action = "workflow_failed"  // the workflow hit an error it could not retry; staff must act
	ActCheckEvidence   Action = "check_evidence"   // the verification step recorded what an evidence file is (issue 16)
	ActChargeFees      Action = "charge_fees"      // a restocking fee is deducted from the refund (F29)
	ActRefundNext      Action = "refund_next"      // one refund of a case paid in several succeeded; the next is sent (F19)
)

// Transition is one row of the transition table: in status From, Action
// leads to status To, for the case types listed (all types when Types is nil).
type Transition struct {
	From   Status
	Action Action
	Types  []CaseType
	To     Status
}

var (
	refundTypes = []CaseType{RefundOnly, Claim, Goodwill, AutoRefund}
	returnTypes = []CaseType{ReturnRefund, Exchange}
	refundBack  = []CaseType{ReturnRefund}                    // goods back, money out
	goodsBack   = []CaseType{Exchange}                        // goods back, goods out
	moneyTypes  = []CaseType{RefundOnly, Claim, ReturnRefund} // end in money, so an amount can be contested
)

// Transitions is THE transition table: the only place that says which action
// may move a case from which status to which. Rows with From == To record an
// action that changes the case without moving it (attaching evidence while
// under review, a refund failure staff must look at).
var Transitions = append([]Transition{
	{StatusNone, ActSubmit, nil, StatusSubmitted},

	{StatusSubmitted, ActAttachEvidence, nil, StatusSubmitted},
	{StatusSubmitted, ActSendToReview, nil, StatusPendingReview},
	{StatusSubmitted, ActRequestEvidence, nil, StatusAwaitingEvidence},
	{StatusSubmitted, ActApprove, refundTypes, StatusRefunding},
	{StatusSubmitted, ActApprove, returnTypes, StatusAwaitingReturn},
	{StatusSubmitted, ActReject, nil, StatusRejected},
	{StatusSubmitted, ActCancel, nil, StatusCancelled},
	{StatusSubmitted, ActAutoRefund, []CaseType{AutoRefund}, StatusRefunding},

	{StatusPendingReview, ActAttachEvidence, nil, StatusPendingReview},
	{StatusPendingReview, ActRequestEvidence, nil, StatusAwaitingEvidence},
	{StatusPendingReview, ActApprove, refundTypes, StatusRefunding},
	{StatusPendingReview, ActApprove, returnTypes, StatusAwaitingReturn},
	{StatusPendingReview, ActReject, nil, StatusRejected},
	{StatusPendingReview, ActCancel, nil, StatusCancelled},

	{StatusAwaitingEvidence, ActAttachEvidence, nil, StatusSubmitted},
	{StatusAwaitingEvidence, ActExpire, nil, StatusClosed},
	{StatusAwaitingEvidence, ActCancel, nil, StatusCancelled},

	{StatusAwaitingReturn, ActShipReturn, returnTypes, StatusReturnInTransit},
	{StatusAwaitingReturn, ActBookPickup, returnTypes, StatusAwaitingReturn},
	{StatusAwaitingReturn, ActPickupFailed, returnTypes, StatusAwaitingReturn},
	{StatusAwaitingReturn, ActExpire, returnTypes, StatusClosed},
	{StatusAwaitingReturn, ActCancel, returnTypes, StatusCancelled},

	{StatusReturnInTransit, ActReturnDelivered, returnTypes, StatusAwaitingReceipt},
	{StatusReturnInTransit, ActReturnCollected, returnTypes, StatusReturnInTransit},
	{StatusReturnInTransit, ActParcelUpdate, returnTypes, StatusReturnInTransit},
	{StatusReturnInTransit, ActParcelProblem, returnTypes, StatusReturnInTransit},
	{StatusReturnInTransit, ActWaybillNotCollected, returnTypes, StatusAwaitingReturn},
	{StatusReturnInTransit, ActConfirmReceipt, refundBack, StatusRefunding},
	{StatusReturnInTransit, ActConfirmReceipt, goodsBack, StatusReshipping},

	{StatusAwaitingReceipt, ActConfirmReceipt, refundBack, StatusRefunding},
	{StatusAwaitingReceipt, ActConfirmReceipt, goodsBack, StatusReshipping},

	{StatusReshipping, ActReship, goodsBack, StatusCompleted},

	{StatusRefunding, ActRefundSucceeded, nil, StatusCompleted},
	{StatusRefunding, ActRefundFailed, nil, StatusRefunding},
	{StatusRefunding, ActRefundStarted, nil, StatusRefunding},
	{StatusRefunding, ActRetryRefund, nil, StatusRefunding},
	{StatusRefunding, ActRefundManual, nil, StatusRefunding},
	{StatusRefunding, ActRemind, nil, StatusRefunding},
	{StatusRefunding, ActChargeFees, refundBack, StatusRefunding},
	{StatusRefunding, ActRefundNext, nil, StatusRefunding},

	{StatusRejected, ActOpenDispute, nil, StatusDisputed},
	{StatusRejected, ActExpire, nil, StatusClosed},
	// The one row that leaves an ended status: a buyer refunded for less
	// than requested contests the amount within the dispute window. The
	// case no longer holds its order lines (see Case.EndedSince).
	{StatusCompleted, ActOpenDispute, moneyTypes, StatusDisputed},

	{StatusDisputed, ActAnswerDispute, nil, StatusDisputed},
	{StatusDisputed, ActPropose, nil, StatusDisputed},
	{StatusDisputed, ActMessage, nil, StatusDisputed},
	{StatusEscalated, ActMessage, nil, StatusEscalated},

	{StatusAwaitingEvidence, ActDeadlineSoon, nil, StatusAwaitingEvidence},
	{StatusAwaitingReturn, ActDeadlineSoon, returnTypes, StatusAwaitingReturn},
	{StatusRejected, ActDeadlineSoon, nil, StatusRejected},
	{StatusPendingReview, ActDeadlineSoon, nil, StatusPendingReview},
	// A member's review promise passed unmet (F24): staff are told, the
	// member is compensated; the review goes on.
	{StatusPendingReview, ActRemind, nil, StatusPendingReview},
	{StatusDisputed, ActAgree, nil, StatusRefunding},
	{StatusDisputed, ActEscalate, nil, StatusEscalated},
	{StatusDisputed, ActCancel, nil, StatusClosed},

	{StatusEscalated, ActArbitrate, nil, StatusRefunding},
	{StatusEscalated, ActDismiss, nil, StatusClosed},
	{StatusEscalated, ActRemind, nil, StatusEscalated},

	// The workflow records each wait it starts (with its deadline) as a
	// change of its own: the task token is stored under a new version, so a
	// decision taken before the token existed cannot silently lose it.
	{StatusPendingReview, ActAwait, nil, StatusPendingReview},
	{StatusAwaitingEvidence, ActAwait, nil, StatusAwaitingEvidence},
	{StatusAwaitingReturn, ActAwait, returnTypes, StatusAwaitingReturn},
	{StatusReturnInTransit, ActAwait, returnTypes, StatusReturnInTransit},
	{StatusAwaitingReceipt, ActAwait, returnTypes, StatusAwaitingReceipt},
	{StatusReshipping, ActAwait, goodsBack, StatusReshipping},
	{StatusRefunding, ActAwait, nil, StatusRefunding},
	{StatusRejected, ActAwait, nil, StatusRejected},
	{StatusDisputed, ActAwait, nil, StatusDisputed},
	{StatusEscalated, ActAwait, nil, StatusEscalated},
	{StatusReshipping, ActRemind, goodsBack, StatusReshipping},
}, append(append(interceptionTransitions, stays(ActWorkflowFailed)...), stays(ActCheckEvidence)...)...)

// stays lists, for every status a case can still leave, a row where action
// keeps the case where it is.
func stays(action Action) []Transition {
	var out []Transition
	for _, s := range Statuses {
		if !s.Terminal() {
			out = append(out, Transition{s, action, nil, s})
		}
	}
	return out
}

// Next looks up where action leads a case of type t in status from.
func Next(from Status, action Action, t CaseType) (Status, bool) {
	for _, tr := range Transitions {
		if tr.From != from || tr.Action != action {
			continue
		}
		if tr.Types == nil {
			return tr.To, true
		}
		for _, x := range tr.Types {
			if x == t {
				return tr.To, true
			}
		}
	}
	return "", false
}

// Actor is who acts next on a case, shown to buyers as "what happens next".
type Actor string

// The actors.
const (
	ActorSystem   Actor = "system"
	ActorBuyer    Actor = "buyer"
	ActorMerchant Actor = "merchant"
	ActorCourier  Actor = "courier"
	ActorProvider Actor = "provider"
	ActorPlatform Actor = "platform"
)

// waits says, per status, who is expected to act next and what they do. It is
// the source of the "next" step shown on every case.
var waits = map[Status]struct {
	actor  Actor
	action string
}{
	StatusSubmitted:        {ActorSystem, "review"},
	StatusPendingReview:    {ActorMerchant, "review"},
	StatusAwaitingEvidence: {ActorBuyer, "add_evidence"},
	StatusAwaitingReturn:   {ActorBuyer, "ship_return"},
	StatusReturnInTransit:  {ActorCourier, "deliver_return"},
	StatusAwaitingReceipt:  {ActorMerchant, "confirm_receipt"},
	StatusRefunding:        {ActorProvider, "confirm_refund"},
	StatusReshipping:       {ActorMerchant, "ship_replacement"},
	StatusRejected:         {ActorBuyer, "dispute_or_accept"},
	StatusDisputed:         {ActorMerchant, "resolve_dispute"},
	StatusEscalated:        {ActorPlatform, "arbitrate"},
	StatusIntercepting:     {ActorCourier, "intercept_parcel"},
}
