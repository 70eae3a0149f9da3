package aftersales

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Batch review (F10): staff approve or reject up to MaxBatchReview cases in
// one call. The job is stored, its items go through a queue, and each item
// takes exactly the path of a single decision (same checks, same audit); the
// job counts what succeeded and what failed, per case.

// MaxBatchReview bounds one batch: a promotion day's backlog, not the archive.
const MaxBatchReview = 10000

// MaxListedFailures bounds the failures a job's status lists; the counts
// are always complete.
const MaxListedFailures = 100

// ReviewJob is a batch review.
type ReviewJob struct {
	ID        string
	Decision  string // approve or reject
	Reason    string // reject: shown to buyers; approve: the note
	By        Principal
	Total     int
	Succeeded int
	Failed    int
	Failures  []ReviewFailure // the first MaxListedFailures
	CreatedAt time.Time
}

// Done reports whether every item has a result.
func (j *ReviewJob) Done() bool { return j.Succeeded+j.Failed >= j.Total }

// ReviewFailure is why one case of a batch was not decided.
type ReviewFailure struct {
	CaseID string
	Error  string
}

// ReviewItem is one case of a batch, as queued.
type ReviewItem struct {
	JobID  string
	CaseID string
}

// ReviewJobStore keeps batch review jobs and their per-case results.
type ReviewJobStore interface {
	CreateReviewJob(ctx context.Context, j *ReviewJob) error
	// GetReviewJob returns the job with its counts and first failures.
	GetReviewJob(ctx context.Context, id string) (*ReviewJob, error)
	// RecordReviewResult records the result of one case once: a redelivered
	// item finds its result recorded and reports recorded == false.
	RecordReviewResult(ctx context.Context, jobID, caseID, failure string) (recorded bool, err error)
}

// ReviewQueue fans batch items out to the review consumers.
type ReviewQueue interface {
	EnqueueReviews(ctx context.Context, items []ReviewItem) error
}

// BatchReview is a staff request to decide many cases.
type BatchReview struct {
	CaseIDs  []string
	Filter   *CaseQuery
	Decision string
	Reason   string
}

// StartBatchReview validates the request, resolves its cases, stores the job
// and queues one item per case.
func (s *Service) StartBatchReview(ctx context.Context, p Principal, req BatchReview) (*ReviewJob, error) {
	const op = "review.batch"
	if err := staffOnly(p, op); err != nil {
		return nil, err
	}
	var v Validation
	v.Check(req.Decision == "approve" || req.Decision == "reject", "decision", "must be approve or reject")
	v.Check(req.Decision != "reject" || req.Reason != "", "reason", "is required to reject")
	v.Check(len(req.Reason) <= MaxDescriptionRunes, "reason", "must be at most %d characters", MaxDescriptionRunes)
	switch {
	case len(req.CaseIDs) > 0 && req.Filter != nil:
		v.Add("filter", "send case_ids or a filter, not both")
	case len(req.CaseIDs) == 0 && req.Filter == nil:
		v.Add("case_ids", "send case_ids or a filter")
	case len(req.CaseIDs) > MaxBatchReview:
		v.Add("case_ids", "at most %d cases per batch", MaxBatchReview)
	}
	seen := make(map[string]bool, len(req.CaseIDs))
	for i, id := range req.CaseIDs {
		v.Check(id != "" && !seen[id], fmt.Sprintf("case_ids[%d]", i), "must be a case id, once")
		seen[id] = true
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	ids := req.CaseIDs
	if req.Filter != nil {
		var err error
		if ids, err = s.resolveFilter(ctx, p, *req.Filter); err != nil {
			return nil, err
		}
	}
	job := &ReviewJob{ID: s.IDs.NewID("job"), Decision: req.Decision, Reason: req.Reason, By: p,
		Total: len(ids), CreatedAt: s.Clock.Now().UTC()}
	if err := s.Jobs.CreateReviewJob(ctx, job); err != nil {
		return nil, err
	}
	items := make([]ReviewItem, len(ids))
	for i, id := range ids {
		items[i] = ReviewItem{JobID: job.ID, CaseID: id}
	}
	if err := s.Reviews.EnqueueReviews(ctx, items); err != nil {
		return nil, err
	}
	return job, nil
}

// resolveFilter lists every case the filter matches, refusing filters that
// match more than a batch may hold.
func (s *Service) resolveFilter(ctx context.Context, p Principal, q CaseQuery) ([]string, error) {
	q.Limit, q.Cursor = MaxPageSize, ""
	var ids []string
	for {
		page, err := s.ListCases(ctx, p, q)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if len(ids) > MaxBatchReview {
			var v Validation
			v.Add("filter", "matches more than %d cases; narrow it (e.g. by date)", MaxBatchReview)
			return nil, v.Err("review.batch")
		}
		if page.NextCursor == "" {
			return ids, nil
		}
		q.Cursor = page.NextCursor
	}
}

// GetReviewJob returns a batch's progress.
func (s *Service) GetReviewJob(ctx context.Context, p Principal, id string) (*ReviewJob, error) {
	if err := staffOnly(p, "review.get"); err != nil {
		return nil, err
	}
	return s.Jobs.GetReviewJob(ctx, id)
}

// ReviewOne decides one case of a batch exactly as a single decision by the
// job's author would, and records the result once. A transient failure is
// returned (the item is retried); any other failure is the item's result.
func (s *Service) ReviewOne(ctx context.Context, item ReviewItem) error {
	job, err := s.Jobs.GetReviewJob(ctx, item.JobID)
	if err != nil {
		return err
	}
	switch job.Decision {
	case "approve":
		_, err = s.Approve(ctx, job.By, item.CaseID, Approval{Note: job.Reason})
	default:
		_, err = s.Reject(ctx, job.By, item.CaseID, job.Reason)
	}
	if err != nil && KindOf(err) == KindTransient {
		return err
	}
	if KindOf(err) == KindConflict && s.decidedBy(ctx, item.CaseID, job) {
		err = nil // a redelivered item whose decision was ours: it succeeded
	}
	failure := ""
	if err != nil {
		failure = KindOf(err).String() + ": " + errorMessage(err)
	}
	_, err = s.Jobs.RecordReviewResult(ctx, item.JobID, item.CaseID, failure)
	return err
}

// errorMessage is the client-safe message of err, or its kind.
func errorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Msg != "" {
		return e.Msg
	}
	return KindOf(err).String()
}

// decidedBy reports whether the case carries the job's decision by the job's
// author.
func (s *Service) decidedBy(ctx context.Context, caseID string, job *ReviewJob) bool {
	c, err := s.Cases.GetCase(ctx, caseID)
	return err == nil && c.Decision != nil && c.Decision.By == job.By.Actor() && c.Decision.Outcome == job.Decision
}
