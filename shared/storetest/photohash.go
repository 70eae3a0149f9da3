package storetest

import (
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// RunPhotoHashes is the conformance suite of aftersales.PhotoHashStore:
// near hashes are found, nearest first, far ones are not, whichever band
// the difference falls in, and writing a photo twice lists it once.
func RunPhotoHashes(t *testing.T, open func(t *testing.T) aftersales.PhotoHashStore) {
	const base = uint64(0x8f3c_21a0_55e1_9b7d)
	// flip returns base with the given bits flipped.
	flip := func(bits ...int) uint64 {
		h := base
		for _, b := range bits {
			h ^= 1 << b
		}
		return h
	}
	stored := []aftersales.PhotoHash{
		{Hash: base, EvidenceID: "ev_same", CaseID: "as_1", BuyerID: "b1", OrderID: "o1", At: Epoch},
		{Hash: flip(0, 17, 33), EvidenceID: "ev_3_spread", CaseID: "as_2", BuyerID: "b2", OrderID: "o2", At: Epoch},
		// Six bits in one band: that band differs, the others match.
		{Hash: flip(48, 49, 50, 51, 52, 53), EvidenceID: "ev_6_one_band", CaseID: "as_3", BuyerID: "b3", OrderID: "o3", At: Epoch},
		// Seven bits spread over every band, two in three of them: at
		// distance 7 it is found only by the one-bit probes of the band
		// holding a single flip.
		{Hash: flip(1, 2, 20, 21, 40, 41, 60), EvidenceID: "ev_7_spread", CaseID: "as_4", BuyerID: "b4", OrderID: "o4", At: Epoch},
		{Hash: ^base, EvidenceID: "ev_far", CaseID: "as_5", BuyerID: "b5", OrderID: "o5", At: Epoch},
	}
	tests := []struct {
		name string
		max  int
		want []string
	}{
		{"exact only", 0, []string{"ev_same"}},
		{"within 3", 3, []string{"ev_same", "ev_3_spread"}},
		{"within 6", 6, []string{"ev_same", "ev_3_spread", "ev_6_one_band"}},
		{"within 7", 7, []string{"ev_same", "ev_3_spread", "ev_6_one_band", "ev_7_spread"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			for _, h := range stored {
				if err := s.PutPhotoHash(t.Context(), h); err != nil {
					t.Fatal(err)
				}
			}
			// Written twice: still one photo.
			if err := s.PutPhotoHash(t.Context(), stored[0]); err != nil {
				t.Fatal(err)
			}
			got, err := s.SimilarPhotos(t.Context(), base, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range got {
				ids = append(ids, h.EvidenceID)
			}
			if !equalStrings(ids, tt.want) {
				t.Fatalf("similar within %d: %v, want %v", tt.max, ids, tt.want)
			}
			if got[0] != stored[0] {
				t.Fatalf("the stored photo reads back as %+v, want %+v", got[0], stored[0])
			}
		})
	}
	t.Run("a distance beyond the bound is refused", func(t *testing.T) {
		if _, err := open(t).SimilarPhotos(t.Context(), base, aftersales.MaxReuseMaxDistance+1); err == nil {
			t.Fatal("no error")
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
