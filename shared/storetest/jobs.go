package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// RunJobs is the conformance suite of ReviewJobStore implementations.
func RunJobs(t *testing.T, open func(t *testing.T) aftersales.ReviewJobStore) {
	t.Run("round trip and counts", func(t *testing.T) {
		s := open(t)
		j := &aftersales.ReviewJob{ID: "job_1", Decision: "reject", Reason: "worn",
			By: aftersales.Principal{ID: "s1", Roles: []aftersales.Role{aftersales.RoleAdmin}}, Total: 3, CreatedAt: Epoch}
		if err := s.CreateReviewJob(t.Context(), j); err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			caseID, failure string
			want            bool
		}{{"as_1", "", true}, {"as_2", "Conflict: not waiting", true}, {"as_1", "", false}, {"as_2", "", false}} {
			got, err := s.RecordReviewResult(t.Context(), "job_1", r.caseID, r.failure)
			if err != nil || got != r.want {
				t.Fatalf("record %s: %v %v, want recorded=%v", r.caseID, got, err, r.want)
			}
		}
		got, err := s.GetReviewJob(t.Context(), "job_1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Decision != "reject" || got.Reason != "worn" || got.By.ID != "s1" || len(got.By.Roles) != 1 || got.By.Roles[0] != aftersales.RoleAdmin ||
			got.Total != 3 || got.Succeeded != 1 || got.Failed != 1 || got.Done() || !got.CreatedAt.Equal(Epoch) {
			t.Fatalf("job %+v", got)
		}
		if len(got.Failures) != 1 || got.Failures[0] != (aftersales.ReviewFailure{CaseID: "as_2", Error: "Conflict: not waiting"}) {
			t.Fatalf("failures %+v", got.Failures)
		}
	})
	t.Run("failures known at the start", func(t *testing.T) {
		known := func(n int) []aftersales.ReviewFailure {
			fs := make([]aftersales.ReviewFailure, n)
			for i := range fs {
				fs[i] = aftersales.ReviewFailure{CaseID: fmt.Sprintf("as_unknown_%03d", i), Error: "NotFound: no such case"}
			}
			return fs
		}
		recorded := aftersales.ReviewFailure{CaseID: "as_9", Error: "Conflict: not waiting"}
		tests := []struct {
			name         string
			total, known int
			wantListed   []aftersales.ReviewFailure
			wantDone     bool
		}{
			{"listed first, then those items record", 6, 3, append(known(3), recorded), false},
			{"every failure known: done at once when nothing is queued", 3, 3, known(3), true},
			{"more than are listed: counted, the first listed", 500, 150, known(aftersales.MaxListedFailures), false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				// The counters a caller passes for results are not kept:
				// Succeeded starts at zero, Failed counts the known failures.
				j := &aftersales.ReviewJob{ID: "job_k", Decision: "approve", Total: tc.total, Succeeded: 7, Failed: tc.known,
					Failures: known(tc.known), CreatedAt: Epoch}
				if err := s.CreateReviewJob(t.Context(), j); err != nil {
					t.Fatal(err)
				}
				wantFailed := tc.known
				if !tc.wantDone {
					for _, r := range []aftersales.ReviewFailure{{CaseID: "as_8"}, recorded} {
						if ok, err := s.RecordReviewResult(t.Context(), "job_k", r.CaseID, r.Error); err != nil || !ok {
							t.Fatalf("record %s: %v %v", r.CaseID, ok, err)
						}
					}
					wantFailed++
				}
				got, err := s.GetReviewJob(t.Context(), "job_k")
				if err != nil {
					t.Fatal(err)
				}
				if got.Failed != wantFailed || got.Done() != tc.wantDone {
					t.Errorf("job: %d failed, %d succeeded of %d, done %v; want %d failed, done %v",
						got.Failed, got.Succeeded, got.Total, got.Done(), wantFailed, tc.wantDone)
				}
				if !slices.Equal(got.Failures, tc.wantListed) {
					t.Errorf("listed %d failures %v..., want %d %v...", len(got.Failures), got.Failures[:min(2, len(got.Failures))],
						len(tc.wantListed), tc.wantListed[:min(2, len(tc.wantListed))])
				}
			})
		}
	})
	t.Run("unknown job", func(t *testing.T) {
		s := open(t)
		if _, err := s.GetReviewJob(t.Context(), "job_x"); aftersales.KindOf(err) != aftersales.KindNotFound {
			t.Errorf("get: %v", err)
		}
		if _, err := s.RecordReviewResult(t.Context(), "job_x", "as_1", ""); aftersales.KindOf(err) != aftersales.KindNotFound {
			t.Errorf("record: %v", err)
		}
	})
	t.Run("concurrent duplicates count once", func(t *testing.T) {
		s := open(t)
		if err := s.CreateReviewJob(t.Context(), &aftersales.ReviewJob{ID: "job_2", Decision: "approve", Total: 20, CreatedAt: Epoch}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := s.RecordReviewResult(t.Context(), "job_2", fmt.Sprintf("as_%d", i%20), "")
					if aftersales.KindOf(err) != aftersales.KindTransient {
						if err != nil {
							t.Error(err)
						}
						return
					}
				}
			}()
		}
		wg.Wait()
		got, err := s.GetReviewJob(t.Context(), "job_2")
		if err != nil || got.Succeeded != 20 || !got.Done() {
			t.Fatalf("job %+v %v", got, err)
		}
	})
}
