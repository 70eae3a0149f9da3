package rekog

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg" // the decoders of the photos it is given
	_ "image/png"

	_ "golang.org/x/image/webp"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.ImageRecognizer = Heuristic{}

// Heuristic is the local stand-in for Rekognition: no model, only pixel
// statistics, so that the local stack can run a rule set with recognition
// on without calling AWS. It labels a photo by its dominant hue and calls
// "damage" a large share of dark brown pixels (bruised or rotten produce,
// water-stained cardboard). It counts no items. Never a basis for a
// decision in production.
type Heuristic struct{}

// Recognize decodes the photo and looks at a grid of its pixels.
func (Heuristic) Recognize(_ context.Context, body []byte) (aftersales.Recognition, error) {
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		return aftersales.Recognition{}, aftersales.Wrap(aftersales.KindInvalid, "rekog.heuristic", err)
	}
	b := img.Bounds()
	var n, brown, red, green, blue int
	for y := b.Min.Y; y < b.Max.Y; y += max(1, b.Dy()/64) {
		for x := b.Min.X; x < b.Max.X; x += max(1, b.Dx()/64) {
			r16, g16, b16, _ := img.At(x, y).RGBA()
			r, g, bl := int(r16>>8), int(g16>>8), int(b16>>8)
			n++
			if r > g && g > bl && r < 140 && r-bl > 30 {
				brown++
			}
			switch {
			case r >= g && r >= bl:
				red++
			case g >= r && g >= bl:
				green++
			default:
				blue++
			}
		}
	}
	rec := aftersales.Recognition{}
	switch {
	case red >= green && red >= blue:
		rec.Labels = append(rec.Labels, "Red")
	case green >= blue:
		rec.Labels = append(rec.Labels, "Green")
	default:
		rec.Labels = append(rec.Labels, "Blue")
	}
	if n > 0 && brown*100/n >= 15 {
		rec.Damage = true
		rec.Labels = append(rec.Labels, "Dark Brown Patches")
	}
	return rec, nil
}
