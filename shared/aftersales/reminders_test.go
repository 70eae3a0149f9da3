package aftersales

import (
	"testing"
	"time"
)

func TestReminderDue(t *testing.T) {
	now := time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		c      Case
		want   time.Time
		wantOK bool
	}{
		{"return due in 23 h", Case{Type: ReturnRefund, Status: StatusAwaitingReturn, Deadline: now.Add(23 * time.Hour)}, now.Add(23 * time.Hour), true},
		{"return due in 25 h: not yet", Case{Status: StatusAwaitingReturn, Deadline: now.Add(25 * time.Hour)}, time.Time{}, false},
		{"already reminded of it", Case{Status: StatusAwaitingReturn, Deadline: now.Add(time.Hour), RemindedFor: now.Add(time.Hour)}, time.Time{}, false},
		{"reminded of an earlier wait", Case{Status: StatusAwaitingEvidence, Deadline: now.Add(time.Hour), RemindedFor: now.Add(-48 * time.Hour)}, now.Add(time.Hour), true},
		{"passed", Case{Status: StatusRejected, Deadline: now}, time.Time{}, false},
		{"no deadline yet", Case{Status: StatusAwaitingReturn}, time.Time{}, false},
		{"a member's review promise in 10 min", Case{Status: StatusPendingReview, Deadline: now.Add(48 * time.Hour), PromisedBy: now.Add(10 * time.Minute)}, now.Add(10 * time.Minute), true},
		{"a review promise in 20 min: not yet", Case{Status: StatusPendingReview, PromisedBy: now.Add(20 * time.Minute)}, time.Time{}, false},
		{"a review without a promise", Case{Status: StatusPendingReview, Deadline: now.Add(time.Hour)}, time.Time{}, false},
		{"the merchant's wait", Case{Status: StatusAwaitingReceipt, Deadline: now.Add(time.Hour)}, time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.c.ReminderDue(now)
			if ok != tc.wantOK || !got.Equal(tc.want) {
				t.Fatalf("ReminderDue = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
			if !ok {
				return
			}
			c := tc.c
			if err := c.Remind(got, now); err != nil {
				t.Fatal(err)
			}
			if _, again := c.ReminderDue(now.Add(time.Minute)); again || c.Status != tc.c.Status {
				t.Errorf("after Remind: due again %v, status %s", again, c.Status)
			}
		})
	}
}
