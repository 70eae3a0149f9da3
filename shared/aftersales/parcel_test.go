package aftersales

import (
	"testing"
	"time"
)

func TestTransitDue(t *testing.T) {
	d := DefaultDeadlines() // receipt 10 days, collection 3, stalled 3
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		sh   *Shipment
		want time.Time
	}{
		{"no parcel", nil, time.Time{}},
		{"untracked: the receipt deadline from the waybill", &Shipment{At: at}, at.Add(10 * 24 * time.Hour)},
		{"tracked, not collected: the collection deadline from the waybill", &Shipment{At: at, Tracked: true}, at.Add(3 * 24 * time.Hour)},
		{"collected: stalled from the last scan", &Shipment{At: at, Tracked: true, CollectedAt: at.Add(time.Hour), MovedAt: at.Add(30 * time.Hour)},
			at.Add(30*time.Hour + 3*24*time.Hour)},
		{"told it stalled: again a period after telling", &Shipment{At: at, Tracked: true, CollectedAt: at, MovedAt: at, AlertedAt: at.Add(72 * time.Hour)},
			at.Add(144 * time.Hour)},
		{"moved after the alert: from the scan", &Shipment{At: at, Tracked: true, CollectedAt: at, MovedAt: at.Add(80 * time.Hour), AlertedAt: at.Add(72 * time.Hour)},
			at.Add(152 * time.Hour)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.TransitDue(&Case{Return: tc.sh}); !got.Equal(tc.want) {
				t.Errorf("TransitDue = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCourierCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sf", "shunfeng"}, {" SF ", "shunfeng"}, {"顺丰", "shunfeng"}, {"shunfeng", "shunfeng"},
		{"YTO", "yuantong"}, {"zto", "zhongtong"}, {"debangkuaidi", "debangkuaidi"}, {"unknownco", "unknownco"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := CourierCode(tc.in); got != tc.want {
				t.Errorf("CourierCode(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParcelTransitions(t *testing.T) {
	tests := []struct {
		name   string
		from   Status
		action Action
		typ    CaseType
		want   Status
		ok     bool
	}{
		{"collected keeps the return in transit", StatusReturnInTransit, ActReturnCollected, ReturnRefund, StatusReturnInTransit, true},
		{"a scan keeps it in transit", StatusReturnInTransit, ActParcelUpdate, Exchange, StatusReturnInTransit, true},
		{"signed for: awaiting receipt", StatusReturnInTransit, ActReturnDelivered, ReturnRefund, StatusAwaitingReceipt, true},
		{"never collected: back to the buyer", StatusReturnInTransit, ActWaybillNotCollected, ReturnRefund, StatusAwaitingReturn, true},
		{"a problem is told, not moved", StatusReturnInTransit, ActParcelProblem, ReturnRefund, StatusReturnInTransit, true},
		{"no parcel on a refund-only case", StatusReturnInTransit, ActParcelUpdate, RefundOnly, "", false},
		{"no scan once received", StatusAwaitingReceipt, ActParcelUpdate, ReturnRefund, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Next(tc.from, tc.action, tc.typ)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Next = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
