package review

import (
	"context"
	"errors"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Batch review (F10): staff approve or reject up to MaxBatchReview cases in
// one call. The job is stored, its items go through a queue, and each item
// takes exactly the path of a single decision (same checks, same audit); the
// job counts what succeeded and what failed, per case. Ids that name no case
// fail at once, in the job as it is created: they are found with one
// batched read and never queued, so 10,000 of them cost 100 key reads
// rather than 10,000 messages, reads and transactions.

// noSuchCase is the failure of an id that names no case: what its item
// would have recorded (the kind and message of GetCase's ErrNotFound).
var noSuchCase = aftersales.KindNotFound.String() + ": no such case"

// StartBatchReview validates the request, resolves its cases, stores the job
// with the ids that name no case already failed, and queues one item per
// case.
func (s *Service) StartBatchReview(ctx context.Context, p aftersales.Principal, req aftersales.BatchReview) (*aftersales.ReviewJob, error) {
	const op = "review.batch"
	if err := casework.RequireStaff(p, op); err != nil {
		return nil, err
	}
	var v aftersales.Validation
	v.Check(req.Decision == "approve" || req.Decision == "reject", "decision", "must be approve or reject")
	if v.Check(req.Decision != "reject" || req.Reason != "", "reason", "is required to reject") {
		aftersales.CheckText(&v, "reason", req.Reason, aftersales.MultiLine, aftersales.MaxDescriptionRunes)
	}
	switch {
	case len(req.CaseIDs) > 0 && req.Filter != nil:
		v.Add("filter", "send case_ids or a filter, not both")
	case len(req.CaseIDs) == 0 && req.Filter == nil:
		v.Add("case_ids", "send case_ids or a filter")
	default:
		// The count first: more ids than a batch holds are not read one by one.
		aftersales.CheckIDs(&v, "case_ids", req.CaseIDs, 0, aftersales.MaxBatchReview)
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	job := &aftersales.ReviewJob{ID: s.IDs.NewID("job"), Decision: req.Decision, Reason: req.Reason, By: p,
		Total: len(req.CaseIDs), CreatedAt: s.Clock.Now().UTC()}
	var cases []string
	var err error
	if req.Filter != nil {
		// A filter lists stored cases: there is nothing to look up.
		if cases, err = s.resolveFilter(ctx, *req.Filter); err != nil {
			return nil, err
		}
		job.Total = len(cases)
	} else if cases, err = s.failUnknown(ctx, job, req.CaseIDs); err != nil {
		return nil, err
	}
	if err := s.Jobs.CreateReviewJob(ctx, job); err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return job, nil // done already: no id named a case
	}
	items := make([]aftersales.ReviewItem, len(cases))
	for i, id := range cases {
		items[i] = aftersales.ReviewItem{JobID: job.ID, CaseID: id}
	}
	if err := s.Queue.EnqueueReviews(ctx, items); err != nil {
		return nil, err
	}
	return job, nil
}

// failUnknown looks ids up in one batched read and returns those that name
// a case, in order; each of the others is counted as failed in job, and the
// first MaxListedFailures of them are listed.
func (s *Service) failUnknown(ctx context.Context, job *aftersales.ReviewJob, ids []string) ([]string, error) {
	found, err := s.Cases.CasesExist(ctx, ids)
	if err != nil {
		return nil, err
	}
	cases := make([]string, 0, len(found))
	for _, id := range ids {
		if found[id] {
			cases = append(cases, id)
			continue
		}
		if job.Failed++; len(job.Failures) < aftersales.MaxListedFailures {
			job.Failures = append(job.Failures, aftersales.ReviewFailure{CaseID: id, Error: noSuchCase})
		}
	}
	return cases, nil
}

// resolveFilter lists every case the filter matches, refusing filters that
// match more than a batch may hold.
func (s *Service) resolveFilter(ctx context.Context, q aftersales.CaseQuery) ([]string, error) {
	q.Limit, q.Cursor = aftersales.MaxPageSize, ""
	q, err := casework.CheckQuery(q)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = casework.EachPage(ctx, s.Cases, q, func(c aftersales.Case) error {
		if ids = append(ids, c.ID); len(ids) > aftersales.MaxBatchReview {
			var v aftersales.Validation
			v.Add("filter", "matches more than %d cases; narrow it (e.g. by date)", aftersales.MaxBatchReview)
			return v.Err("review.batch")
		}
		return nil
	})
	return ids, err
}

// GetReviewJob returns a batch's progress.
func (s *Service) GetReviewJob(ctx context.Context, p aftersales.Principal, id string) (*aftersales.ReviewJob, error) {
	if err := casework.RequireStaff(p, "review.get"); err != nil {
		return nil, err
	}
	return s.Jobs.GetReviewJob(ctx, id)
}

// ReviewOne decides one case of a batch exactly as a single decision by the
// job's author would, and records the result once. A transient failure is
// returned (the item is retried); any other failure is the item's result.
func (s *Service) ReviewOne(ctx context.Context, item aftersales.ReviewItem) error {
	job, err := s.Jobs.GetReviewJob(ctx, item.JobID)
	if err != nil {
		return err
	}
	switch job.Decision {
	case "approve":
		_, err = s.Approve(ctx, job.By, item.CaseID, aftersales.Approval{Note: job.Reason})
	default:
		_, err = s.Reject(ctx, job.By, item.CaseID, job.Reason)
	}
	if err != nil && aftersales.KindOf(err) == aftersales.KindTransient {
		return err
	}
	if aftersales.KindOf(err) == aftersales.KindConflict && s.decidedBy(ctx, item.CaseID, job) {
		err = nil // a redelivered item whose decision was ours: it succeeded
	}
	failure := ""
	if err != nil {
		failure = aftersales.KindOf(err).String() + ": " + errorMessage(err)
	}
	_, err = s.Jobs.RecordReviewResult(ctx, item.JobID, item.CaseID, failure)
	return err
}

// errorMessage is the client-safe message of err, or its kind.
func errorMessage(err error) string {
	var e *aftersales.Error
	if errors.As(err, &e) && e.Msg != "" {
		return e.Msg
	}
	return aftersales.KindOf(err).String()
}

// decidedBy reports whether the case carries the job's decision by the job's
// author.
func (s *Service) decidedBy(ctx context.Context, caseID string, job *aftersales.ReviewJob) bool {
	c, err := s.Cases.GetCase(ctx, caseID)
	return err == nil && c.Decision != nil && c.Decision.By == job.By.Actor() && c.Decision.Outcome == job.Decision
}
