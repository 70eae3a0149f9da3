// Package inspect looks at the bytes of an evidence file (issue 16): what
// they are (sniffed from their leading bytes, never from what the client
// declared), whether they decode as that, within the size and dimension
// limits, the perceptual hash of a photo (github.com/corona10/goimagehash)
// and when it was taken (EXIF DateTimeOriginal, github.com/dsoprea/go-exif).
// It knows nothing of cases: the verification use case decides what the
// findings mean.
package inspect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg" // also registers the JPEG decoder image.Decode tries
	_ "image/png"
	"strings"
	"time"

	"github.com/corona10/goimagehash"
	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// HeaderBytes is how much of a video Inspect needs: its container header.
const HeaderBytes = 64 << 10

// Content types the sniffing recognises. PDF is for documents (an invoice,
// a repair report); uploads accept the others only today.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
	TypeMP4  = "video/mp4"
	TypePDF  = "application/pdf"
)

// Report is what the bytes are.
type Report struct {
	Detected      string // sniffed content type; empty when unknown
	Width, Height int
	// Hash is the perceptual hash of a photo that decoded; HasHash says
	// there is one.
	Hash    uint64
	HasHash bool
	// TakenAt is EXIF DateTimeOriginal, zero when the photo has none.
	// TakenAtZoned says the time carried its offset (OffsetTimeOriginal);
	// without one it was read as UTC.
	TakenAt      time.Time
	TakenAtZoned bool
	// Thumbnail is a JPEG of a photo that decoded, at most ThumbnailSide
	// pixels on its longer side, for lists and previews.
	Thumbnail []byte
	// Checks are the findings, in order; Problems those that make the
	// file invalid (also in Checks).
	Checks   []string
	Problems []string
}

// Valid reports whether the file is what it claims, within the limits.
func (r *Report) Valid() bool { return len(r.Problems) == 0 }

func (r *Report) ok(format string, args ...any) {
	r.Checks = append(r.Checks, fmt.Sprintf(format, args...))
}

func (r *Report) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.Checks = append(r.Checks, msg)
	r.Problems = append(r.Problems, msg)
}

// Sniff names the content type the leading bytes say, or "".
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return TypeWebP
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return TypeMP4
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return TypePDF
	}
	return ""
}

// Inspect looks at body, the stored file of size bytes, declared as
// declared: the whole file for an image, at least its first HeaderBytes for
// a video (only the container's header is checked). Every check runs that
// can, so a reviewer reads all that is wrong at once.
func Inspect(body []byte, declared string, size int64) Report {
	var r Report
	r.Detected = Sniff(body)
	switch {
	case r.Detected == "":
		r.fail("type: the bytes are none of JPEG, PNG, WebP, MP4 or PDF (declared %s)", declared)
		return r
	case r.Detected != declared:
		r.fail("type: the bytes are %s, declared %s", r.Detected, declared)
	default:
		r.ok("type: %s matches the bytes", declared)
	}
	limit := int64(aftersales.MaxImageBytes)
	if r.Detected == TypeMP4 {
		limit = aftersales.MaxVideoBytes
	}
	if size > limit {
		r.fail("size: %d bytes is over the %d MB of %s", size, limit>>20, r.Detected)
		return r
	}
	if r.Detected != TypeMP4 && int64(len(body)) < size {
		r.fail("size: only %d of its %d bytes were read", len(body), size)
		return r
	}
	switch r.Detected {
	case TypeJPEG, TypePNG, TypeWebP:
		r.image(body)
	case TypeMP4:
		r.mp4(body)
	case TypePDF:
		if !bytes.Contains(body[max(0, len(body)-1024):], []byte("%%EOF")) {
			r.fail("decode: the PDF has no end-of-file marker: truncated")
		} else {
			r.ok("decode: PDF header and end marker")
		}
	}
	return r
}

// image decodes a photo: its header first, so a small file that claims a
// huge canvas (a decompression bomb) is refused before any pixel is
// allocated; then the pixels, the hash and the capture time.
func (r *Report) image(body []byte) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		r.fail("decode: not a readable %s: %v", r.Detected, err)
		return
	}
	r.Width, r.Height = cfg.Width, cfg.Height
	if cfg.Width > aftersales.MaxImageSide || cfg.Height > aftersales.MaxImageSide ||
		cfg.Width < aftersales.MinImageSide || cfg.Height < aftersales.MinImageSide {
		r.fail("dimensions: %dx%d is outside %d..%d pixels a side", cfg.Width, cfg.Height, aftersales.MinImageSide, aftersales.MaxImageSide)
		return
	}
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		r.fail("decode: the %s header reads but the pixels do not: %v", format, err)
		return
	}
	r.ok("decode: %s %dx%d", format, cfg.Width, cfg.Height)
	r.Thumbnail = thumbnail(img)
	h, err := goimagehash.PerceptionHash(img)
	if err == nil {
		r.Hash, r.HasHash = h.GetHash(), true
		r.ok("phash: %016x", r.Hash)
	}
	r.TakenAt, r.TakenAtZoned = CaptureTime(body)
	if !r.TakenAt.IsZero() {
		r.ok("exif: taken %s", r.TakenAt.Format(time.RFC3339))
	}
}

// ThumbnailSide is the longer side of a thumbnail, in pixels: sharp in a
// reviewer's list at twice the pixel density, a few KB as JPEG.
const ThumbnailSide = 320

// thumbnail scales img down to ThumbnailSide on its longer side (never up)
// and encodes it as JPEG.
func thumbnail(img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w >= h && w > ThumbnailSide {
		w, h = ThumbnailSide, max(1, h*ThumbnailSide/w)
	} else if h > w && h > ThumbnailSide {
		w, h = max(1, w*ThumbnailSide/h), ThumbnailSide
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil // encoding to memory fails only on a bug; no thumbnail then
	}
	return out.Bytes()
}

// mp4 checks the ISO base media container's first box: an ftyp box of a
// sane length with a printable major brand. Decoding video frames is
// beyond a verification step's budget; a container that opens is what
// a player needs first.
func (r *Report) mp4(body []byte) {
	n := binary.BigEndian.Uint32(body[:4])
	brand := string(body[8:min(12, len(body))])
	if n < 16 || int(n) > len(body) || len(brand) < 4 || strings.ContainsFunc(brand, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		r.fail("decode: the MP4 ftyp box is malformed")
		return
	}
	r.ok("decode: MP4 container, brand %s", brand)
}

// CaptureTime reads EXIF DateTimeOriginal (or DateTime), with its offset
// when OffsetTimeOriginal is present (zoned true); zero when there is none.
func CaptureTime(body []byte) (t time.Time, zoned bool) {
	raw, err := exif.SearchAndExtractExif(body)
	if err != nil {
		return time.Time{}, false
	}
	tags, _, err := exif.GetFlatExifData(raw, nil)
	if err != nil {
		return time.Time{}, false
	}
	var original, plain, offset string
	for _, tg := range tags {
		s, _ := tg.Value.(string)
		switch tg.TagName {
		case "DateTimeOriginal":
			original = s
		case "DateTime":
			plain = s
		case "OffsetTimeOriginal":
			offset = s
		}
	}
	v := original
	if v == "" {
		v = plain
	}
	if v == "" {
		return time.Time{}, false
	}
	if offset != "" {
		if t, err := time.Parse("2006:01:02 15:04:05-07:00", strings.TrimSpace(v)+strings.TrimSpace(offset)); err == nil {
			return t.UTC(), true
		}
	}
	t, err = exifcommon.ParseExifFullTimestamp(strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), false
}
