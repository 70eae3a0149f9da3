// Package verify is the use case of the evidence checks (F9, issue 16): when
// an evidence file lands under evidence/ (a case took it), its bytes are
// inspected (what they are, whether they decode, the limits), a photo's
// perceptual hash is compared with earlier photos of other buyers and other
// orders, and its EXIF capture time with the order's delivery; the result
// goes on the case's evidence and timeline. Evidence that fails asks the
// buyer for valid evidence when the case waits for a review.
package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/inspect"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Service checks evidence files.
type Service struct {
	Cases    aftersales.CaseStore
	Orders   aftersales.OrderStore
	Rules    aftersales.RuleSetStore
	Evidence aftersales.EvidenceStore
	Hashes   aftersales.PhotoHashStore
	// Recognizer labels photos of the product categories the rule set
	// names (EvidenceSettings.RecognitionCategories); nil: never.
	Recognizer aftersales.ImageRecognizer
	Workflow   casework.Resumer
	Clock      aftersales.Clock
	// Pause waits d or until ctx is done, between reads of a case that
	// does not hold the file yet (nil: a timer).
	Pause func(ctx context.Context, d time.Duration) error
}

// Actor is who records the checks on the timeline.
const Actor = "system"

// caseWaits are the pauses before the reads of a case after the first: the
// file is copied under evidence/ just before the case that takes it is
// written (cases.keepEvidence), so the notification can overtake the write
// by the time of one write.
var caseWaits = []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, time.Second}

// takenSlack is how much earlier than delivery a capture time without an
// offset may be before it is flagged: EXIF times are the camera's local
// time, and no zone is more than 14 hours from UTC.
const takenSlack = 14 * time.Hour

// ErrNotEvidence is returned for an object key that is no attached evidence
// file: the consumer drops the event (no retry can change the key).
var ErrNotEvidence = errors.New("not an evidence object")

