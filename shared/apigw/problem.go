package apigw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// statusOf is the one table mapping error kinds to HTTP statuses.
var statusOf = map[aftersales.Kind]int{
	aftersales.KindInvalid:            http.StatusUnprocessableEntity,
	aftersales.KindNotFound:           http.StatusNotFound,
	aftersales.KindConflict:           http.StatusConflict,
	aftersales.KindForbidden:          http.StatusForbidden,
	aftersales.KindUnauthenticated:    http.StatusUnauthorized,
	aftersales.KindPreconditionFailed: http.StatusPreconditionFailed,
	aftersales.KindTransient:          http.StatusServiceUnavailable,
	aftersales.KindRateLimited:        http.StatusTooManyRequests,
	aftersales.KindInternal:           http.StatusInternalServerError,
}

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// problem is an RFC 9457 problem details object with the API's extensions:
// the invalid fields (at most aftersales.MaxFieldErrors, and how many more
// there were) and the request id to quote to support.
type problem struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail,omitempty"`
	Errors        []fieldProblem `json:"errors,omitempty"`
	ErrorsOmitted int            `json:"errors_omitted,omitempty"`
	RequestID     string         `json:"request_id,omitempty"`
}

type fieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// A key in progress is not a conflict for the client to resolve but a
// wait: the same request, sent again after Retry-After, gets the answer of
// the request that holds the key. The server has waited about 2 s before
// saying so; a second is enough for the client to come back and wait again.
const (
	problemKeyInProgress    = "urn:aftersales:problem:idempotency-key-in-progress"
	keyInProgressRetryAfter = "1" // seconds
)

// problemType names a kind of problem. URNs identify without pretending there
// is a page to fetch (RFC 9457 section 3.1.1).
func problemType(k aftersales.Kind) string {
	return "urn:aftersales:problem:" + strings.ToLower(k.String())
}

// WriteError answers err as problem+json. Internal errors are logged with the
// request id and never echoed: their text may hold table names or stack
// details that help an attacker more than a client.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var big *tooLargeError
	if errors.As(err, &big) {
		writeProblem(w, r, problem{Type: "urn:aftersales:problem:too-large", Title: http.StatusText(http.StatusRequestEntityTooLarge),
			Status: http.StatusRequestEntityTooLarge, Detail: big.Error()})
		return
	}
	var mal *malformedError
	if errors.As(err, &mal) {
		writeProblem(w, r, problem{Type: "urn:aftersales:problem:malformed", Title: "Bad Request",
			Status: http.StatusBadRequest, Detail: mal.Error()})
		return
	}
	kind := aftersales.KindOf(err)
	status := statusOf[kind]
	p := problem{Type: problemType(kind), Title: http.StatusText(status), Status: status, Detail: aftersales.MessageOf(err),
		ErrorsOmitted: aftersales.OmittedOf(err)}
	fields := aftersales.FieldsOf(err)
	if n := len(fields) - aftersales.MaxFieldErrors; n > 0 {
		// An error built without a Validation may list more: the answer
		// stays as short as a Validation's.
		fields, p.ErrorsOmitted = fields[:aftersales.MaxFieldErrors], p.ErrorsOmitted+n
	}
	for _, f := range fields {
		p.Errors = append(p.Errors, fieldProblem{f.Field, f.Message})
	}
	if d := aftersales.RetryAfterOf(err); d > 0 {
		// Whole seconds, rounded up: retrying a second early only fails again.
		w.Header().Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	}
	log := Logger(r.Context())
	switch {
	case kind == aftersales.KindInternal || kind == aftersales.KindTransient:
		log.ErrorContext(r.Context(), "request failed", "kind", kind.String(), "err", err.Error())
		if kind == aftersales.KindInternal {
			p.Detail = "an internal error occurred; quote the request id to support"
		}
	default:
		log.InfoContext(r.Context(), "request refused", "kind", kind.String(), "err", err.Error())
	}
	if kind == aftersales.KindUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="aftersales"`)
	}
	if errors.Is(err, aftersales.ErrIdempotencyKeyInProgress) {
		p.Type = problemKeyInProgress
		w.Header().Set("Retry-After", keyInProgressRetryAfter)
	}
	writeProblem(w, r, p)
}

func writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	p.RequestID = RequestID(r.Context())
	w.Header().Set("Content-Type", ProblemContentType)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// malformedError is a body that is not JSON at all: 400, unlike a JSON body
// with invalid fields, which is 422 and names them.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return e.msg }

// tooLargeError is a body above the route's limit: 413.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("the body is larger than %d bytes", e.limit)
}

// WriteJSON answers v as JSON with status, without HTML escaping (see
// marshal); every JSON answer of the API and the local dev routes goes here.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		slog.Default().Error("encode response", "err", err.Error())
		status, b = http.StatusInternalServerError, []byte(`{"title":"Internal Server Error","status":500}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// marshal encodes v without HTML escaping: presigned URLs must reach clients
// with their '&' intact, not as \u0026.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}
