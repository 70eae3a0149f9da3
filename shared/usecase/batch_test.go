package usecase_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase"
)

// counted wraps the store ports a batch review reaches and counts every
// call to them: the work a batch costs, whatever the machine's speed.
type counted struct {
	calls atomic.Int64
	cases aftersales.CaseStore
	rules aftersales.RuleSetStore
	jobs  aftersales.ReviewJobStore
}

type countedCases struct{ *counted }

func (c countedCases) CreateCase(ctx context.Context, cs *aftersales.Case, idem *aftersales.IdempotencyRecord) error {
	c.calls.Add(1)
	return c.cases.CreateCase(ctx, cs, idem)
}
func (c countedCases) GetCase(ctx context.Context, id string) (*aftersales.Case, error) {
	c.calls.Add(1)
	return c.cases.GetCase(ctx, id)
}
func (c countedCases) CasesExist(ctx context.Context, ids []string) (map[string]bool, error) {
	c.calls.Add(1)
	return c.cases.CasesExist(ctx, ids)
}
func (c countedCases) UpdateCase(ctx context.Context, cs *aftersales.Case, prev int) error {
	c.calls.Add(1)
	return c.cases.UpdateCase(ctx, cs, prev)
}
func (c countedCases) ListCases(ctx context.Context, q aftersales.CaseQuery) (aftersales.CasePage, error) {
	c.calls.Add(1)
	return c.cases.ListCases(ctx, q)
}
func (c countedCases) PutUploads(ctx context.Context, ups []aftersales.Upload) error {
	c.calls.Add(1)
	return c.cases.PutUploads(ctx, ups)
}
func (c countedCases) GetUpload(ctx context.Context, id string) (aftersales.Upload, error) {
	c.calls.Add(1)
	return c.cases.GetUpload(ctx, id)
}

func (c countedCases) TakeQuota(ctx context.Context, n int, qs ...aftersales.Quota) error {
	c.calls.Add(1)
	return c.cases.TakeQuota(ctx, n, qs...)
}

type countedRules struct{ *counted }

func (c countedRules) GetRuleSet(ctx context.Context) (*aftersales.RuleSet, error) {
	c.calls.Add(1)
	return c.rules.GetRuleSet(ctx)
}
func (c countedRules) PutRuleSet(ctx context.Context, rs *aftersales.RuleSet) error {
	c.calls.Add(1)
	return c.rules.PutRuleSet(ctx, rs)
}

type countedJobs struct{ *counted }

func (c countedJobs) CreateReviewJob(ctx context.Context, j *aftersales.ReviewJob) error {
	c.calls.Add(1)
	return c.jobs.CreateReviewJob(ctx, j)
}
func (c countedJobs) GetReviewJob(ctx context.Context, id string) (*aftersales.ReviewJob, error) {
	c.calls.Add(1)
	return c.jobs.GetReviewJob(ctx, id)
}
func (c countedJobs) RecordReviewResult(ctx context.Context, jobID, caseID, failure string) (bool, error) {
	c.calls.Add(1)
	return c.jobs.RecordReviewResult(ctx, jobID, caseID, failure)
}

// reviewQueue keeps the queued items, for the test to consume.
type reviewQueue struct {
	mu    sync.Mutex
	items []aftersales.ReviewItem
}

func (q *reviewQueue) EnqueueReviews(_ context.Context, items []aftersales.ReviewItem) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, items...)
	return nil
}

