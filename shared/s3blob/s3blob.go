// Package s3blob keeps evidence files in Amazon S3: it implements
// aftersales.EvidenceStore with presigned URLs, so that photos and videos go
// from the buyer's device straight to the bucket and never through a Lambda
// function (whose request payload is limited to 6 MB).
//
// A presigned PUT signs the object's Content-Type and Content-Length, so S3
// refuses an upload of another type or size with 403 SignatureDoesNotMatch;
// Stat then tells the service what was actually stored.
//
// The role that calls Stat needs s3:ListBucket on the bucket besides
// s3:GetObject: without it S3 answers a missing object with 403 instead of
// 404, and Stat would report a transient failure instead of ErrNotFound.
package s3blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.EvidenceStore = (*Store)(nil)

// MaxExpiry is the longest validity S3 accepts for a SigV4 presigned URL.
const MaxExpiry = 7 * 24 * time.Hour

// Store is the evidence bucket. It is safe for concurrent use.
type Store struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	clock   aftersales.Clock
}

// New returns a Store for bucket. Presigned URLs are signed at clock's time,
// not the SDK's wall clock, so that the expiry a URL carries is the ExpiresAt
// the service reports, also when the local stack moves time.
func New(client *s3.Client, bucket string, clock aftersales.Clock) *Store {
	return &Store{client: client, presign: s3.NewPresignClient(client), bucket: bucket, clock: clock}
}

// PresignPut returns a URL that uploads one object of exactly contentType and
// size to key until expires from now. The client must send the returned
// headers with exactly these values: both are signed.
func (s *Store) PresignPut(ctx context.Context, key, contentType string, size int64, expires time.Duration) (aftersales.PresignedUpload, error) {
	const op = "s3blob.presign_put"
	switch {
	case key == "" || contentType == "":
		return aftersales.PresignedUpload{}, misuse(op, "key and content type must not be empty")
	case size <= 0:
		// The SDK signs Content-Length only when it is positive: an empty
		// object would get a URL that uploads any length.
		return aftersales.PresignedUpload{}, misuse(op, "size must be at least 1 byte, not %d", size)
	}
	if err := checkExpiry(op, expires); err != nil {
		return aftersales.PresignedUpload{}, err
	}
	at := s.signingTime()
	req, err := s.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		ContentType:   aws.String(contentType),
		ContentLength: aws.Int64(size),
	}, s3.WithPresignExpires(expires), signAt(at))
	if err != nil {
		return aftersales.PresignedUpload{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	return aftersales.PresignedUpload{
		URL:    req.URL,
		Method: req.Method,
		// Only what the client sets itself: Host comes from the URL.
		Headers: map[string]string{
			"Content-Type":   contentType,
			"Content-Length": strconv.FormatInt(size, 10),
		},
		ExpiresAt: at.Add(expires),
	}, nil
}

// Stat returns the stored object's content type and size, or an error of
// KindNotFound wrapping aftersales.ErrNotFound when there is no object at key.
// A HEAD response has no body, so a missing bucket is also reported as not
// found; the deployment creates the bucket, so that is a configuration error
// that shows up on the first upload.
func (s *Store) Stat(ctx context.Context, key string) (aftersales.BlobInfo, error) {
	const op = "s3blob.stat"
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return aftersales.BlobInfo{}, &aftersales.Error{Kind: aftersales.KindNotFound, Op: op, Msg: "no such object", Err: aftersales.ErrNotFound}
		}
		return aftersales.BlobInfo{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	return aftersales.BlobInfo{ContentType: aws.ToString(out.ContentType), Size: aws.ToInt64(out.ContentLength)}, nil
}

// Copy copies the object at from to to, with its content type (S3 copies
// metadata by default), replacing what is at to. It is how an upload is
// kept when a case takes it: copied out of pending/, which a lifecycle rule
// empties, into evidence/. A missing source is an error of KindNotFound
// wrapping aftersales.ErrNotFound. A single CopyObject copies up to 5 GB,
// far above the largest evidence file.
func (s *Store) Copy(ctx context.Context, from, to string) error {
	const op = "s3blob.copy"
	if from == "" || to == "" {
		return misuse(op, "keys must not be empty")
	}
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(to),
		// The source is "<bucket>/<key>", URL-encoded as S3 requires.
		CopySource: aws.String(escapeKey(s.bucket + "/" + from)),
	})
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return &aftersales.Error{Kind: aftersales.KindNotFound, Op: op, Msg: "no such object", Err: aftersales.ErrNotFound}
	}
	return aftersales.Wrap(aftersales.KindTransient, op, err)
}

