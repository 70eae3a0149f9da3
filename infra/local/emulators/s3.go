package emulators

import (
	"context"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The credentials and region of the local S3. Presigned URLs are checked
// against this key pair, so a client that presigns for the emulator must use
// them; Client does.
const (
	S3AccessKeyID     = "local"
	S3SecretAccessKey = "local"
	S3Region          = "us-east-1"
)

// S3 is an in-memory S3 (gofakes3 with its s3mem backend) served on plain
// HTTP. Plain HTTP because gofakes3 over TLS stores the SDK's aws-chunked
// framing as the object's bytes.
//
// gofakes3 checks no signature at all. The emulator puts a guard in front of
// it that checks presigned (query-string) requests the way S3 does, because the
// evidence upload relies on it: the signature binds the URL to a content type,
// a length and an expiry, and the local stack should refuse what S3 refuses.
// Requests signed in the Authorization header (the SDK's own calls) pass
// unchecked.
type S3 struct {
	srv    *http.Server
	url    string
	served chan error

	closeOnce sync.Once
	closeErr  error
}

// S3Option configures StartS3.
type S3Option func(*s3Config)

type s3Config struct {
	clock         aftersales.Clock
	notifications []Notification
}

// WithS3Clock makes the emulator judge the expiry of presigned URLs by c. The
// local stack passes the clock its adapters sign with: URLs are signed at that
// clock's time, so judging them by the wall clock would refuse every URL of a
// clock set in the past and never expire those of a clock moved ahead.
// Without it the wall clock is used.
func WithS3Clock(c aftersales.Clock) S3Option {
	return func(cfg *s3Config) { cfg.clock = c }
}

type s3WallClock struct{}

func (s3WallClock) Now() time.Time { return time.Now() }

// StartS3 listens on addr ("127.0.0.1:0" picks a free port) and serves an
// empty S3 until Close. URL and presigned URLs name the listener's real
// address, so addr should be a concrete host, not 0.0.0.0.
func StartS3(addr string, opts ...S3Option) (*S3, error) {
	cfg := s3Config{clock: s3WallClock{}}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulators: s3: %w", err)
	}
	fake := gofakes3.New(s3mem.New())
	var inner http.Handler = listV2Fidelity{next: fake.Server()}
	if len(cfg.notifications) > 0 {
		inner = &notifyFidelity{next: inner, ns: cfg.notifications, clock: cfg.clock, region: S3Region}
	}
	guard := &presignGuard{next: inner, clock: cfg.clock}
	s := &S3{
		srv:    &http.Server{Handler: guard, ReadHeaderTimeout: 10 * time.Second},
		url:    "http://" + ln.Addr().String(),
		served: make(chan error, 1),
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

// URL is the base URL of the emulator, e.g. "http://127.0.0.1:9000".
func (s *S3) URL() string { return s.url }

// Client returns a new SDK client for the emulator; optFns adjust it (tests
// that provoke failures turn retries off, for instance). It is built field by
// field rather than from config.LoadDefaultConfig, which reads the machine's
// AWS_* environment (a CA bundle, profiles) that has no business with a
// loopback endpoint.
func (s *S3) Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       S3Region,
		BaseEndpoint: aws.String(s.url),
		// gofakes3 serves buckets by path; virtual-host names would need DNS.
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(S3AccessKeyID, S3SecretAccessKey, ""),
		// Checksums only when an operation demands them: otherwise the SDK
		// streams uploads in aws-chunked framing with trailers.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}, optFns...)
}

// CreateBucket creates an empty bucket.
func (s *S3) CreateBucket(ctx context.Context, name string) error {
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("emulators: s3: create bucket %s: %w", name, err)
	}
	return nil
}

// Close stops the server, dropping open connections, and waits until it has
// stopped serving. The stored objects are gone. Closing again does nothing
// and returns the first result, so a test may close early and still defer it.
func (s *S3) Close() error {
	s.closeOnce.Do(func() {
		err := s.srv.Close()
		if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		s.closeErr = err
	})
	return s.closeErr
}

