// Package casework holds the steps every use case shares when it changes a
// case: the optimistic-lock loop, loading a case for a caller, the checks on
// who may act, and ending a wait so that its workflow resumes. It imports
// the domain only; the use cases beside it (cases, review, returns, refunds,
// workflow) are built from these steps.
package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Resumer hands a case back to the workflow waiting on token, telling it
// the case's status and the deadline of its next wait. The workflow use
// case implements it.
type Resumer interface {
	Resume(ctx context.Context, token string, c *aftersales.Case) error
}

// Loader loads a case for a change.
type Loader func(ctx context.Context, id string) (*aftersales.Case, error)

// ErrNoChange is what an Update's fn returns to write nothing.
var ErrNoChange = errors.New("no change")

// maxAttempts bounds optimistic-lock retries: a case is changed by a
// handful of actors, so more than a few lost races means something is wrong.
const maxAttempts = 3

// Update is the one optimistic-lock loop of the use cases: it loads the case
// with load, lets fn change it, writes it conditionally on the version it
// read, and starts over from a fresh read when a concurrent writer won. fn
// returns ErrNoChange to write nothing; wrote says whether a write happened.
// The returned case is as written, or as read when nothing was written.
func Update(ctx context.Context, cases aftersales.CaseStore, id string, load Loader, fn func(*aftersales.Case) error) (c *aftersales.Case, wrote bool, err error) {
	for attempt := 1; ; attempt++ {
		if c, err = load(ctx, id); err != nil {
			return nil, false, err
		}
		prev := c.Version
		switch err := fn(c); {
		case errors.Is(err, ErrNoChange):
			return c, false, nil
		case err != nil:
			return nil, false, err
		}
		err = cases.UpdateCase(ctx, c, prev)
		if errors.Is(err, aftersales.ErrVersionConflict) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		// The raised events are in the outbox now: a caller that writes
		// this case again must not raise them again; the accounts it
		// opened are on the ledger likewise.
		c.Raised, c.Opened = nil, nil
		return c, true, nil
	}
}

