package aftersales

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// Evidence statuses (F9, issue 16). A file is uploaded when a case takes
// it; the verification step, run when the object lands in evidence/,
// replaces that with one of the other three.
const (
	EvidenceUploaded = "uploaded" // attached, not checked yet
	EvidenceVerified = "verified" // decodes as what it claims, within the limits, not a reused photo
	EvidenceInvalid  = "invalid"  // not what it claims to be, or over a limit
	EvidenceReused   = "reused"   // a near-duplicate of another buyer's or another order's photo
)

// Evidence limits the verification checks beyond the declared size: a
// photo larger than this on either side is no phone photo, and decoding it
// would cost more memory than the function has.
const (
	MaxImageSide = 12000
	MinImageSide = 32
)

// EvidenceResult is what the verification found out about one file.
type EvidenceResult struct {
	Status     string   // EvidenceVerified, EvidenceInvalid or EvidenceReused
	Checks     []string // one finding a line, in the order they were made
	ReusedFrom string   // the matching case, for EvidenceReused
	// Suspicious findings that do not make the file invalid (a photo taken
	// before the order was delivered) are among Checks and flagged here, so
	// that the timeline note says so.
	Flags []string
	// Thumbnail says a thumbnail of the photo was stored.
	Thumbnail bool
	// Recognition is what image recognition saw; nil when it did not run.
	Recognition *Recognition
}

// Failed reports whether the file cannot count as evidence.
func (r EvidenceResult) Failed() bool {
	return r.Status == EvidenceInvalid || r.Status == EvidenceReused
}

// FindEvidence returns the index of the evidence id on c, or -1.
func (c *Case) FindEvidence(id string) int {
	return slices.IndexFunc(c.Evidence, func(e Evidence) bool { return e.ID == id })
}

// RecordEvidenceCheck records the verification of evidence id on the case:
// its status, its findings, and a timeline entry (ActCheckEvidence, which
// leaves the case where it is). A case that has ended takes no check (a
// conflict): nothing could act on the findings any more.
func (c *Case) RecordEvidenceCheck(id string, r EvidenceResult, actor string, at time.Time) error {
	i := c.FindEvidence(id)
	if i < 0 {
		return &Error{Kind: KindNotFound, Op: "case.check_evidence", Msg: "the case holds no evidence " + id, Err: ErrNotFound}
	}
	e := &c.Evidence[i]
	note := id + " " + r.Status
	if r.ReusedFrom != "" {
		note += " (like evidence of case " + r.ReusedFrom + ")"
	}
	if len(r.Flags) > 0 {
		note += "; flagged: " + strings.Join(r.Flags, "; ")
	}
	if err := c.Apply(Change{Action: ActCheckEvidence, Actor: actor, At: at, Note: note}); err != nil {
		return err
	}
	e.Status, e.Checks, e.ReusedFrom, e.Thumbnail = r.Status, slices.Clone(r.Checks), r.ReusedFrom, r.Thumbnail
	if r.Recognition != nil {
		e.Labels, e.Damage = slices.Clone(r.Recognition.Labels), r.Recognition.Damage
	}
	return nil
}

// HasVerifiedEvidence reports whether some evidence of c was verified.
func (c *Case) HasVerifiedEvidence() bool {
	return slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.Status == EvidenceVerified })
}

// EvidenceRequired reports whether the case's reason is one that needs
// evidence (Reason.EvidenceRequired).
func (c *Case) EvidenceRequired() bool {
	r, ok := LookupReason(c.Type, c.Reason)
	return ok && r.EvidenceRequired
}

// CheckEvidenceForApproval refuses to approve a case whose reason needs
// evidence while none of its evidence is verified (issue 16): the
// reviewer asks for evidence instead, or waits for the check.
func (c *Case) CheckEvidenceForApproval(op string) error {
	if !c.EvidenceRequired() || c.HasVerifiedEvidence() {
		return nil
	}
	return E(KindConflict, op, fmt.Sprintf("reason %s needs verified evidence and the case has none yet; request evidence or wait for the check", c.Reason))
}

// Perceptual hashes of photos (issue 16) are kept by bands so that finding
// near-duplicates reads only candidates: the 64-bit hash is cut into
// HashBands bands of HashBandBits bits, and each band value is a key. Two
// hashes at Hamming distance d differ in at most d bands' worth of bits,
// so by the pigeonhole principle some band of theirs differs in at most
// d/HashBands bits; a look-up reads, per band, the keys of the band value
// and of every value within that many bits of it (d < HashBands: the
// exact band values only).
const (
	HashBands    = 4
	HashBandBits = 64 / HashBands
	// DefaultReuseMaxDistance is the Hamming distance at or under which two
	// photo hashes are the same photo, until the rule set says otherwise:
	// a re-encoded or slightly resized copy lands at 0-4, unrelated photos
	// far above 10.
	DefaultReuseMaxDistance = 6
	// MaxReuseMaxDistance bounds the setting: at 11 a look-up reads the
	// keys within 2 bits of each band (4 x 137 keys), and photos that are
	// merely alike start to match.
	MaxReuseMaxDistance = 11
)

// PhotoHash is the perceptual hash of one evidence photo and whose it is.
type PhotoHash struct {
	Hash       uint64
	EvidenceID string
	CaseID     string
	BuyerID    string
	OrderID    string
	At         time.Time
}

// HashBand is band b (0..HashBands-1) of h.
func HashBand(h uint64, b int) uint16 {
	return uint16(h >> (uint(b) * HashBandBits))
}

