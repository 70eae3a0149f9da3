package inspect_test

import (
	"bytes"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/inspect"
	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

func pngOf(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestInspect(t *testing.T) {
	photo := inspecttest.JPEG(inspecttest.Photo(320, 240, 1), 85)
	pngPhoto := pngOf(inspecttest.Photo(64, 48, 2))
	tiny := inspecttest.JPEG(inspecttest.Photo(16, 16, 3), 85)
	mp4 := append([]byte{0, 0, 0, 24}, []byte("ftypisom\x00\x00\x02\x00isomiso2")...)
	tests := []struct {
		name     string
		body     []byte
		declared string
		valid    bool
		detected string
		check    string // a finding that must be there
	}{
		{"a real JPEG", photo, "image/jpeg", true, inspect.TypeJPEG, "decode: jpeg 320x240"},
		{"a real PNG", pngPhoto, "image/png", true, inspect.TypePNG, "decode: png 64x48"},
		{"text declared as JPEG", []byte("not really a jpeg"), "image/jpeg", false, "", "type: the bytes are none"},
		{"a PNG declared as JPEG", pngPhoto, "image/jpeg", false, inspect.TypePNG, "type: the bytes are image/png, declared image/jpeg"},
		{"a JPEG header with no image", []byte("\xff\xd8\xff\xe0 a very small jpeg"), "image/jpeg", false, inspect.TypeJPEG, "decode: not a readable"},
		{"a truncated JPEG", photo[:len(photo)/3], "image/jpeg", false, inspect.TypeJPEG, "decode:"},
		{"too small to show anything", tiny, "image/jpeg", false, inspect.TypeJPEG, "dimensions: 16x16"},
		{"an MP4 container", mp4, "video/mp4", true, inspect.TypeMP4, "brand isom"},
		{"a PDF", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"), "application/pdf", true, inspect.TypePDF, "decode: PDF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := inspect.Inspect(tt.body, tt.declared, int64(len(tt.body)))
			if r.Valid() != tt.valid || r.Detected != tt.detected {
				t.Fatalf("valid %v detected %q, want %v %q; checks %q", r.Valid(), r.Detected, tt.valid, tt.detected, r.Checks)
			}
			if !slices.ContainsFunc(r.Checks, func(c string) bool { return strings.Contains(c, tt.check) }) {
				t.Fatalf("no finding %q in %q", tt.check, r.Checks)
			}
			// A thumbnail for every image that decoded (also one declared
			// as another type: the reviewer sees what it is), never larger
			// than ThumbnailSide and never scaled up.
			decoded := r.Width > 0 && !slices.ContainsFunc(r.Problems, func(p string) bool {
				return strings.HasPrefix(p, "decode:") || strings.HasPrefix(p, "dimensions:")
			})
			if decoded != (r.Thumbnail != nil) {
				t.Fatalf("thumbnail of %d bytes for an image decoded=%v; checks %q", len(r.Thumbnail), decoded, r.Checks)
			}
			if r.Thumbnail != nil {
				cfg, _, err := image.DecodeConfig(bytes.NewReader(r.Thumbnail))
				if err != nil || max(cfg.Width, cfg.Height) != min(inspect.ThumbnailSide, max(r.Width, r.Height)) {
					t.Fatalf("thumbnail %+v %v of a %dx%d image", cfg, err, r.Width, r.Height)
				}
			}
		})
	}
	t.Run("a video is judged by its header, the rest unread", func(t *testing.T) {
		if r := inspect.Inspect(mp4, "video/mp4", 80<<20); !r.Valid() {
			t.Fatalf("%q", r.Checks)
		}
	})
	t.Run("a photo read in part is refused", func(t *testing.T) {
		if r := inspect.Inspect(photo[:100], "image/jpeg", int64(len(photo))); r.Valid() || !strings.HasPrefix(r.Problems[0], "size: only 100") {
			t.Fatalf("%q", r.Checks)
		}
	})
	t.Run("a file over the size limit is refused without decoding", func(t *testing.T) {
		r := inspect.Inspect(photo, "image/jpeg", aftersales.MaxImageBytes+1)
		if r.Valid() || !strings.HasPrefix(r.Problems[0], "size:") {
			t.Fatalf("%q", r.Checks)
		}
	})
}

func TestPerceptualHash(t *testing.T) {
	orig := inspecttest.JPEG(inspecttest.Photo(640, 480, 7), 90)
	copy90, err := inspecttest.Resized(orig, 9, 10, 70)
	if err != nil {
		t.Fatal(err)
	}
	other := inspecttest.JPEG(inspecttest.Photo(640, 480, 8), 90)
	h := func(b []byte) uint64 {
		r := inspect.Inspect(b, "image/jpeg", int64(len(b)))
		if !r.HasHash {
			t.Fatalf("no hash: %q", r.Checks)
		}
		return r.Hash
	}
	if d := aftersales.HashDistance(h(orig), h(copy90)); d > aftersales.DefaultReuseMaxDistance {
		t.Errorf("a re-encoded copy at 90%% is %d bits away, over the default %d", d, aftersales.DefaultReuseMaxDistance)
	}
	if d := aftersales.HashDistance(h(orig), h(other)); d <= aftersales.DefaultReuseMaxDistance {
		t.Errorf("another photo is only %d bits away", d)
	}
}

func TestCaptureTime(t *testing.T) {
	at := time.Date(2026, 11, 9, 14, 30, 0, 0, time.UTC)
	b, err := inspecttest.WithCaptureTime(inspecttest.JPEG(inspecttest.Photo(200, 150, 4), 85), at)
	if err != nil {
		t.Fatal(err)
	}
	r := inspect.Inspect(b, "image/jpeg", int64(len(b)))
	if !r.Valid() || !r.TakenAt.Equal(at) || r.TakenAtZoned {
		t.Fatalf("taken %s zoned %v, want %s; checks %q", r.TakenAt, r.TakenAtZoned, at, r.Checks)
	}
	if tm, _ := inspect.CaptureTime(inspecttest.JPEG(inspecttest.Photo(200, 150, 4), 85)); !tm.IsZero() {
		t.Fatalf("a photo without EXIF was taken at %s", tm)
	}
}
