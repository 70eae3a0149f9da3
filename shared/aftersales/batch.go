package aftersales

import (
	"context"
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
	// CreateReviewJob stores a new job. Succeeded starts at zero; Failed
	// and Failures are the failures known before any item is queued (ids
	// that name no case), which no item will record: Failed counts them
	// all and the first MaxListedFailures of them are kept, listed before
	// the failures items record.
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
