// Package storetest is the conformance suite of the storage ports
// (aftersales.CaseStore, IdempotencyStore and OrderStore in Run; RefundStore
// and NotificationStore in RunRefunds; ReviewJobStore and RuleSetStore in
// RunJobs and RunRuleSets; the outbox of raised events, OutboxStore, in
// RunOutbox). Every implementation runs the same suites, so
// that the in-memory store used by unit tests behaves exactly like the
// DynamoDB adapter used in production: same errors, same all-or-nothing
// writes, same refusal of a refund beyond what was paid, same list order
// and cursors. Run also races copies of one application through the case
// use case on the stores (see Race): idempotency is a protocol between the
// two, and each store must hold up its end under concurrency.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Stores is one fresh, empty set of stores under test. Clock must be the
// clock the stores judge expiry by: the suite moves it.
type Stores struct {
	Cases       aftersales.CaseStore
	Idempotency aftersales.IdempotencyStore
	Orders      aftersales.OrderStore
	Clock       *FakeClock
}

// Epoch is where the suite expects a fresh FakeClock to stand: the first
// minute of a promotion day, when case volumes peak.
var Epoch = time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)

// FakeClock is a settable aftersales.Clock, safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock standing at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t.UTC()} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// Advance moves the clock forward by d and returns the new time.
func (c *FakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// test is one test of a suite, run on fresh stores S.
type test[S any] struct {
	name string
	run  func(t *testing.T, s S)
}

// runSuite runs every test on stores of its own from open, once the clock
// of those stores stands where the tests expect it: at Epoch.
func runSuite[S any](t *testing.T, tests []test[S], open func(t *testing.T) S, clock func(S) *FakeClock) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			if !clock(s).Now().Equal(Epoch) {
				t.Fatalf("open returned a clock at %v, want storetest.Epoch", clock(s).Now())
			}
			tc.run(t, s)
		})
	}
}

// Run runs the suite. open is called once per subtest and must return empty
// stores sharing a FakeClock set to Epoch.
func Run(t *testing.T, open func(t *testing.T) Stores) {
	runSuite(t, []test[Stores]{
		{"OrderRoundTrip", testOrderRoundTrip},
		{"OrderRePutKeepsLedger", testOrderRePutKeepsLedger},
		{"OrderNotNewerRefused", testOrderNotNewerRefused},
		{"OrderWithoutVersionSuperseded", testOrderWithoutVersionSuperseded},
		{"CaseRoundTrip", testCaseRoundTrip},
		{"CasesExist", testCasesExist},
		{"IdempotencyScopes", testIdempotencyScopes},
		{"CreateIsAllOrNothing", testCreateAllOrNothing},
		{"OneActiveCasePerLine", testOneActiveCasePerLine},
		{"EndingReleasesLines", testEndingReleasesLines},
		{"VersionConflict", testVersionConflict},
		{"TimelineAppend", testTimelineAppend},
		{"IdempotencyExpiry", testIdempotencyExpiry},
		{"Uploads", testUploads},
		{"TakeQuota", testTakeQuota},
		{"TakeQuotaConcurrent", testTakeQuotaConcurrent},
		{"NoAliasing", testNoAliasing},
		{"ListBuyer", testListBuyer},
		{"ListFiltersAndPages", testListFiltersAndPages},
		{"ListCursorSurvivesMove", testListCursorSurvivesMove},
		{"ListEmpty", testListEmpty},
		{"ListBadCursor", testListBadCursor},
		{"ConcurrentCreateOneLine", testConcurrentCreate},
		{"IdempotencyClaim", testIdempotencyClaim},
		{"IdempotencyRelease", testIdempotencyRelease},
		{"ClaimBecomesAnswer", testClaimBecomesAnswer},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ConcurrentRetriesOfOneKey", testConcurrentRetries},
	}, open, func(s Stores) *FakeClock { return s.Clock })
}

// ---- builders ----

