package s3blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/aftersales/aftersales/infra/local/emulators"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/s3blob"
)

// These tests run against gofakes3 behind the emulator's presign guard.
// gofakes3 by itself checks no signature, no expiry and no signed header: it
// stores whatever a presigned PUT sends. The guard recomputes SigV4 query
// signatures as S3 does, which is what makes the refusals below observable
// locally; the URL shape is asserted as well, since it is what real S3 acts on.

const bucket = "evidence"

// clock is the test's time: the store signs at it and the emulator judges
// expiry by it, as in the local stack.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start is a fraction of a second past a whole second: X-Amz-Date has whole
// seconds, and ExpiresAt must agree with it.
var start = time.Date(2030, 5, 6, 7, 8, 9, 600_000_000, time.UTC)

type fixture struct {
	emu   *emulators.S3
	store *s3blob.Store
	clock *clock
}

func setup(t *testing.T) fixture {
	t.Helper()
	c := &clock{t: start}
	emu, err := emulators.StartS3("127.0.0.1:0", emulators.WithS3Clock(c))
	if err != nil {
		t.Fatalf("StartS3: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := emu.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return fixture{emu: emu, store: s3blob.New(emu.Client(), bucket, c), clock: c}
}

// do sends body to a presigned URL the way a client follows the instructions:
// method, URL and every returned header. Content-Length is not a header that
// Go lets one set; it is the request's ContentLength.
func do(t *testing.T, method, rawURL string, headers map[string]string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	for k, v := range headers {
		if k == "Content-Length" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("Content-Length header %q: %v", v, err)
			}
			if n != req.ContentLength {
				t.Fatalf("test bug: body of %d bytes sent as Content-Length %d", len(body), n)
			}
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, got
}

func TestPresignPutUpload(t *testing.T) {
	const declaredType = "image/jpeg"
	declared := bytes.Repeat([]byte{0xff, 0xd8, 0x00, 0x42}, 1000) // 4000 bytes
	tests := []struct {
		name      string
		wait      time.Duration             // time passing between presign and upload
		edit      func(h map[string]string) // the client departing from the instructions
		body      []byte
		wantCode  int
		wantBlob  aftersales.BlobInfo // zero: nothing stored
		wantBytes []byte
	}{
		{
			name: "as instructed", body: declared, wantCode: http.StatusOK,
			wantBlob: aftersales.BlobInfo{ContentType: declaredType, Size: int64(len(declared))}, wantBytes: declared,
		},
		{
			name: "as instructed, a second before expiry", wait: 15*time.Minute - time.Second, body: declared, wantCode: http.StatusOK,
			wantBlob: aftersales.BlobInfo{ContentType: declaredType, Size: int64(len(declared))}, wantBytes: declared,
		},
		{
			name: "other content type", body: declared, wantCode: http.StatusForbidden,
			edit: func(h map[string]string) { h["Content-Type"] = "image/png" },
		},
		{
			name: "shorter body", body: declared[:len(declared)-1], wantCode: http.StatusForbidden,
			edit: func(h map[string]string) { h["Content-Length"] = strconv.Itoa(len(declared) - 1) },
		},
		{
			name: "longer body", body: append(bytes.Clone(declared), 0), wantCode: http.StatusForbidden,
			edit: func(h map[string]string) { h["Content-Length"] = strconv.Itoa(len(declared) + 1) },
		},
		{
			name: "after expiry", wait: 15*time.Minute + time.Second, body: declared, wantCode: http.StatusForbidden,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := setup(t)
			key := aftersales.EvidenceObjectKey("b_1", "ev_1")
			up, err := f.store.PresignPut(ctx, key, declaredType, int64(len(declared)), aftersales.UploadURLLifetime)
			if err != nil {
				t.Fatalf("PresignPut: %v", err)
			}
			f.clock.Advance(tt.wait)
			headers := maps.Clone(up.Headers)
			if tt.edit != nil {
				tt.edit(headers)
			}
			code, body := do(t, up.Method, up.URL, headers, tt.body)
			if code != tt.wantCode {
				t.Fatalf("%s = %d, want %d; body %s", up.Method, code, tt.wantCode, body)
			}

			info, err := f.store.Stat(ctx, key)
			if tt.wantBlob == (aftersales.BlobInfo{}) {
				if !errors.Is(err, aftersales.ErrNotFound) {
					t.Fatalf("Stat after a refused upload = %+v, %v; want ErrNotFound", info, err)
				}
				return
			}
			if err != nil || info != tt.wantBlob {
				t.Fatalf("Stat = %+v, %v; want %+v", info, err, tt.wantBlob)
			}
			// The bytes are those sent, not wrapped in any transfer framing.
			out, err := f.emu.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			defer out.Body.Close()
			got, err := io.ReadAll(out.Body)
			if err != nil || !bytes.Equal(got, tt.wantBytes) {
				t.Errorf("GetObject = %d bytes (%v), want the %d bytes uploaded", len(got), err, len(tt.wantBytes))
			}
		})
	}
}

// TestPresignPutURL checks what S3 itself acts on: the signed headers, the
// expiry and the signing time in the URL, and that ExpiresAt agrees with them.
func TestPresignPutURL(t *testing.T) {
	tests := []struct {
		name        string
		key         string
		contentType string
		size        int64
		expires     time.Duration
		wantExpires string
	}{
		{name: "image, service lifetime", key: "evidence/b_1/ev_1", contentType: "image/jpeg", size: 183220, expires: aftersales.UploadURLLifetime, wantExpires: "900"},
		{name: "video at its limit, one second", key: "evidence/b_2/ev_2", contentType: "video/mp4", size: aftersales.MaxVideoBytes, expires: time.Second, wantExpires: "1"},
		{name: "longest expiry S3 accepts", key: "k", contentType: "image/png", size: 1, expires: s3blob.MaxExpiry, wantExpires: "604800"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			up, err := f.store.PresignPut(context.Background(), tt.key, tt.contentType, tt.size, tt.expires)
			if err != nil {
				t.Fatalf("PresignPut: %v", err)
			}
			if up.Method != http.MethodPut {
				t.Errorf("Method = %q, want PUT", up.Method)
			}
			wantHeaders := map[string]string{"Content-Type": tt.contentType, "Content-Length": strconv.FormatInt(tt.size, 10)}
			if !maps.Equal(up.Headers, wantHeaders) {
				t.Errorf("Headers = %v, want %v", up.Headers, wantHeaders)
			}
			signedAt := start.Truncate(time.Second)
			if want := signedAt.Add(tt.expires); !up.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v (X-Amz-Date + X-Amz-Expires)", up.ExpiresAt, want)
			}

			u, err := url.Parse(up.URL)
			if err != nil {
				t.Fatal(err)
			}
			base, _ := url.Parse(f.emu.URL())
			if u.Scheme != base.Scheme || u.Host != base.Host || u.Path != "/"+bucket+"/"+tt.key {
				t.Errorf("URL = %s, want %s/%s/%s", up.URL, f.emu.URL(), bucket, tt.key)
			}
			q := u.Query()
			for param, want := range map[string]string{
				"X-Amz-Algorithm":     "AWS4-HMAC-SHA256",
				"X-Amz-SignedHeaders": "content-length;content-type;host",
				"X-Amz-Expires":       tt.wantExpires,
				"X-Amz-Date":          signedAt.Format("20060102T150405Z"),
			} {
				if got := q.Get(param); got != want {
					t.Errorf("%s = %q, want %q", param, got, want)
				}
			}
		})
	}
}

