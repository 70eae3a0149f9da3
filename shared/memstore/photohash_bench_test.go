package memstore_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
)

// BenchmarkSimilarPhotos is the reuse look-up among a million stored photo
// hashes: the items it reads (reads/op) and how long it takes (p50, p99),
// for the default distance (6: the exact band values and their one-bit
// neighbours) and a strict one (3: the exact band values only). Hashes are
// uniform here; real photos cluster, which puts more in some bands
// (docs/PERFORMANCE.md).
func BenchmarkSimilarPhotos(b *testing.B) {
	const stored = 1_000_000
	s := memstore.NewPhotoHashes()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range stored {
		h := aftersales.PhotoHash{Hash: rng.Uint64(), EvidenceID: "ev_" + strconv.Itoa(i), CaseID: "as", BuyerID: "b", OrderID: "o"}
		if err := s.PutPhotoHash(b.Context(), h); err != nil {
			b.Fatal(err)
		}
	}
	for _, d := range []int{3, 6} {
		b.Run("distance_"+strconv.Itoa(d), func(b *testing.B) {
			before := s.Reads()
			var took []time.Duration
			n := 0
			for b.Loop() {
				t := time.Now()
				if _, err := s.SimilarPhotos(b.Context(), rng.Uint64(), d); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t))
				n++
			}
			slices.Sort(took)
			b.ReportMetric(float64(s.Reads()-before)/float64(n), "reads/op")
			b.ReportMetric(float64(took[len(took)*50/100].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}
