package storetest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// listSeed is one case of the list data set.
type listSeed struct {
	typ    aftersales.CaseType
	reason string
	kinds  []aftersales.LineKind
	// then moves the case on from submitted.
	then []aftersales.Action
}

var seedShapes = []listSeed{
	{aftersales.RefundOnly, "wrong_item", []aftersales.LineKind{aftersales.KindPhysical}, nil},
	{aftersales.ReturnRefund, "damaged", []aftersales.LineKind{aftersales.KindProduce, aftersales.KindPhysical}, []aftersales.Action{aftersales.ActSendToReview}},
	{aftersales.Exchange, "size_exchange", []aftersales.LineKind{aftersales.KindPhysical}, []aftersales.Action{aftersales.ActApprove}},
	{aftersales.Claim, "produce_spoiled", []aftersales.LineKind{aftersales.KindProduce}, []aftersales.Action{aftersales.ActReject}},
	{aftersales.ReturnRefund, "size_not_fit", []aftersales.LineKind{aftersales.KindAppliance}, []aftersales.Action{aftersales.ActCancel}},
	{aftersales.RefundOnly, "not_received", []aftersales.LineKind{aftersales.KindCrossBorder, aftersales.KindVirtual}, []aftersales.Action{aftersales.ActApprove}},
	{aftersales.ReturnRefund, "damaged", []aftersales.LineKind{aftersales.KindPhysical}, nil},
}

var buyers = []string{"buyer-1", "buyer-2", "buyer-3"}

// seedList writes 24 cases of three buyers, of every type, several kinds,
// reasons and statuses, with distinct amounts and creation times a few
// minutes and nanoseconds apart — except as_11 and as_12, created at the same
// instant, whose order the id decides. It returns the cases as stored.
func seedList(t *testing.T, s Stores) []*aftersales.Case {
	t.Helper()
	var out []*aftersales.Case
	for i := range 24 {
		shape := seedShapes[i%len(seedShapes)]
		id := fmt.Sprintf("as_%02d", i)
		buyer := buyers[i%len(buyers)]
		var lines []aftersales.OrderLine
		var lineIDs []string
		for j, k := range shape.kinds {
			lid := fmt.Sprintf("l%d", j+1)
			lines = append(lines, orderLine(lid, k, 1, int64(1000*(i+1)+j)))
			lineIDs = append(lineIDs, lid)
		}
		o := newOrder("o-"+id, buyer, lines...)
		putOrder(t, s, o)
		at := Epoch.Add(time.Duration(i)*7*time.Minute + time.Duration(i%4))
		if i == 12 {
			at = out[11].CreatedAt
		}
		c := submitted(t, id, o, shape.typ, shape.reason, at, lineIDs...)
		create(t, s, c, nil)
		for k, a := range shape.then {
			prev := c.Version
			apply(t, c, a, "staff:s1", at.Add(time.Duration(k+1)*time.Second))
			update(t, s, c, prev)
		}
		out = append(out, c)
	}
	return out
}

// expect is the reference answer to q over the seeded cases.
func expect(seeded []*aftersales.Case, q aftersales.CaseQuery) []string {
	return reference(seeded, q.Matches, aftersales.ListPosition, func(c *aftersales.Case) string { return c.ID })
}

// reference is the reference answer to a list query over the seeded
// entries: the ids of those the query matches, in list order. Selection and
// order are the domain's (the Matches methods, NewestFirst), which the
// domain's own tests pin; the stores' paging is what the suite checks.
func reference[T any](seeded []T, matches func(T) bool, position, id func(T) string) []string {
	var got []T
	for _, e := range seeded {
		if matches(e) {
			got = append(got, e)
		}
	}
	aftersales.NewestFirst(got, position)
	ids := make([]string, len(got))
	for i, e := range got {
		ids[i] = id(e)
	}
	return ids
}

// pageLimits are the limits a list query is read with: none (the default
// page size), a few small ones and the most; with every, none and every
// limit from 1 to one past the matches, so that each page boundary falls
// on each item once.
func pageLimits(every bool, matches int) []int {
	if !every {
		return []int{0, 1, 2, 5, aftersales.MaxPageSize}
	}
	limits := []int{0}
	for l := 1; l <= matches+1; l++ {
		limits = append(limits, l)
	}
	return limits
}

// collect reads every page of q with the given limit, checking the shape of
// each page, and returns the items in order.
func collect(t *testing.T, s Stores, q aftersales.CaseQuery) []aftersales.Case {
	t.Helper()
	return collectPages(t, q.Limit, q.Cursor, func(cursor string) ([]aftersales.Case, string, error) {
		q.Cursor = cursor
		page, err := s.Cases.ListCases(t.Context(), q)
		return page.Items, page.NextCursor, err
	})
}