// PresignGet returns a URL that reads the object at key until expires from
// now. It is a bearer credential for that object: the caller hands it to
// the one who may look, and nothing logs it.
func (s *Store) PresignGet(ctx context.Context, key string, expires time.Duration) (string, error) {
	const op = "s3blob.presign_get"
	if key == "" {
		return "", misuse(op, "key must not be empty")
	}
	if err := checkExpiry(op, expires); err != nil {
		return "", err
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)},
		s3.WithPresignExpires(expires), signAt(s.signingTime()))
	if err != nil {
		return "", aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	return req.URL, nil
}

// Get reads the object at key, at most limit bytes (a Range request, so a
// file larger than any evidence may be costs no more than the limit).
func (s *Store) Get(ctx context.Context, key string, limit int64) ([]byte, aftersales.BlobInfo, error) {
	const op = "s3blob.get"
	if key == "" || limit <= 0 {
		return nil, aftersales.BlobInfo{}, misuse(op, "key must not be empty and limit positive")
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=0-%d", limit-1))})
	if err != nil {
		if isNotFound(err) {
			return nil, aftersales.BlobInfo{}, &aftersales.Error{Kind: aftersales.KindNotFound, Op: op, Msg: "no such object", Err: aftersales.ErrNotFound}
		}
		return nil, aftersales.BlobInfo{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, limit))
	if err != nil {
		return nil, aftersales.BlobInfo{}, aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	size := int64(len(body))
	if cr := aws.ToString(out.ContentRange); cr != "" {
		// "bytes 0-99/12345": the object's whole size follows the slash.
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				size = n
			}
		}
	}
	return body, aftersales.BlobInfo{ContentType: aws.ToString(out.ContentType), Size: size}, nil
}

// Put stores body at key as contentType.
func (s *Store) Put(ctx context.Context, key, contentType string, body []byte) error {
	const op = "s3blob.put"
	if key == "" || contentType == "" {
		return misuse(op, "key and content type must not be empty")
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key),
		ContentType: aws.String(contentType), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		return aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	return nil
}

// escapeKey percent-encodes every byte of an object key but the unreserved
// characters of RFC 3986 and '/': "+" and " " become %2B and %20, which no
// decoder (path or query style) can read differently.
func escapeKey(key string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := range len(key) {
		switch c := key[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-_.~/", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func isNotFound(err error) bool {
	var nf *types.NotFound
	var nsk *types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nsk) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchKey")
}

func checkExpiry(op string, expires time.Duration) error {
	// X-Amz-Expires counts whole seconds; a fraction would make ExpiresAt
	// later than the URL's real expiry.
	if expires < time.Second || expires > MaxExpiry || expires%time.Second != 0 {
		return misuse(op, "expiry must be a whole number of seconds from 1s to %s, not %s", MaxExpiry, expires)
	}
	return nil
}

// misuse reports arguments that the service validated before calling: a bug
// of the caller, so KindInternal (never shown to a client), not KindInvalid.
func misuse(op, format string, args ...any) error {
	return aftersales.Wrap(aftersales.KindInternal, op, fmt.Errorf(format, args...))
}

// signingTime is now by the store's clock in whole seconds, the precision of
// X-Amz-Date, so that ExpiresAt is exactly X-Amz-Date + X-Amz-Expires.
func (s *Store) signingTime() time.Time {
	return s.clock.Now().UTC().Truncate(time.Second)
}

// signAt makes one presign call sign at t. The SDK's presign middleware
// always passes its own wall-clock time to the signer and offers no clock to
// replace; the signer it calls is replaceable per call.
func signAt(t time.Time) func(*s3.PresignOptions) {
	return func(o *s3.PresignOptions) { o.Presigner = fixedTimePresigner{next: o.Presigner, at: t} }
}

type fixedTimePresigner struct {
	next s3.HTTPPresignerV4
	at   time.Time
}

func (p fixedTimePresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request,
	payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions),
) (string, http.Header, error) {
	return p.next.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.at, optFns...)
}
