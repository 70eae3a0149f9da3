package aftersales

import (
	"context"
	"time"
)

// Store outcomes that callers act on. Adapters wrap them in an *Error of the
// same kind so that errors.Is and KindOf both work.
var (
	// ErrNotFound: no such item (or the caller may not know it exists).
	ErrNotFound = E(KindNotFound, "", "not found")
	// ErrLineHeld: an order line of a new case already has an active case.
	ErrLineHeld = E(KindConflict, "", "an order line already has an active after-sales case")
	// ErrVersionConflict: the case changed since it was read.
	ErrVersionConflict = E(KindConflict, "", "the case was changed by someone else; reload and retry")
	// ErrIdempotencyKeyTaken: a live record of another request (its claim,
	// or its answer) holds the idempotency key. Stores report it; the case
	// use case answers it by waiting for that request's answer.
	ErrIdempotencyKeyTaken = E(KindPreconditionFailed, "", "the idempotency key was used by a concurrent request")
	// ErrOrderNotNewer: the stored snapshot of the order is as new as the
	// one offered or newer (see Order.Supersedes); nothing was written.
	ErrOrderNotNewer = E(KindConflict, "", "the stored order snapshot is as new as this one or newer")
	// ErrIdempotencyKeyInProgress: the request that holds the idempotency
	// key was still working when its duplicate stopped waiting for it. The
	// client retries the same request shortly and gets that request's answer.
	ErrIdempotencyKeyInProgress = E(KindConflict, "", "a request with this idempotency key is still in progress; retry it shortly")
)

// CaseQuery selects cases for a list. BuyerID set means "my cases" (a buyer's
// own, newest first); otherwise it is the staff queue with its filters.
// Zero values mean "any".
type CaseQuery struct {
	BuyerID   string
	Status    Status
	Type      CaseType
	Kind      LineKind // any line of the case is of this kind
	Reason    string
	From, To  time.Time // created at in [From, To)
	MinAmount int64     // requested amount >= MinAmount (0: any)
	MaxAmount int64     // requested amount <= MaxAmount (0: any)
	Cursor    string    // opaque, from the previous page
	Limit     int
}

// List limits of the API contract.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// CasePage is one page of a case list, newest first. NextCursor is empty on
// the last page. Items carry no timeline (load the case for that).
type CasePage struct {
	Items      []Case
	NextCursor string
}