func orderLine(id string, kind aftersales.LineKind, qty int, paid int64) aftersales.OrderLine {
	return aftersales.OrderLine{
		LineID: id, SKU: "SKU-" + id, Name: "商品 " + id, Kind: kind, Category: "cat-" + string(kind),
		Quantity: qty, UnitPrice: paid / int64(qty), PaidAmount: paid,
		Bundle: "bundle-" + id, Redeemed: kind == aftersales.KindVirtual,
	}
}

// newOrder returns a snapshot with every field set, so that round trips
// check every field: the mall's first (version 1).
func newOrder(id, buyer string, lines ...aftersales.OrderLine) *aftersales.Order {
	var total int64
	for _, l := range lines {
		total += l.PaidAmount
	}
	return &aftersales.Order{
		ID: id, Version: 1, EventID: eventID(id, 1), BuyerID: buyer, BuyerPhone: "13800000000", ShopID: "main",
		Status:      aftersales.OrderDelivered,
		PaidAt:      Epoch.Add(-72*time.Hour + 123456789),
		ShippedAt:   Epoch.Add(-48 * time.Hour),
		DeliveredAt: Epoch.Add(-24 * time.Hour),
		Currency:    aftersales.CNY,
		Payment:     aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "4200-" + id, Amount: total + 800},
		MemberTier:  "gold", Language: aftersales.LangEN, BuyerOpenID: "oid-" + buyer,
		NotifyChannels: []aftersales.Channel{aftersales.ChannelWeChat},
		Lines:          lines,
		Fees:           aftersales.Fees{Shipping: 800, Tariff: 0},
		UpdatedAt:      Epoch.Add(-time.Hour),
	}
}

// versioned returns o as the mall's snapshot number version, carried by an
// event of its own.
func versioned(o *aftersales.Order, version int64) *aftersales.Order {
	o.Version, o.EventID = version, eventID(o.ID, version)
	return o
}

func eventID(orderID string, version int64) string { return fmt.Sprintf("ev-%s-%d", orderID, version) }

// storedOrder stores and returns order o-1 of buyer-1 with lines l1, l2...
// of one physical unit each, paid as given: the order most tests claim and
// refund from.
func storedOrder(t *testing.T, s Stores, paid ...int64) *aftersales.Order {
	t.Helper()
	lines := make([]aftersales.OrderLine, len(paid))
	for i, p := range paid {
		lines[i] = orderLine(fmt.Sprintf("l%d", i+1), aftersales.KindPhysical, 1, p)
	}
	o := newOrder("o-1", "buyer-1", lines...)
	putOrder(t, s, o)
	return o
}

// storedMixedOrder stores and returns order o-1 of buyer-1 with lines of
// two kinds, two units on one, and a line worth a single fen: the order the
// round trips claim and refund from.
func storedMixedOrder(t *testing.T, s Stores) *aftersales.Order {
	t.Helper()
	o := newOrder("o-1", "buyer-1",
		orderLine("l1", aftersales.KindPhysical, 2, 19800),
		orderLine("l2", aftersales.KindAppliance, 1, 259900),
		orderLine("l3", aftersales.KindPhysical, 1, 100))
	putOrder(t, s, o)
	return o
}

// submitted builds a case on lineIDs of o as the service does: the lines
// copied from the order, then the submit action (version 1, timeline entry 1).
func submitted(t *testing.T, id string, o *aftersales.Order, typ aftersales.CaseType, reason string, at time.Time, lineIDs ...string) *aftersales.Case {
	t.Helper()
	c := &aftersales.Case{
		ID: id, OrderID: o.ID, BuyerID: o.BuyerID, ShopID: o.ShopID, Type: typ, Reason: reason,
		Currency: o.Currency, RefundTo: aftersales.RefundOriginal, CreatedAt: at, UpdatedAt: at,
	}
	for _, lid := range lineIDs {
		ol, ok := o.Line(lid)
		if !ok {
			// Cases on lines the order lacks are built by hand where needed.
			c.Lines = append(c.Lines, aftersales.CaseLine{LineID: lid, Quantity: 1, Amount: 100})
			c.Requested += 100
			continue
		}
		c.Lines = append(c.Lines, aftersales.CaseLine{LineID: ol.LineID, SKU: ol.SKU, Name: ol.Name, Kind: ol.Kind,
			Category: ol.Category, Quantity: ol.Quantity, Amount: ol.PaidAmount})
		c.Requested += ol.PaidAmount
	}
	apply(t, c, aftersales.ActSubmit, "buyer:"+o.BuyerID, at)
	return c
}

