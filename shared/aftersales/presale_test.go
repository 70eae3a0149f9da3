package aftersales

import (
	"slices"
	"testing"
	"time"
)

// TestPresaleTranches (F19): deposit first, then the balance, and the
// extra deposit when the merchant did not ship within the promised days of
// the balance; a case pays them one at a time, capped by what is approved.
func TestPresaleTranches(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	order := func(balanceAgo time.Duration, shippedAgo time.Duration, balance int64) *Order {
		o := &Order{Currency: CNY, Presale: &Presale{Deposit: Payment{Channel: ChannelWeChatPay, TransactionID: "d", Amount: 5000},
			DepositPaidAt: now.Add(-30 * day)}}
		if balance > 0 {
			o.Presale.Balance, o.Presale.BalancePaidAt = Payment{Channel: ChannelAlipay, TransactionID: "b", Amount: balance}, now.Add(-balanceAgo)
		}
		if shippedAgo > 0 {
			o.ShippedAt = now.Add(-shippedAgo)
		}
		return o
	}
	none := PresaleSettings{LateShipment: LateNone}
	tests := []struct {
		name  string
		o     *Order
		goods int64
		s     PresaleSettings
		want  []Tranche
	}{
		{"in time: deposit and balance", order(6*day, 0, 15000), 20000, DefaultPresaleSettings(),
			[]Tranche{{StageDeposit, 5000}, {StageBalance, 15000}}},
		{"7 days and a minute unshipped: double the deposit", order(7*day+time.Minute, 0, 15000), 20000, DefaultPresaleSettings(),
			[]Tranche{{StageDeposit, 5000}, {StageBalance, 15000}, {StageCompensation, 5000}}},
		{"shipped late: double the deposit", order(20*day, 10*day, 15000), 20000, PresaleSettings{},
			[]Tranche{{StageDeposit, 5000}, {StageBalance, 15000}, {StageCompensation, 5000}}},
		{"shipped in time", order(20*day, 15*day, 15000), 20000, DefaultPresaleSettings(),
			[]Tranche{{StageDeposit, 5000}, {StageBalance, 15000}}},
		{"late, but the merchant owes no compensation", order(20*day, 0, 15000), 20000, none,
			[]Tranche{{StageDeposit, 5000}, {StageBalance, 15000}}},
		{"a longer promise", order(8*day, 0, 15000), 20000, PresaleSettings{ShipWithinDays: 10},
			[]Tranche{{StageDeposit, 5000}, {StageBalance, 15000}}},
		{"balance unpaid: the deposit alone, never late", order(0, 0, 0), 5000, DefaultPresaleSettings(),
			[]Tranche{{StageDeposit, 5000}}},
		{"part of the deposit", order(1*day, 0, 15000), 3000, DefaultPresaleSettings(),
			[]Tranche{{StageDeposit, 3000}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := PresaleTranches(tc.o, tc.goods, now, tc.s)
			if !slices.Equal(got, tc.want) {
				t.Errorf("tranches %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCurrentTranche(t *testing.T) {
	ts := []Tranche{{StageDeposit, 5000}, {StageBalance, 15000}, {StageCompensation, 5000}}
	tests := []struct {
		name               string
		approved, refunded int64
		want               Tranche
		ok                 bool
	}{
		{"nothing refunded yet", 25000, 0, Tranche{StageDeposit, 5000}, true},
		{"deposit back", 25000, 5000, Tranche{StageBalance, 15000}, true},
		{"deposit and balance back", 25000, 20000, Tranche{StageCompensation, 5000}, true},
		{"all back", 25000, 25000, Tranche{}, false},
		{"approved in part: the balance is cut", 12000, 5000, Tranche{StageBalance, 7000}, true},
		{"approved in part, reached", 12000, 12000, Tranche{StageBalance, 0}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Case{Tranches: ts, Approved: tc.approved, Refunded: tc.refunded}
			got, ok := c.CurrentTranche()
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if _, ok := (&Case{Approved: 100}).CurrentTranche(); ok {
		t.Error("a case without tranches has a current tranche")
	}
}
