package memstore_test

import (
	"testing"

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
