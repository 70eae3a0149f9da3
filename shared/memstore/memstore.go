// Package memstore keeps cases, orders, idempotency records, declared
// uploads, refunds and notification receipts in memory, with the semantics
// of the DynamoDB adapter (package dynamo): all-or-nothing case creation,
// one request at a time on an idempotency key, one active case per order
// line, optimistic locking on the case version, refunds booked on the order
// ledger all or nothing and never past what was paid, the events a change
// raised put in the outbox with it or not at all, expiry judged by an
// injected clock, and the same list order and cursors. Unit tests of the
// service and of handlers use it; storetest holds both implementations to
// one suite.
//
// Everything is copied on the way in and on the way out, so a caller can
// never change stored state through a slice or pointer it holds.
package memstore

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The ports this package implements.
var (
	_ aftersales.CaseStore         = (*Store)(nil)
	_ aftersales.IdempotencyStore  = (*Store)(nil)
	_ aftersales.OrderStore        = (*Store)(nil)
	_ aftersales.RefundStore       = (*Store)(nil)
	_ aftersales.NotificationStore = (*Store)(nil)
	_ aftersales.ThreadStore       = (*Store)(nil)
)

// Store is an in-memory store, safe for concurrent use.
type Store struct {
	clock aftersales.Clock

	mu      sync.Mutex
	cases   map[string]*aftersales.Case // with timelines
	orders  map[string]*aftersales.Order
	ledgers map[lineRef]ledger
	idem    map[idemRef]aftersales.IdempotencyRecord
	uploads map[string]aftersales.Upload
	refunds map[refundRef]*aftersales.Refund
	hooks   map[hookRef]time.Time                // receipt -> expiry
	quotas  map[string]quotaCount                // see quota.go
	threads map[string][]aftersales.Message      // by case id, oldest first; see threads.go
	outbox  map[outboxRef]aftersales.DomainEvent // by event id and time; see outbox.go
}

type lineRef struct{ order, line string }

type idemRef struct{ scope, key string }

type refundRef struct{ caseID, no string }

type hookRef struct{ provider, id string }

// ledger is our part of an order line: the mall's snapshots never write it,
// except paid, the amount refunds are bounded by, which the latest snapshot
// naming the line sets (as PutOrder sets paid_amount on a DynamoDB line
// item, which a later snapshot leaving the line out keeps).
type ledger struct {
	refunded   int64
	activeCase string
	paid       int64
}