// TestBatchOfUnknownIdsFailsAtOnce: a batch naming 10,000 ids that are no
// case (and a few that are) reports every unknown id failed in the job it
// answers, with a number of store calls that does not grow with the unknown
// ids: one batched lookup and the job, no queue item, read or transaction
// per unknown id. Before, each was an item costing a job read, a rule set
// read, a case read and a transaction, and the batch took half an hour on
// the local stack.
func TestBatchOfUnknownIdsFailsAtOnce(t *testing.T) {
	const unknown = aftersales.MaxBatchReview - 2
	tests := []struct {
		name     string
		cases    int // of the ids, how many name a case waiting for review
		decision string
		// maxCalls bounds the store calls of starting the batch and of
		// consuming its items.
		maxCalls int64
	}{
		{"only unknown ids", 0, "approve", 2},
		{"two cases among them", 2, "reject", 2 + 2*6}, // a decision takes 5 today
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c *counted
			queue := &reviewQueue{}
			svc, _ := newServiceChanged(t, func(p *usecase.Ports) {
				c = &counted{cases: p.Cases, rules: p.Rules, jobs: p.Jobs}
				p.Cases, p.Rules, p.Jobs, p.Reviews = countedCases{c}, countedRules{c}, countedJobs{c}, queue
			})
			ids := make([]string, 0, unknown+tc.cases)
			for i := range unknown {
				ids = append(ids, fmt.Sprintf("as_01NOSUCH%018d", i))
			}
			for i := range tc.cases {
				ids = append(ids, inReview(t, svc, fmt.Sprint("tok-", i), fmt.Sprint("l", i+1)).ID)
			}

			c.calls.Store(0)
			job, err := svc.Review.StartBatchReview(t.Context(), reviewer, aftersales.BatchReview{CaseIDs: ids, Decision: tc.decision, Reason: "stock"})
			if err != nil {
				t.Fatal(err)
			}
			if job.Total != len(ids) || job.Failed != unknown || len(job.Failures) != aftersales.MaxListedFailures || job.Done() != (tc.cases == 0) {
				t.Errorf("started job: %d total, %d failed, %d listed, done %v; want %d, %d, %d, done %v",
					job.Total, job.Failed, len(job.Failures), job.Done(), len(ids), unknown, aftersales.MaxListedFailures, tc.cases == 0)
			}
			if len(queue.items) != tc.cases {
				t.Errorf("%d items queued, want one per case (%d)", len(queue.items), tc.cases)
			}
			for _, it := range queue.items { // the review consumers
				if err := svc.Review.ReviewOne(t.Context(), it); err != nil {
					t.Fatal(err)
				}
			}
			if n := c.calls.Load(); n > tc.maxCalls {
				t.Errorf("%d store calls for %d unknown ids and %d cases, want at most %d", n, unknown, tc.cases, tc.maxCalls)
			}

			got, err := svc.Review.GetReviewJob(t.Context(), reviewer, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Done() || got.Failed != unknown || got.Succeeded != tc.cases {
				t.Fatalf("job: %d/%d succeeded, %d failed, done %v", got.Succeeded, got.Total, got.Failed, got.Done())
			}
			for i, f := range got.Failures {
				if f.CaseID != ids[i] || !strings.HasPrefix(f.Error, "NotFound") {
					t.Fatalf("failure %d: %+v, want %s NotFound", i, f, ids[i])
				}
			}
		})
	}
}

// TestBatchRefusesIdsNoCaseCanHave: an id longer than any case id is refused
// with the field that holds it, before any store is asked.
func TestBatchRefusesIdsNoCaseCanHave(t *testing.T) {
	tests := []struct {
		name  string
		ids   []string
		field string
	}{
		{"longer than a case id can be", []string{"as_1", "as_" + strings.Repeat("9", aftersales.MaxIDBytes)}, "case_ids[1]"},
		{"empty", []string{""}, "case_ids[0]"},
		{"named twice", []string{"as_1", "as_2", "as_1"}, "case_ids[2]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c *counted
			svc, _ := newServiceChanged(t, func(p *usecase.Ports) {
				c = &counted{cases: p.Cases, rules: p.Rules, jobs: p.Jobs}
				p.Cases, p.Rules, p.Jobs, p.Reviews = countedCases{c}, countedRules{c}, countedJobs{c}, &reviewQueue{}
			})
			_, err := svc.Review.StartBatchReview(t.Context(), reviewer, aftersales.BatchReview{CaseIDs: tc.ids, Decision: "approve"})
			var e *aftersales.Error
			if !errors.As(err, &e) || e.Kind != aftersales.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
				t.Fatalf("got %v, want invalid %s alone", err, tc.field)
			}
			if n := c.calls.Load(); n != 0 {
				t.Errorf("%d store calls before the request was refused", n)
			}
		})
	}
}
