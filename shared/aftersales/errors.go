package aftersales

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies an error by what the caller can do about it. Adapters map a
// Kind to their own vocabulary in one place (HTTP status in apigw, error names
// in Step Functions tasks). Kinds are append-only: their names are part of the
// wire contract (`AfterSales.<Kind>` in ASL Retry and Catch clauses).
type Kind uint8

// The error kinds. KindInternal is the zero value on purpose: an error that
// nobody classified is treated as our fault, never echoed to a client.
const (
	KindInternal           Kind = iota // a bug or an unexpected failure
	KindInvalid                        // the input is wrong; retrying cannot help
	KindNotFound                       // the thing does not exist (or the caller may not know it does)
	KindConflict                       // the state of the thing does not allow the action now
	KindForbidden                      // the caller is known but may not do this
	KindUnauthenticated                // the caller is not known
	KindPreconditionFailed             // a version or idempotency precondition did not hold
	KindTransient                      // a dependency failed in a way that a retry may fix
	KindRateLimited                    // the caller did this too often; it may again after RetryAfter
)

var kindNames = [...]string{
	KindInternal:           "Internal",
	KindInvalid:            "Invalid",
	KindNotFound:           "NotFound",
	KindConflict:           "Conflict",
	KindForbidden:          "Forbidden",
	KindUnauthenticated:    "Unauthenticated",
	KindPreconditionFailed: "PreconditionFailed",
	KindTransient:          "Transient",
	KindRateLimited:        "RateLimited",
}

// String returns the kind's stable name, e.g. "NotFound".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// FieldError names one invalid input field by its JSON path as the client sent
// it (e.g. "lines[0].quantity") and says what is wrong with it.
type FieldError struct {
	Field   string
	Message string
}

// Error is the one error type of the domain. Op names the operation that
// failed ("case.create"), Msg is safe to show to a client, Err is the cause
// (never shown to clients), Fields lists invalid fields for KindInvalid (at
// most MaxFieldErrors; Omitted counts the rest), RetryAfter says when a
// KindRateLimited request may succeed again.
type Error struct {
	Kind       Kind
	Op         string
	Msg        string
	Fields     []FieldError
	Omitted    int
	RetryAfter time.Duration
	Err        error
}

// Error renders the error for logs.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "; and %d more", e.Omitted)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error of the given kind with a client-safe message.
func E(kind Kind, op, msg string) *Error { return &Error{Kind: kind, Op: op, Msg: msg} }

// Wrap builds an *Error of the given kind around a cause.
func Wrap(kind Kind, op string, err error) *Error { return &Error{Kind: kind, Op: op, Err: err} }

// KindOf returns the kind of the first *Error in err's chain, KindInternal if
// there is none (an unclassified error is a bug until proven otherwise).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// FieldsOf returns the invalid fields named by the first *Error in err's chain.
func FieldsOf(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// OmittedOf returns how many field errors the first *Error in err's chain
// counted but did not list.
func OmittedOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Omitted
	}
	return 0
}

// RetryAfterOf returns when the request that failed with err may be tried
// again (zero: no advice).
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// MessageOf returns the client-safe message of the first *Error in err's chain.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return ""
}

// MaxFieldErrors bounds the field errors one error lists: enough to fix a
// form in one round trip, too few for a request of 5,000 bad ids to make
// the server write 5,000 messages. The rest are counted (Error.Omitted).
const MaxFieldErrors = 20

// Validation collects field errors so that one response names every invalid
// field at once instead of making the client fix them one round trip at a
// time. It keeps the first MaxFieldErrors and counts the others without
// formatting them.
type Validation struct {
	fields  []FieldError
	omitted int
}

// Add records that field is invalid.
func (v *Validation) Add(field, format string, args ...any) {
	if len(v.fields) >= MaxFieldErrors {
		v.omitted++
		return
	}
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records the message for field when ok is false, and reports ok.
func (v *Validation) Check(ok bool, field, format string, args ...any) bool {
	if !ok {
		v.Add(field, format, args...)
	}
	return ok
}

// Valid reports whether no field was recorded.
func (v *Validation) Valid() bool { return len(v.fields) == 0 }

// Err returns nil when valid, otherwise a KindInvalid *Error listing the fields.
func (v *Validation) Err(op string) error {
	if v.Valid() {
		return nil
	}
	return &Error{Kind: KindInvalid, Op: op, Msg: "the request has invalid fields", Fields: v.fields, Omitted: v.omitted}
}

// Invalid is a KindInvalid error naming one field.
func Invalid(op, field, format string, args ...any) error {
	var v Validation
	v.Add(field, format, args...)
	return v.Err(op)
}