// New returns an empty store that judges expiry by clock (the system clock
// when nil).
func New(clock aftersales.Clock) *Store {
	if clock == nil {
		clock = systemClock{}
	}
	return &Store{
		clock:   clock,
		cases:   map[string]*aftersales.Case{},
		orders:  map[string]*aftersales.Order{},
		ledgers: map[lineRef]ledger{},
		idem:    map[idemRef]aftersales.IdempotencyRecord{},
		uploads: map[string]aftersales.Upload{},
		refunds: map[refundRef]*aftersales.Refund{},
		hooks:   map[hookRef]time.Time{},
	}
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// CreateCase writes the case with its timeline, takes its order lines and
// writes idem in place of the case's own claim, or changes nothing.
// Failures are reported in the order the DynamoDB adapter reports them: a
// live idempotency record of another request, then a line that is held or
// unknown, then an existing case.
func (s *Store) CreateCase(_ context.Context, c *aftersales.Case, idem *aftersales.IdempotencyRecord) error {
	const op = "memstore.create_case"
	s.mu.Lock()
	defer s.mu.Unlock()
	if idem != nil {
		if old, ok := s.idem[idemRef{idem.Scope, idem.Key}]; ok && s.live(old.ExpiresAt) && old.CaseID != c.ID {
			return aftersales.ErrIdempotencyKeyTaken.For(op)
		}
	}
	for _, l := range c.Lines {
		led, ok := s.ledgers[lineRef{c.OrderID, l.LineID}]
		switch {
		case !ok:
			return aftersales.NotFound(op, fmt.Sprintf("order %s has no line %q", c.OrderID, l.LineID))
		case led.activeCase != "":
			return aftersales.ErrLineHeld.For(op)
		}
	}
	if _, ok := s.cases[c.ID]; ok {
		return &aftersales.Error{Kind: aftersales.KindConflict, Op: op, Msg: "a case with this id already exists"}
	}
	if err := s.raise(op, c); err != nil {
		return err
	}
	for _, l := range c.Lines {
		ref := lineRef{c.OrderID, l.LineID}
		led := s.ledgers[ref]
		led.activeCase = c.ID
		s.ledgers[ref] = led
	}
	s.cases[c.ID] = cloneCase(c)
	if idem != nil {
		s.idem[idemRef{idem.Scope, idem.Key}] = cloneIdem(*idem)
	}
	return nil
}

// GetCase returns a copy of the case with its timeline.
func (s *Store) GetCase(_ context.Context, id string) (*aftersales.Case, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cases[id]
	if !ok {
		return nil, aftersales.NotFound("memstore.get_case", "no such case")
	}
	return cloneCase(c), nil
}

// CasesExist reports which of ids name a stored case.
func (s *Store) CasesExist(_ context.Context, ids []string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := map[string]bool{}
	for _, id := range ids {
		if _, ok := s.cases[id]; ok {
			found[id] = true
		}
	}
	return found, nil
}

// UpdateCase replaces the case if its version is still prev, appends the
// timeline entries after prev (stored entries are immutable) and releases
// the case's order lines when this change ended it, and opens the ledger
// accounts the change opens (Case.Opened). It books nothing on the ledger:
// BeginRefund and UpdateRefund do.
func (s *Store) UpdateCase(_ context.Context, c *aftersales.Case, prev int) error {
	const op = "memstore.update_case"
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.cases[c.ID]
	switch {
	case !ok:
		return aftersales.NotFound(op, "no such case")
	case old.Version != prev:
		return aftersales.ErrVersionConflict.For(op)
	}
	release := c.EndedSince(prev)
	if release {
		for _, l := range c.Lines {
			if s.ledgers[lineRef{c.OrderID, l.LineID}].activeCase != c.ID {
				return aftersales.Wrap(aftersales.KindInternal, op,
					fmt.Errorf("case %s ended but does not hold all its order lines", c.ID))
			}
		}
	}
	timeline := cloneSlice(old.Timeline)
	for _, e := range c.Timeline {
		if e.Seq <= prev {
			continue
		}
		if slices.ContainsFunc(timeline, func(x aftersales.TimelineEntry) bool { return x.Seq == e.Seq }) {
			return aftersales.ErrVersionConflict.For(op)
		}
		timeline = append(timeline, e)
	}
	// The accounts the change opens (F29) exist after it, with the paid
	// amount it gives them: one written before (a retry, or a new waybill)
	// takes it while nothing is booked on it; once something is, another
	// amount is a conflict and the change writes nothing.
	for _, a := range c.Opened {
		if led, ok := s.ledgers[lineRef{c.OrderID, a.LineID}]; ok && led.paid != a.PaidAmount && led.refunded != 0 {
			return aftersales.E(aftersales.KindConflict, op, fmt.Sprintf("ledger account %s has bookings and another amount", a.LineID))
		}
	}
	if err := s.raise(op, c); err != nil {
		return err
	}
	for _, a := range c.Opened {
		ref := lineRef{c.OrderID, a.LineID}
		led := s.ledgers[ref]
		led.paid = a.PaidAmount
		s.ledgers[ref] = led
	}
	stored := cloneCase(c)
	stored.Timeline = timeline
	normalizeTimeline(stored.Timeline)
	if release {
		for _, l := range c.Lines {
			ref := lineRef{c.OrderID, l.LineID}
			led := s.ledgers[ref]
			led.activeCase = ""
			s.ledgers[ref] = led
		}
	}
	s.cases[c.ID] = stored
	return nil
}

// ListCases returns a page of cases newest first, with the cursors of the
// DynamoDB adapter: the list position of the last item returned.
func (s *Store) ListCases(_ context.Context, q aftersales.CaseQuery) (aftersales.CasePage, error) {
	items, next, err := list(s, "memstore.list_cases", q.Window, maps.Values(s.cases), q.Matches, aftersales.ListPosition,
		func(c *aftersales.Case) aftersales.Case {
			out := cloneCase(c)
			out.Timeline = nil // list pages carry no timelines
			return *out
		})
	return aftersales.CasePage{Items: items, NextCursor: next}, err
}

// list reads one page of a list under the store's lock: the entries of all
// that matches selects, paged as the domain pages every list (window,
// aftersales.Page), each copied out by out.
func list[T any](s *Store, op string, window func(op string) (aftersales.ListWindow, error), all iter.Seq[*T],
	matches func(*T) bool, position func(*T) string, out func(*T) T) ([]T, string, error) {
	w, err := window(op)
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*T
	for e := range all {
		if matches(e) { // before the list position: a sweep looks at every entry
			matched = append(matched, e)
		}
	}
	page, next := aftersales.Page(w, matched, position)
	var items []T
	for _, e := range page {
		items = append(items, out(e))
	}
	return items, next, nil
}

// PutUploads records declared uploads.
func (s *Store) PutUploads(_ context.Context, ups []aftersales.Upload) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range ups {
		s.uploads[u.ID] = normalizeUpload(u)
	}
	return nil
}

