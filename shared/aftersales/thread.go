package aftersales

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Message is one message of a case's dispute thread (F15). Messages are
// immutable: none is ever edited or deleted. Each holds the hash of the one
// before it (PrevHash) and its own (Hash, over every field and PrevHash), so
// any change to a stored thread, an edit, a removal or a reordering, breaks
// the chain and VerifyThread finds it.
type Message struct {
	CaseID      string
	Seq         int // 1, 2, ... in the thread
	ID          string
	Author      string // the timeline's actor: "buyer:<id>", "staff:<id>", "arbitrator:<id>"
	Party       Party
	Text        string
	EvidenceIDs []string
	At          time.Time
	PrevHash    string // "" for the first message
	Hash        string
}

// MessageRequest is what a caller sends to post a message.
type MessageRequest struct {
	Text        string
	EvidenceIDs []string
}

// Validate names every invalid field of r.
func (r MessageRequest) Validate(op string) error {
	var v Validation
	if v.Check(strings.TrimSpace(r.Text) != "" || len(r.EvidenceIDs) > 0, "text", "is required when no evidence is attached") {
		CheckText(&v, "text", r.Text, MultiLine, MaxMessageRunes)
	}
	checkEvidenceIDs(&v, r.EvidenceIDs)
	return v.Err(op)
}

// hashed is what a message's hash covers, in a fixed order: JSON encodes
// struct fields in declaration order, so one message has one encoding.
type hashed struct {
	CaseID      string   `json:"case_id"`
	Seq         int      `json:"seq"`
	ID          string   `json:"id"`
	Author      string   `json:"author"`
	Party       Party    `json:"party"`
	Text        string   `json:"text"`
	EvidenceIDs []string `json:"evidence_ids"`
	At          string   `json:"at"`
	PrevHash    string   `json:"prev_hash"`
}

// Digest is the hash m should carry: SHA-256 over its fields and the hash
// of the message before it, hex-encoded.
func (m Message) Digest() string {
	ids := m.EvidenceIDs
	if ids == nil {
		ids = []string{}
	}
	b, err := json.Marshal(hashed{CaseID: m.CaseID, Seq: m.Seq, ID: m.ID, Author: m.Author, Party: m.Party,
		Text: m.Text, EvidenceIDs: ids, At: m.At.UTC().Format(time.RFC3339Nano), PrevHash: m.PrevHash})
	if err != nil {
		panic(err) // strings and ints always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Seal makes m the message after prev (nil for the first of a thread):
// it numbers m, links it to prev's hash and sets its own.
func (m *Message) Seal(prev *Message) {
	m.Seq, m.PrevHash = 1, ""
	if prev != nil {
		m.Seq, m.PrevHash = prev.Seq+1, prev.Hash
	}
	m.At = m.At.UTC()
	m.Hash = m.Digest()
}

// ErrThreadTampered: a stored thread does not verify.
var ErrThreadTampered = errors.New("the dispute thread was changed after it was written")

// VerifyThread checks that ms, a whole thread oldest first, is unchanged
// since it was written: numbered 1..n without a gap, each message's hash
// its digest, each linked to the hash before it. It names the first
// message that fails.
func VerifyThread(ms []Message) error {
	prev := ""
	for i, m := range ms {
		var why string
		switch {
		case m.Seq != i+1:
			why = fmt.Sprintf("message %d has number %d", i+1, m.Seq)
		case m.PrevHash != prev:
			why = fmt.Sprintf("message %d does not follow message %d", m.Seq, m.Seq-1)
		case m.Hash != m.Digest():
			why = fmt.Sprintf("message %d is not as it was written", m.Seq)
		}
		if why != "" {
			return &Error{Kind: KindInternal, Op: "thread.verify", Msg: ErrThreadTampered.Error() + ": " + why, Err: ErrThreadTampered}
		}
		prev = m.Hash
	}
	return nil
}

// ThreadStore keeps dispute threads: append-only, one item per message.
type ThreadStore interface {
	// AppendMessage stores m, sealed, as message m.Seq of its case's thread.
	// A message with that number already stored is ErrVersionConflict: a
	// concurrent writer took the place, and the caller re-reads and
	// re-seals.
	AppendMessage(ctx context.Context, m Message) error
	// ListMessages returns the case's whole thread, oldest first (at most
	// MaxThreadMessages).
	ListMessages(ctx context.Context, caseID string) ([]Message, error)
}

// CloneMessage returns a copy of m sharing nothing with it.
func CloneMessage(m Message) Message {
	m.EvidenceIDs = slices.Clone(m.EvidenceIDs)
	return m
}

// ThreadObjectKey is where a file attached to a dispute thread is kept:
// beside neither the pending uploads (deleted after a few days) nor the
// case's evidence (checked by the evidence function), for as long as the
// case's other records.
func ThreadObjectKey(caseID, fileID string) string { return "threads/" + caseID + "/" + fileID }

// documentTypes are what staff may attach to a thread (F15): inspection
// reports and screenshots of a rule.
var documentTypes = map[string]int64{
	"application/pdf": MaxImageBytes,
	"image/jpeg":      MaxImageBytes,
	"image/png":       MaxImageBytes,
	"image/webp":      MaxImageBytes,
}

// ValidateDocuments checks the files staff declare for a thread, naming
// each invalid field.
func ValidateDocuments(files []UploadFile) error {
	var v Validation
	if !v.Check(len(files) >= 1 && len(files) <= MaxMessageEvidence, "files", "must list 1 to %d files", MaxMessageEvidence) {
		return v.Err("thread.documents")
	}
	for i, f := range files {
		limit, ok := documentTypes[f.ContentType]
		if v.Check(ok, fmt.Sprintf("files[%d].content_type", i), "must be application/pdf, image/jpeg, image/png or image/webp") {
			v.Check(f.Size >= 1 && f.Size <= limit, fmt.Sprintf("files[%d].size", i), "must be 1 to %d bytes", limit)
		}
	}
	return v.Err("thread.documents")
}
