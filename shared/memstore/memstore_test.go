package memstore_test

import (
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
)

// openStores returns an empty Store as every port the suites of Run and
// RunRefunds hold to account, judging expiry by a FakeClock at
// storetest.Epoch.
func openStores(*testing.T) storetest.RefundStores {
	clock := storetest.NewFakeClock(storetest.Epoch)
	s := memstore.New(clock)
	return storetest.RefundStores{
		Stores:  storetest.Stores{Cases: s, Idempotency: s, Orders: s, Clock: clock},
		Refunds: s, Notifications: s,
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores { return openStores(t).Stores })
}

func TestRefundConformance(t *testing.T) {
	storetest.RunRefunds(t, openStores)
}

func TestReviewJobConformance(t *testing.T) {
	storetest.RunJobs(t, func(t *testing.T) aftersales.ReviewJobStore { return memstore.NewJobs() })
}

func TestRuleSetStore(t *testing.T) {
	storetest.RunRuleSets(t, func(t *testing.T) aftersales.RuleSetStore { return memstore.NewRuleSets() })
}

func TestThreadConformance(t *testing.T) {
	storetest.RunThreads(t, func(t *testing.T) storetest.ThreadStores {
		s := memstore.New(nil)
		return storetest.ThreadStores{Threads: s, Clock: storetest.NewFakeClock(storetest.Epoch),
			Tamper: func(t *testing.T, caseID string, seq int, text string) {
				if !s.TamperMessage(caseID, seq, func(m *aftersales.Message) { m.Text = text }) {
					t.Fatalf("no message %d in %s", seq, caseID)
				}
			}}
	})
}

func TestInboxConformance(t *testing.T) {
	storetest.RunInbox(t, func(t *testing.T) storetest.InboxStores {
		s := memstore.NewInbox()
		return storetest.InboxStores{Inbox: s, Deliveries: s}
	})

}

func TestPhotoHashConformance(t *testing.T) {
	storetest.RunPhotoHashes(t, func(t *testing.T) aftersales.PhotoHashStore { return memstore.NewPhotoHashes() })
}

func TestOutboxConformance(t *testing.T) {
	storetest.RunOutbox(t, func(t *testing.T) storetest.OutboxStores {
		stores := openStores(t)
		return storetest.OutboxStores{Stores: stores.Stores, Outbox: stores.Cases.(*memstore.Store)}
	})
}
