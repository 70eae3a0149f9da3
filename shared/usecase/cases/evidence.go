package cases

import (
	"context"
	"errors"
	"fmt"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// RequestUploads declares evidence files and returns presigned URLs to upload
// them straight to object storage (F3). caseID is empty for files uploaded
// while the buyer is still filling in the application.
func (s *Service) RequestUploads(ctx context.Context, p aftersales.Principal, caseID string, files []aftersales.UploadFile) ([]aftersales.PresignedUpload, error) {
	if !p.Has(aftersales.RoleBuyer) {
		return nil, aftersales.E(aftersales.KindForbidden, "evidence.upload", "only buyers upload evidence")
	}
	already := 0
	if caseID != "" {
		c, err := s.GetCase(ctx, p, caseID)
		if err != nil {
			return nil, err
		}
		if !c.OwnedBy(p.ID) {
			return nil, aftersales.E(aftersales.KindForbidden, "evidence.upload", "only the buyer uploads evidence")
		}
		if _, ok := aftersales.Next(c.Status, aftersales.ActAttachEvidence, c.Type); !ok {
			return nil, aftersales.E(aftersales.KindConflict, "evidence.upload", fmt.Sprintf("a case that is %s takes no more evidence", c.Status))
		}
		already = len(c.Evidence)
	}
	if err := aftersales.ValidateUploadFiles(files, already); err != nil {
		return nil, err
	}
	now := s.Clock.Now().UTC()
	ups := make([]aftersales.Upload, len(files))
	out := make([]aftersales.PresignedUpload, len(files))
	for i, f := range files {
		id := s.IDs.NewID("ev")
		ups[i] = aftersales.Upload{ID: id, BuyerID: p.ID, CaseID: caseID, ObjectKey: aftersales.EvidenceObjectKey(p.ID, id),
			ContentType: f.ContentType, Size: f.Size, CreatedAt: now, ExpiresAt: now.Add(aftersales.UploadRecordTTL)}
		pu, err := s.Evidence.PresignPut(ctx, ups[i].ObjectKey, f.ContentType, f.Size, aftersales.UploadURLLifetime)
		if err != nil {
			return nil, err
		}
		pu.EvidenceID = id
		out[i] = pu
	}
	if err := s.Cases.PutUploads(ctx, ups); err != nil {
		return nil, err
	}
	return out, nil
}

// AttachEvidence attaches uploaded files to the buyer's case, from any
// terminal (F4).
func (s *Service) AttachEvidence(ctx context.Context, p aftersales.Principal, caseID string, ids []string) (*aftersales.Case, error) {
	if !p.Has(aftersales.RoleBuyer) {
		return nil, aftersales.E(aftersales.KindForbidden, "case.attach_evidence", "only buyers attach evidence")
	}
	var v aftersales.Validation
	v.Check(len(ids) > 0, "evidence_ids", "must list at least one evidence id")
	evs, err := s.checkUploads(ctx, p, ids, "evidence_ids", &v)
	if err != nil {
		return nil, err
	}
	if err := v.Err("case.attach_evidence"); err != nil {
		return nil, err
	}
	return s.change(ctx, p, caseID, true, func(c *aftersales.Case) error {
		return c.AttachEvidence(evs, p.Actor(), s.Clock.Now())
	})
}

// checkUploads resolves evidence ids to uploads of p's that are really in
// object storage as declared, recording a field error for each that is not.
//
// Only "not found" becomes a field error: a storage outage is the caller's
// to retry, not the buyer's to fix.
func (s *Service) checkUploads(ctx context.Context, p aftersales.Principal, ids []string, field string, v *aftersales.Validation) ([]aftersales.Evidence, error) {
	var out []aftersales.Evidence
	seen := map[string]bool{}
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !v.Check(!seen[id], f, "names %s twice", id) {
			continue
		}
		seen[id] = true
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
		out = append(out, aftersales.Evidence{ID: id, ContentType: up.ContentType, Size: up.Size})
	}
	return out, nil
}