func apply(t *testing.T, c *aftersales.Case, a aftersales.Action, actor string, at time.Time) {
	t.Helper()
	if err := c.Apply(aftersales.Change{Action: a, Actor: actor, At: at}); err != nil {
		t.Fatalf("apply %s to %s: %v", a, c.ID, err)
	}
}

func idemRecord(scope, key, caseID string, at time.Time) *aftersales.IdempotencyRecord {
	return &aftersales.IdempotencyRecord{
		Scope: scope, Key: key, RequestHash: "sha256:" + key, CaseID: caseID, StatusCode: 201,
		Response: []byte(`{"id":"` + caseID + `"}`), CreatedAt: at, ExpiresAt: at.Add(aftersales.IdempotencyTTL),
	}
}

// clone copies a case deeply (the suite keeps its own expectations apart
// from what it hands the stores).
func clone(c *aftersales.Case) *aftersales.Case {
	out := *c
	out.Lines = slices.Clone(c.Lines)
	out.Evidence = slices.Clone(c.Evidence)
	out.Timeline = slices.Clone(c.Timeline)
	if c.Decision != nil {
		d := *c.Decision
		out.Decision = &d
	}
	return &out
}

// ---- helpers ----

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func putOrder(t *testing.T, s Stores, o *aftersales.Order) {
	t.Helper()
	must(t, "put order "+o.ID, s.Orders.PutOrder(t.Context(), o))
}

func create(t *testing.T, s Stores, c *aftersales.Case, idem *aftersales.IdempotencyRecord) {
	t.Helper()
	must(t, "create case "+c.ID, s.Cases.CreateCase(t.Context(), c, idem))
}

func update(t *testing.T, s Stores, c *aftersales.Case, prev int) {
	t.Helper()
	must(t, fmt.Sprintf("update case %s from version %d", c.ID, prev), s.Cases.UpdateCase(t.Context(), c, prev))
}

func getCase(t *testing.T, s Stores, id string) *aftersales.Case {
	t.Helper()
	c, err := s.Cases.GetCase(t.Context(), id)
	must(t, "get case "+id, err)
	return c
}

func getOrder(t *testing.T, s Stores, id string) *aftersales.Order {
	t.Helper()
	o, err := s.Orders.GetOrder(t.Context(), id)
	must(t, "get order "+id, err)
	return o
}

// holder returns the case holding an order line ("" when free).
func holder(t *testing.T, s Stores, orderID, lineID string) string {
	t.Helper()
	l, ok := getOrder(t, s, orderID).Line(lineID)
	if !ok {
		t.Fatalf("order %s has no line %s", orderID, lineID)
	}
	return l.ActiveCaseID
}

// wantErr checks that err is sentinel, both by errors.Is and by kind.
func wantErr(t *testing.T, what string, err error, sentinel *aftersales.Error) {
	t.Helper()
	if !errors.Is(err, sentinel) || aftersales.KindOf(err) != sentinel.Kind {
		t.Fatalf("%s: got error %v (kind %v), want %q (kind %v)", what, err, aftersales.KindOf(err), sentinel.Msg, sentinel.Kind)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, aftersales.ErrNotFound)
}

// same fails the test when got and want differ, showing both as JSON (the
// domain types have no tags, so fields print by their Go names).
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s differs\n got: %s\nwant: %s", what, g, w)
	}
}

// ledgered is o as a store reads it back: with its fees' ledger (F17),
// nothing refunded of them.
func ledgered(o *aftersales.Order) *aftersales.Order {
	out := *o
	out.FeeLedger = o.FeeLines()
	return &out
}
