package rekog_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
	"github.com/aftersales/aftersales/shared/rekog"
)

// TestRecognizer sends DetectLabels through the real SDK client to a
// server that answers with a response of testdata (written to the API
// reference's shape: no test calls AWS), and checks what is read from it.
func TestRecognizer(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		labels []string
		damage bool
		items  int
	}{
		{"a cracked phone screen: damage, two phones", "detectlabels-cracked-screen.json",
			[]string{"Electronics", "Mobile Phone", "Cracked Glass"}, true, 2},
		{"strawberries: no damage, the confident instances counted", "detectlabels-fruit.json",
			[]string{"Strawberry", "Fruit"}, false, 2},
	}
	photo := inspecttest.JPEG(inspecttest.Photo(64, 48, 1), 80)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("X-Amz-Target"); got != "RekognitionService.DetectLabels" {
					t.Errorf("X-Amz-Target %q", got)
				}
				var in struct {
					Image         struct{ Bytes string }
					MinConfidence float32
				}
				body, _ := io.ReadAll(r.Body)
				if err := json.Unmarshal(body, &in); err != nil {
					t.Errorf("request %s: %v", body, err)
				}
				if b, _ := base64.StdEncoding.DecodeString(in.Image.Bytes); string(b) != string(photo) || in.MinConfidence != 70 {
					t.Errorf("request image of %d bytes, min confidence %v", len(b), in.MinConfidence)
				}
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				_, _ = w.Write(answer)
			}))
			defer srv.Close()
			client := rekognition.New(rekognition.Options{Region: "ap-northeast-1", BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
			rec, err := rekog.New(client).Recognize(t.Context(), photo)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.Labels, tt.labels) || rec.Damage != tt.damage || rec.Items != tt.items {
				t.Fatalf("recognition %+v, want labels %v damage %v items %d", rec, tt.labels, tt.damage, tt.items)
			}
		})
	}
}

func TestHeuristic(t *testing.T) {
	rec, err := rekog.Heuristic{}.Recognize(t.Context(), inspecttest.JPEG(inspecttest.Photo(64, 48, 1), 80))
	if err != nil || len(rec.Labels) == 0 {
		t.Fatalf("%+v %v", rec, err)
	}
	if _, err := (rekog.Heuristic{}).Recognize(t.Context(), []byte("not an image")); err == nil {
		t.Fatal("bytes that are no image were recognised")
	}
}
