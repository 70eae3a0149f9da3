package aftersales

import (
	"slices"
	"strings"
	"time"
)

// What a list query selects, in which order, and how a page of it is cut
// belong to the CaseQuery and RefundQuery contracts, not to a store: every
// store takes them from here, so that the in-memory store of unit tests and
// the DynamoDB adapter cannot drift apart. A store that filters in a
// database (DynamoDB's key conditions and filter expressions) says the same
// thing in the database's words; the conformance suite holds it to Matches
// and NewestFirst.

// PageSize returns how many items a page holds when the caller asks for
// limit: DefaultPageSize when it asks for none (0 or less), never more than
// MaxPageSize.
func PageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}

// Matches reports whether c is one of the cases q selects: every filter q
// sets holds (Kind: some line of the case is of that kind; From and To:
// created at in [From, To); the amounts bound the requested amount, both
// inclusive). A zero filter, and an amount bound of 0 or less, selects
// everything. Cursor and Limit page through the selection and play no
// part.
func (q CaseQuery) Matches(c *Case) bool {
	return (q.BuyerID == "" || c.BuyerID == q.BuyerID) &&
		(q.Status == "" || c.Status == q.Status) &&
		(q.Type == "" || c.Type == q.Type) &&
		(q.Reason == "" || c.Reason == q.Reason) &&
		(q.Kind == "" || slices.ContainsFunc(c.Lines, func(l CaseLine) bool { return l.Kind == q.Kind })) &&
		createdIn(c.CreatedAt, q.From, q.To) &&
		(q.MinAmount <= 0 || c.Requested >= q.MinAmount) &&
		(q.MaxAmount <= 0 || c.Requested <= q.MaxAmount)
}

// Matches reports whether r is one of the refunds q selects: of the order,
// to the buyer's phone, created at in [From, To), as far as q sets them.
// Cursor and Limit play no part.
func (q RefundQuery) Matches(r *Refund) bool {
	return (q.OrderID == "" || r.OrderID == q.OrderID) &&
		(q.Phone == "" || r.BuyerPhone == q.Phone) &&
		createdIn(r.CreatedAt, q.From, q.To)
}

// createdIn reports whether at lies in [from, to); a zero bound is none.
func createdIn(at, from, to time.Time) bool {
	return (from.IsZero() || !at.Before(from)) && (to.IsZero() || at.Before(to))
}

// RefundListPosition is the sort key of r in the refund ledger: its
// creation time, then its number, in the layout of case positions, so that
// EncodeCursor and DecodeCursor serve the ledger unchanged.
func RefundListPosition(r *Refund) string {
	return ListPosition(&Case{ID: r.OutRefundNo, CreatedAt: r.CreatedAt})
}

// ListWindow is where the next page of a list comes from: the positions
// from Lo (inclusive) to Hi (exclusive), "" being no bound, at most Limit
// of them, newest first.
type ListWindow struct {
	Lo, Hi string
	Limit  int
}

// Window returns the window of the page q asks for: its creation-time range
// and the position after its cursor as position bounds, and its page size.
// A cursor that no list made is a KindInvalid error of op naming the
// cursor field (see DecodeCursor).
func (q CaseQuery) Window(op string) (ListWindow, error) {
	return window(op, q.From, q.To, q.Cursor, q.Limit)
}

// Window returns the window of the page q asks for, as CaseQuery.Window
// does.
func (q RefundQuery) Window(op string) (ListWindow, error) {
	return window(op, q.From, q.To, q.Cursor, q.Limit)
}

func window(op string, from, to time.Time, cursor string, limit int) (ListWindow, error) {
	w := ListWindow{Limit: PageSize(limit)}
	// A position starts with its creation time at fixed width, so "created
	// at >= from" is "position >= from's time" and "created at < to" is
	// "position < to's time": a position whose time equals to is longer
	// than to's time and sorts after it.
	if !from.IsZero() {
		w.Lo = from.UTC().Format(listTimeLayout)
	}
	if !to.IsZero() {
		w.Hi = to.UTC().Format(listTimeLayout)
	}
	if cursor != "" {
		after, err := DecodeCursor(op, cursor)
		if err != nil {
			return ListWindow{}, err
		}
		if w.Hi == "" || after < w.Hi {
			w.Hi = after
		}
	}
	return w, nil
}

// Empty reports whether no position lies inside w, so that a store need
// not read at all (DynamoDB even rejects a range whose bounds cross).
func (w ListWindow) Empty() bool { return w.Lo != "" && w.Hi != "" && w.Hi <= w.Lo }

// Contains reports whether position p lies inside w's bounds.
func (w ListWindow) Contains(p string) bool {
	return (w.Lo == "" || p >= w.Lo) && (w.Hi == "" || p < w.Hi)
}

// NewestFirst sorts entries into list order: greatest position first, that
// is newest first and, among entries created at the same instant, the
// greater id first. position is called once an entry.
func NewestFirst[T any](entries []T, position func(T) string) {
	for i, e := range positioned(entries, position, nil) {
		entries[i] = e.v
	}
}

// Page cuts from entries, in any order, the page that w selects: the
// entries whose position lies inside w, in list order, at most
// PageSize(w.Limit) of them, and the cursor of the next page. The cursor
// is "" when no entry follows, so the last page never points to an empty
// one.
func Page[T any](w ListWindow, entries []T, position func(T) string) (items []T, next string) {
	in := positioned(entries, position, w.Contains)
	limit := PageSize(w.Limit)
	for i, e := range in {
		if i == limit {
			return items, EncodeCursor(in[i-1].pos)
		}
		items = append(items, e.v)
	}
	return items, ""
}

type withPosition[T any] struct {
	pos string
	v   T
}

// positioned returns the entries that keep admits (all when keep is nil)
// with their positions, in list order.
func positioned[T any](entries []T, position func(T) string, keep func(string) bool) []withPosition[T] {
	out := make([]withPosition[T], 0, len(entries))
	for _, e := range entries {
		if p := position(e); keep == nil || keep(p) {
			out = append(out, withPosition[T]{p, e})
		}
	}
	slices.SortFunc(out, func(a, b withPosition[T]) int { return strings.Compare(b.pos, a.pos) })
	return out
}
