package aftersales

import (
	"testing"
	"time"
)

func TestInterceptable(t *testing.T) {
	shipped := func() *Order {
		return &Order{Status: OrderShipped, ShippedAt: time.Unix(1, 0), Outbound: &Shipment{Courier: "zhongtong", TrackingNumber: "731400001014"}}
	}
	on := DefaultInterceptionSettings()
	tests := []struct {
		name string
		c    func(c *Case)
		o    func(o *Order)
		s    InterceptionSettings
		want bool
	}{
		{"refund-only of a shipped order with its waybill", nil, nil, on, true},
		{"interception turned off", nil, nil, InterceptionSettings{Disabled: true}, false},
		{"a return comes back anyway", func(c *Case) { c.Type = ReturnRefund }, nil, on, false},
		{"a claim leaves the goods with the buyer", func(c *Case) { c.Type = Claim }, nil, on, false},
		{"already intercepted once", func(c *Case) { c.Interception = &Interception{Status: InterceptionLapsed} }, nil, on, false},
		{"partly refunded already", func(c *Case) { c.Refunded = 100 }, nil, on, false},
		{"a refund staff retry", func(c *Case) { c.RefundSeq = 2 }, nil, on, false},
		{"not shipped", nil, func(o *Order) { o.Status = OrderPaid }, on, false},
		{"delivered", nil, func(o *Order) { o.Status, o.DeliveredAt = OrderDelivered, time.Unix(2, 0) }, on, false},
		{"no waybill in the snapshot", nil, func(o *Order) { o.Outbound = nil }, on, false},
		{"a waybill without its number", nil, func(o *Order) { o.Outbound.TrackingNumber = "" }, on, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, o := &Case{Type: RefundOnly, Status: StatusRefunding}, shipped()
			if tc.c != nil {
				tc.c(c)
			}
			if tc.o != nil {
				tc.o(o)
			}
			if got := Interceptable(c, o, tc.s); got != tc.want {
				t.Errorf("Interceptable = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestInterceptionFailedMakesAReturn: the failed interception's change
// turns the refund-only into a return and refund awaiting the goods, on
// the timeline; other interception changes keep the type.
func TestInterceptionFailedMakesAReturn(t *testing.T) {
	tests := []struct {
		name     string
		action   Action
		wantType CaseType
		want     Status
	}{
		{"failed", ActInterceptionFailed, ReturnRefund, StatusAwaitingReturn},
		{"succeeded", ActInterceptionSucceeded, RefundOnly, StatusRefunding},
		{"returning", ActInterceptionReturning, RefundOnly, StatusIntercepting},
		{"lapsed", ActInterceptionLapsed, RefundOnly, StatusRefunding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Case{Type: RefundOnly, Status: StatusIntercepting, Version: 3}
			if err := c.Apply(Change{Action: tc.action, Actor: "courier:kuaidi100", At: time.Unix(5, 0)}); err != nil {
				t.Fatal(err)
			}
			last := c.Timeline[len(c.Timeline)-1]
			if c.Type != tc.wantType || c.Status != tc.want || last.Action != tc.action || c.Version != 4 {
				t.Errorf("type %s status %s version %d last %+v", c.Type, c.Status, c.Version, last)
			}
		})
	}
}
