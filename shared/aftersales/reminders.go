package aftersales

import (
	"fmt"
	"time"
)

// Reminders before a deadline (F6, F25): a buyer who must act (add
// evidence, ship the return, dispute a rejection) is reminded BuyerReminderLead
// before the wait's deadline; staff are warned SLAWarningLead before a member's
// review promise runs out. Each deadline gets one reminder.
const (
	BuyerReminderLead = 24 * time.Hour
	SLAWarningLead    = 15 * time.Minute
)

// buyerWaits are the statuses in which the buyer must act before the
// deadline.
var buyerWaits = map[Status]bool{StatusAwaitingEvidence: true, StatusAwaitingReturn: true, StatusRejected: true}

// ReminderStatuses are the statuses ReminderDue can answer for.
var ReminderStatuses = []Status{StatusAwaitingEvidence, StatusAwaitingReturn, StatusRejected, StatusPendingReview}

// ReminderDue returns the due time c should be reminded of now, if any: the
// deadline of a buyer's wait within BuyerReminderLead, or a review promise
// within SLAWarningLead, not yet passed and not reminded of before.
func (c *Case) ReminderDue(now time.Time) (time.Time, bool) {
	due, lead := c.Deadline, BuyerReminderLead
	switch {
	case buyerWaits[c.Status]:
	case c.Status == StatusPendingReview:
		due, lead = c.PromisedBy, SLAWarningLead
	default:
		return time.Time{}, false
	}
	if due.IsZero() || now.Before(due.Add(-lead)) || !now.Before(due) || c.RemindedFor.Equal(due) {
		return time.Time{}, false
	}
	return due, true
}

// Remind records the reminder of due on the timeline (which tells the
// buyer, or staff for a review promise) and remembers it was sent.
func (c *Case) Remind(due, at time.Time) error {
	what := "deadline"
	if c.Status == StatusPendingReview {
		what = "review promised"
	}
	if err := c.Apply(Change{Action: ActDeadlineSoon, Actor: ActorWorkflow, At: at,
		Note: fmt.Sprintf("%s due at %s", what, due.UTC().Format(time.RFC3339))}); err != nil {
		return err
	}
	c.RemindedFor = due.UTC()
	return nil
}
