package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// quota is a quota of the suite: key and limit, kept a day.
func quota(key string, limit int) aftersales.Quota {
	return aftersales.Quota{Key: key, Limit: limit, ExpiresAt: Epoch.Add(24 * time.Hour)}
}

// wantSpent fails the test unless err says that q, and no other, is spent.
func wantSpent(t *testing.T, what string, err error, q aftersales.Quota) {
	t.Helper()
	var qe *aftersales.QuotaExceeded
	if aftersales.KindOf(err) != aftersales.KindRateLimited || !errors.As(err, &qe) || qe.Quota.Key != q.Key {
		t.Fatalf("%s: %v, want RateLimited naming quota %s", what, err, q.Key)
	}
}

// testTakeQuota: takes count against every quota or against none, a spent
// quota is named, and quotas count apart.
func testTakeQuota(t *testing.T, s Stores) {
	a, b, c := quota("uploads/case/as_1", 5), quota("uploads/buyer/buyer-1/2026-11-11T00", 3), quota("uploads/case/as_2", 3)
	steps := []struct {
		name  string
		n     int
		qs    []aftersales.Quota
		spent *aftersales.Quota // nil: the take succeeds
	}{
		{"a first take from two", 2, []aftersales.Quota{a, b}, nil},
		{"one of two would pass its limit", 2, []aftersales.Quota{a, b}, &b},
		{"the refused take counted nothing", 3, []aftersales.Quota{a}, nil},
		{"a full quota", 1, []aftersales.Quota{a}, &a},
		{"the other is apart", 1, []aftersales.Quota{b}, nil},
		{"both full: the first listed is named", 1, []aftersales.Quota{b, a}, &b},
		{"more than a fresh quota's limit", 4, []aftersales.Quota{c}, &c},
		{"a fresh quota's whole limit", 3, []aftersales.Quota{c}, nil},
		{"no quota at all", 1, nil, nil},
	}
	for _, st := range steps {
		err := s.Cases.TakeQuota(t.Context(), st.n, st.qs...)
		if st.spent == nil {
			must(t, st.name, err)
			continue
		}
		wantSpent(t, st.name, err, *st.spent)
	}
}

// testTakeQuotaConcurrent: takes that race never pass a limit together,
// and what a refused take did not count is still there to take.
func testTakeQuotaConcurrent(t *testing.T, s Stores) {
	const limit, racers = 7, 20
	tests := []struct {
		name string
		qs   []aftersales.Quota
	}{
		{"one quota", []aftersales.Quota{quota("q/one", limit)}},
		{"two quotas", []aftersales.Quota{quota("q/case", limit), quota("q/buyer", limit)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := make([]error, racers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					<-start
					errs[i] = s.Cases.TakeQuota(t.Context(), 1, tc.qs...)
				})
			}
			close(start)
			wg.Wait()
			taken := 0
			for i, err := range errs {
				switch k := aftersales.KindOf(err); {
				case err == nil:
					taken++
				case k == aftersales.KindRateLimited, k == aftersales.KindTransient:
					// Spent, or (DynamoDB) a transaction conflict: a retry may succeed.
				default:
					t.Fatalf("take %d: unexpected error %v", i, err)
				}
			}
			if taken > limit {
				t.Fatalf("%d takes of 1 succeeded against a limit of %d", taken, limit)
			}
			if taken < limit {
				must(t, fmt.Sprintf("taking the %d left", limit-taken), s.Cases.TakeQuota(t.Context(), limit-taken, tc.qs...))
			}
			wantSpent(t, "a take past the limit", s.Cases.TakeQuota(t.Context(), 1, tc.qs...), tc.qs[0])
		})
	}
}