// GetUpload returns a declared upload that has not expired.
func (s *Store) GetUpload(_ context.Context, id string) (aftersales.Upload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.uploads[id]
	if !ok || !s.live(u.ExpiresAt) {
		return aftersales.Upload{}, aftersales.NotFound("memstore.get_upload", "no such upload")
	}
	return u, nil
}

// GetIdempotency returns the record for scope and key unless it has expired.
func (s *Store) GetIdempotency(_ context.Context, scope, key string) (aftersales.IdempotencyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.idem[idemRef{scope, key}]
	if !ok || !s.live(rec.ExpiresAt) {
		return aftersales.IdempotencyRecord{}, aftersales.NotFound("memstore.get_idempotency", "no such idempotency key")
	}
	return cloneIdem(rec), nil
}

// ClaimIdempotency writes the claim unless a live record holds its key.
func (s *Store) ClaimIdempotency(_ context.Context, claim aftersales.IdempotencyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := idemRef{claim.Scope, claim.Key}
	if old, ok := s.idem[ref]; ok && s.live(old.ExpiresAt) {
		return aftersales.ErrIdempotencyKeyTaken.For("memstore.claim_idempotency")
	}
	s.idem[ref] = cloneIdem(claim)
	return nil
}

// ReleaseIdempotency deletes the key's record if it is the claim made for
// caseID.
func (s *Store) ReleaseIdempotency(_ context.Context, scope, key, caseID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := idemRef{scope, key}
	if old, ok := s.idem[ref]; ok && old.InProgress() && old.CaseID == caseID {
		delete(s.idem, ref)
	}
	return nil
}

func (s *Store) live(expires time.Time) bool { return s.clock.Now().Before(expires) }

// PutOrder stores the snapshot and creates the ledger of its new lines,
// unless it does not supersede the stored snapshot (ErrOrderNotNewer). The
// Refunded and ActiveCaseID of o's lines are ignored: the ledger is ours.
func (s *Store) PutOrder(_ context.Context, o *aftersales.Order) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.orders[o.ID]; ok && !o.Supersedes(old) {
		return aftersales.ErrOrderNotNewer.For("memstore.put_order")
	}
	stored := cloneOrder(o)
	stored.FeeLedger = nil
	for i := range stored.Lines {
		stored.Lines[i].Refunded, stored.Lines[i].ActiveCaseID = 0, ""
	}
	for _, l := range stored.LedgerLines() { // the lines and the fee accounts (issue 17)
		ref := lineRef{o.ID, l.LineID}
		led := s.ledgers[ref]
		led.paid = l.PaidAmount
		s.ledgers[ref] = led
	}
	s.orders[o.ID] = stored
	return nil
}

// GetOrder returns the snapshot with the ledger of its lines.
func (s *Store) GetOrder(_ context.Context, id string) (*aftersales.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return nil, aftersales.NotFound("memstore.get_order", "no such order")
	}
	out := cloneOrder(o)
	for i := range out.Lines {
		led := s.ledgers[lineRef{id, out.Lines[i].LineID}]
		out.Lines[i].Refunded, out.Lines[i].ActiveCaseID = led.refunded, led.activeCase
	}
	out.FeeLedger = out.FeeLines()
	for i := range out.FeeLedger {
		led := s.ledgers[lineRef{id, out.FeeLedger[i].LineID}]
		out.FeeLedger[i].Refunded, out.FeeLedger[i].ActiveCaseID = led.refunded, led.activeCase
	}
	return out, nil
}

