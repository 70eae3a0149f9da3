package usecase_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// disputedCase is a case rejected by staff, its dispute wait begun with
// token "t-dispute", then disputed by its buyer with the resolution wait
// begun with token "t-resolve".
func disputedCase(t *testing.T) (*usecase.Services, *fakeWaits, *aftersales.Case, *storetest.FakeClock) {
	t.Helper()
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.New(clock)
	svc, waits := newServiceWith(t, usecase.Ports{Cases: store, Orders: store, Idempotency: store, Refunds: store}, noBlobs{}, clock,
		func(p *usecase.Ports) { p.Threads = store })
	c := inReview(t, svc, "t-review", "l1")
	if _, err := svc.Review.Reject(t.Context(), reviewer, c.ID, "worn"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Workflow.BeginWait(t.Context(), c.ID, "t-dispute", 7*24*3600); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Disputes.Open(t.Context(), buyer, c.ID, aftersales.DisputeRequest{Reason: "not worn", Description: "tags still on"})
	if err != nil {
		t.Fatal(err)
	}
	if got := waits.completed["t-dispute"]; got.Status != aftersales.StatusDisputed || got.WaitSeconds != 48*3600 {
		t.Fatalf("opening resumed the dispute wait with %+v, want disputed for 48 h", got)
	}
	if err := svc.Workflow.BeginWait(t.Context(), c.ID, "t-resolve", 48*3600); err != nil {
		t.Fatal(err)
	}
	return svc, waits, c, clock
}

func TestMerchantAnswerRestartsTheWaitFromTheOpening(t *testing.T) {
	svc, waits, c, clock := disputedCase(t)
	clock.Advance(10 * time.Hour)
	if _, err := svc.Disputes.Post(t.Context(), buyer, aftersales.PartyBuyer, c.ID, aftersales.MessageRequest{Text: "see the tags"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := waits.completed["t-resolve"]; ok {
		t.Fatal("the buyer's message ended the merchant's answer wait")
	}
	if _, err := svc.Disputes.Post(t.Context(), reviewer, aftersales.PartyMerchant, c.ID, aftersales.MessageRequest{Text: "checking"}); err != nil {
		t.Fatal(err)
	}
	got, ok := waits.completed["t-resolve"]
	if want := int64((5*24 - 10) * 3600); !ok || got.Status != aftersales.StatusDisputed || got.WaitSeconds != want {
		t.Fatalf("the merchant's answer resumed with %+v (resumed: %v), want disputed for %d s: the agreement deadline from the opening", got, ok, want)
	}
	delete(waits.completed, "t-resolve")
	if _, err := svc.Disputes.Post(t.Context(), reviewer, aftersales.PartyMerchant, c.ID, aftersales.MessageRequest{Text: "again"}); err != nil {
		t.Fatal(err)
	}
	if len(waits.completed) != 2 { // t-review and t-dispute
		t.Errorf("a second answer resumed a wait again: %v", waits.completed)
	}
}

// TestConcurrentMessagesKeepOneChain: messages posted at once all land,
// numbered without a gap, in one verified chain.
func TestConcurrentMessagesKeepOneChain(t *testing.T) {
	svc, _, c, _ := disputedCase(t)
	const writers = 4
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = svc.Disputes.Post(t.Context(), buyer, aftersales.PartyBuyer, c.ID, aftersales.MessageRequest{Text: fmt.Sprintf("message %d", i)})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	th, err := svc.Disputes.Thread(t.Context(), buyer, aftersales.PartyBuyer, c.ID)
	if err != nil || !th.Verified || len(th.Messages) != writers {
		t.Fatalf("thread: %d messages, verified %v, %v", len(th.Messages), th.Verified, err)
	}
}

func TestMessageAndDisputeRefusals(t *testing.T) {
	svc, _, c, _ := disputedCase(t)
	other := aftersales.Principal{ID: "b2", Roles: []aftersales.Role{aftersales.RoleBuyer}}
	arbitrator := aftersales.Principal{ID: "a1", Roles: []aftersales.Role{aftersales.RoleArbitrator}}
	tests := []struct {
		name  string
		call  func() error
		kind  aftersales.Kind
		field string
	}{
		{"another buyer writes", func() error {
			_, err := svc.Disputes.Post(t.Context(), other, aftersales.PartyBuyer, c.ID, aftersales.MessageRequest{Text: "hi"})
			return err
		}, aftersales.KindNotFound, ""},
		{"another buyer reads", func() error {
			_, err := svc.Disputes.Thread(t.Context(), other, aftersales.PartyBuyer, c.ID)
			return err
		}, aftersales.KindNotFound, ""},
		{"a text too long", func() error {
			_, err := svc.Disputes.Post(t.Context(), buyer, aftersales.PartyBuyer, c.ID, aftersales.MessageRequest{Text: string(make([]rune, 2001, 2001))})
			return err
		}, aftersales.KindInvalid, "text"},
		{"evidence that is no upload", func() error {
			_, err := svc.Disputes.Post(t.Context(), buyer, aftersales.PartyBuyer, c.ID, aftersales.MessageRequest{Text: "x", EvidenceIDs: []string{"ev_nope"}})
			return err
		}, aftersales.KindInvalid, "evidence_ids[0]"},
		{"staff attach a file that is not their document", func() error {
			_, err := svc.Disputes.Post(t.Context(), reviewer, aftersales.PartyMerchant, c.ID, aftersales.MessageRequest{Text: "x", EvidenceIDs: []string{"ev_1"}})
			return err
		}, aftersales.KindInvalid, "evidence_ids[0]"},
		{"an arbitrator proposes", func() error {
			_, err := svc.Disputes.Propose(t.Context(), arbitrator, aftersales.PartyPlatform, c.ID, 100, "")
			return err
		}, aftersales.KindForbidden, ""},
		{"a reviewer arbitrates", func() error {
			_, err := svc.Disputes.Arbitrate(t.Context(), reviewer, c.ID, aftersales.VerdictDismiss, 0, "no")
			return err
		}, aftersales.KindForbidden, ""},
		{"an arbitrator before escalation", func() error {
			_, err := svc.Disputes.Arbitrate(t.Context(), arbitrator, c.ID, aftersales.VerdictDismiss, 0, "no")
			return err
		}, aftersales.KindConflict, ""},
		{"a buyer speaks for the merchant", func() error {
			_, err := svc.Disputes.Propose(t.Context(), buyer, aftersales.PartyMerchant, c.ID, 100, "")
			return err
		}, aftersales.KindForbidden, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if aftersales.KindOf(err) != tc.kind {
				t.Fatalf("err = %v, want kind %v", err, tc.kind)
			}
			if tc.field != "" && !namesField(err, tc.field) {
				t.Errorf("err %v does not name %s", err, tc.field)
			}
		})
	}
}

// namesField reports whether err is a validation error naming field.
func namesField(err error, field string) bool {
	var e *aftersales.Error
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
