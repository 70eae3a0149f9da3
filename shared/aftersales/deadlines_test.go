package aftersales

import (
	"testing"
	"time"
)

// distinctDeadlines gives every field its own value, so that a wait wired to
// the wrong field shows.
func distinctDeadlines() Deadlines {
	return Deadlines{
		ReviewUnshipped: 1 * time.Hour, ReviewShipped: 2 * time.Hour,
		ReviewSLA: map[string]time.Duration{"diamond": 30 * time.Minute, "gold": 5 * time.Hour},
		Evidence:  3 * time.Hour, Return: 4 * time.Hour, Receipt: 6 * time.Hour, Reship: 7 * time.Hour,
		Refund: 8 * time.Hour, Dispute: 9 * time.Hour,
	}
}

func deadlineOrder(status OrderStatus, tier string) *Order {
	return &Order{ID: "o-1", Status: status, MemberTier: tier}
}

func TestDeadlinesFor(t *testing.T) {
	c := &Case{ID: "as-1", Type: ReturnRefund}
	tests := []struct {
		name string
		wait string
		o    *Order
		want time.Duration
	}{
		{"review of an unshipped order", WaitReview, deadlineOrder(OrderPaid, ""), 1 * time.Hour},
		{"review of a shipped order", WaitReview, deadlineOrder(OrderShipped, ""), 2 * time.Hour},
		{"review of a delivered order", WaitReview, deadlineOrder(OrderDelivered, ""), 2 * time.Hour},
		{"review of an unknown order gives the merchant the longer time", WaitReview, nil, 2 * time.Hour},
		{"review of a diamond member's order is not shortened by the SLA", WaitReview, deadlineOrder(OrderShipped, "diamond"), 2 * time.Hour},
		{"evidence", WaitEvidence, deadlineOrder(OrderShipped, ""), 3 * time.Hour},
		{"return", WaitReturn, deadlineOrder(OrderShipped, ""), 4 * time.Hour},
		{"receipt", WaitReceipt, deadlineOrder(OrderShipped, ""), 6 * time.Hour},
		{"reship", WaitReship, deadlineOrder(OrderShipped, ""), 7 * time.Hour},
		{"refund", WaitRefund, deadlineOrder(OrderShipped, ""), 8 * time.Hour},
		{"dispute", WaitDispute, deadlineOrder(OrderShipped, ""), 9 * time.Hour},
		{"unknown wait", "arbitrate", deadlineOrder(OrderShipped, ""), 0},
		{"wait names are case-sensitive", "Review", deadlineOrder(OrderShipped, ""), 0},
	}
	d := distinctDeadlines()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.For(tc.wait, c, tc.o); got != tc.want {
				t.Errorf("For(%q) = %s, want %s", tc.wait, got, tc.want)
			}
		})
	}
}

func TestDeadlinesPromised(t *testing.T) {
	c := &Case{ID: "as-1", Type: ReturnRefund}
	tests := []struct {
		name string
		wait string
		o    *Order
		want time.Duration
	}{
		{"diamond review is promised within the SLA", WaitReview, deadlineOrder(OrderShipped, "diamond"), 30 * time.Minute},
		{"an SLA longer than the deadline promises the deadline", WaitReview, deadlineOrder(OrderPaid, "gold"), 1 * time.Hour},
		{"diamond review of an unshipped order", WaitReview, deadlineOrder(OrderPaid, "diamond"), 30 * time.Minute},
		{"a tier without SLA", WaitReview, deadlineOrder(OrderShipped, "regular"), 2 * time.Hour},
		{"tiers match exactly", WaitReview, deadlineOrder(OrderShipped, "Diamond"), 2 * time.Hour},
		{"no member tier", WaitReview, deadlineOrder(OrderShipped, ""), 2 * time.Hour},
		{"unknown order", WaitReview, nil, 2 * time.Hour},
		{"the SLA is for the review only", WaitEvidence, deadlineOrder(OrderShipped, "diamond"), 3 * time.Hour},
	}
	d := distinctDeadlines()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.Promised(tc.wait, c, tc.o); got != tc.want {
				t.Errorf("Promised(%q) = %s, want %s", tc.wait, got, tc.want)
			}
		})
	}
}

func TestDefaultDeadlines(t *testing.T) {
	d := DefaultDeadlines()
	c := &Case{ID: "as-1", Type: ReturnRefund}
	tests := []struct {
		wait string
		o    *Order
		want time.Duration
	}{
		{WaitReview, deadlineOrder(OrderPaid, ""), 48 * time.Hour},
		{WaitReview, deadlineOrder(OrderShipped, ""), 5 * 24 * time.Hour},
		{WaitEvidence, nil, 72 * time.Hour},
		{WaitReturn, nil, 7 * 24 * time.Hour},
		{WaitReceipt, nil, 10 * 24 * time.Hour},
		{WaitTransit, nil, 10 * 24 * time.Hour}, // no return parcel yet: as untracked, the receipt deadline
		{WaitReship, nil, 3 * 24 * time.Hour},
		{WaitRefund, nil, 10 * time.Minute},
		{WaitDispute, nil, 7 * 24 * time.Hour},
		{WaitResolution, nil, 5 * 24 * time.Hour}, // no dispute answer due: the agreement's deadline
		{WaitArbitration, nil, 72 * time.Hour},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.wait] = true
		t.Run(tc.wait, func(t *testing.T) {
			if got := d.For(tc.wait, c, tc.o); got != tc.want {
				t.Errorf("For(%q) = %s, want %s", tc.wait, got, tc.want)
			}
		})
	}
	for _, w := range WaitNames {
		if !covered[w] {
			t.Errorf("wait %q has no default in this test", w)
		}
	}
	unanswered := &Case{Dispute: &Dispute{}}
	if got := d.For(WaitResolution, unanswered, nil); got != 48*time.Hour {
		t.Errorf("an unanswered dispute waits %s, want the answer deadline 48h", got)
	}
	if got := d.Promised(WaitReview, c, deadlineOrder(OrderShipped, "diamond")); got != time.Hour {
		t.Errorf("diamond review promised in %s, want 1h (F24)", got)
	}
	var v Validation
	d.validate(&v)
	if err := v.Err("test"); err != nil {
		t.Errorf("DefaultDeadlines are invalid: %v", err)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{48 * time.Hour, "48h"},
		{5 * 24 * time.Hour, "120h"},
		{10 * time.Minute, "10m"},
		{90 * time.Minute, "90m"},
		{90 * time.Second, "90s"},
		{1500 * time.Millisecond, "1.5s"},
		{-2 * time.Hour, "-2h"},
		{0, "0s"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			got := FormatDuration(tc.d)
			if got != tc.want {
				t.Errorf("FormatDuration(%d) = %q, want %q", tc.d, got, tc.want)
			}
			if back, err := time.ParseDuration(got); err != nil || back != tc.d {
				t.Errorf("ParseDuration(%q) = %s, %v; want %s", got, back, err, tc.d)
			}
		})
	}
}
