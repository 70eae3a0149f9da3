package emulators

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// shiftedClock is the wall clock moved by a fixed offset: the SDK presigns at
// wall time, and the guard judges expiry by this clock.
type shiftedClock time.Duration

func (c shiftedClock) Now() time.Time { return time.Now().Add(time.Duration(c)) }

func startS3(t *testing.T, opts ...S3Option) *S3 {
	t.Helper()
	emu, err := StartS3("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("StartS3: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := emu.CreateBucket(context.Background(), "bucket"); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return emu
}

func TestStartS3(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name    string
		addr    string
		wantErr bool
	}{
		{name: "free port", addr: "127.0.0.1:0"},
		{name: "port in use", addr: busy.Addr().String(), wantErr: true},
		{name: "not an address", addr: "no-such-host:x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, err := StartS3(tt.addr)
			if tt.wantErr {
				if err == nil {
					emu.Close()
					t.Fatalf("StartS3(%q) = nil error, want one", tt.addr)
				}
				return
			}
			if err != nil {
				t.Fatalf("StartS3(%q): %v", tt.addr, err)
			}
			u, err := url.Parse(emu.URL())
			if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "0" || u.Port() == "" {
				t.Errorf("URL() = %q, want http://127.0.0.1:<real port>", emu.URL())
			}
			// Twice: a test may close early and still have deferred Close.
			for i := range 2 {
				if err := emu.Close(); err != nil {
					t.Fatalf("Close #%d: %v", i+1, err)
				}
			}
			// A closed emulator no longer listens.
			if c, err := net.Dial("tcp", u.Host); err == nil {
				c.Close()
				t.Errorf("%s still accepts connections after Close", u.Host)
			}
		})
	}
}

// TestS3ClientRoundTrip shows that the SDK client's own (header-signed)
// requests work and that uploaded bytes are stored as sent, without the
// aws-chunked framing that gofakes3 keeps over TLS.
func TestS3ClientRoundTrip(t *testing.T) {
	ctx := context.Background()
	emu := startS3(t)
	tests := []struct {
		name        string
		key         string
		body        []byte
		contentType string
	}{
		{name: "small text", key: "a.txt", body: []byte("hello"), contentType: "text/plain"},
		{name: "nested key, binary", key: "evidence/b1/ev_1", body: bytes.Repeat([]byte{0, 1, 2, 0xff}, 70_000), contentType: "image/jpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := emu.Client().PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String(tt.key),
				Body: bytes.NewReader(tt.body), ContentType: aws.String(tt.contentType),
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			out, err := emu.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(tt.key)})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			defer out.Body.Close()
			got, err := io.ReadAll(out.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("GetObject body: %d bytes, want the %d bytes put", len(got), len(tt.body))
			}
			if ct := aws.ToString(out.ContentType); ct != tt.contentType {
				t.Errorf("ContentType = %q, want %q", ct, tt.contentType)
			}
		})
	}
}