// presignGuard checks query-string signatures before gofakes3 sees the
// request. It recomputes the signature with the SDK's own signer from the
// request as received, so any signed header that differs (Content-Type,
// Content-Length, Host) gives another signature, as at S3.
type presignGuard struct {
	next  http.Handler
	clock aftersales.Clock
}

// maxPresignExpiry is S3's limit for SigV4 presigned URLs.
const maxPresignExpiry = 7 * 24 * time.Hour

func (g *presignGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// CORS preflights carry the presigned URL but none of its headers, and S3
	// answers them from the bucket's CORS rules without authentication.
	if r.Method == http.MethodOptions || (!q.Has("X-Amz-Signature") && !q.Has("X-Amz-Algorithm")) {
		g.next.ServeHTTP(w, r)
		return
	}
	if e := g.check(r, q); e != nil {
		writeS3Error(w, e)
		return
	}
	g.next.ServeHTTP(w, r)
}

// s3Error is S3's XML error body.
type s3Error struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
	status  int
}

func writeS3Error(w http.ResponseWriter, e *s3Error) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	// The status line already tells the client; a failed body write has no
	// one left to tell.
	_ = xml.NewEncoder(w).Encode(e)
}

func (g *presignGuard) check(r *http.Request, q url.Values) *s3Error {
	malformed := func(msg string) *s3Error {
		return &s3Error{Code: "AuthorizationQueryParametersError", Message: msg, status: http.StatusBadRequest}
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	// AKID/yyyymmdd/region/service/aws4_request
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return malformed("X-Amz-Credential is malformed")
	}
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpiry {
		return malformed("X-Amz-Expires must be a number of seconds from 1 to 604800")
	}
	signedHeaders := q.Get("X-Amz-SignedHeaders")
	if signedHeaders == "" {
		return malformed("X-Amz-SignedHeaders is missing")
	}
	if scope[0] != S3AccessKeyID {
		return &s3Error{Code: "InvalidAccessKeyId", Message: "The AWS Access Key Id you provided does not exist in our records.", status: http.StatusForbidden}
	}
	if g.clock.Now().After(signedAt.Add(time.Duration(secs) * time.Second)) {
		return &s3Error{Code: "AccessDenied", Message: "Request has expired", status: http.StatusForbidden}
	}

	// Rebuild the request the client was meant to send: the URL without its
	// signature and only the headers it claims to have signed, with the
	// values received. Signing it again must give the same signature.
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	unsigned := url.Values{}
	for k, v := range q {
		if k != "X-Amz-Signature" {
			unsigned[k] = v
		}
	}
	u.RawQuery = unsigned.Encode()
	want, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), nil)
	if err != nil {
		return malformed("the request URL cannot be rebuilt: " + err.Error())
	}
	payloadHash := "UNSIGNED-PAYLOAD"
	for _, h := range strings.Split(signedHeaders, ";") {
		switch h {
		case "host": // the signer takes it from the URL
		case "content-length":
			// The signer signs the length only when it is positive; a
			// request without one then signs differently, as it should.
			want.ContentLength = r.ContentLength
		default:
			for _, v := range r.Header.Values(h) {
				want.Header.Add(h, v)
			}
			if h == "x-amz-content-sha256" {
				payloadHash = r.Header.Get(h)
			}
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }) // S3 signs the path as sent
	creds := aws.Credentials{AccessKeyID: S3AccessKeyID, SecretAccessKey: S3SecretAccessKey, SessionToken: q.Get("X-Amz-Security-Token")}
	signed, _, err := signer.PresignHTTP(r.Context(), creds, want, payloadHash, scope[3], scope[2], signedAt)
	if err != nil {
		return malformed("the request cannot be signed: " + err.Error())
	}
	su, err := url.Parse(signed)
	if err != nil {
		return malformed("the request cannot be signed: " + err.Error())
	}
	got, expected := q.Get("X-Amz-Signature"), su.Query().Get("X-Amz-Signature")
	if subtle.ConstantTimeCompare([]byte(got), []byte(expected)) != 1 || su.Query().Get("X-Amz-SignedHeaders") != signedHeaders {
		return &s3Error{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.", status: http.StatusForbidden}
	}
	return nil
}
