package aftersales

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestStoreOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		sentinel *Error
		msg      string
	}{
		{"a sentinel", ErrVersionConflict.For("store.op"), ErrVersionConflict, ErrVersionConflict.Msg},
		{"another sentinel", ErrLineHeld.For("store.op"), ErrLineHeld, ErrLineHeld.Msg},
		{"not found", NotFound("store.op", "no such case"), ErrNotFound, "no such case"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.sentinel) {
				t.Errorf("%v is not %v", tc.err, tc.sentinel)
			}
			if KindOf(tc.err) != tc.sentinel.Kind || MessageOf(tc.err) != tc.msg {
				t.Errorf("kind %v, message %q; want %v, %q", KindOf(tc.err), MessageOf(tc.err), tc.sentinel.Kind, tc.msg)
			}
			var e *Error
			if !errors.As(tc.err, &e) || e.Op != "store.op" {
				t.Errorf("%v does not name its operation", tc.err)
			}
		})
	}
}

func TestEndedSince(t *testing.T) {
	// entry is the timeline entry of version seq, from one status to another.
	entry := func(seq int, from, to Status) TimelineEntry { return TimelineEntry{Seq: seq, From: from, To: to} }
	tests := []struct {
		name   string
		status Status
		tl     []TimelineEntry
		prev   int
		want   bool
	}{
		{"still open", StatusPendingReview, []TimelineEntry{entry(1, StatusNone, StatusSubmitted), entry(2, StatusSubmitted, StatusPendingReview)}, 1, false},
		{"ended by this change", StatusCancelled, []TimelineEntry{entry(1, StatusNone, StatusSubmitted), entry(2, StatusSubmitted, StatusCancelled)}, 1, true},
		{"ended by the last of several entries", StatusClosed, []TimelineEntry{entry(1, StatusNone, StatusRejected), entry(2, StatusRejected, StatusRejected),
			entry(3, StatusRejected, StatusClosed)}, 1, true},
		{"ended by the first of several entries", StatusCompleted, []TimelineEntry{entry(1, StatusNone, StatusRefunding),
			entry(2, StatusRefunding, StatusCompleted), entry(3, StatusCompleted, StatusCompleted)}, 1, true},
		{"ended before", StatusCompleted, []TimelineEntry{entry(2, StatusRefunding, StatusCompleted), entry(3, StatusCompleted, StatusCompleted)}, 2, false},
		{"no entry after prev", StatusCompleted, []TimelineEntry{entry(1, StatusRefunding, StatusCompleted)}, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Case{Status: tc.status, Timeline: tc.tl}
			if got := c.EndedSince(tc.prev); got != tc.want {
				t.Fatalf("EndedSince(%d) = %v, want %v", tc.prev, got, tc.want)
			}
		})
	}
}

func TestRefundStatusOpen(t *testing.T) {
	for _, tc := range []struct {
		s    RefundStatus
		want bool
	}{
		{RefundRequested, true}, {RefundProcessing, true}, {RefundManual, true},
		{RefundSucceeded, false}, {RefundClosed, false}, {RefundAbnormal, false}, {"", false},
	} {
		t.Run(string(tc.s), func(t *testing.T) {
			if got := tc.s.Open(); got != tc.want {
				t.Fatalf("Open = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRefundGiveBack(t *testing.T) {
	shares := map[string]int64{"l2": 300, "l1": 100, "l3": 0}
	tests := []struct {
		name     string
		prev, to RefundStatus
		shares   map[string]int64
		want     []LineShare
		wantKind Kind // KindInternal: no error
	}{
		{"requested to closed", RefundRequested, RefundClosed, shares, []LineShare{{"l1", 100}, {"l2", 300}}, KindInternal},
		{"processing to closed", RefundProcessing, RefundClosed, shares, []LineShare{{"l1", 100}, {"l2", 300}}, KindInternal},
		{"requested to processing", RefundRequested, RefundProcessing, shares, nil, KindInternal},
		{"processing to succeeded", RefundProcessing, RefundSucceeded, shares, nil, KindInternal},
		{"manual to closed", RefundManual, RefundClosed, shares, []LineShare{{"l1", 100}, {"l2", 300}}, KindInternal},
		{"manual paid by hand", RefundManual, RefundSucceeded, shares, nil, KindInternal},
		{"abnormal to closed", RefundAbnormal, RefundClosed, shares, nil, KindInternal},
		{"closed stays closed", RefundClosed, RefundClosed, shares, nil, KindInternal},
		{"closed reopened", RefundClosed, RefundRequested, shares, nil, KindConflict},
		{"closed to succeeded", RefundClosed, RefundSucceeded, shares, nil, KindConflict},
		{"a negative share", RefundRequested, RefundClosed, map[string]int64{"l1": -1}, nil, KindInvalid},
		{"too many lines", RefundRequested, RefundClosed, map[string]int64{"l1": 1, "l2": 1, "l3": 1}, nil, KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Refund{Status: tc.to, Shares: tc.shares}
			got, err := r.GiveBack("store.op", tc.prev, 2)
			if KindOf(err) != tc.wantKind || (err == nil) != (tc.wantKind == KindInternal) {
				t.Fatalf("error %v, want kind %v", err, tc.wantKind)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("gives back %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRuleSetStamp(t *testing.T) {
	at := time.Date(2026, 11, 11, 8, 30, 0, 1, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name string
		rs   RuleSet
		want RuleSetStamp
	}{
		{"a saved version", RuleSet{Version: 3, UpdatedAt: at, UpdatedBy: "staff:boss", Rules: []Rule{{ID: "r"}}},
			RuleSetStamp{Version: 3, UpdatedAt: at.UTC(), UpdatedBy: "staff:boss"}},
		{"an unsaved set", RuleSet{Rules: []Rule{{ID: "r"}}}, RuleSetStamp{UpdatedAt: time.Time{}.UTC()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rs.Stamp()
			if got != tc.want || got.UpdatedAt.Location() != time.UTC {
				t.Fatalf("stamp %+v, want %+v in UTC", got, tc.want)
			}
			back := RuleSet{Rules: tc.rs.Rules}
			back.Restamp(got)
			if back.Version != tc.rs.Version || !back.UpdatedAt.Equal(tc.rs.UpdatedAt) || back.UpdatedBy != tc.rs.UpdatedBy || len(back.Rules) != 1 {
				t.Fatalf("restamped %+v from %+v", back, got)
			}
		})
	}
}
