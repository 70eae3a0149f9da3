package emulators

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Notification is a bucket notification configuration of the emulator, as
// S3's NotificationConfiguration has one per destination: the events
// s3:ObjectCreated:* for keys under Prefix go to Send, which the local
// stack points at an SQS queue (SendMessage with the body), as the cloud's
// bucket notification does.
type Notification struct {
	ID     string // the configurationId S3 puts in each record
	Prefix string
	Send   func(ctx context.Context, body []byte) error
}

// WithS3Notifications makes the emulator emit S3's event notification
// (the real JSON: {"Records":[{"eventVersion":"2.1","eventSource":"aws:s3",
// "eventName":"ObjectCreated:Put",...}]}) for each object a PUT or a copy
// creates under a notification's prefix. gofakes3 has no notifications.
//
// Unlike S3, which sends a moment after it answered, the emulator sends
// before it answers: a test that saw the PUT answered can then wait for
// the queue to drain, instead of for time. A failed send is logged by the
// caller's Send and does not fail the PUT (S3 does not either).
func WithS3Notifications(ns ...Notification) S3Option {
	return func(cfg *s3Config) { cfg.notifications = append(cfg.notifications, ns...) }
}

// notifyFidelity emits the event notifications of objects created through
// it. It sits behind the presign guard: a refused PUT creates nothing.
type notifyFidelity struct {
	next   http.Handler
	ns     []Notification
	clock  aftersales.Clock
	seq    atomic.Uint64
	region string
}

func (f *notifyFidelity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, ok := objectPath(r)
	// Multipart parts (partNumber) and other subresources create no object.
	if !ok || r.Method != http.MethodPut || r.URL.RawQuery != "" && !hasOnlySignature(r) || !f.wanted(key) {
		f.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		f.notify(r, bucket, key)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// objectPath splits a path-style request path, /<bucket>/<key>.
func objectPath(r *http.Request) (bucket, key string, ok bool) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	i := strings.IndexByte(p, '/')
	if i <= 0 || i == len(p)-1 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}

// hasOnlySignature reports whether the query string is a presigned URL's,
// or the SDK's operation marker (x-id=PutObject), and nothing else.
func hasOnlySignature(r *http.Request) bool {
	for k := range r.URL.Query() {
		if !strings.HasPrefix(k, "X-Amz-") && k != "x-id" {
			return false
		}
	}
	return true
}

func (f *notifyFidelity) wanted(key string) bool {
	for _, n := range f.ns {
		if strings.HasPrefix(key, n.Prefix) {
			return true
		}
	}
	return false
}

// notify sends the record of the object now at bucket/key. Its size and
// ETag are the stored object's, read back with a HEAD (a copy's request
// carries neither).
func (f *notifyFidelity) notify(r *http.Request, bucket, key string) {
	head := httptest.NewRequestWithContext(r.Context(), http.MethodHead, r.URL.EscapedPath(), nil)
	head.Header.Set("Authorization", r.Header.Get("Authorization"))
	hrec := httptest.NewRecorder()
	f.next.ServeHTTP(hrec, head)
	var size int64
	fmt.Sscan(hrec.Header().Get("Content-Length"), &size)
	name := "ObjectCreated:Put"
	if r.Header.Get("X-Amz-Copy-Source") != "" {
		name = "ObjectCreated:Copy"
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	for _, n := range f.ns {
		if !strings.HasPrefix(key, n.Prefix) {
			continue
		}
		rec := events.S3EventRecord{
			EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: f.region,
			EventTime:         f.clock.Now().UTC().Truncate(time.Millisecond),
			EventName:         name,
			PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:" + S3AccessKeyID},
			RequestParameters: events.S3RequestParameters{SourceIPAddress: ip},
			ResponseElements:  map[string]string{"x-amz-request-id": hrec.Header().Get("X-Amz-Request-Id"), "x-amz-id-2": "local"},
			S3: events.S3Entity{SchemaVersion: "1.0", ConfigurationID: n.ID,
				Bucket: events.S3Bucket{Name: bucket, OwnerIdentity: events.S3UserIdentity{PrincipalID: S3AccessKeyID}, Arn: "arn:aws:s3:::" + bucket},
				Object: events.S3Object{Key: s3URLEncode(key), Size: size, ETag: strings.Trim(hrec.Header().Get("ETag"), `"`),
					Sequencer: fmt.Sprintf("%016X", f.seq.Add(1))}},
		}
		body, err := json.Marshal(s3Notification{Records: []s3Record{{rec}}})
		if err == nil {
			err = n.Send(context.WithoutCancel(r.Context()), body)
		}
		_ = err // Send logs its own failures; the PUT stands
	}
}

// s3Notification is the message body S3 sends. aws-lambda-go's record type
// has the fields of the real JSON, but also its own urlDecodedKey, which
// S3 does not send: s3Record leaves it out.
type s3Notification struct {
	Records []s3Record `json:"Records"`
}

type s3Record struct{ events.S3EventRecord }

// MarshalJSON writes the record as S3 does: without urlDecodedKey, and
// with eventTime in S3's millisecond form.
func (r s3Record) MarshalJSON() ([]byte, error) {
	type object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"eTag"`
		Sequencer string `json:"sequencer"`
	}
	type entity struct {
		SchemaVersion   string          `json:"s3SchemaVersion"`
		ConfigurationID string          `json:"configurationId"`
		Bucket          events.S3Bucket `json:"bucket"`
		Object          object          `json:"object"`
	}
	e := r.S3EventRecord
	return json.Marshal(struct {
		EventVersion      string                     `json:"eventVersion"`
		EventSource       string                     `json:"eventSource"`
		AWSRegion         string                     `json:"awsRegion"`
		EventTime         string                     `json:"eventTime"`
		EventName         string                     `json:"eventName"`
		UserIdentity      events.S3UserIdentity      `json:"userIdentity"`
		RequestParameters events.S3RequestParameters `json:"requestParameters"`
		ResponseElements  map[string]string          `json:"responseElements"`
		S3                entity                     `json:"s3"`
	}{e.EventVersion, e.EventSource, e.AWSRegion, e.EventTime.Format("2006-01-02T15:04:05.000Z"), e.EventName,
		e.PrincipalID, e.RequestParameters, e.ResponseElements,
		entity{e.S3.SchemaVersion, e.S3.ConfigurationID, e.S3.Bucket,
			object{e.S3.Object.Key, e.S3.Object.Size, e.S3.Object.ETag, e.S3.Object.Sequencer}}})
}
