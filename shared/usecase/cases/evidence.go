package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// RequestUploads declares evidence files and returns presigned URLs to upload
// them straight to object storage (F3). caseID is empty for files uploaded
// while the buyer is still filling in the application.
//
// Limits come before work: the files are checked on their own, then the
// case, then the upload quotas are taken (the case's, and the buyer's
// hour), and only then is anything signed or stored. Files go under
// pending/ until a case takes them (see keepEvidence).
func (s *Service) RequestUploads(ctx context.Context, p aftersales.Principal, caseID string, files []aftersales.UploadFile) ([]aftersales.PresignedUpload, error) {
	const op = "evidence.upload"
	if !p.Has(aftersales.RoleBuyer) {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only buyers upload evidence")
	}
	if err := aftersales.ValidateUploadFiles(files, 0); err != nil {
		return nil, err
	}
	if caseID != "" {
		c, err := s.GetCase(ctx, p, caseID)
		if err != nil {
			return nil, err
		}
		if !c.OwnedBy(p.ID) {
			return nil, aftersales.E(aftersales.KindForbidden, op, "only the buyer uploads evidence")
		}
		if _, ok := aftersales.Next(c.Status, aftersales.ActAttachEvidence, c.Type); !ok {
			return nil, aftersales.E(aftersales.KindConflict, op, fmt.Sprintf("a case that is %s takes no more evidence", c.Status))
		}
		if err := aftersales.ValidateUploadFiles(files, len(c.Evidence)); err != nil {
			return nil, err
		}
		var v aftersales.Validation
		if aftersales.CheckDocumentSlots(&v, "files", files, c); !v.Valid() {
			return nil, v.Err(op)
		}
	}
	now := s.Clock.Now().UTC()
	if err := s.Cases.TakeQuota(ctx, len(files), aftersales.UploadQuotas(p.ID, caseID, now)...); err != nil {
		return nil, quotaError(op, err, now)
	}
	return casework.DeclareUploads(ctx, s.Cases, s.Evidence, s.IDs, now, p.ID, caseID, files,
		func(id string) string { return aftersales.PendingObjectKey(p.ID, id) })
}

// quotaError is the buyer's answer when an upload quota is spent. A case's
// quota never renews, so asking again cannot help: 422 on files. The
// buyer's hour does: KindRateLimited, with when to try again.
func quotaError(op string, err error, now time.Time) error {
	var qe *aftersales.QuotaExceeded
	if !errors.As(err, &qe) {
		return err
	}
	q := qe.Quota
	if q.ResetAt.IsZero() {
		return aftersales.Invalid(op, "files", "a case gets at most %d upload URLs; attach the files already uploaded", q.Limit)
	}
	return &aftersales.Error{Kind: aftersales.KindRateLimited, Op: op, Err: err, RetryAfter: q.ResetAt.Sub(now),
		Msg: fmt.Sprintf("a buyer gets at most %d upload URLs an hour; try again after %s", q.Limit, q.ResetAt.Format(time.RFC3339))}
}

// AttachEvidence attaches uploaded files to the buyer's case, from any
// terminal (F4). The ids are checked on their own before any is looked up.
func (s *Service) AttachEvidence(ctx context.Context, p aftersales.Principal, caseID string, ids []string) (*aftersales.Case, error) {
	const op = "case.attach_evidence"
	if !p.Has(aftersales.RoleBuyer) {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only buyers attach evidence")
	}
	var v aftersales.Validation
	if !aftersales.CheckIDs(&v, "evidence_ids", ids, 1, aftersales.MaxEvidencePerCase) {
		return nil, v.Err(op)
	}
	// The case before the uploads: another buyer's case is 404 whatever
	// the body says, as on every route of a case.
	if _, err := s.GetCase(ctx, p, caseID); err != nil {
		return nil, err
	}
	ups, err := s.checkUploads(ctx, p, ids, "evidence_ids", &v)
	if err != nil {
		return nil, err
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	return s.change(ctx, p, caseID, true, func(c *aftersales.Case) error {
		// Files declared before the case existed are checked here: an
		// appliance's documents go to appliance cases only (F21).
		var dv aftersales.Validation
		if aftersales.CheckDocumentSlots(&dv, "evidence_ids", filesOf(ups), c); !dv.Valid() {
			return dv.Err(op)
		}
		if err := c.AttachEvidence(evidenceOf(ups), p.Actor(), s.Clock.Now()); err != nil {
			return err
		}
		// Kept once the case has taken them, before it is written: a case
		// never holds a file that the lifecycle rule may delete.
		return s.keepEvidence(ctx, caseID, ups)
	})
}

// checkUploads resolves evidence ids to uploads of p's that are really in
// object storage as declared, recording a field error for each that is not.
// The list is within its limits (at most MaxEvidencePerCase ids); an empty
// or repeated id, which CheckIDs named, is not looked up.
//
// Only "not found" becomes a field error: a storage outage is the caller's
// to retry, not the buyer's to fix.
func (s *Service) checkUploads(ctx context.Context, p aftersales.Principal, ids []string, field string, v *aftersales.Validation) ([]aftersales.Upload, error) {
	var out []aftersales.Upload
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		f := fmt.Sprintf("%s[%d]", field, i)
		up, err := s.Cases.GetUpload(ctx, id)
		if err != nil && !errors.Is(err, aftersales.ErrNotFound) {
			return nil, err
		}
		if err != nil || up.BuyerID != p.ID || !s.Clock.Now().Before(up.ExpiresAt) {
			v.Add(f, "no upload %q of yours is known", id)
			continue
		}
		info, err := s.Evidence.Stat(ctx, up.ObjectKey)
		if err != nil && !errors.Is(err, aftersales.ErrNotFound) {
			return nil, err
		}
		if err != nil {
			v.Add(f, "%s has not been uploaded yet", id)
			continue
		}
		if !v.Check(info.ContentType == up.ContentType && info.Size == up.Size, f,
			"%s was declared as %s of %d bytes but %s of %d bytes was uploaded", id, up.ContentType, up.Size, info.ContentType, info.Size) {
			continue
		}
		out = append(out, up)
	}
	return out, nil
}

