package aftersales

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var disputeAt = time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC)

// rejectedCase is a refund-only case of 5000 rejected an hour before
// disputeAt, its dispute wait recorded until deadline.
func rejectedCase(deadline time.Time) *Case {
	c := &Case{ID: "as_1", BuyerID: "b-1", Type: RefundOnly, Currency: CNY, Requested: 5000, Status: StatusSubmitted, Version: 1,
		CreatedAt: disputeAt.Add(-2 * time.Hour)}
	_ = c.Apply(Change{Action: ActReject, Actor: "rules", At: disputeAt.Add(-time.Hour)})
	c.Deadline = deadline
	return c
}

// partlyRefunded is a completed refund-only case of 5000 refunded 2000.
func partlyRefunded() *Case {
	c := &Case{ID: "as_2", BuyerID: "b-1", Type: RefundOnly, Currency: CNY, Requested: 5000, Approved: 2000, Refunded: 2000,
		RefundSeq: 1, Status: StatusRefunding, Version: 4}
	_ = c.Apply(Change{Action: ActRefundSucceeded, Actor: "provider:wechatpay", At: disputeAt.Add(-24 * time.Hour)})
	return c
}

func TestOpenDispute(t *testing.T) {
	week := 7 * 24 * time.Hour
	req := DisputeRequest{Reason: "not as described", Description: "the photos show it"}
	tests := []struct {
		name     string
		c        func() *Case
		req      DisputeRequest
		at       time.Time
		wantKind DisputeKind
		wantErr  Kind
		field    string
	}{
		{"rejected within the wait", func() *Case { return rejectedCase(disputeAt.Add(time.Hour)) }, req, disputeAt, DisputeRejection, 0, ""},
		{"rejected after the wait", func() *Case { return rejectedCase(disputeAt.Add(-time.Minute)) }, req, disputeAt, "", KindConflict, ""},
		{"rejected, wait not recorded yet: the window from the rejection", func() *Case { return rejectedCase(time.Time{}) }, req, disputeAt, DisputeRejection, 0, ""},
		{"refunded for less", partlyRefunded, req, disputeAt, DisputeAmount, 0, ""},
		{"refunded for less, window closed", partlyRefunded, req, disputeAt.Add(week), "", KindConflict, ""},
		{"refunded in full", func() *Case { c := partlyRefunded(); c.Refunded = 5000; return c }, req, disputeAt, "", KindConflict, ""},
		{"an exchange", func() *Case { c := partlyRefunded(); c.Type = Exchange; return c }, req, disputeAt, "", KindConflict, ""},
		{"under review", func() *Case { return &Case{Status: StatusPendingReview, Type: RefundOnly} }, req, disputeAt, "", KindConflict, ""},
		{"twice", func() *Case { c := rejectedCase(disputeAt.Add(time.Hour)); c.Dispute = &Dispute{}; return c }, req, disputeAt, "", KindConflict, ""},
		{"no reason", func() *Case { return rejectedCase(disputeAt.Add(time.Hour)) }, DisputeRequest{Description: "x"}, disputeAt, "", KindInvalid, "reason"},
		{"ten evidence ids", func() *Case { return rejectedCase(disputeAt.Add(time.Hour)) },
			DisputeRequest{Reason: "r", Description: "d", EvidenceIDs: strings.Split("ev_1 ev_2 ev_3 ev_4 ev_5 ev_6 ev_7 ev_8 ev_9 ev_10", " ")}, disputeAt, "", KindInvalid, "evidence_ids"},
		{"a repeated evidence id", func() *Case { return rejectedCase(disputeAt.Add(time.Hour)) },
			DisputeRequest{Reason: "r", Description: "d", EvidenceIDs: []string{"ev_1", "ev_1"}}, disputeAt, "", KindInvalid, "evidence_ids[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c()
			version := c.Version
			err := c.OpenDispute(tc.req, "buyer:b-1", tc.at, week)
			if tc.wantErr != 0 {
				if KindOf(err) != tc.wantErr {
					t.Fatalf("err = %v, want kind %v", err, tc.wantErr)
				}
				if tc.field != "" && !hasField(err, tc.field) {
					t.Errorf("err %v does not name %s", err, tc.field)
				}
				if c.Version != version {
					t.Errorf("a refused dispute changed the case")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != StatusDisputed || c.Dispute.Kind != tc.wantKind || !c.Dispute.OpenedAt.Equal(tc.at) {
				t.Errorf("got %s %+v", c.Status, c.Dispute)
			}
		})
	}
}

func hasField(err error, field string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// disputed is partlyRefunded with its amount disputed.
func disputed(t *testing.T) *Case {
	t.Helper()
	c := partlyRefunded()
	if err := c.OpenDispute(DisputeRequest{Reason: "r", Description: "d"}, "buyer:b-1", disputeAt, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProposalsSettleOnTopOfTheRefund(t *testing.T) {
	c := disputed(t)
	if err := c.Propose(Proposal{ID: "pr_1", By: PartyMerchant, Actor: "staff:s", Amount: 1000, At: disputeAt}); err != nil {
		t.Fatal(err)
	}
	if c.Dispute.AnsweredAt.IsZero() {
		t.Error("a merchant's proposal did not answer the dispute")
	}
	if err := c.Propose(Proposal{ID: "pr_2", By: PartyMerchant, Actor: "staff:s", Amount: 1500, At: disputeAt.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got := c.Dispute.Proposals[0].Status; got != ProposalReplaced {
		t.Errorf("older proposal is %s, want replaced", got)
	}
	tests := []struct {
		name string
		id   string
		by   Party
		want Kind
	}{
		{"its own side", "pr_2", PartyMerchant, KindForbidden},
		{"a replaced one", "pr_1", PartyBuyer, KindConflict},
		{"an unknown one", "pr_9", PartyBuyer, KindNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.AcceptProposal(tc.id, tc.by, "x", disputeAt); KindOf(err) != tc.want {
				t.Errorf("err = %v, want kind %v", err, tc.want)
			}
		})
	}
	if err := c.AcceptProposal("pr_2", PartyBuyer, "buyer:b-1", disputeAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusRefunding || c.Approved != 3500 || c.Outstanding() != 1500 || c.RefundSeq != 2 {
		t.Errorf("after agreement: %s approved %d outstanding %d refund seq %d, want refunding 3500 1500 2",
			c.Status, c.Approved, c.Outstanding(), c.RefundSeq)
	}
}

func TestSettlementBounds(t *testing.T) {
	for _, amount := range []int64{0, -1, 3001} {
		c := disputed(t)
		err := c.Propose(Proposal{ID: "p", By: PartyBuyer, Amount: amount, At: disputeAt})
		if !hasField(err, "amount") {
			t.Errorf("amount %d: err = %v, want one naming amount (at most 3000 left)", amount, err)
		}
	}
}

func TestArbitrate(t *testing.T) {
	escalated := func(t *testing.T) *Case {
		c := disputed(t)
		if err := c.Escalate("no answer", disputeAt.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name    string
		verdict string
		amount  int64
		note    string
		field   string
		status  Status
	}{
		{"refund", VerdictRefund, 3000, "the photos prove it", "", StatusRefunding},
		{"dismiss", VerdictDismiss, 0, "used goods", "", StatusClosed},
		{"no note", VerdictRefund, 10, "", "note", ""},
		{"unknown verdict", "split", 10, "n", "outcome", ""},
		{"too much", VerdictRefund, 3001, "n", "amount", ""},
		{"dismiss with an amount", VerdictDismiss, 5, "n", "amount", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := escalated(t)
			err := c.Arbitrate(tc.verdict, tc.amount, tc.note, "arbitrator:a", disputeAt.Add(50*time.Hour))
			if tc.field != "" {
				if !hasField(err, tc.field) || c.Status != StatusEscalated {
					t.Fatalf("err = %v (status %s), want one naming %s", err, c.Status, tc.field)
				}
				return
			}
			if err != nil || c.Status != tc.status {
				t.Fatalf("err %v status %s, want %s", err, c.Status, tc.status)
			}
		})
	}
	if err := disputed(t).Arbitrate(VerdictRefund, 1, "n", "a", disputeAt); KindOf(err) != KindConflict {
		t.Errorf("arbitrating a dispute not escalated: %v, want a conflict", err)
	}
}

func TestReopenedCaseReleasesNoLines(t *testing.T) {
	c := disputed(t) // completed, then reopened
	prev := c.Version
	if err := c.Withdraw("buyer:b-1", disputeAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c.EndedSince(prev) {
		t.Error("a case reopened by a dispute ends again holding no lines, but EndedSince says it frees them")
	}
	fresh := rejectedCase(disputeAt)
	prev = fresh.Version
	_ = fresh.Apply(Change{Action: ActExpire, Actor: "system", At: disputeAt})
	if !fresh.EndedSince(prev) {
		t.Error("a case ending for the first time must free its lines")
	}
}

func TestVerifyThread(t *testing.T) {
	build := func() []Message {
		var ms []Message
		for i, text := range []string{"one", "two", "three"} {
			m := Message{CaseID: "as_1", ID: "msg_" + text, Author: "buyer:b", Party: PartyBuyer, Text: text,
				At: disputeAt.Add(time.Duration(i) * time.Minute)}
			var prev *Message
			if i > 0 {
				prev = &ms[i-1]
			}
			m.Seal(prev)
			ms = append(ms, m)
		}
		return ms
	}
	tests := []struct {
		name   string
		change func([]Message) []Message
		want   string // "" when it verifies
	}{
		{"untouched", func(ms []Message) []Message { return ms }, ""},
		{"text edited", func(ms []Message) []Message { ms[1].Text = "TWO"; return ms }, "message 2 is not as it was written"},
		{"edited and rehashed", func(ms []Message) []Message { ms[1].Text = "TWO"; ms[1].Hash = ms[1].Digest(); return ms }, "message 3 does not follow message 2"},
		{"time moved", func(ms []Message) []Message { ms[0].At = ms[0].At.Add(time.Second); return ms }, "message 1 is not as it was written"},
		{"one removed", func(ms []Message) []Message { return append(ms[:1], ms[2:]...) }, "message 2 has number 3"},
		{"last removed", func(ms []Message) []Message { return ms[:2] }, ""}, // a prefix is a true thread; the count is the store's
		{"swapped", func(ms []Message) []Message { ms[1], ms[2] = ms[2], ms[1]; return ms }, "message 2 has number 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyThread(tc.change(build()))
			var e *Error
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("verify: %v", err)
			case tc.want != "" && (!errors.Is(err, ErrThreadTampered) || !errors.As(err, &e) || !strings.HasSuffix(e.Msg, tc.want)):
				t.Errorf("verify: %v, want ErrThreadTampered ending %q", err, tc.want)
			}
		})
	}
}
