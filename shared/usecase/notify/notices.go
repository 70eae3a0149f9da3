package notify

import "github.com/aftersales/aftersales/shared/aftersales"

// Who is told what. A case change (one timeline entry) tells:
//   - the buyer, of every change of status ("status_changed"), and of the
//     actions in buyerKinds whether or not they move the case;
//   - staff, of the actions in staffKinds.
//
// Both tables are keyed by action name, so that a new action (a dispute
// message, a proposal) is one row here plus its template in every
// language file; TestEveryKindHasTemplates keeps the two in step.

// Recipients of a notice.
const (
	ToBuyer = "buyer"
	ToStaff = "staff"
)

// KindStatusChanged is the buyer's notice of a change of status.
const KindStatusChanged = "status_changed"

// buyerKinds are the buyer's notices of actions, in place of (or, for
// actions that keep the status, besides nothing) the status notice.
var buyerKinds = map[aftersales.Action]string{
	aftersales.ActRefundStarted: "refund_started", // "expected in 1-3 working days"
	aftersales.ActRefundFailed:  "refund_failed",  // delayed: staff are on it
}

// staffKinds are the staff inbox's notices of actions.
var staffKinds = map[aftersales.Action]string{
	aftersales.ActOpenDispute:    "dispute_opened",
	aftersales.ActEscalate:       "dispute_escalated",
	aftersales.ActRemind:         "deadline_missed",
	aftersales.ActWorkflowFailed: "workflow_failed",
}

// Notice is one notification a change produces: its recipient (ToBuyer or
// ToStaff) and its template.
type Notice struct {
	To   string
	Kind string
}

// NoticesFor returns what timeline entry e tells, buyer first.
func NoticesFor(e aftersales.TimelineEntry) []Notice {
	var out []Notice
	if k, ok := buyerKinds[e.Action]; ok {
		out = append(out, Notice{ToBuyer, k})
	} else if e.From != e.To {
		out = append(out, Notice{ToBuyer, KindStatusChanged})
	}
	if k, ok := staffKinds[e.Action]; ok {
		out = append(out, Notice{ToStaff, k})
	}
	return out
}

// kinds lists every kind the tables name, for the template tests.
func kinds() []Notice {
	out := []Notice{{ToBuyer, KindStatusChanged}}
	for _, k := range buyerKinds {
		out = append(out, Notice{ToBuyer, k})
	}
	for _, k := range staffKinds {
		out = append(out, Notice{ToStaff, k})
	}
	return out
}
