// Package inspecttest makes evidence files for tests, generated at run
// time so that nothing is fetched: photo-like JPEGs (gradients and shapes,
// so that a perceptual hash has something to see), re-encoded resized
// copies of them, and JPEGs carrying an EXIF capture time.
package inspecttest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"time"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
	"golang.org/x/image/draw"
)

// Photo returns a w x h picture that seed makes different from others:
// a diagonal gradient and a few discs whose places depend on seed.
func Photo(w, h int, seed int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	s := uint32(seed)*2654435761 + 1
	next := func(n int) int { s ^= s << 13; s ^= s >> 17; s ^= s << 5; return int(s % uint32(n)) }
	base := color.RGBA{uint8(next(256)), uint8(next(256)), uint8(next(256)), 255}
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{base.R + uint8(x*255/w), base.G + uint8(y*255/h), base.B, 255})
		}
	}
	for range 5 {
		cx, cy, r := next(w), next(h), w/8+next(w/6+1)
		c := color.RGBA{uint8(next(256)), uint8(next(256)), uint8(next(256)), 255}
		for y := max(0, cy-r); y < min(h, cy+r); y++ {
			for x := max(0, cx-r); x < min(w, cx+r); x++ {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
					img.Set(x, y, c)
				}
			}
		}
	}
	return img
}

// JPEG encodes img at quality q.
func JPEG(img image.Image, q int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		panic(err) // encoding to memory fails only on a bug
	}
	return b.Bytes()
}

// Resized decodes a JPEG, scales it by num/den and encodes it again at
// quality q: the "same photo" a fraudster uploads a second time.
func Resized(b []byte, num, den, q int) ([]byte, error) {
	src, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	r := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, r.Dx()*num/den, r.Dy()*num/den))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, r, draw.Over, nil)
	return JPEG(dst, q), nil
}

// WithCaptureTime inserts an EXIF APP1 segment right after the JPEG's
// start-of-image marker, with DateTimeOriginal t (local time of the camera,
// as EXIF writes it, with no offset).
func WithCaptureTime(b []byte, t time.Time) ([]byte, error) {
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, fmt.Errorf("inspecttest: not a JPEG")
	}
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return nil, err
	}
	ib := exif.NewIfdBuilder(im, exif.NewTagIndex(), exifcommon.IfdStandardIfdIdentity, exifcommon.EncodeDefaultByteOrder)
	sub, err := exif.GetOrCreateIbFromRootIb(ib, "IFD/Exif")
	if err != nil {
		return nil, err
	}
	if err := sub.SetStandardWithName("DateTimeOriginal", t.Format("2006:01:02 15:04:05")); err != nil {
		return nil, err
	}
	payload, err := exif.NewIfdByteEncoder().EncodeToExif(ib)
	if err != nil {
		return nil, err
	}
	seg := append([]byte("Exif\x00\x00"), payload...)
	out := append([]byte{0xFF, 0xD8, 0xFF, 0xE1}, binary.BigEndian.AppendUint16(nil, uint16(len(seg)+2))...)
	out = append(out, seg...)
	return append(out, b[2:]...), nil
}