// IdempotencyRecord remembers the response to a create request so that a
// retried request (same key, same body) gets the same answer (24 h).
//
// Before there is a response, the record is the claim of the one request
// working on the key (StatusCode 0, no Response): CaseID names the case
// that request will create, and only it may turn the claim into the answer
// (written with that case) or release it. A claim expires after
// IdempotencyClaimTTL, so that the key of a request that crashed can be
// taken over.
type IdempotencyRecord struct {
	Scope       string // the caller, so two buyers' keys never collide
	Key         string
	RequestHash string
	CaseID      string
	StatusCode  int // 0 while in progress
	Response    []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// InProgress reports whether r is a claim: its request has no answer yet.
func (r IdempotencyRecord) InProgress() bool { return r.StatusCode == 0 }

// How long idempotency records are honoured: an answer for a day; a claim
// for longer than any request can run (the api function stops at 10 s), so
// a live request never loses its key, and not much longer, so the key of a
// request that crashed is free again within a minute.
const (
	IdempotencyTTL      = 24 * time.Hour
	IdempotencyClaimTTL = 30 * time.Second
)

// CaseStore keeps cases, their timelines and evidence uploads.
//
// CreateCase and UpdateCase also write the events the change raised
// (Case.Raised) to the outbox (OutboxStore), in the same all-or-nothing
// write: a change that is not stored raises nothing. An event of the id
// and time of one still pending replaces it; the same id raised at another
// time is another copy of the fact, published under the same id.
type CaseStore interface {
	// CreateCase writes a new case (version 1) with its first timeline entry,
	// takes every order line it names (ErrLineHeld if one is held), and writes
	// idem when not nil — all or nothing. idem replaces the request's own
	// claim (the record naming c.ID), even an expired one, or an expired
	// record; any other live record of the key is ErrIdempotencyKeyTaken.
	CreateCase(ctx context.Context, c *Case, idem *IdempotencyRecord) error
	// GetCase returns the case with its timeline, or ErrNotFound.
	GetCase(ctx context.Context, id string) (*Case, error)
	// CasesExist reports which of ids name a stored case: the answer holds
	// the ids found, each true. It reads keys only and in batches (DynamoDB:
	// BatchGetItem, 100 keys a call), so checking the 10,000 ids of a batch
	// review costs 100 reads rather than 10,000 case queries; an id no key
	// could hold is missing without a read. Duplicates are answered once.
	CasesExist(ctx context.Context, ids []string) (map[string]bool, error)
	// UpdateCase writes c if the stored version is still prev
	// (ErrVersionConflict otherwise), appends the timeline entries with Seq >
	// prev, and releases the case's order lines when it has ended.
	UpdateCase(ctx context.Context, c *Case, prev int) error
	// ListCases returns a page of cases matching q, newest first.
	ListCases(ctx context.Context, q CaseQuery) (CasePage, error)

	// PutUploads records declared evidence uploads.
	PutUploads(ctx context.Context, ups []Upload) error
	// GetUpload returns a declared upload (ErrNotFound if unknown or expired).
	GetUpload(ctx context.Context, id string) (Upload, error)
	// TakeQuota counts n more against every quota, all or none: when one
	// would pass its limit nothing is counted and the error is
	// KindRateLimited with a *QuotaExceeded cause naming the first such
	// quota. Concurrent takes never pass a limit together.
	TakeQuota(ctx context.Context, n int, qs ...Quota) error
}

// IdempotencyStore keeps idempotency records: the claim of the request
// working on a key, written here, and its answer, written by CreateCase
// together with the case.
type IdempotencyStore interface {
	// GetIdempotency returns the live record for scope and key, or ErrNotFound
	// (also when it has expired: stores delete expired items lazily).
	GetIdempotency(ctx context.Context, scope, key string) (IdempotencyRecord, error)
	// ClaimIdempotency writes claim (a record in progress) unless a live
	// record holds its key: ErrIdempotencyKeyTaken then. An expired record
	// (a crashed request's claim, an answer past its day) is overwritten.
	// Of requests claiming one key at once, exactly one succeeds.
	ClaimIdempotency(ctx context.Context, claim IdempotencyRecord) error
	// ReleaseIdempotency deletes the claim of scope and key made for caseID,
	// so that a request that failed leaves nothing behind. A key held by
	// anything else (another request's claim, an answer) is left as it is;
	// that is not an error.
	ReleaseIdempotency(ctx context.Context, scope, key, caseID string) error
}

// OrderStore keeps order snapshots and their after-sales ledger.
type OrderStore interface {
	// PutOrder stores the mall's snapshot if it supersedes the stored one
	// (Order.Supersedes: a higher version from another event); otherwise it
	// writes nothing and returns ErrOrderNotNewer. The check and the write
	// are one atomic step, so of snapshots racing each other the newest is
	// stored whatever the order they arrive in. It never overwrites the
	// ledger (Refunded, ActiveCaseID) of lines that already exist.
	PutOrder(ctx context.Context, o *Order) error
	// GetOrder returns the snapshot with its ledger, or ErrNotFound.
	GetOrder(ctx context.Context, id string) (*Order, error)
}

// BlobInfo is what object storage knows about a stored file.
type BlobInfo struct {
	ContentType string
	Size        int64
}

// EvidenceStore is object storage for evidence files.
type EvidenceStore interface {
	// PresignPut returns a URL that uploads exactly one object of the given
	// content type and size to key until expires.
	PresignPut(ctx context.Context, key, contentType string, size int64, expires time.Duration) (PresignedUpload, error)
	// Stat returns the stored object's type and size, or ErrNotFound.
	Stat(ctx context.Context, key string) (BlobInfo, error)
	// Copy copies the object at from, with its content type, to to
	// (replacing what is there), or returns ErrNotFound when from is gone.
	Copy(ctx context.Context, from, to string) error
	// PresignGet returns a URL that reads the object at key until expires
	// (issue 16: staff and the buyer look at the evidence). The URL is a
	// bearer credential: it is handed to the caller and never logged.
	PresignGet(ctx context.Context, key string, expires time.Duration) (string, error)
	// Get reads the object at key, at most limit bytes of it (ErrNotFound
	// when there is none); Info is what storage says it is.
	Get(ctx context.Context, key string, limit int64) ([]byte, BlobInfo, error)
	// Put stores body at key as contentType (the thumbnails the checks
	// make), replacing what is there.
	Put(ctx context.Context, key, contentType string, body []byte) error
}

// Clock tells the time. Everything that compares or stamps time takes it from
// a Clock so tests and the local stack can move time.
type Clock interface {
	Now() time.Time
}

// IDGenerator makes new identifiers, prefixed by kind ("as", "ev", "rf").
type IDGenerator interface {
	NewID(prefix string) string
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current wall time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
