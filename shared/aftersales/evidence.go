package aftersales

import (
	"fmt"
	"time"
)

// Evidence limits (F3). They are product decisions, not storage limits:
// enough for a clear case, small enough for a phone on a mobile network.
const (
	MaxEvidencePerCase = 9
	MaxImageBytes      = 20 << 20
	MaxVideoBytes      = 100 << 20
	UploadURLLifetime  = 15 * time.Minute
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

// UploadFile is what a client declares before uploading a file.
type UploadFile struct {
	ContentType string
	Size        int64
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
// how many files the case already holds, naming each invalid field.
func ValidateUploadFiles(files []UploadFile, already int) error {
	var v Validation
	switch {
	case len(files) == 0:
		v.Add("files", "must list at least one file")
	case already+len(files) > MaxEvidencePerCase:
		v.Add("files", "a case holds at most %d files; it has %d and %d more were asked for", MaxEvidencePerCase, already, len(files))
	}
	for i, f := range files {
		p := fmt.Sprintf("files[%d]", i)
		limit, ok := evidenceTypes[f.ContentType]
		if !v.Check(ok, p+".content_type", "must be one of image/jpeg, image/png, image/webp, video/mp4") {
			continue
		}
		switch {
		case f.Size <= 0:
			v.Add(p+".size", "must be at least 1 byte")
		case f.Size > limit:
			v.Add(p+".size", "must be at most %d MB for %s", limit>>20, f.ContentType)
		}
	}
	return v.Err("evidence.validate")
}

// EvidenceObjectKey is where an evidence file lives in object storage. Keys
// are per buyer so that a bucket policy or a lifecycle rule can act per buyer.
func EvidenceObjectKey(buyerID, evidenceID string) string {
	return "evidence/" + buyerID + "/" + evidenceID
}
