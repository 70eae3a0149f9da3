package aftersales

import (
	"context"
	"time"
)

// The ports and vocabulary of the case workflow: every wait of a case is a
// workflow execution paused on a task token, with a deadline.

// Waits completes the waits of case workflows (Step Functions task tokens).
type Waits interface {
	// CompleteWait resumes the workflow waiting on token with result.
	// ErrWaitGone means the wait already ended (timed out or completed).
	CompleteWait(ctx context.Context, token string, result StepResult) error
}

// ErrWaitGone: the workflow is no longer waiting on that token; its deadline
// path has taken over and will see the case as it is now.
var ErrWaitGone = E(KindConflict, "", "the workflow is no longer waiting on this step")

// Intake hands a new case to the workflow (through a queue, so that bursts
// are paced).
type Intake interface {
	EnqueueCase(ctx context.Context, caseID string) error
	// ReopenCase starts a later run of the case's workflow, named by run
	// (a completed case reopened by a dispute has no execution to resume).
	ReopenCase(ctx context.Context, caseID, run string) error
}

// RuleSetStore keeps the merchant's versioned rule sets.
type RuleSetStore interface {
	// GetRuleSet returns the current rule set, or ErrNotFound when none was
	// ever stored (callers then use DefaultRuleSet).
	GetRuleSet(ctx context.Context) (*RuleSet, error)
	// PutRuleSet stores rs as the new current version. A version is
	// written once: one already stored is ErrVersionConflict (the caller,
	// usecase/rulesets, numbers it current + 1).
	PutRuleSet(ctx context.Context, rs *RuleSet) error
}

// StepResult is what every workflow step returns to the state machine: the
// case's status (which the machine routes on) and how long the next wait
// may last.
type StepResult struct {
	CaseID      string
	Status      Status
	WaitSeconds int64
}

// waitOf names the wait each waiting status is in.
var waitOf = map[Status]string{
	StatusPendingReview:    WaitReview,
	StatusAwaitingEvidence: WaitEvidence,
	StatusAwaitingReturn:   WaitReturn,
	StatusReturnInTransit:  WaitTransit,
	StatusAwaitingReceipt:  WaitReceipt,
	StatusReshipping:       WaitReship,
	StatusRefunding:        WaitRefund,
	StatusRejected:         WaitDispute,
	StatusDisputed:         WaitResolution,
	StatusEscalated:        WaitArbitration,
	StatusIntercepting:     WaitInterception,
}

// WaitOf names the wait a case in status s is in; ok is false for statuses
// in which the workflow does not wait (it is working, or the case ended).
func WaitOf(s Status) (wait string, ok bool) {
	wait, ok = waitOf[s]
	return wait, ok
}

// Actors of automatic changes.
const (
	ActorRules    = "rules"
	ActorWorkflow = "system"
	ActorDeadline = "system:deadline"
)

// Refund poll back-off: when the provider has not notified, its status is
// queried after each of these delays in turn, then every RefundPollEvery.
// WeChat Pay notifies, so its first query waits a minute; Alipay answers
// synchronously and documents a first query after 10 s.
var (
	refundPolls = map[PaymentChannel][]time.Duration{
		ChannelWeChatPay: {time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute},
		ChannelAlipay:    {10 * time.Second, time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute},
	}
	// RefundPollEvery is the query interval once the back-off is spent.
	RefundPollEvery = 30 * time.Minute
	// RefundStaffWait is how long a failed refund waits for staff, and a
	// manual one for finance, before they are reminded again.
	RefundStaffWait = 24 * time.Hour
)

// RefundPollDelay is how long to wait for news of a refund on channel after
// queries status queries.
func RefundPollDelay(channel PaymentChannel, queries int) time.Duration {
	polls, ok := refundPolls[channel]
	if !ok {
		polls = refundPolls[ChannelWeChatPay]
	}
	if queries < len(polls) {
		return polls[queries]
	}
	return RefundPollEvery
}

// RefundRoute is the payment route of a case's refund: store balance when
// the buyer chose it, else the order's payment channel.
func RefundRoute(c *Case, o *Order) PaymentChannel {
	if c.RefundTo == RefundBalance {
		return ChannelBalance
	}
	return o.Payment.Channel
}

// CurrentRefundSeq is the number of the case's current refund: 1 until
// staff retry a failed one.
func (c *Case) CurrentRefundSeq() int { return max(c.RefundSeq, 1) }

// CurrentOutRefundNo is the provider-facing number of the case's current
// refund.
func (c *Case) CurrentOutRefundNo() string { return OutRefundNo(c.ID, c.CurrentRefundSeq()) }
