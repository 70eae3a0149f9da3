package storetest

import (
	"fmt"
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