// Visible returns a case p may see: a buyer only their own (a stranger's
// case is not found, never forbidden, so ids reveal nothing). A principal
// with no known role sees none.
func Visible(ctx context.Context, cases aftersales.CaseStore, p aftersales.Principal, id string) (*aftersales.Case, error) {
	if err := RequireRole(p, "case.get"); err != nil {
		return nil, err
	}
	c, err := cases.GetCase(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.ReadsAllCases() && !c.OwnedBy(p.ID) {
		return nil, &aftersales.Error{Kind: aftersales.KindNotFound, Op: "case.get", Msg: "no such case", Err: aftersales.ErrNotFound}
	}
	return c, nil
}

// VisibleTo is the Loader of the cases p may see.
func VisibleTo(cases aftersales.CaseStore, p aftersales.Principal) Loader {
	return func(ctx context.Context, id string) (*aftersales.Case, error) { return Visible(ctx, cases, p, id) }
}

// ForStaff is the Loader of a staff action op by p: it refuses a case
// whose buyer p is (RequireNotOwnCase), before anything else is checked.
func ForStaff(cases aftersales.CaseStore, p aftersales.Principal, op string) Loader {
	return func(ctx context.Context, id string) (*aftersales.Case, error) {
		c, err := cases.GetCase(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := RequireNotOwnCase(p, c, op); err != nil {
			return nil, err
		}
		return c, nil
	}
}

// EndWait is how a person ends a wait: load the case, check it is in that
// wait with its token recorded, apply fn, write conditionally on the version
// read, then resume the workflow. A concurrent decision loses the version
// race and then finds the case no longer waiting: a conflict.
func EndWait(ctx context.Context, cases aftersales.CaseStore, wf Resumer, p aftersales.Principal, caseID, wait string, fn func(*aftersales.Case) error) (*aftersales.Case, error) {
	return endWait(ctx, cases, wf, VisibleTo(cases, p), caseID, wait, fn)
}

// EndStaffWait is EndWait for the staff action op: only staff (RequireStaff)
// may end the wait, and never on a case whose buyer they are
// (RequireNotOwnCase). Every staff decision on a case goes through it or
// ForStaff, so that a new one cannot forget either check.
func EndStaffWait(ctx context.Context, cases aftersales.CaseStore, wf Resumer, p aftersales.Principal, caseID, wait, op string, fn func(*aftersales.Case) error) (*aftersales.Case, error) {
	if err := RequireStaff(p, op); err != nil {
		return nil, err
	}
	return endWait(ctx, cases, wf, ForStaff(cases, p, op), caseID, wait, fn)
}

// EndArbiterWait is EndWait for the arbitrator's decision op: only an
// arbitrator or admin (RequireArbiter) may end the wait, and never on a
// case whose buyer they are (RequireNotOwnCase).
func EndArbiterWait(ctx context.Context, cases aftersales.CaseStore, wf Resumer, p aftersales.Principal, caseID, wait, op string, fn func(*aftersales.Case) error) (*aftersales.Case, error) {
	if !p.CanArbitrate() {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only the platform's arbitrator (or the merchant's admin) decides an escalated dispute")
	}
	return endWait(ctx, cases, wf, ForStaff(cases, p, op), caseID, wait, fn)
}

// endWait is EndWait with the case loaded by load.
func endWait(ctx context.Context, cases aftersales.CaseStore, wf Resumer, load Loader, caseID, wait string, fn func(*aftersales.Case) error) (*aftersales.Case, error) {
	var token string
	c, _, err := Update(ctx, cases, caseID, load, func(c *aftersales.Case) error {
		if w, _ := aftersales.WaitOf(c.Status); w != wait {
			return aftersales.E(aftersales.KindConflict, "case."+wait, fmt.Sprintf("the case is %s, not waiting for %s", c.Status, wait))
		}
		if c.TaskToken == "" {
			// Between the status change and the workflow recording its
			// wait: milliseconds. The client retries.
			return aftersales.E(aftersales.KindConflict, "case."+wait, "the case is being processed; retry in a moment")
		}
		token = c.TaskToken
		return fn(c)
	})
	if err != nil {
		return nil, err
	}
	return c, wf.Resume(ctx, token, c)
}

// RuleSet returns the merchant's current rule set, or the default one until
// the merchant stores one.
func RuleSet(ctx context.Context, rules aftersales.RuleSetStore) (*aftersales.RuleSet, error) {
	rs, err := rules.GetRuleSet(ctx)
	if errors.Is(err, aftersales.ErrNotFound) {
		return aftersales.DefaultRuleSet(), nil
	}
	return rs, err
}

// RequireStaff refuses callers who are not merchant staff.
func RequireStaff(p aftersales.Principal, op string) error {
	if !p.IsStaff() {
		return aftersales.E(aftersales.KindForbidden, op, "only merchant staff may do this")
	}
	return nil
}

// RequireRole refuses a principal with no role this API knows: it is
// neither a buyer nor staff (a token whose roles claim names no known role),
// so it may do nothing, not even what any buyer may.
func RequireRole(p aftersales.Principal, op string) error {
	if !p.HasKnownRole() {
		return aftersales.E(aftersales.KindForbidden, op, "the caller has no role this API knows (buyer, reviewer, admin or arbitrator)")
	}
	return nil
}

// RequireNotOwnCase refuses staff acting on a case whose buyer they are
// (separation of duties): a person holding a staff role and the buyer role
// under one subject must not decide, arbitrate, receive or refund their
// own case; another member of staff must. Staff and buyer ids are token
// subjects, so a person with two unrelated subjects is not recognised.
func RequireNotOwnCase(p aftersales.Principal, c *aftersales.Case, op string) error {
	if c.OwnedBy(p.ID) {
		return aftersales.E(aftersales.KindForbidden, op,
			"staff may not act on a case they are the buyer of (separation of duties); another member of staff must")
	}
	return nil
}

// RequireText checks a required free-text field (a reason, a note).
func RequireText(field, text, op string) error {
	var v aftersales.Validation
	if v.Check(strings.TrimSpace(text) != "", field, "is required") {
		aftersales.CheckText(&v, field, text, aftersales.MultiLine, aftersales.MaxDescriptionRunes)
	}
	return v.Err(op)
}

// CheckQuery validates a case list query and fills in the default page
// size; the fields it names are the list's query parameters.
func CheckQuery(q aftersales.CaseQuery) (aftersales.CaseQuery, error) {
	var v aftersales.Validation
	v.Check(q.Status == "" || q.Status.Valid(), "status", "is not a case status")
	v.Check(q.Type == "" || q.Type.Valid() || q.Type == aftersales.Goodwill || q.Type == aftersales.AutoRefund, "type",
		"must be one of refund_only, return_refund, exchange, claim, goodwill, auto_refund")
	v.Check(q.Limit >= 0 && q.Limit <= aftersales.MaxPageSize, "limit", "must be between 1 and %d", aftersales.MaxPageSize)
	v.Check(q.MinAmount >= 0, "min_amount", "must not be negative")
	v.Check(q.MaxAmount >= 0 && (q.MaxAmount == 0 || q.MaxAmount >= q.MinAmount), "max_amount", "must not be below min_amount")
	v.Check(q.From.IsZero() || q.To.IsZero() || q.From.Before(q.To), "to", "must be after from")
	if err := v.Err("case.list"); err != nil {
		return q, err
	}
	if q.Limit == 0 {
		q.Limit = aftersales.DefaultPageSize
	}
	return q, nil
}

// EachPage calls fn with every case of q's pages, following the cursor to
// the end or until fn fails.
func EachPage(ctx context.Context, cases aftersales.CaseStore, q aftersales.CaseQuery, fn func(aftersales.Case) error) error {
	for {
		page, err := cases.ListCases(ctx, q)
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			if err := fn(c); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		q.Cursor = page.NextCursor
	}
}

// DeclareUploads records files as uploads declared by by for caseID, each
// to be uploaded at the key keyOf names for its new id, and returns their
// presigned upload URLs. Nothing is recorded unless every URL was signed.
func DeclareUploads(ctx context.Context, cases aftersales.CaseStore, blobs aftersales.EvidenceStore, ids aftersales.IDGenerator,
	now time.Time, by, caseID string, files []aftersales.UploadFile, keyOf func(id string) string) ([]aftersales.PresignedUpload, error) {
	ups := make([]aftersales.Upload, len(files))
	out := make([]aftersales.PresignedUpload, len(files))
	for i, f := range files {
		id := ids.NewID("ev")
		ups[i] = aftersales.Upload{ID: id, BuyerID: by, CaseID: caseID, ObjectKey: keyOf(id),
			ContentType: f.ContentType, Size: f.Size, Slot: f.Slot, CreatedAt: now, ExpiresAt: now.Add(aftersales.UploadRecordTTL)}
		pu, err := blobs.PresignPut(ctx, ups[i].ObjectKey, f.ContentType, f.Size, aftersales.UploadURLLifetime)
		if err != nil {
			return nil, err
		}
		pu.EvidenceID = id
		out[i] = pu
	}
	if err := cases.PutUploads(ctx, ups); err != nil {
		return nil, err
	}
	return out, nil
}

// Pause waits d, or until ctx is done; with wait set (a test's hook) it
// calls wait instead, so tests wait for what they wait for, not for time.
func Pause(ctx context.Context, wait func(context.Context, time.Duration) error, d time.Duration) error {
	if wait != nil {
		return wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
