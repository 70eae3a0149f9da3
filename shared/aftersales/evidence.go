package aftersales

import (
	"fmt"
	"slices"
	"time"
)

// Evidence limits (F3). They are product decisions, not storage limits:
// enough for a clear case, small enough for a phone on a mobile network.
const (
	MaxEvidencePerCase = 9
	MaxImageBytes      = 20 << 20
	MaxVideoBytes      = 100 << 20
	UploadURLLifetime  = 15 * time.Minute
	// ViewURLLifetime is how long a link to look at evidence works (issue
	// 16): long enough to open a case and look, short enough that a link
	// copied out of a browser is soon worthless.
	ViewURLLifetime = 5 * time.Minute
	// UploadRecordTTL is how long a declared upload can still be attached:
	// long enough for a buyer to finish the application on another device.
	UploadRecordTTL = 24 * time.Hour
)

// evidenceTypes maps each accepted content type to its size limit.
var evidenceTypes = map[string]int64{
	"image/jpeg": MaxImageBytes,
	"image/png":  MaxImageBytes,
	"image/webp": MaxImageBytes,
	"video/mp4":  MaxVideoBytes,
}

// Documents of a large appliance (F21): its installation record and the
// installer's inspection report, which come as PDF or as photos of the
// paper. A PDF is accepted for these slots only: anywhere else evidence is
// what a camera takes.
const (
	SlotInstallRecord    = "install_record"
	SlotInspectionReport = "inspection_report"
	// TypePDF is the content type of a document.
	TypePDF = "application/pdf"
	// MaxDocumentBytes is the size limit of a PDF document.
	MaxDocumentBytes = 10 << 20
)

// DocumentSlots are the slots that take documents, of appliance lines.
var DocumentSlots = []string{SlotInstallRecord, SlotInspectionReport}

// IsDocumentSlot reports whether slot takes a document (DocumentSlots).
func IsDocumentSlot(slot string) bool { return slices.Contains(DocumentSlots, slot) }

// CheckDocumentSlots records, for a case with lines, every file declared for
// a document slot when the case has no appliance line: only appliances come
// with installation records and inspection reports.
func CheckDocumentSlots(v *Validation, field string, files []UploadFile, c *Case) {
	if slices.ContainsFunc(c.Lines, func(l CaseLine) bool { return l.Kind == KindAppliance }) {
		return
	}
	for i, f := range files {
		v.Check(!IsDocumentSlot(f.Slot), fmt.Sprintf("%s[%d].slot", field, i), "%s is for large appliances; this case has none", f.Slot)
	}
}

// UploadFile is what a client declares before uploading a file.
type UploadFile struct {
	ContentType string
	Size        int64
	// Slot names what the photo shows when the rule set asks for named
	// photos (F16: "item", "label"); empty for any other file.
	Slot string
}

// Upload is a declared evidence file: the object it may be uploaded to and
// what it was declared to be. Attaching checks the stored object against it.
type Upload struct {
	ID          string // ev_...
	BuyerID     string
	CaseID      string // empty for files uploaded before the case exists
	ObjectKey   string
	ContentType string
	Size        int64
	Slot        string // the evidence slot it was declared for (UploadFile.Slot)
	CreatedAt   time.Time
	ExpiresAt   time.Time // the record is useless after this (the URL expired long before)
}

// PresignedUpload is how a client uploads one file straight to object storage.
type PresignedUpload struct {
	EvidenceID string
	URL        string
	Method     string
	Headers    map[string]string
	ExpiresAt  time.Time
}

// ValidateUploadFiles checks declared files against the evidence limits given
// how many files the case already holds, naming each invalid field. More
// files than a case can hold are refused without looking at any of them.
func ValidateUploadFiles(files []UploadFile, already int) error {
	var v Validation
	switch {
	case len(files) == 0:
		v.Add("files", "must list at least one file")
	case already+len(files) > MaxEvidencePerCase:
		v.Add("files", "a case holds at most %d files; it has %d and %d more were asked for", MaxEvidencePerCase, already, len(files))
		return v.Err("evidence.validate")
	}
	for i, f := range files {
		p := fmt.Sprintf("files[%d]", i)
		limit, ok := evidenceTypes[f.ContentType]
		if f.ContentType == TypePDF {
			// A document, for the slots that take one (F21).
			limit, ok = MaxDocumentBytes, IsDocumentSlot(f.Slot)
			if !v.Check(ok, p+".content_type", "application/pdf is accepted for the slots %s and %s only (an appliance's documents)", SlotInstallRecord, SlotInspectionReport) {
				continue
			}
		}
		if !v.Check(ok, p+".content_type", "must be one of image/jpeg, image/png, image/webp, video/mp4 (application/pdf for an appliance's documents)") {
			continue
		}
		switch {
		case f.Size <= 0:
			v.Add(p+".size", "must be at least 1 byte")
		case f.Size > limit:
			v.Add(p+".size", "must be at most %d MB for %s", limit>>20, f.ContentType)
		}
		v.Check(f.Slot == "" || ValidSlotName(f.Slot), p+".slot", "must be 1 to %d of a-z, 0-9 and _, starting with a letter (e.g. item, label)", maxSlotName)
	}
	return v.Err("evidence.validate")
}

