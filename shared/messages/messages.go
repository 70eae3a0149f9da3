// Package messages holds the bodies of the queues' messages and the workflow
// task's input and output: each contract's one home, shared by the sender
// and the consumer, so the two cannot drift apart field by field.
//
// One type per queue: Intake (the intake queue), Notice (the inbound queue),
// ReviewItem (the batch review queue); and Task and StepResult, what the
// state machine sends the tasks function and what every step returns.
package messages

import (
	"encoding/json"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Intake is the body of an intake message, {"case_id":"<id>"}: the case is
// stored already, so the message only says which one to start the workflow
// for (and, for a reopened case, which run). Nothing else goes in, so a
// message can never disagree with the case it names.
type Intake struct {
	CaseID string `json:"case_id"`
	// Run names a later run of the case's workflow ("dispute": a completed
	// case reopened), empty for the first.
	Run string `json:"run,omitempty"`
}

// Notice is the body of an inbound queue message: a provider's refund
// notification, verified by the webhook that received it.
type Notice struct {
	Channel          string    `json:"channel"`
	NotificationID   string    `json:"notification_id"`
	OutRefundNo      string    `json:"out_refund_no"`
	State            string    `json:"state"`
	ProviderRefundID string    `json:"provider_refund_id,omitempty"`
	Account          string    `json:"account,omitempty"`
	ArrivedAt        time.Time `json:"arrived_at,omitzero"`
}

// NoticeOf is the message for n.
func NoticeOf(n aftersales.RefundNotice) Notice {
	return Notice{
		Channel: string(n.Channel), NotificationID: n.NotificationID, OutRefundNo: n.OutRefundNo,
		State: string(n.State), ProviderRefundID: n.ProviderRefundID, Account: n.Account, ArrivedAt: n.ArrivedAt,
	}
}

// RefundNotice is the notification m carries.
func (m Notice) RefundNotice() aftersales.RefundNotice {
	return aftersales.RefundNotice{
		Channel: aftersales.PaymentChannel(m.Channel), NotificationID: m.NotificationID, OutRefundNo: m.OutRefundNo,
		RefundResult: aftersales.RefundResult{State: aftersales.RefundState(m.State),
			ProviderRefundID: m.ProviderRefundID, Account: m.Account, ArrivedAt: m.ArrivedAt},
	}
}

// ReviewItem is the body of a batch review queue message: one case of a
// batch job.
type ReviewItem struct {
	JobID  string `json:"job_id"`
	CaseID string `json:"case_id"`
}

// ReviewItemOf is the message for it.
func ReviewItemOf(it aftersales.ReviewItem) ReviewItem {
	return ReviewItem{JobID: it.JobID, CaseID: it.CaseID}
}

// Item is the review item m carries.
func (m ReviewItem) Item() aftersales.ReviewItem {
	return aftersales.ReviewItem{JobID: m.JobID, CaseID: m.CaseID}
}

// Task is the payload of every task state: the Parameters.Payload blocks of
// statemachines/case.asl.json, which is its sender.
type Task struct {
	Task        string          `json:"task"`
	CaseID      string          `json:"case_id"`
	Token       string          `json:"token,omitempty"`
	Status      string          `json:"status,omitempty"` // deadline: the status the wait began in
	WaitSeconds int64           `json:"wait_seconds,omitempty"`
	Error       json.RawMessage `json:"error,omitempty"` // fail: what the Catch clause caught
}

// StepResult is the JSON every workflow step returns and the state machine
// routes on: the tasks' output and the output of a completed wait.
type StepResult struct {
	CaseID      string `json:"case_id"`
	Status      string `json:"status"`
	WaitSeconds int64  `json:"wait_seconds"`
}

// The workflow's wait loop (statemachines/case.asl.json, state Await):
// a wait begun by the "next" task is stored with its task token marked
// by LoopPrefix, so that whoever ends it knows how: with the error Next
// (its cause the StepResult of the next wait, which the state machine
// catches back to Await) when the case waits again, with success (which
// ends the execution) when it needs no more waiting. An execution of the
// former definition, whose waits began with "wait" or "refund", routes on
// the status instead and gets SendTaskSuccess whatever it is.
// NoWaitSeconds is the wait_seconds of a step whose status has no wait:
// Await needs a positive timeout, and its task ends such an execution at
// once.
const (
	LoopPrefix    = "loop:"
	Next          = "AfterSales.Next"
	NoWaitSeconds = 60
)

// LoopToken marks token as the token of a wait of the loop.
func LoopToken(token string) string { return LoopPrefix + token }

// StepResultOf converts a step result to its JSON shape.
func StepResultOf(r aftersales.StepResult) StepResult {
	return StepResult{CaseID: r.CaseID, Status: string(r.Status), WaitSeconds: r.WaitSeconds}
}