func TestPresignMisuse(t *testing.T) {
	tests := []struct {
		name        string
		key         string
		contentType string
		size        int64
		expires     time.Duration
	}{
		{name: "empty key", contentType: "image/jpeg", size: 1, expires: time.Minute},
		{name: "empty content type", key: "k", size: 1, expires: time.Minute},
		{name: "empty object", key: "k", contentType: "image/jpeg", size: 0, expires: time.Minute},
		{name: "negative size", key: "k", contentType: "image/jpeg", size: -1, expires: time.Minute},
		{name: "no expiry", key: "k", contentType: "image/jpeg", size: 1, expires: 0},
		{name: "fraction of a second", key: "k", contentType: "image/jpeg", size: 1, expires: 1500 * time.Millisecond},
		{name: "beyond S3's limit", key: "k", contentType: "image/jpeg", size: 1, expires: s3blob.MaxExpiry + time.Second},
	}
	f := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, err := f.store.PresignPut(context.Background(), tt.key, tt.contentType, tt.size, tt.expires)
			if aftersales.KindOf(err) != aftersales.KindInternal || err == nil || up.URL != "" {
				t.Errorf("PresignPut = %q, %v; want no URL and an Internal error", up.URL, err)
			}
		})
	}
}

func TestStat(t *testing.T) {
	tests := []struct {
		name     string
		bucket   string // the store's bucket; "" is the fixture's
		key      string
		closed   bool // the emulator is down
		want     aftersales.BlobInfo
		wantKind aftersales.Kind // KindInternal (zero): no error expected
	}{
		{name: "stored object", key: "evidence/b_1/ev_1", want: aftersales.BlobInfo{ContentType: "video/mp4", Size: 5}},
		{name: "missing key", key: "evidence/b_1/ev_2", wantKind: aftersales.KindNotFound},
		// A HEAD answer has no body to tell a missing bucket from a missing key.
		{name: "missing bucket", bucket: "no-such-bucket", key: "evidence/b_1/ev_1", wantKind: aftersales.KindNotFound},
		{name: "storage unreachable", key: "evidence/b_1/ev_1", closed: true, wantKind: aftersales.KindTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := setup(t)
			putObject(t, f.emu, "evidence/b_1/ev_1", "video/mp4", []byte("12345"))
			// One attempt: the SDK's retries would only make the unreachable
			// case slow, and the Transient kind is what invites a retry.
			client := f.emu.Client(func(o *s3.Options) { o.RetryMaxAttempts = 1 })
			b := bucket
			if tt.bucket != "" {
				b = tt.bucket
			}
			store := s3blob.New(client, b, f.clock)
			if tt.closed {
				if err := f.emu.Close(); err != nil {
					t.Fatal(err)
				}
			}

			info, err := store.Stat(ctx, tt.key)
			if tt.wantKind == aftersales.KindInternal {
				if err != nil || info != tt.want {
					t.Fatalf("Stat = %+v, %v; want %+v", info, err, tt.want)
				}
				return
			}
			if err == nil || aftersales.KindOf(err) != tt.wantKind {
				t.Fatalf("Stat = %+v, %v; want an error of kind %v", info, err, tt.wantKind)
			}
			if isNF := errors.Is(err, aftersales.ErrNotFound); isNF != (tt.wantKind == aftersales.KindNotFound) {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v", err, isNF)
			}
		})
	}
}