// TestS3PresignGuard checks presigned PUTs made by the SDK's presign client
// the way S3 does: gofakes3 alone would accept every one of them.
func TestS3PresignGuard(t *testing.T) {
	body := []byte("0123456789")
	tests := []struct {
		name     string
		key      string                            // "" is "k"
		clock    shiftedClock                      // the emulator's clock, relative to the signing time
		edit     func(u *url.URL, r *http.Request) // changes the request away from what was signed
		wantCode int
		wantErr  string // S3 error code in the body
	}{
		{name: "as signed", wantCode: http.StatusOK},
		{name: "key that needs escaping", key: "evidence/b 1/ev+ü", wantCode: http.StatusOK},
		{name: "just before expiry", clock: shiftedClock(14 * time.Minute), wantCode: http.StatusOK},
		{
			name: "preflight without signed headers", wantCode: http.StatusOK,
			edit: func(_ *url.URL, r *http.Request) {
				r.Method = http.MethodOptions
				r.Header = http.Header{
					"Origin":                         {"http://localhost:5173"},
					"Access-Control-Request-Method":  {"PUT"},
					"Access-Control-Request-Headers": {"content-type"},
				}
				r.Body, r.ContentLength = nil, 0
			},
		},
		{
			name: "other content type", wantCode: http.StatusForbidden, wantErr: "SignatureDoesNotMatch",
			edit: func(_ *url.URL, r *http.Request) { r.Header.Set("Content-Type", "image/png") },
		},
		{
			name: "no content type", wantCode: http.StatusForbidden, wantErr: "SignatureDoesNotMatch",
			edit: func(_ *url.URL, r *http.Request) { r.Header.Del("Content-Type") },
		},
		{
			name: "shorter body", wantCode: http.StatusForbidden, wantErr: "SignatureDoesNotMatch",
			edit: func(_ *url.URL, r *http.Request) { setBody(r, body[:9]) },
		},
		{
			name: "longer body", wantCode: http.StatusForbidden, wantErr: "SignatureDoesNotMatch",
			edit: func(_ *url.URL, r *http.Request) { setBody(r, append(body, 'x')) },
		},
		{
			name: "other key", wantCode: http.StatusForbidden, wantErr: "SignatureDoesNotMatch",
			edit: func(u *url.URL, _ *http.Request) { u.Path = "/bucket/other" },
		},
		{
			name: "longer expiry", wantCode: http.StatusForbidden, wantErr: "SignatureDoesNotMatch",
			edit: func(u *url.URL, _ *http.Request) { setQuery(u, "X-Amz-Expires", "3600") },
		},
		{
			name: "forged signature", wantCode: http.StatusForbidden, wantErr: "SignatureDoesNotMatch",
			edit: func(u *url.URL, _ *http.Request) { setQuery(u, "X-Amz-Signature", strings.Repeat("0", 64)) },
		},
		{
			name: "unknown access key", wantCode: http.StatusForbidden, wantErr: "InvalidAccessKeyId",
			edit: func(u *url.URL, _ *http.Request) {
				setQuery(u, "X-Amz-Credential", strings.Replace(u.Query().Get("X-Amz-Credential"), S3AccessKeyID+"/", "someone/", 1))
			},
		},
		{name: "expired", clock: shiftedClock(16 * time.Minute), wantCode: http.StatusForbidden, wantErr: "AccessDenied"},
		{
			name: "malformed date", wantCode: http.StatusBadRequest, wantErr: "AuthorizationQueryParametersError",
			edit: func(u *url.URL, _ *http.Request) { setQuery(u, "X-Amz-Date", "yesterday") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			emu := startS3(t, WithS3Clock(tt.clock))
			key := tt.key
			if key == "" {
				key = "k"
			}
			pre, err := s3.NewPresignClient(emu.Client()).PresignPutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String(key),
				ContentType: aws.String("image/jpeg"), ContentLength: aws.Int64(int64(len(body))),
			}, s3.WithPresignExpires(15*time.Minute))
			if err != nil {
				t.Fatalf("PresignPutObject: %v", err)
			}
			u, err := url.Parse(pre.URL)
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequestWithContext(ctx, pre.Method, pre.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "image/jpeg")
			setBody(req, body)
			if tt.edit != nil {
				tt.edit(u, req)
				req.URL = u
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", req.Method, err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantCode, raw)
			}
			if tt.wantErr != "" {
				var e struct{ Code string }
				if err := xml.Unmarshal(raw, &e); err != nil || e.Code != tt.wantErr {
					t.Errorf("error code = %q (%v), want %q; body %s", e.Code, err, tt.wantErr, raw)
				}
			}
			// Only an accepted PUT may leave an object behind.
			stored := tt.wantCode == http.StatusOK && req.Method == http.MethodPut
			_, err = emu.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)})
			var nf *types.NotFound
			switch {
			case stored && err != nil:
				t.Errorf("HeadObject after an accepted PUT: %v", err)
			case !stored && !errors.As(err, &nf):
				t.Errorf("HeadObject after a refused request = %v, want NotFound", err)
			}
		})
	}
}

func setBody(r *http.Request, b []byte) {
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
}

func setQuery(u *url.URL, k, v string) {
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
}

// TestS3ListObjectsV2: listings answer as S3 does, with the SDK's paginator
// and with the encoding the AWS CLI asks for.
func TestS3ListObjectsV2(t *testing.T) {
	emu := startS3(t)
	c := emu.Client()
	keys := []string{"evidence/a b.jpg", "evidence/b.jpg", "pending/c.jpg"}
	for _, k := range keys {
		if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		in       s3.ListObjectsV2Input
		keys     []string
		keyCount int32
		pages    int
	}{
		{"every key, a page each", s3.ListObjectsV2Input{MaxKeys: aws.Int32(1)}, keys, 1, 3},
		{"a prefix", s3.ListObjectsV2Input{Prefix: aws.String("evidence/")}, keys[:2], 2, 1},
		{"nothing under the prefix", s3.ListObjectsV2Input{Prefix: aws.String("gone/")}, nil, 0, 1},
		{"url encoding", s3.ListObjectsV2Input{EncodingType: "url"}, []string{"evidence/a+b.jpg", "evidence/b.jpg", "pending/c.jpg"}, 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket = aws.String("bucket")
			p := s3.NewListObjectsV2Paginator(c, &in)
			var got []string
			pages := 0
			for p.HasMorePages() {
				out, err := p.NextPage(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if aws.ToString(out.Name) != "bucket" || out.KeyCount == nil || *out.KeyCount != tc.keyCount || out.EncodingType != in.EncodingType {
					t.Fatalf("page %d: name %q key count %v encoding %q", pages, aws.ToString(out.Name), out.KeyCount, out.EncodingType)
				}
				for _, o := range out.Contents {
					got = append(got, aws.ToString(o.Key))
				}
			}
			if !slices.Equal(got, tc.keys) || pages != tc.pages {
				t.Fatalf("keys %v in %d pages, want %v in %d", got, pages, tc.keys, tc.pages)
			}
		})
	}
}