// ParseKey splits an evidence key, evidence/<buyer id>/<evidence id>.
func ParseKey(key string) (buyerID, evidenceID string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] != "evidence" || parts[1] == "" || !strings.HasPrefix(parts[2], "ev") {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// Outcome is what a check did, for the log.
type Outcome struct {
	CaseID     string
	EvidenceID string
	Result     aftersales.EvidenceResult
	// Requested says the buyer was asked for valid evidence.
	Requested bool
	// Skipped says nothing was written: the file was checked before (a
	// redelivered event) or the case has ended.
	Skipped bool
}

// ObjectCreated checks the evidence file stored at key. A key that is no
// evidence file, or whose upload is unknown, is ErrNotEvidence; a case that
// does not hold the file after the last wait is a transient error (the
// event is redelivered).
func (s *Service) ObjectCreated(ctx context.Context, key string) (Outcome, error) {
	const op = "evidence.check"
	buyerID, evID, ok := ParseKey(key)
	if !ok {
		return Outcome{}, fmt.Errorf("%w: %s", ErrNotEvidence, key)
	}
	up, err := s.Cases.GetUpload(ctx, evID)
	if errors.Is(err, aftersales.ErrNotFound) || (err == nil && (up.BuyerID != buyerID || up.CaseID == "")) {
		return Outcome{}, fmt.Errorf("%w: no upload of a case is known for %s", ErrNotEvidence, key)
	}
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{CaseID: up.CaseID, EvidenceID: evID}
	c, err := s.caseHolding(ctx, up.CaseID, evID)
	if err != nil {
		return out, err
	}
	if i := c.FindEvidence(evID); c.Evidence[i].Status != aftersales.EvidenceUploaded || c.Status.Terminal() {
		out.Skipped = true
		return out, nil
	}
	// A photo is read whole (it is decoded); of a video only its header,
	// so a 100 MB file costs the function no more memory than a photo.
	limit := int64(aftersales.MaxImageBytes + 1)
	if up.ContentType == inspect.TypeMP4 {
		limit = inspect.HeaderBytes
	}
	body, info, err := s.Evidence.Get(ctx, key, limit)
	if errors.Is(err, aftersales.ErrNotFound) {
		return out, fmt.Errorf("%w: %s is gone", ErrNotEvidence, key)
	}
	if err != nil {
		return out, err
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return out, err
	}
	rep := inspect.Inspect(body, up.ContentType, info.Size)
	res := aftersales.EvidenceResult{Status: aftersales.EvidenceVerified, Checks: rep.Checks}
	if !rep.Valid() {
		res.Status = aftersales.EvidenceInvalid
	}
	if rep.Thumbnail != nil {
		// Made once, here: the case view signs a link to it.
		if err := s.Evidence.Put(ctx, aftersales.ThumbnailObjectKey(buyerID, evID), inspect.TypeJPEG, rep.Thumbnail); err != nil {
			return out, err
		}
		res.Thumbnail = true
	}
	if rep.HasHash {
		if err := s.reuse(ctx, c, evID, rep.Hash, rs.Evidence.ReuseMaxDistance, &res); err != nil {
			return out, err
		}
	}
	if s.Recognizer != nil && rep.Valid() && rep.Thumbnail != nil && rs.Evidence.RecognizesAny(c) {
		s.recognize(ctx, body, rep.Thumbnail, &res)
	}
	if !rep.TakenAt.IsZero() {
		if err := s.captureTime(ctx, c, rep, &res); err != nil {
			return out, err
		}
	}
	out.Result = res
	return s.record(ctx, c.ID, evID, res, rs, out)
}

// caseHolding reads the case until it holds the file, pausing between reads.
func (s *Service) caseHolding(ctx context.Context, caseID, evID string) (*aftersales.Case, error) {
	for i := 0; ; i++ {
		c, err := s.Cases.GetCase(ctx, caseID)
		if err != nil && !errors.Is(err, aftersales.ErrNotFound) {
			return nil, err
		}
		if err == nil && c.FindEvidence(evID) >= 0 {
			return c, nil
		}
		if i == len(caseWaits) {
			// A case write that failed after the copy leaves a file no
			// case holds; the redeliveries end in the dead-letter queue.
			return nil, aftersales.E(aftersales.KindTransient, "evidence.check", fmt.Sprintf("case %s does not hold %s yet", caseID, evID))
		}
		if err := s.pause(ctx, caseWaits[i]); err != nil {
			return nil, err
		}
	}
}

// reuse looks the hash up among earlier photos and records this one.
func (s *Service) reuse(ctx context.Context, c *aftersales.Case, evID string, hash uint64, maxDistance int, res *aftersales.EvidenceResult) error {
	similar, err := s.Hashes.SimilarPhotos(ctx, hash, maxDistance)
	if err != nil {
		return err
	}
	for _, h := range similar {
		if h.EvidenceID == evID || !h.ReusedBy(c) {
			continue
		}
		d := aftersales.HashDistance(h.Hash, hash)
		res.Checks = append(res.Checks, fmt.Sprintf("reuse: %d bits from evidence %s of case %s (at most %d count as the same photo)", d, h.EvidenceID, h.CaseID, maxDistance))
		if res.Status == aftersales.EvidenceVerified {
			res.Status, res.ReusedFrom = aftersales.EvidenceReused, h.CaseID
		}
		break
	}
	if res.ReusedFrom == "" {
		res.Checks = append(res.Checks, fmt.Sprintf("reuse: no photo of another buyer or order within %d bits", maxDistance))
	}
	return s.Hashes.PutPhotoHash(ctx, aftersales.PhotoHash{Hash: hash, EvidenceID: evID, CaseID: c.ID,
		BuyerID: c.BuyerID, OrderID: c.OrderID, At: s.Clock.Now().UTC()})
}

// maxRecognizeBytes is the largest photo sent to recognition as it is
// (DetectLabels takes 5 MB inline); a larger one is sent as its thumbnail.
const maxRecognizeBytes = 5 << 20

// recognize records what image recognition sees. A failure of the
// recognizer is a finding, not a failed check: recognition only informs the
// reviewer and the rules.
func (s *Service) recognize(ctx context.Context, body, thumbnail []byte, res *aftersales.EvidenceResult) {
	img := body
	if len(img) > maxRecognizeBytes {
		img = thumbnail
	}
	rec, err := s.Recognizer.Recognize(ctx, img)
	if err != nil {
		res.Checks = append(res.Checks, "recognition: unavailable ("+err.Error()+")")
		return
	}
	msg := "recognition: " + strings.Join(rec.Labels, ", ")
	if rec.Damage {
		msg += "; damage visible"
	}
	if rec.Items > 0 {
		msg += fmt.Sprintf("; %d item(s)", rec.Items)
	}
	res.Checks = append(res.Checks, msg)
	res.Recognition = &rec
}

// captureTime flags a photo taken before the order was delivered: a photo
// of goods "damaged on arrival" cannot predate the arrival. It is a flag
// for the reviewer, not a failure: cameras' clocks are wrong often enough.
func (s *Service) captureTime(ctx context.Context, c *aftersales.Case, rep inspect.Report, res *aftersales.EvidenceResult) error {
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if errors.Is(err, aftersales.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.DeliveredAt.IsZero() {
		return nil
	}
	slack := takenSlack
	if rep.TakenAtZoned {
		slack = 0
	}
	if rep.TakenAt.Before(o.DeliveredAt.Add(-slack)) {
		msg := fmt.Sprintf("exif: taken %s, before the order was delivered at %s", rep.TakenAt.Format(time.RFC3339), o.DeliveredAt.UTC().Format(time.RFC3339))
		res.Checks = append(res.Checks, msg)
		res.Flags = append(res.Flags, "taken before delivery")
	}
	return nil
}

// record writes the result on the case and, when the file failed and the
// case waits for a review, asks the buyer for valid evidence: the case goes
// to awaiting_evidence and its workflow starts that wait, with the rule
// set's evidence deadline. In any other status the result is recorded
// only: before the rules ran they see it (has_evidence counts no failed
// file), and a staff approval of a reason that needs evidence waits for a
// verified file (aftersales.Case.CheckEvidenceForApproval).
func (s *Service) record(ctx context.Context, caseID, evID string, res aftersales.EvidenceResult, rs *aftersales.RuleSet, out Outcome) (Outcome, error) {
	var token string
	c, wrote, err := casework.Update(ctx, s.Cases, caseID, func(ctx context.Context, id string) (*aftersales.Case, error) {
		return s.Cases.GetCase(ctx, id)
	}, func(c *aftersales.Case) error {
		token = ""
		i := c.FindEvidence(evID)
		if i < 0 || c.Evidence[i].Status != aftersales.EvidenceUploaded || c.Status.Terminal() {
			return casework.ErrNoChange
		}
		now := s.Clock.Now()
		if err := c.RecordEvidenceCheck(evID, res, Actor, now); err != nil {
			return err
		}
		if !res.Failed() || c.Status != aftersales.StatusPendingReview || c.TaskToken == "" || hasOtherValid(c, evID) {
			return nil
		}
		token = c.TaskToken
		note := "please add valid evidence: " + evID + " is " + res.Status
		if res.ReusedFrom != "" {
			note += " (the same photo as in another claim)"
		}
		c.Decision = &aftersales.Decision{Outcome: string(aftersales.OutcomeRequestEvidence), By: Actor, Reason: note,
			RuleSetVersion: rs.Version}
		return c.Apply(aftersales.Change{Action: aftersales.ActRequestEvidence, Actor: Actor, At: now, Note: note})
	})
	if err != nil {
		return out, err
	}
	out.Skipped = !wrote
	if !wrote || token == "" {
		return out, nil
	}
	out.Requested = true
	return out, s.Workflow.Resume(ctx, token, c)
}

// hasOtherValid reports whether the case holds evidence other than evID
// that was not found failed: one bad photo among good ones asks nothing of
// the buyer; the reviewer sees it.
func hasOtherValid(c *aftersales.Case, evID string) bool {
	for _, e := range c.Evidence {
		if e.ID != evID && e.Status != aftersales.EvidenceInvalid && e.Status != aftersales.EvidenceReused {
			return true
		}
	}
	return false
}

// pause waits d, or until ctx is done (see casework.Pause).
func (s *Service) pause(ctx context.Context, d time.Duration) error {
	return casework.Pause(ctx, s.Pause, d)
}
