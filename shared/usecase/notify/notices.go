package notify

import (
	"strings"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Who is told what. A case change (one timeline entry) tells:
//   - the buyer, of every change of status ("status_changed"), and of the
//     actions in buyerKinds whether or not they move the case;
//   - staff, of the actions in staffKinds.
//
// Both tables are keyed by action name, so that a new action (a dispute
// message, a proposal) is one row here plus its template in every
// language file; TestEveryKindHasTemplates keeps the two in step. The
// dispute's words (messages, proposals) go to the other side, whoever
// said them (toTheOtherSide), and escalations to the arbitrators too.

// Recipients of a notice.
const (
	ToBuyer    = "buyer"
	ToStaff    = "staff"
	ToPlatform = "platform" // the arbitrators' inbox
)

// KindStatusChanged is the buyer's notice of a change of status.
const KindStatusChanged = "status_changed"

// buyerKinds are the buyer's notices of actions, in place of (or, for
// actions that keep the status, besides nothing) the status notice.
var buyerKinds = map[aftersales.Action]string{
	aftersales.ActRefundStarted: "refund_started", // "expected in 1-3 working days"
	aftersales.ActRefundFailed:  "refund_failed",  // delayed: staff are on it
	// The courier's word on a return (issue 15).
	aftersales.ActReturnCollected:     "return_collected",      // on its way
	aftersales.ActParcelProblem:       "parcel_problem",        // returned, refused, held or stalled
	aftersales.ActWaybillNotCollected: "waybill_not_collected", // correct the waybill
	aftersales.ActAutoRefund:          "auto_refund",           // F17: refunded with no application, and why
	aftersales.ActPickupFailed:        "pickup_failed",         // book again or ship
	// F30: the parcel could not be stopped: the buyer sends it back.
	aftersales.ActInterceptionFailed: "interception_failed",
}

// staffKinds are the staff inbox's notices of actions.
var staffKinds = map[aftersales.Action]string{
	aftersales.ActOpenDispute:    "dispute_opened",
	aftersales.ActEscalate:       "dispute_escalated",
	aftersales.ActRemind:         "deadline_missed",
	aftersales.ActWorkflowFailed: "workflow_failed",
	aftersales.ActAgree:          "staff_dispute_resolved",
	aftersales.ActArbitrate:      "staff_dispute_resolved",
	aftersales.ActDismiss:        "staff_dispute_resolved",
	aftersales.ActParcelProblem:  "staff_parcel_problem",
	// F30: refunded without word from the courier; staff follow the parcel.
	aftersales.ActInterceptionLapsed: "staff_interception_lapsed",
}

// platformKinds are the arbitrators' notices of actions.
var platformKinds = map[aftersales.Action]string{
	aftersales.ActEscalate: "dispute_escalated",
}

// toTheOtherSide are the dispute's words, told to whoever did not say
// them: a buyer's to staff (and to the arbitrators once escalated), staff's
// to the buyer, an arbitrator's to both. Buyer kind, staff kind.
var toTheOtherSide = map[aftersales.Action][2]string{
	aftersales.ActMessage: {"message_received", "staff_message_received"},
	aftersales.ActPropose: {"proposal_received", "staff_proposal_received"},
}

// Notice is one notification a change produces: its recipient (ToBuyer,
// ToStaff or ToPlatform) and its template.
type Notice struct {
	To   string
	Kind string
}

// Reminders of a near deadline: the buyer's waits tell the buyer, a
// member's review promise tells staff.
const (
	KindDeadlineSoon = "deadline_soon"
	KindSLAAtRisk    = "sla_at_risk"
)

// NoticesFor returns what timeline entry e tells, buyer first.
func NoticesFor(e aftersales.TimelineEntry) []Notice {
	if e.Action == aftersales.ActDeadlineSoon {
		if e.To == aftersales.StatusPendingReview {
			return []Notice{{ToStaff, KindSLAAtRisk}}
		}
		return []Notice{{ToBuyer, KindDeadlineSoon}}
	}
	if k, ok := toTheOtherSide[e.Action]; ok {
		var out []Notice
		byBuyer := strings.HasPrefix(e.Actor, "buyer:")
		if !byBuyer {
			out = append(out, Notice{ToBuyer, k[0]})
		}
		if !strings.HasPrefix(e.Actor, "staff:") {
			out = append(out, Notice{ToStaff, k[1]})
		}
		if byBuyer && e.Action == aftersales.ActMessage && e.To == aftersales.StatusEscalated {
			out = append(out, Notice{ToPlatform, k[1]})
		}
		return out
	}
	var out []Notice
	if k, ok := buyerKinds[e.Action]; ok {
		out = append(out, Notice{ToBuyer, k})
	} else if e.From != e.To {
		out = append(out, Notice{ToBuyer, KindStatusChanged})
	}
	if k, ok := staffKinds[e.Action]; ok {
		out = append(out, Notice{ToStaff, k})
	}
	if k, ok := platformKinds[e.Action]; ok {
		out = append(out, Notice{ToPlatform, k})
	}
	return out
}

// kinds lists every kind the tables name, for the template tests.
func kinds() []Notice {
	out := []Notice{{ToBuyer, KindStatusChanged}, {ToBuyer, KindDeadlineSoon}, {ToStaff, KindSLAAtRisk}}
	for _, k := range buyerKinds {
		out = append(out, Notice{ToBuyer, k})
	}
	for _, k := range staffKinds {
		out = append(out, Notice{ToStaff, k})
	}
	for _, k := range platformKinds {
		out = append(out, Notice{ToPlatform, k})
	}
	for _, k := range toTheOtherSide {
		out = append(out, Notice{ToBuyer, k[0]}, Notice{ToStaff, k[1]})
	}
	return out
}