// cloneSlice copies s; an empty slice becomes nil, as it reads back from
// DynamoDB.
func cloneSlice[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return append([]T(nil), s...)
}

// utc normalises a time the way a round trip through DynamoDB does: UTC, no
// monotonic reading, so that both stores return equal values.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func cloneCase(c *aftersales.Case) *aftersales.Case {
	out := *c
	out.Lines = cloneSlice(c.Lines)
	out.Evidence = cloneSlice(c.Evidence)
	out.Components = cloneSlice(c.Components)
	out.Tranches = cloneSlice(c.Tranches)
	out.Timeline = cloneSlice(c.Timeline)
	normalizeTimeline(out.Timeline)
	if c.Decision != nil {
		d := *c.Decision
		out.Decision = &d
	}
	out.Return, out.Replacement = cloneShipment(c.Return), cloneShipment(c.Replacement)
	if c.Pickup != nil {
		pk := *c.Pickup
		pk.WindowStart, pk.WindowEnd, pk.BookedAt = utc(pk.WindowStart), utc(pk.WindowEnd), utc(pk.BookedAt)
		out.Pickup = &pk
	}
	if c.Interception != nil {
		ic := *c.Interception
		ic.RequestedAt, ic.At = utc(ic.RequestedAt), utc(ic.At)
		out.Interception = &ic
	}
	out.Dispute = cloneDispute(c.Dispute)
	if c.Charges != nil {
		ch := *c.Charges
		out.Charges = &ch
	}
	out.Deadline, out.CreatedAt, out.UpdatedAt = utc(c.Deadline), utc(c.CreatedAt), utc(c.UpdatedAt)
	out.PromisedBy, out.RemindedFor = utc(c.PromisedBy), utc(c.RemindedFor)
	out.Raised = nil // the outbox keeps them; a case never carries them back
	out.Opened = nil // the ledger keeps them
	return &out
}

func cloneShipment(sh *aftersales.Shipment) *aftersales.Shipment {
	if sh == nil {
		return nil
	}
	out := *sh
	out.At = utc(sh.At)
	out.CollectedAt, out.MovedAt, out.AlertedAt = utc(sh.CollectedAt), utc(sh.MovedAt), utc(sh.AlertedAt)
	return &out
}

func normalizeTimeline(es []aftersales.TimelineEntry) {
	for i := range es {
		es[i].At = utc(es[i].At)
	}
	slices.SortStableFunc(es, func(a, b aftersales.TimelineEntry) int { return cmp.Compare(a.Seq, b.Seq) })
}

func cloneOrder(o *aftersales.Order) *aftersales.Order {
	out := *o
	out.Lines = cloneSlice(o.Lines)
	out.NotifyChannels = cloneSlice(o.NotifyChannels)
	out.FeeLedger = cloneSlice(o.FeeLedger)
	out.Outbound = cloneShipment(o.Outbound)
	if o.Presale != nil {
		p := *o.Presale
		p.DepositPaidAt, p.BalancePaidAt = utc(p.DepositPaidAt), utc(p.BalancePaidAt)
		out.Presale = &p
	}
	out.PaidAt, out.ShippedAt, out.DeliveredAt, out.UpdatedAt = utc(o.PaidAt), utc(o.ShippedAt), utc(o.DeliveredAt), utc(o.UpdatedAt)
	return &out
}

func cloneIdem(r aftersales.IdempotencyRecord) aftersales.IdempotencyRecord {
	r.Response = cloneSlice(r.Response)
	r.CreatedAt, r.ExpiresAt = utc(r.CreatedAt), utc(r.ExpiresAt)
	return r
}

func normalizeUpload(u aftersales.Upload) aftersales.Upload {
	u.CreatedAt, u.ExpiresAt = utc(u.CreatedAt), utc(u.ExpiresAt)
	return u
}
