package inspect_test

import (
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/inspect"
	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

// BenchmarkInspect is the verification of one photo (sniff, decode, hash,
// EXIF) at phone sizes; run it on one core: go test -bench Inspect -cpu 1.
func BenchmarkInspect(b *testing.B) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"1600x1200", 1600, 1200}, {"4000x3000", 4000, 3000}} {
		body, err := inspecttest.WithCaptureTime(inspecttest.JPEG(inspecttest.Photo(size.w, size.h, 5), 85), time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(size.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if r := inspect.Inspect(body, inspect.TypeJPEG, int64(len(body))); !r.Valid() || !r.HasHash || r.TakenAt.IsZero() {
					b.Fatalf("%q", r.Checks)
				}
			}
		})
	}
}
