package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.PhotoHashStore = (*PhotoHashes)(nil)

// PhotoHashes keeps photo hashes in memory under the same band keys as the
// DynamoDB adapter, so that a look-up reads what DynamoDB's would and
// Reads counts it (the benchmark of docs/PERFORMANCE.md).
type PhotoHashes struct {
	mu    sync.Mutex
	bands [aftersales.HashBands]map[uint16][]*aftersales.PhotoHash // one copy of each photo, shared by its bands
	reads int
}

// NewPhotoHashes returns an empty store.
func NewPhotoHashes() *PhotoHashes {
	s := &PhotoHashes{}
	for b := range s.bands {
		s.bands[b] = map[uint16][]*aftersales.PhotoHash{}
	}
	return s
}

// PutPhotoHash records h under each band; a second write of one evidence
// id replaces the first, as a DynamoDB put of the same keys does.
func (s *PhotoHashes) PutPhotoHash(_ context.Context, h aftersales.PhotoHash) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &h
	for b := range s.bands {
		v := aftersales.HashBand(h.Hash, b)
		l := s.bands[b][v]
		if i := slices.IndexFunc(l, func(x *aftersales.PhotoHash) bool { return x.EvidenceID == h.EvidenceID }); i >= 0 {
			l[i] = p
			continue
		}
		s.bands[b][v] = append(l, p)
	}
	return nil
}

// SimilarPhotos reads the probed band keys only.
func (s *PhotoHashes) SimilarPhotos(_ context.Context, hash uint64, maxDistance int) ([]aftersales.PhotoHash, error) {
	if maxDistance < 0 || maxDistance > aftersales.MaxReuseMaxDistance {
		return nil, aftersales.Wrap(aftersales.KindInternal, "memstore.similar_photos", fmt.Errorf("max distance %d is out of 0..%d", maxDistance, aftersales.MaxReuseMaxDistance))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []aftersales.PhotoHash
	for b, probes := range aftersales.BandProbes(hash, maxDistance) {
		for _, v := range probes {
			for _, h := range s.bands[b][v] {
				s.reads++
				if !seen[h.EvidenceID] && aftersales.HashDistance(h.Hash, hash) <= maxDistance {
					out = append(out, *h)
				}
				seen[h.EvidenceID] = true
			}
		}
	}
	slices.SortStableFunc(out, func(a, b aftersales.PhotoHash) int {
		if d := aftersales.HashDistance(a.Hash, hash) - aftersales.HashDistance(b.Hash, hash); d != 0 {
			return d
		}
		return a.At.Compare(b.At)
	})
	return out, nil
}

// Reads is how many stored items the look-ups have read so far.
func (s *PhotoHashes) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}