// evidenceOf is what a case records of the uploads it takes.
func evidenceOf(ups []aftersales.Upload) []aftersales.Evidence {
	out := make([]aftersales.Evidence, len(ups))
	for i, up := range ups {
		out[i] = aftersales.Evidence{ID: up.ID, ContentType: up.ContentType, Size: up.Size, Slot: up.Slot}
	}
	return out
}

// keepEvidence copies the files a case takes out of pending/, which the
// bucket's lifecycle rule empties, to where attached evidence is kept. It
// runs once every check has passed, so only files a case takes are kept;
// a case write that fails after it leaves a copy that no case holds, at
// most one per upload (the copy's key is the upload's).
//
// Uploads declared before the case existed are first recorded as the
// case's: the copy under evidence/ is what starts the verification (issue
// 16), which finds the case through the upload record.
func (s *Service) keepEvidence(ctx context.Context, caseID string, ups []aftersales.Upload) error {
	var claimed []aftersales.Upload
	for _, up := range ups {
		if up.CaseID == "" {
			up.CaseID = caseID
			claimed = append(claimed, up)
		}
	}
	if len(claimed) > 0 {
		if err := s.Cases.PutUploads(ctx, claimed); err != nil {
			return err
		}
	}
	for _, up := range ups {
		to := aftersales.EvidenceObjectKey(up.BuyerID, up.ID)
		if up.ObjectKey == to {
			continue // declared before uploads went under pending/
		}
		err := s.Evidence.Copy(ctx, up.ObjectKey, to)
		if errors.Is(err, aftersales.ErrNotFound) {
			// Deleted since Stat: only a lifecycle rule acting before the
			// upload record expires would, which is a misconfiguration.
			return aftersales.Wrap(aftersales.KindInternal, "evidence.keep", fmt.Errorf("upload %s vanished before it was kept: %w", up.ID, err))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// EvidenceLink is a short-lived link to look at one evidence file.
type EvidenceLink struct {
	URL          string
	ThumbnailURL string // for a photo with a thumbnail
	ExpiresAt    time.Time
}

// EvidenceLinks signs a link to each evidence file of c, which p has
// already read (GetCase): the buyer of the case, or staff who read every
// case. Anyone else gets no link, whatever case they pass: the check is
// made again here, so a caller that forgot GetCase cannot leak a link.
// The links are bearer credentials that expire in ViewURLLifetime; they
// are returned, never logged or stored.
func (s *Service) EvidenceLinks(ctx context.Context, p aftersales.Principal, c *aftersales.Case) (map[string]EvidenceLink, error) {
	if c == nil || len(c.Evidence) == 0 || (!p.ReadsAllCases() && !c.OwnedBy(p.ID)) {
		return nil, nil
	}
	exp := s.Clock.Now().UTC().Truncate(time.Second).Add(aftersales.ViewURLLifetime)
	out := make(map[string]EvidenceLink, len(c.Evidence))
	for _, e := range c.Evidence {
		u, err := s.Evidence.PresignGet(ctx, aftersales.EvidenceObjectKey(c.BuyerID, e.ID), aftersales.ViewURLLifetime)
		if err != nil {
			return nil, err
		}
		l := EvidenceLink{URL: u, ExpiresAt: exp}
		if e.Thumbnail {
			if l.ThumbnailURL, err = s.Evidence.PresignGet(ctx, aftersales.ThumbnailObjectKey(c.BuyerID, e.ID), aftersales.ViewURLLifetime); err != nil {
				return nil, err
			}
		}
		out[e.ID] = l
	}
	return out, nil
}

// filesOf are the declarations of uploads, in their order.
func filesOf(ups []aftersales.Upload) []aftersales.UploadFile {
	out := make([]aftersales.UploadFile, len(ups))
	for i, up := range ups {
		out[i] = aftersales.UploadFile{ContentType: up.ContentType, Size: up.Size, Slot: up.Slot}
	}
	return out
}