func putObject(t *testing.T, emu *emulators.S3, key, contentType string, body []byte) {
	t.Helper()
	_, err := emu.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		ContentType: aws.String(contentType), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
}

// TestCopy: an upload is kept by copying it out of pending/ with its bytes
// and content type; the source stays for the lifecycle rule to delete.
func TestCopy(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		closed   bool
		wantKind aftersales.Kind // KindInternal (zero): no error expected
	}{
		{name: "pending to evidence", from: "pending/b_1/ev_1", to: "evidence/b_1/ev_1"},
		{name: "keys that need escaping", from: "pending/b 1+ü/ev_1", to: "evidence/b 1+ü/ev_1"},
		{name: "a source that is gone", from: "pending/b_1/ev_9", to: "evidence/b_1/ev_9", wantKind: aftersales.KindNotFound},
		{name: "storage unreachable", from: "pending/b_1/ev_1", to: "evidence/b_1/ev_1", closed: true, wantKind: aftersales.KindTransient},
		{name: "an empty key", from: "", to: "evidence/b_1/ev_1", wantKind: aftersales.KindInternal},
	}
	body := []byte("\x89PNG not really")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := setup(t)
			putObject(t, f.emu, "pending/b_1/ev_1", "image/png", body)
			putObject(t, f.emu, "pending/b 1+ü/ev_1", "image/png", body)
			store := s3blob.New(f.emu.Client(func(o *s3.Options) { o.RetryMaxAttempts = 1 }), bucket, f.clock)
			if tt.closed {
				if err := f.emu.Close(); err != nil {
					t.Fatal(err)
				}
			}
			err := store.Copy(ctx, tt.from, tt.to)
			if tt.wantKind != aftersales.KindInternal || tt.from == "" {
				if err == nil || aftersales.KindOf(err) != tt.wantKind {
					t.Fatalf("Copy = %v, want an error of kind %v", err, tt.wantKind)
				}
				if isNF := errors.Is(err, aftersales.ErrNotFound); isNF != (tt.wantKind == aftersales.KindNotFound) {
					t.Errorf("errors.Is(%v, ErrNotFound) = %v", err, isNF)
				}
				return
			}
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			info, err := store.Stat(ctx, tt.to)
			if err != nil || info != (aftersales.BlobInfo{ContentType: "image/png", Size: int64(len(body))}) {
				t.Fatalf("the copy: %+v, %v", info, err)
			}
			out, err := f.emu.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(tt.to)})
			if err != nil {
				t.Fatal(err)
			}
			defer out.Body.Close()
			if got, _ := io.ReadAll(out.Body); !bytes.Equal(got, body) {
				t.Errorf("copied bytes %q, want %q", got, body)
			}
			if _, err := store.Stat(ctx, tt.from); err != nil {
				t.Errorf("the source after the copy: %v, want it kept for the lifecycle rule", err)
			}
		})
	}
}
