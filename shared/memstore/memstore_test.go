package memstore_test

import (
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		clock := storetest.NewFakeClock(storetest.Epoch)
		s := memstore.New(clock)
		return storetest.Stores{Cases: s, Idempotency: s, Orders: s, Clock: clock}
	})
}

func TestRefundConformance(t *testing.T) {
	storetest.RunRefunds(t, func(t *testing.T) storetest.RefundStores {
		clock := storetest.NewFakeClock(storetest.Epoch)
		s := memstore.New(clock)
		return storetest.RefundStores{
			Stores:  storetest.Stores{Cases: s, Idempotency: s, Orders: s, Clock: clock},
			Refunds: s, Notifications: s,
		}
	})
}

func TestReviewJobConformance(t *testing.T) {
	storetest.RunJobs(t, func(t *testing.T) aftersales.ReviewJobStore { return memstore.NewJobs() })
}

func TestRuleSetStore(t *testing.T) {
	storetest.RunRuleSets(t, func(t *testing.T) aftersales.RuleSetStore { return memstore.NewRuleSets() })
}
