package emulators_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/aftersales/aftersales/infra/local/emulators"
)

// TestS3Notifications checks that objects created under the prefix, by a
// PUT or a copy, emit S3's event notification JSON, and others do not.
func TestS3Notifications(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	srv, err := emulators.StartS3("127.0.0.1:0", emulators.WithS3Notifications(emulators.Notification{
		ID: "evidence-checks", Prefix: "evidence/",
		Send: func(_ context.Context, body []byte) error {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("body %s: %v", body, err)
			}
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m)
			return nil
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := t.Context()
	if err := srv.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	c := srv.Client()
	put := func(key, body string) {
		t.Helper()
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key),
			Body: strings.NewReader(body), ContentType: aws.String("image/jpeg")}); err != nil {
			t.Fatal(err)
		}
	}
	put("pending/b1/ev_1", "hello")
	if len(got) != 0 {
		t.Fatalf("a key outside the prefix notified: %v", got)
	}
	put("evidence/b1/ev 2", "hello!")
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("evidence/b1/ev_1"),
		CopySource: aws.String("bkt/pending/b1/ev_1")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		i         int
		eventName string
		key       string
		size      float64
	}{
		{"a PUT, its key URL-encoded as S3 does", 0, "ObjectCreated:Put", "evidence/b1/ev+2", 6},
		{"a copy", 1, "ObjectCreated:Copy", "evidence/b1/ev_1", 5},
	}
	if len(got) != 2 {
		t.Fatalf("%d notifications, want 2: %v", len(got), got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, _ := got[tt.i]["Records"].([]any)
			if len(recs) != 1 {
				t.Fatalf("records %v", got[tt.i])
			}
			r := recs[0].(map[string]any)
			s3m := r["s3"].(map[string]any)
			obj := s3m["object"].(map[string]any)
			bucket := s3m["bucket"].(map[string]any)
			if r["eventVersion"] != "2.1" || r["eventSource"] != "aws:s3" || r["eventName"] != tt.eventName ||
				r["awsRegion"] != emulators.S3Region || s3m["configurationId"] != "evidence-checks" ||
				bucket["name"] != "bkt" || bucket["arn"] != "arn:aws:s3:::bkt" ||
				obj["key"] != tt.key || obj["size"] != tt.size || obj["eTag"] == "" || obj["sequencer"] == "" {
				t.Fatalf("record %v", r)
			}
			if _, ok := obj["urlDecodedKey"]; ok {
				t.Fatal("urlDecodedKey is aws-lambda-go's, not S3's")
			}
		})
	}
}