// HashDistance is the Hamming distance of two hashes.
func HashDistance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// BandProbes are the band values to read, per band, to find every hash
// within maxDistance of h: the band's own value and those within
// maxDistance/HashBands bits of it.
func BandProbes(h uint64, maxDistance int) [HashBands][]uint16 {
	r := maxDistance / HashBands
	var out [HashBands][]uint16
	for b := range HashBands {
		v := HashBand(h, b)
		out[b] = append(out[b], v)
		if r >= 1 {
			for i := range HashBandBits {
				out[b] = append(out[b], v^(1<<i))
			}
		}
		if r >= 2 {
			for i := range HashBandBits {
				for j := i + 1; j < HashBandBits; j++ {
					out[b] = append(out[b], v^(1<<i)^(1<<j))
				}
			}
		}
	}
	return out
}

// PhotoHashStore keeps the perceptual hashes of evidence photos.
type PhotoHashStore interface {
	// PutPhotoHash records h under each of its bands; writing it again
	// changes nothing.
	PutPhotoHash(ctx context.Context, h PhotoHash) error
	// SimilarPhotos returns the stored hashes within maxDistance of hash
	// (at most MaxReuseMaxDistance), nearest first, reading only the band
	// keys of BandProbes: never a scan.
	SimilarPhotos(ctx context.Context, hash uint64, maxDistance int) ([]PhotoHash, error)
}

// ReusedBy reports whether a stored photo hash, near the hash of evidence of
// case c, marks c's file as reused: a file of another buyer, or of the same
// buyer's other order. The same order's own earlier files (a buyer adding
// the same photo to a second case of one order) are not reuse.
func (h PhotoHash) ReusedBy(c *Case) bool {
	if h.CaseID == c.ID {
		return false
	}
	return h.BuyerID != c.BuyerID || h.OrderID != c.OrderID
}

// EvidenceSettings are the merchant's settings of the evidence checks.
type EvidenceSettings struct {
	// ReuseMaxDistance is the Hamming distance of perceptual hashes at or
	// under which a photo is another case's photo again.
	ReuseMaxDistance int
	// RecognitionCategories are the product categories whose photos go
	// through image recognition; none by default (recognition is not
	// wired yet: see docs/DECISIONS.md, "Evidence checks (issue 16)").
	RecognitionCategories []string
	// Slots are the named photos a case must hold, by line kind (F16:
	// produce needs "item" and "label"): the condition
	// evidence_slots_filled tests them.
	Slots map[LineKind][]string
}

// DefaultEvidenceSettings are the settings until the merchant sets others.
func DefaultEvidenceSettings() EvidenceSettings {
	return EvidenceSettings{ReuseMaxDistance: DefaultReuseMaxDistance,
		Slots: map[LineKind][]string{KindProduce: {SlotItem, SlotLabel}}}
}

// Recognition is what image recognition saw in a photo (issue 16): the
// product category visible, damage visible, and how many items.
type Recognition struct {
	Labels []string // most confident first
	Damage bool     // some label names damage (cracked, broken, rotten, ...)
	Items  int      // the most instances of one object label; 0 when none was counted
}

// ImageRecognizer labels a photo. It is off by default and on per product
// category (EvidenceSettings.RecognitionCategories): it costs per image.
type ImageRecognizer interface {
	Recognize(ctx context.Context, image []byte) (Recognition, error)
}

// RecognizesAny reports whether recognition is on for one of the case's
// line categories.
func (s EvidenceSettings) RecognizesAny(c *Case) bool {
	for _, l := range c.Lines {
		if l.Category != "" && slices.Contains(s.RecognitionCategories, l.Category) {
			return true
		}
	}
	return false
}

// The evidence slots of the default rule set (F16): a photo of the item
// and one of its parcel label.
const (
	SlotItem  = "item"
	SlotLabel = "label"
)

// maxSlotName bounds a slot's name.
const maxSlotName = 32

// ValidSlotName reports whether s can name an evidence slot: 1 to 32 of
// a-z, 0-9 and '_', starting with a letter.
func ValidSlotName(s string) bool {
	if s == "" || len(s) > maxSlotName || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// MissingSlots lists the slots the settings require for the case's line
// kinds that no usable file fills (a file found invalid or reused fills
// none), in the settings' order.
func (s EvidenceSettings) MissingSlots(c *Case) []string {
	var missing []string
	for _, k := range []LineKind{KindPhysical, KindVirtual, KindProduce, KindAppliance, KindCrossBorder, KindPresale} {
		if !slices.ContainsFunc(c.Lines, func(l CaseLine) bool { return l.Kind == k }) {
			continue
		}
		for _, slot := range s.Slots[k] {
			filled := slices.ContainsFunc(c.Evidence, func(e Evidence) bool {
				return e.Slot == slot && e.Status != EvidenceInvalid && e.Status != EvidenceReused
			})
			if !filled && !slices.Contains(missing, slot) {
				missing = append(missing, slot)
			}
		}
	}
	return missing
}

// validateSlots records every invalid slot setting.
func (s EvidenceSettings) validateSlots(v *Validation) {
	kinds := make([]string, 0, len(s.Slots))
	for k := range s.Slots {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		p := "evidence.slots." + k
		if !v.Check(lineKinds[LineKind(k)], p, "is not a line kind (physical, virtual, produce, appliance, cross_border, presale)") {
			continue
		}
		slots := s.Slots[LineKind(k)]
		v.Check(len(slots) <= MaxEvidencePerCase, p, "must list at most %d slots: a case holds %d files", MaxEvidencePerCase, MaxEvidencePerCase)
		for i, name := range slots {
			v.Check(ValidSlotName(name), fmt.Sprintf("%s[%d]", p, i), "must be 1 to %d of a-z, 0-9 and _, starting with a letter", maxSlotName)
		}
	}
}
