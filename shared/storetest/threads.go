package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// ThreadStores is a fresh thread store under test, with Tamper: a way
// around the store to overwrite the text of a stored message, as someone
// with write access to the database could.
type ThreadStores struct {
	Threads aftersales.ThreadStore
	Tamper  func(t *testing.T, caseID string, seq int, text string)
	Clock   *FakeClock
}

// RunThreads runs the conformance suite of aftersales.ThreadStore.
func RunThreads(t *testing.T, open func(t *testing.T) ThreadStores) {
	runSuite(t, []test[ThreadStores]{
		{"AppendAndList", testThreadAppendAndList},
		{"PlaceTakenOnce", testThreadPlaceTakenOnce},
		{"TamperingDetected", testThreadTampering},
	}, open, func(s ThreadStores) *FakeClock { return s.Clock })
}

// thread appends n sealed messages to caseID's thread and returns them.
func thread(t *testing.T, s ThreadStores, caseID string, n int) []aftersales.Message {
	t.Helper()
	var out []aftersales.Message
	for i := range n {
		m := aftersales.Message{CaseID: caseID, ID: fmt.Sprintf("msg_%d", i+1), Author: "buyer:buyer-1",
			Party: aftersales.PartyBuyer, Text: fmt.Sprintf("第 %d 条\nline two", i+1),
			At: Epoch.Add(time.Duration(i)*time.Minute + 123456789)}
		if i%2 == 1 {
			m.Author, m.Party, m.EvidenceIDs = "staff:s-1", aftersales.PartyMerchant, []string{"ev_b", "ev_a"}
		}
		var prev *aftersales.Message
		if len(out) > 0 {
			prev = &out[len(out)-1]
		}
		m.Seal(prev)
		must(t, "append message", s.Threads.AppendMessage(t.Context(), m))
		out = append(out, m)
	}
	return out
}

// testThreadAppendAndList: messages read back field for field, in order,
// the chain intact; threads of other cases are apart, an unknown one empty.
func testThreadAppendAndList(t *testing.T, s ThreadStores) {
	want := thread(t, s, "as_1", 3)
	thread(t, s, "as_2", 1)
	got, err := s.Threads.ListMessages(t.Context(), "as_1")
	must(t, "list", err)
	same(t, "thread", got, want)
	must(t, "verify", aftersales.VerifyThread(got))
	none, err := s.Threads.ListMessages(t.Context(), "as_unknown")
	must(t, "list unknown", err)
	if len(none) != 0 {
		t.Errorf("unknown case's thread has %d messages, want 0", len(none))
	}
}

// testThreadPlaceTakenOnce: of writers racing for one place in a thread,
// exactly one succeeds and the others get ErrVersionConflict.
func testThreadPlaceTakenOnce(t *testing.T, s ThreadStores) {
	first := thread(t, s, "as_1", 1)[0]
	const racers = 6
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			m := aftersales.Message{CaseID: "as_1", ID: fmt.Sprintf("msg_r%d", i), Author: "buyer:buyer-1",
				Party: aftersales.PartyBuyer, Text: "race", At: Epoch}
			m.Seal(&first)
			errs[i] = s.Threads.AppendMessage(t.Context(), m)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, aftersales.ErrVersionConflict):
			t.Errorf("racer %d: %v, want ErrVersionConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d writers took place 2, want 1", won)
	}
	got, err := s.Threads.ListMessages(t.Context(), "as_1")
	must(t, "list", err)
	if len(got) != 2 {
		t.Fatalf("thread has %d messages, want 2", len(got))
	}
	must(t, "verify", aftersales.VerifyThread(got))
}

// testThreadTampering: a message changed in the database behind the
// store's back is found by VerifyThread, and named.
func testThreadTampering(t *testing.T, s ThreadStores) {
	thread(t, s, "as_1", 3)
	s.Tamper(t, "as_1", 2, "I never said that")
	got, err := s.Threads.ListMessages(t.Context(), "as_1")
	must(t, "list", err)
	err = aftersales.VerifyThread(got)
	if !errors.Is(err, aftersales.ErrThreadTampered) {
		t.Fatalf("verify after tampering: %v, want ErrThreadTampered", err)
	}
	var e *aftersales.Error
	if !errors.As(err, &e) || e.Msg != aftersales.ErrThreadTampered.Error()+": message 2 is not as it was written" {
		t.Errorf("verify names %v, want message 2", err)
	}
}
