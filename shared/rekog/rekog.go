// Package rekog is the image-recognition port (aftersales.ImageRecognizer)
// on Amazon Rekognition's DetectLabels, and a local heuristic adapter for
// the local stack, which has no Rekognition (issue 16).
//
// DetectLabels gets the photo's bytes (at most 5 MB inline; the evidence
// check sends the thumbnail-sized copy it already has when the original is
// larger, see verify) and answers labels with confidences, parents, and
// for common objects instances with bounding boxes. Damage is read from
// the label names; the item count from the instances.
package rekog

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.ImageRecognizer = (*Recognizer)(nil)

// Detector is the one call of the Rekognition client the adapter makes.
type Detector interface {
	DetectLabels(ctx context.Context, in *rekognition.DetectLabelsInput, optFns ...func(*rekognition.Options)) (*rekognition.DetectLabelsOutput, error)
}

// Recognizer labels photos with DetectLabels.
type Recognizer struct {
	client Detector
	// MinConfidence drops labels Rekognition is less sure of (0-100).
	MinConfidence float32
}

// New returns a Recognizer on client, keeping labels of 70% confidence or
// more: below that, DetectLabels names what a photo might show.
func New(client Detector) *Recognizer { return &Recognizer{client: client, MinConfidence: 70} }

// MaxInlineBytes is DetectLabels' limit for image bytes sent inline.
const MaxInlineBytes = 5 << 20

// damageWords name damage in Rekognition's label names ("Cracked Glass",
// "Rust", "Rotten"...).
var damageWords = []string{"crack", "broken", "damage", "dent", "rust", "rot", "mold", "mould", "shatter", "scratch", "tear", "torn", "stain", "leak"}

// Recognize sends the image and reads the answer.
func (r *Recognizer) Recognize(ctx context.Context, image []byte) (aftersales.Recognition, error) {
	const op = "rekog.recognize"
	out, err := r.client.DetectLabels(ctx, &rekognition.DetectLabelsInput{
		Image:         &types.Image{Bytes: image},
		MaxLabels:     aws.Int32(25),
		MinConfidence: aws.Float32(r.MinConfidence),
	})
	if err != nil {
		return aftersales.Recognition{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	return fromLabels(out.Labels, r.MinConfidence), nil
}

func fromLabels(labels []types.Label, minConfidence float32) aftersales.Recognition {
	var rec aftersales.Recognition
	sorted := slices.Clone(labels)
	slices.SortStableFunc(sorted, func(a, b types.Label) int {
		return -cmpFloat(aws.ToFloat32(a.Confidence), aws.ToFloat32(b.Confidence))
	})
	for _, l := range sorted {
		if aws.ToFloat32(l.Confidence) < minConfidence {
			continue
		}
		name := aws.ToString(l.Name)
		rec.Labels = append(rec.Labels, name)
		lower := strings.ToLower(name)
		if slices.ContainsFunc(damageWords, func(w string) bool { return strings.Contains(lower, w) }) {
			rec.Damage = true
		}
		n := 0
		for _, in := range l.Instances {
			if aws.ToFloat32(in.Confidence) >= minConfidence {
				n++
			}
		}
		rec.Items = max(rec.Items, n)
	}
	return rec
}

func cmpFloat(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
