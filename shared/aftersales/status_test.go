package aftersales

import (
	"errors"
	"testing"
	"time"
)

var allActions = []Action{
	ActSubmit, ActAttachEvidence, ActSendToReview, ActRequestEvidence, ActApprove, ActReject,
	ActShipReturn, ActReturnDelivered, ActConfirmReceipt, ActReship, ActRefundSucceeded,
	ActRefundFailed, ActOpenDispute, ActAgree, ActEscalate, ActArbitrate, ActDismiss, ActExpire, ActCancel,
	ActAwait, ActRemind, ActWorkflowFailed, ActRefundManual, ActAnswerDispute, ActPropose, ActMessage, ActDeadlineSoon,
}

// TestEveryStatusActionPair walks the whole status x action x type space and
// checks that Apply does exactly what the table says, nothing more.
func TestEveryStatusActionPair(t *testing.T) {
	at := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	for _, from := range append([]Status{StatusNone}, Statuses...) {
		for _, act := range allActions {
			for _, typ := range CaseTypes {
				want, allowed := Next(from, act, typ)
				c := &Case{Type: typ, Status: from, Version: 3, WaitingFor: "x", TaskToken: "tok"}
				err := c.Apply(Change{Action: act, Actor: "system", At: at, Note: "n"})
				name := string(from) + "/" + string(act) + "/" + string(typ)
				if !allowed {
					if KindOf(err) != KindConflict {
						t.Errorf("%s: Apply error kind = %v, want Conflict", name, KindOf(err))
					}
					if c.Status != from || c.Version != 3 || len(c.Timeline) != 0 {
						t.Errorf("%s: refused action changed the case: %+v", name, c)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: Apply: %v", name, err)
				}
				if c.Status != want || c.Version != 4 || len(c.Timeline) != 1 {
					t.Fatalf("%s: got status %s version %d timeline %d", name, c.Status, c.Version, len(c.Timeline))
				}
				e := c.Timeline[0]
				if e.Seq != 4 || e.From != from || e.To != want || e.Action != act || e.Actor != "system" || !e.At.Equal(at) {
					t.Errorf("%s: timeline entry %+v", name, e)
				}
				if moved := from != want; moved == (c.TaskToken != "") {
					t.Errorf("%s: task token kept=%v although status moved=%v", name, c.TaskToken != "", moved)
				}
			}
		}
	}
}

func TestTransitionTableShape(t *testing.T) {
	type key struct {
		from Status
		act  Action
		typ  CaseType
	}
	seen := map[key]bool{}
	for _, tr := range Transitions {
		types := tr.Types
		if types == nil {
			types = CaseTypes
		}
		for _, typ := range types {
			k := key{tr.From, tr.Action, typ}
			if seen[k] {
				t.Errorf("two rows for %v: the table must be deterministic", k)
			}
			seen[k] = true
		}
		// One row leaves an ended status: contesting a refund's amount.
		if tr.From.Terminal() && (tr.From != StatusCompleted || tr.Action != ActOpenDispute) {
			t.Errorf("row leaves terminal status %s", tr.From)
		}
		if tr.To != StatusNone && !tr.To.Valid() {
			t.Errorf("row leads to unknown status %q", tr.To)
		}
	}
	for _, s := range Statuses {
		_, waiting := waits[s]
		if waiting == s.Terminal() {
			t.Errorf("status %s: terminal=%v but has next step=%v", s, s.Terminal(), waiting)
		}
	}
}

// TestEveryStatusReachableAndEnds checks, per case type, that each status the
// type can reach is reachable from a new case and can still reach an end,
// following an action that changes the case's type (TypeAfter) into the
// new type's statuses.
func TestEveryStatusReachableAndEnds(t *testing.T) {
	ends := map[CaseType]map[Status]bool{}
	for _, typ := range CaseTypes {
		ends[typ] = map[Status]bool{}
		for _, s := range Statuses {
			ends[typ][s] = s.Terminal()
		}
	}
	for changed := true; changed; {
		changed = false
		for _, typ := range CaseTypes {
			for _, tr := range Transitions {
				if to, ok := Next(tr.From, tr.Action, typ); ok && ends[TypeAfter(tr.Action, typ)][to] && !ends[typ][tr.From] {
					ends[typ][tr.From], changed = true, true
				}
			}
		}
	}
	for _, typ := range CaseTypes {
		t.Run(string(typ), func(t *testing.T) {
			// Reachable (status, type) pairs: a type change moves on in
			// the new type's rows.
			type at struct {
				s Status
				t CaseType
			}
			reachAt := map[at]bool{{StatusNone, typ}: true}
			for changed := true; changed; {
				changed = false
				for _, tr := range Transitions {
					for from := range reachAt {
						if from.s != tr.From {
							continue
						}
						if to, ok := Next(tr.From, tr.Action, from.t); ok && !reachAt[at{to, TypeAfter(tr.Action, from.t)}] {
							reachAt[at{to, TypeAfter(tr.Action, from.t)}], changed = true, true
						}
					}
				}
			}
			reach := map[Status]bool{}
			for p := range reachAt {
				reach[p.s] = true
				if p.s != StatusNone && !ends[p.t][p.s] {
					t.Errorf("%s can get stuck in %s (as %s)", typ, p.s, p.t)
				}
			}
			for _, must := range []Status{StatusCompleted, StatusClosed, StatusCancelled, StatusRefunding} {
				if typ == Exchange && must == StatusRefunding {
					must = StatusReshipping
				}
				if !reach[must] {
					t.Errorf("%s never reaches %s", typ, must)
				}
			}
		})
	}
}

func TestHappyPaths(t *testing.T) {
	tests := []struct {
		name  string
		typ   CaseType
		steps []Action
		want  []Status
	}{
		{"refund only approved by rules", RefundOnly, []Action{ActSubmit, ActApprove, ActRefundSucceeded},
			[]Status{StatusSubmitted, StatusRefunding, StatusCompleted}},
		{"return and refund", ReturnRefund, []Action{ActSubmit, ActSendToReview, ActApprove, ActShipReturn, ActReturnDelivered, ActConfirmReceipt, ActRefundSucceeded},
			[]Status{StatusSubmitted, StatusPendingReview, StatusAwaitingReturn, StatusReturnInTransit, StatusAwaitingReceipt, StatusRefunding, StatusCompleted}},
		{"exchange", Exchange, []Action{ActSubmit, ActApprove, ActShipReturn, ActReturnDelivered, ActConfirmReceipt, ActReship},
			[]Status{StatusSubmitted, StatusAwaitingReturn, StatusReturnInTransit, StatusAwaitingReceipt, StatusReshipping, StatusCompleted}},
		{"claim needs evidence", Claim, []Action{ActSubmit, ActRequestEvidence, ActAttachEvidence, ActApprove, ActRefundSucceeded},
			[]Status{StatusSubmitted, StatusAwaitingEvidence, StatusSubmitted, StatusRefunding, StatusCompleted}},
		{"rejection disputed and escalated", RefundOnly, []Action{ActSubmit, ActReject, ActOpenDispute, ActEscalate, ActArbitrate},
			[]Status{StatusSubmitted, StatusRejected, StatusDisputed, StatusEscalated, StatusRefunding}},
		{"rejection stands", ReturnRefund, []Action{ActSubmit, ActReject, ActExpire},
			[]Status{StatusSubmitted, StatusRejected, StatusClosed}},
		{"return never shipped", ReturnRefund, []Action{ActSubmit, ActApprove, ActExpire},
			[]Status{StatusSubmitted, StatusAwaitingReturn, StatusClosed}},
		{"buyer cancels", Exchange, []Action{ActSubmit, ActCancel}, []Status{StatusSubmitted, StatusCancelled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Case{Type: tt.typ}
			for i, a := range tt.steps {
				if err := c.Apply(Change{Action: a, Actor: "test", At: time.Unix(int64(i), 0)}); err != nil {
					t.Fatalf("step %d %s: %v", i, a, err)
				}
				if c.Status != tt.want[i] {
					t.Fatalf("step %d %s: status %s, want %s", i, a, c.Status, tt.want[i])
				}
			}
			if c.Version != len(tt.steps) || len(c.Timeline) != len(tt.steps) {
				t.Errorf("version %d timeline %d, want %d", c.Version, len(c.Timeline), len(tt.steps))
			}
		})
	}
}

func TestApplyRefusalNamesTheStatus(t *testing.T) {
	c := &Case{Type: RefundOnly, Status: StatusRefunding, Version: 2}
	err := c.Apply(Change{Action: ActCancel, Actor: "buyer:b"})
	var e *Error
	if !errors.As(err, &e) || e.Msg != "a refund_only case that is refunding cannot cancel" {
		t.Fatalf("err = %v", err)
	}
}