// Object keys of evidence files. A declared file is uploaded under
// pending/ and copied under evidence/ when a case takes it; a bucket
// lifecycle rule deletes whatever is still under pending/ after
// PendingUploadDays (infra/buckets.go), so files that no case holds do not
// stay, and attached ones are never touched by that rule. Keys are per
// buyer so that a bucket policy can act per buyer.

// PendingObjectKey is where a declared file is uploaded.
func PendingObjectKey(buyerID, evidenceID string) string {
	return "pending/" + buyerID + "/" + evidenceID
}

// EvidenceObjectKey is where an attached evidence file is kept.
func EvidenceObjectKey(buyerID, evidenceID string) string {
	return "evidence/" + buyerID + "/" + evidenceID
}

// ThumbnailObjectKey is where the thumbnail of an evidence photo is kept,
// beside the original's prefix so that the bucket's rules for evidence
// (kept, moved to cheaper storage after 90 days) apply to both alike.
func ThumbnailObjectKey(buyerID, evidenceID string) string {
	return "thumbnails/" + buyerID + "/" + evidenceID + ".jpg"
}

// PendingUploadDays is how long object storage keeps a file that was never
// attached, in whole days as lifecycle rules count them: one day more than a
// declared upload can be attached (UploadRecordTTL), so a file is never
// deleted while its record still lets a case take it.
const PendingUploadDays = int(UploadRecordTTL/(24*time.Hour)) + 1

// Upload quotas (F3). A presigned URL costs nothing to ask for and lets its
// holder store up to 100 MB, so how many are handed out is bounded, before
// any is signed.
const (
	// MaxUploadsPerCase bounds the upload URLs of one case over its life:
	// three times what it can hold, room for failed and replaced uploads.
	MaxUploadsPerCase = 3 * MaxEvidencePerCase
	// MaxUploadsPerBuyerHour bounds one buyer's upload URLs in a clock hour
	// (UTC), for cases and for applications not sent yet alike: four
	// applications with every file they can hold.
	MaxUploadsPerBuyerHour = 4 * MaxEvidencePerCase
	// caseQuotaTTL is how long a case's count is kept after its last
	// upload URL: longer than any case stays open.
	caseQuotaTTL = 90 * 24 * time.Hour
)

// Quota is a count with a limit, kept by a store (CaseStore.TakeQuota). Key
// names what is counted and its window ("uploads/buyer/b_1/2026-11-11T10"),
// so the store knows nothing of windows: a new window is a new key.
type Quota struct {
	Key   string
	Limit int
	// ExpiresAt is when the store may forget the count: once its window is
	// over, so forgetting never changes an answer.
	ExpiresAt time.Time
	// ResetAt is when the window ends and the quota is whole again; zero
	// for a quota that never renews. Stores ignore it.
	ResetAt time.Time
}

// QuotaExceeded is the cause of a store's KindRateLimited error when taking
// from a quota would pass its limit; nothing was counted.
type QuotaExceeded struct{ Quota Quota }

func (e *QuotaExceeded) Error() string {
	return fmt.Sprintf("quota %s: the limit of %d is reached", e.Quota.Key, e.Quota.Limit)
}

// Exceeded is op's answer that q is spent.
func Exceeded(op string, q Quota) error {
	return &Error{Kind: KindRateLimited, Op: op, Msg: "quota exceeded", Err: &QuotaExceeded{Quota: q}}
}

// UploadQuotas are the quotas that upload URLs asked for at now count
// against: the case's (when caseID is not empty), then the buyer's hour.
// The case's comes first so that a store reporting one spent quota reports
// the one that never renews.
func UploadQuotas(buyerID, caseID string, now time.Time) []Quota {
	hour := now.UTC().Truncate(time.Hour)
	var qs []Quota
	if caseID != "" {
		qs = append(qs, Quota{Key: "uploads/case/" + caseID, Limit: MaxUploadsPerCase, ExpiresAt: now.Add(caseQuotaTTL)})
	}
	return append(qs, Quota{Key: "uploads/buyer/" + buyerID + "/" + hour.Format("2006-01-02T15"), Limit: MaxUploadsPerBuyerHour,
		ExpiresAt: hour.Add(time.Hour), ResetAt: hour.Add(time.Hour)})
}
