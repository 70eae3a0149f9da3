package aftersales

import (
	"strings"
	"testing"
	"time"
)

func TestBandProbes(t *testing.T) {
	const h = uint64(0x0123_4567_89ab_cdef)
	tests := []struct {
		name     string
		distance int
		perBand  int
	}{
		{"under the band count: the exact band values", 3, 1},
		{"4 to 7: and their one-bit neighbours", 7, 1 + HashBandBits},
		{"8 to 11: and their two-bit neighbours", 11, 1 + HashBandBits + HashBandBits*(HashBandBits-1)/2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probes := BandProbes(h, tt.distance)
			for b, ps := range probes {
				if len(ps) != tt.perBand || ps[0] != HashBand(h, b) {
					t.Fatalf("band %d: %d probes starting %x, want %d starting %x", b, len(ps), ps[0], tt.perBand, HashBand(h, b))
				}
				seen := map[uint16]bool{}
				for _, p := range ps {
					if seen[p] || HashDistance(uint64(p), uint64(HashBand(h, b))) > tt.distance/HashBands {
						t.Fatalf("band %d: probe %x repeated or too far", b, p)
					}
					seen[p] = true
				}
			}
		})
	}
}

func TestRecordEvidenceCheck(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	newCase := func(st Status) *Case {
		return &Case{ID: "as_1", Type: Claim, Reason: "appliance_fault", Status: st, Version: 3,
			Evidence: []Evidence{{ID: "ev_1", Status: EvidenceUploaded}, {ID: "ev_2", Status: EvidenceUploaded}}}
	}
	tests := []struct {
		name    string
		status  Status
		id      string
		res     EvidenceResult
		wantErr *Kind // nil: no error
		note    string
	}{
		{"verified, flagged", StatusPendingReview, "ev_2", EvidenceResult{Status: EvidenceVerified, Checks: []string{"decode: jpeg 10x10"}, Flags: []string{"taken before delivery"}},
			nil, "ev_2 verified; flagged: taken before delivery"},
		{"reused names the case", StatusSubmitted, "ev_1", EvidenceResult{Status: EvidenceReused, ReusedFrom: "as_0"}, nil, "ev_1 reused (like evidence of case as_0)"},
		{"a file the case does not hold", StatusSubmitted, "ev_9", EvidenceResult{Status: EvidenceVerified}, kindPtr(KindNotFound), ""},
		{"an ended case takes no check", StatusCompleted, "ev_1", EvidenceResult{Status: EvidenceVerified}, kindPtr(KindConflict), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(tt.status)
			err := c.RecordEvidenceCheck(tt.id, tt.res, "system", at)
			if tt.wantErr != nil {
				if err == nil || KindOf(err) != *tt.wantErr || c.Version != 3 {
					t.Fatalf("err %v (kind %s), version %d", err, KindOf(err), c.Version)
				}
				return
			}
			e := c.Evidence[c.FindEvidence(tt.id)]
			last := c.Timeline[len(c.Timeline)-1]
			if err != nil || e.Status != tt.res.Status || e.ReusedFrom != tt.res.ReusedFrom || c.Version != 4 || c.Status != tt.status ||
				last.Action != ActCheckEvidence || !strings.Contains(last.Note, tt.note) {
				t.Fatalf("err %v evidence %+v case %s v%d timeline %+v", err, e, c.Status, c.Version, last)
			}
		})
	}
}

func kindPtr(k Kind) *Kind { return &k }

func TestApprovalNeedsVerifiedEvidence(t *testing.T) {
	tests := []struct {
		name     string
		reason   string
		statuses []string
		ok       bool
	}{
		{"a reason that needs none", "late_delivery", nil, true},
		{"needed, none verified", "appliance_fault", []string{EvidenceUploaded, EvidenceInvalid}, false},
		{"needed, one verified", "appliance_fault", []string{EvidenceInvalid, EvidenceVerified}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Case{Type: Claim, Reason: tt.reason}
			for _, s := range tt.statuses {
				c.Evidence = append(c.Evidence, Evidence{Status: s})
			}
			if err := c.CheckEvidenceForApproval("case.approve"); (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestEvidenceSettingsValidate(t *testing.T) {
	tests := []struct {
		name  string
		set   EvidenceSettings
		field string
	}{
		{"the defaults", DefaultEvidenceSettings(), ""},
		{"a distance beyond the index", EvidenceSettings{ReuseMaxDistance: MaxReuseMaxDistance + 1}, "evidence.reuse_max_distance"},
		{"a negative distance", EvidenceSettings{ReuseMaxDistance: -1}, "evidence.reuse_max_distance"},
		{"an empty category", EvidenceSettings{ReuseMaxDistance: 6, RecognitionCategories: []string{"fruit", ""}}, "evidence.recognition_categories[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := DefaultRuleSet()
			rs.Evidence = tt.set
			err := rs.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err %v, want one naming %s", err, tt.field)
			}
		})
	}
}