// collectPages follows a list's cursors from cursor (list reads one
// page), checking that every page but the last is full and none
// exceeds limit (0: the default page size), and returns the items in order.
func collectPages[T any](t *testing.T, limit int, cursor string, list func(cursor string) ([]T, string, error)) []T {
	t.Helper()
	if limit == 0 {
		limit = aftersales.DefaultPageSize
	}
	var all []T
	for pages := 1; ; pages++ {
		if pages > 200 {
			t.Fatalf("more than 200 pages: the cursor does not advance")
		}
		items, next, err := list(cursor)
		must(t, fmt.Sprintf("list page %d", pages), err)
		if len(items) > limit {
			t.Fatalf("page %d has %d items, limit %d", pages, len(items), limit)
		}
		if next != "" && len(items) < limit {
			t.Fatalf("page %d has %d items and a next cursor: only the last page may be short", pages, len(items))
		}
		if len(items) == 0 && pages > 1 {
			t.Fatalf("page %d is empty: the page before it should have been the last", pages)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

func ids(cs []aftersales.Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// testListBuyer: a buyer sees their own cases newest first, whole but
// without timelines, and never another buyer's.
func testListBuyer(t *testing.T, s Stores) {
	seeded := seedList(t, s)
	byID := map[string]*aftersales.Case{}
	for _, c := range seeded {
		byID[c.ID] = c
	}
	for _, buyer := range buyers {
		for _, status := range []aftersales.Status{"", aftersales.StatusSubmitted, aftersales.StatusCancelled} {
			q := aftersales.CaseQuery{BuyerID: buyer, Status: status, Limit: 3}
			t.Run(fmt.Sprintf("%s status %q", buyer, status), func(t *testing.T) {
				got := collect(t, s, q)
				sameIDs(t, "cases", ids(got), expect(seeded, q))
				if len(got) == 0 && status == "" {
					t.Fatal("the data set gives every buyer cases")
				}
				for _, c := range got {
					if c.BuyerID != buyer {
						t.Fatalf("%s's list shows %s of %s", buyer, c.ID, c.BuyerID)
					}
					want := clone(byID[c.ID])
					want.Timeline = nil
					same(t, "listed case", &c, want)
				}
			})
		}
	}
}

// testListFiltersAndPages: every staff filter alone and combined, read in
// pages of several sizes, gives exactly the reference sequence: no
// duplicate, no gap, whatever the filter drops.
func testListFiltersAndPages(t *testing.T, s Stores) {
	seeded := seedList(t, s)
	from, to := seeded[5].CreatedAt, seeded[11].CreatedAt // as_12 shares to's instant: both excluded
	queries := []struct {
		name string
		q    aftersales.CaseQuery
		// every: page with every limit from 1 to past the end.
		every bool
	}{
		{"everything", aftersales.CaseQuery{}, true},
		{"status submitted", aftersales.CaseQuery{Status: aftersales.StatusSubmitted}, true},
		{"status pending_review", aftersales.CaseQuery{Status: aftersales.StatusPendingReview}, false},
		{"status awaiting_return", aftersales.CaseQuery{Status: aftersales.StatusAwaitingReturn}, false},
		{"status cancelled", aftersales.CaseQuery{Status: aftersales.StatusCancelled}, false},
		{"status with no case", aftersales.CaseQuery{Status: aftersales.StatusEscalated}, false},
		{"type", aftersales.CaseQuery{Type: aftersales.ReturnRefund}, false},
		{"kind", aftersales.CaseQuery{Kind: aftersales.KindProduce}, true},
		{"kind of a second line", aftersales.CaseQuery{Kind: aftersales.KindVirtual}, false},
		{"reason", aftersales.CaseQuery{Reason: "damaged"}, false},
		{"reason nobody gave", aftersales.CaseQuery{Reason: "late_delivery"}, false},
		{"from", aftersales.CaseQuery{From: from}, false},
		{"to", aftersales.CaseQuery{To: to}, false},
		{"from and to", aftersales.CaseQuery{From: from, To: to}, true},
		{"min amount", aftersales.CaseQuery{MinAmount: 12000}, false},
		{"max amount", aftersales.CaseQuery{MaxAmount: 7001}, false},
		{"min and max amount", aftersales.CaseQuery{MinAmount: 5000, MaxAmount: 15001}, false},
		{"status and type", aftersales.CaseQuery{Status: aftersales.StatusPendingReview, Type: aftersales.ReturnRefund}, false},
		{"status, kind and range", aftersales.CaseQuery{Status: aftersales.StatusSubmitted, Kind: aftersales.KindPhysical, From: from, To: seeded[20].CreatedAt}, true},
		{"everything at once", aftersales.CaseQuery{Status: aftersales.StatusRefunding, Type: aftersales.RefundOnly, Kind: aftersales.KindCrossBorder,
			Reason: "not_received", From: seeded[1].CreatedAt, To: seeded[23].CreatedAt, MinAmount: 1, MaxAmount: 30000}, false},
	}
	for _, qc := range queries {
		want := expect(seeded, qc.q)
		for _, limit := range pageLimits(qc.every, len(want)) {
			t.Run(fmt.Sprintf("%s limit %d", qc.name, limit), func(t *testing.T) {
				q := qc.q
				q.Limit = limit
				sameIDs(t, "cases", ids(collect(t, s, q)), want)
			})
		}
	}
	// The data set must make the filters bite, or the test proves nothing.
	for _, qc := range queries[:4] {
		if n := len(expect(seeded, qc.q)); n < 2 {
			t.Errorf("query %q matches %d seeded cases; the data set should give it several", qc.name, n)
		}
	}
}

// testListCursorSurvivesMove: the next page starts after the last case
// returned even when that case has left the list since (a status change
// moves it to another partition of the status index).
func testListCursorSurvivesMove(t *testing.T, s Stores) {
	seeded := seedList(t, s)
	q := aftersales.CaseQuery{Status: aftersales.StatusSubmitted, Limit: 2}
	want := expect(seeded, q)
	if len(want) < 5 {
		t.Fatalf("the data set has %d submitted cases; the test needs 5", len(want))
	}
	page, err := s.Cases.ListCases(t.Context(), q)
	must(t, "first page", err)
	sameIDs(t, "first page", ids(page.Items), want[:2])

	moved := getCase(t, s, want[1])
	apply(t, moved, aftersales.ActSendToReview, "rules", Epoch.Add(24*time.Hour))
	update(t, s, moved, moved.Version-1)

	q.Cursor = page.NextCursor
	sameIDs(t, "the pages after", ids(collect(t, s, q)), want[2:])
}

// testListEmpty: an empty store lists nothing and no cursor.
func testListEmpty(t *testing.T, s Stores) {
	for _, q := range []aftersales.CaseQuery{{}, {BuyerID: "buyer-1"}, {Status: aftersales.StatusSubmitted}} {
		page, err := s.Cases.ListCases(t.Context(), q)
		must(t, "list", err)
		if len(page.Items) != 0 || page.NextCursor != "" {
			t.Fatalf("empty store: got %d items and cursor %q", len(page.Items), page.NextCursor)
		}
	}
}

// testListBadCursor: a cursor the store did not make is a client error that
// names the cursor field.
func testListBadCursor(t *testing.T, s Stores) {
	seedList(t, s)
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name   string
		cursor string
	}{
		{"not base64", "%%%"},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte(`{"after":"x"}`))},
		{"not JSON", b64([]byte("hello"))},
		{"JSON of another shape", b64([]byte(`["2026-11-11T00:00:00.000000000Z#as_01"]`))},
		{"no position", b64([]byte(`{}`))},
		{"a position that is no list key", b64([]byte(`{"after":"as_01"}`))},
		{"a time in another format", b64([]byte(`{"after":"2026-11-11T00:00:00Z#as_01__________"}`))},
		{"a time without an id", b64([]byte(`{"after":"2026-11-11T00:00:00.000000000Z#"}`))},
	}
	for _, tc := range tests {
		for _, q := range []aftersales.CaseQuery{{Cursor: tc.cursor}, {BuyerID: "buyer-1", Cursor: tc.cursor}, {Status: aftersales.StatusSubmitted, Cursor: tc.cursor}} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.Cases.ListCases(t.Context(), q)
				if aftersales.KindOf(err) != aftersales.KindInvalid {
					t.Fatalf("got %v (kind %v), want KindInvalid", err, aftersales.KindOf(err))
				}
				fields := aftersales.FieldsOf(err)
				if !slices.ContainsFunc(fields, func(f aftersales.FieldError) bool { return f.Field == "cursor" && strings.TrimSpace(f.Message) != "" }) {
					t.Fatalf("fields %v do not name the cursor", fields)
				}
			})
		}
	}
}
