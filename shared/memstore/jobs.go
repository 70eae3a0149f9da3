package memstore

import (
	"context"
	"slices"
	"sync"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.ReviewJobStore = (*Jobs)(nil)

// Jobs keeps batch review jobs in memory, with the same once-per-case
// recording as the DynamoDB adapter.
type Jobs struct {
	mu      sync.Mutex
	jobs    map[string]*aftersales.ReviewJob
	results map[string]map[string]string // job -> case -> failure ("" = success)
	order   map[string][]string          // job -> failed case ids in recording order
}

// NewJobs returns an empty job store.
func NewJobs() *Jobs {
	return &Jobs{jobs: map[string]*aftersales.ReviewJob{}, results: map[string]map[string]string{}, order: map[string][]string{}}
}

// CreateReviewJob stores a new job with the failures known at its start.
func (s *Jobs) CreateReviewJob(_ context.Context, j *aftersales.ReviewJob) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.jobs[j.ID]; ok {
		return aftersales.E(aftersales.KindConflict, "memstore.create_job", "job exists")
	}
	c := *j
	c.By.Roles = slices.Clone(j.By.Roles)
	c.Succeeded, c.Failed = 0, max(j.Failed, len(j.Failures))
	c.Failures = slices.Clone(j.Failures[:min(len(j.Failures), aftersales.MaxListedFailures)])
	s.jobs[j.ID] = &c
	s.results[j.ID] = map[string]string{}
	return nil
}

// GetReviewJob returns the job with its counts and first failures.
func (s *Jobs) GetReviewJob(_ context.Context, id string) (*aftersales.ReviewJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return nil, aftersales.NotFound("memstore.get_job", "no such review job")
	}
	out := *j
	out.By.Roles = slices.Clone(j.By.Roles)
	out.Failures = slices.Clone(j.Failures) // known at the start, then recorded ones
	for _, caseID := range s.order[id] {
		if len(out.Failures) == aftersales.MaxListedFailures {
			break
		}
		out.Failures = append(out.Failures, aftersales.ReviewFailure{CaseID: caseID, Error: s.results[id][caseID]})
	}
	return &out, nil
}

// RecordReviewResult records one case's result once.
func (s *Jobs) RecordReviewResult(_ context.Context, jobID, caseID, failure string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[jobID]
	if !ok {
		return false, aftersales.NotFound("memstore.record_review", "no such review job")
	}
	if _, done := s.results[jobID][caseID]; done {
		return false, nil
	}
	s.results[jobID][caseID] = failure
	if failure == "" {
		j.Succeeded++
	} else {
		j.Failed++
		s.order[jobID] = append(s.order[jobID], caseID)
	}
	return true, nil
}
