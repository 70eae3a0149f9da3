package aftersales

import (
	"encoding/base64"
	"slices"
	"testing"
	"time"
)

var listAt = time.Date(2026, 11, 11, 8, 30, 0, 123456789, time.UTC)

func TestPageSize(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"none asked", 0, DefaultPageSize},
		{"a negative limit", -5, DefaultPageSize},
		{"one", 1, 1},
		{"the most", MaxPageSize, MaxPageSize},
		{"past the most", MaxPageSize + 1, MaxPageSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PageSize(tc.limit); got != tc.want {
				t.Fatalf("PageSize(%d) = %d, want %d", tc.limit, got, tc.want)
			}
		})
	}
}

func TestCaseQueryMatches(t *testing.T) {
	c := &Case{
		ID: "as_1", BuyerID: "b-1", Status: StatusPendingReview, Type: ReturnRefund, Reason: "damaged",
		Lines:     []CaseLine{{LineID: "l1", Kind: KindPhysical}, {LineID: "l2", Kind: KindProduce}},
		Requested: 5000, CreatedAt: listAt,
	}
	tests := []struct {
		name string
		q    CaseQuery
		want bool
	}{
		{"no filter", CaseQuery{}, true},
		{"paging only", CaseQuery{Cursor: "x", Limit: 1}, true},
		{"the buyer", CaseQuery{BuyerID: "b-1"}, true},
		{"another buyer", CaseQuery{BuyerID: "b-2"}, false},
		{"the status", CaseQuery{Status: StatusPendingReview}, true},
		{"another status", CaseQuery{Status: StatusSubmitted}, false},
		{"the type", CaseQuery{Type: ReturnRefund}, true},
		{"another type", CaseQuery{Type: Exchange}, false},
		{"the reason", CaseQuery{Reason: "damaged"}, true},
		{"another reason", CaseQuery{Reason: "late_delivery"}, false},
		{"the kind of the first line", CaseQuery{Kind: KindPhysical}, true},
		{"the kind of the second line", CaseQuery{Kind: KindProduce}, true},
		{"a kind of no line", CaseQuery{Kind: KindVirtual}, false},
		{"from the creation instant", CaseQuery{From: listAt}, true},
		{"from a nanosecond later", CaseQuery{From: listAt.Add(1)}, false},
		{"to the creation instant", CaseQuery{To: listAt}, false},
		{"to a nanosecond later", CaseQuery{To: listAt.Add(1)}, true},
		{"a range in another time zone", CaseQuery{From: listAt.In(time.FixedZone("CST", 8*3600)), To: listAt.Add(time.Hour)}, true},
		{"a reversed range", CaseQuery{From: listAt.Add(time.Hour), To: listAt.Add(-time.Hour)}, false},
		{"min amount met exactly", CaseQuery{MinAmount: 5000}, true},
		{"min amount missed", CaseQuery{MinAmount: 5001}, false},
		{"max amount met exactly", CaseQuery{MaxAmount: 5000}, true},
		{"max amount missed", CaseQuery{MaxAmount: 4999}, false},
		{"negative amount bounds are none", CaseQuery{MinAmount: -1, MaxAmount: -1}, true},
		{"every filter holds", CaseQuery{BuyerID: "b-1", Status: StatusPendingReview, Type: ReturnRefund, Reason: "damaged",
			Kind: KindProduce, From: listAt, To: listAt.Add(1), MinAmount: 1, MaxAmount: 5000}, true},
		{"every filter but one holds", CaseQuery{BuyerID: "b-1", Status: StatusPendingReview, Type: ReturnRefund, Reason: "damaged",
			Kind: KindProduce, From: listAt, To: listAt.Add(1), MinAmount: 1, MaxAmount: 4999}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.Matches(c); got != tc.want {
				t.Fatalf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
	if (CaseQuery{Kind: KindPhysical}).Matches(&Case{}) {
		t.Error("a case without lines matches a kind")
	}
}

func TestRefundQueryMatches(t *testing.T) {
	r := &Refund{OutRefundNo: "as_1-1", OrderID: "o-1", BuyerPhone: "13800000000", CreatedAt: listAt}
	tests := []struct {
		name string
		q    RefundQuery
		want bool
	}{
		{"no filter", RefundQuery{}, true},
		{"paging only", RefundQuery{Cursor: "x", Limit: 1}, true},
		{"the order", RefundQuery{OrderID: "o-1"}, true},
		{"another order", RefundQuery{OrderID: "o-2"}, false},
		{"the phone", RefundQuery{Phone: "13800000000"}, true},
		{"another phone", RefundQuery{Phone: "13900000000"}, false},
		{"the order and another phone", RefundQuery{OrderID: "o-1", Phone: "13900000000"}, false},
		{"from the creation instant", RefundQuery{From: listAt}, true},
		{"to the creation instant", RefundQuery{To: listAt}, false},
		{"a range around it", RefundQuery{From: listAt.Add(-1), To: listAt.Add(1)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.Matches(r); got != tc.want {
				t.Fatalf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRefundListPosition(t *testing.T) {
	r := &Refund{OutRefundNo: "as_1-2", CreatedAt: listAt.In(time.FixedZone("CST", 8*3600))}
	if got, want := RefundListPosition(r), "2026-11-11T08:30:00.123456789Z#as_1-2"; got != want {
		t.Fatalf("position %q, want %q", got, want)
	}
}

func TestWindow(t *testing.T) {
	const (
		atFrom = "2026-11-11T08:30:00.123456789Z"
		atTo   = "2026-11-11T09:30:00.123456789Z"
	)
	early, late := "2026-11-11T09:00:00.000000000Z#as_1", "2026-11-11T10:00:00.000000000Z#as_1"
	tests := []struct {
		name     string
		q        CaseQuery
		want     ListWindow
		contains []string
		excludes []string
	}{
		{"nothing asked", CaseQuery{}, ListWindow{Limit: DefaultPageSize}, []string{early, late}, nil},
		{"a limit", CaseQuery{Limit: 3}, ListWindow{Limit: 3}, nil, nil},
		{"a range", CaseQuery{From: listAt, To: listAt.Add(time.Hour)}, ListWindow{Lo: atFrom, Hi: atTo, Limit: DefaultPageSize},
			[]string{atFrom + "#as_1", early}, []string{atTo + "#as_1", late, "2026-11-11T08:30:00.123456788Z#as_9"}},
		{"a range in another time zone", CaseQuery{From: listAt.In(time.FixedZone("CST", 8*3600))},
			ListWindow{Lo: atFrom, Limit: DefaultPageSize}, []string{late}, nil},
		{"a cursor", CaseQuery{Cursor: EncodeCursor(late)}, ListWindow{Hi: late, Limit: DefaultPageSize},
			[]string{early, "2026-11-11T10:00:00.000000000Z#as_0"}, []string{late, "2026-11-11T10:00:00.000000000Z#as_2"}},
		{"a cursor inside the range", CaseQuery{To: listAt.Add(time.Hour), Cursor: EncodeCursor(early)},
			ListWindow{Hi: early, Limit: DefaultPageSize}, nil, []string{early}},
		{"a cursor past the range", CaseQuery{To: listAt.Add(time.Hour), Cursor: EncodeCursor(late)},
			ListWindow{Hi: atTo, Limit: DefaultPageSize}, []string{early}, []string{late}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := tc.q.Window("op")
			if err != nil {
				t.Fatal(err)
			}
			if w != tc.want {
				t.Fatalf("window %+v, want %+v", w, tc.want)
			}
			for _, p := range tc.contains {
				if !w.Contains(p) {
					t.Errorf("%s is outside the window", p)
				}
			}
			for _, p := range tc.excludes {
				if w.Contains(p) {
					t.Errorf("%s is inside the window", p)
				}
			}
		})
	}

	t.Run("a refund query", func(t *testing.T) {
		w, err := RefundQuery{From: listAt, Cursor: EncodeCursor(late), Limit: 500}.Window("op")
		if err != nil || w != (ListWindow{Lo: atFrom, Hi: late, Limit: MaxPageSize}) {
			t.Fatalf("window %+v, %v", w, err)
		}
	})
	t.Run("a cursor no list made", func(t *testing.T) {
		bad := base64.RawURLEncoding.EncodeToString([]byte(`{"after":"as_1"}`))
		for _, window := range []func(op string) (ListWindow, error){
			CaseQuery{Cursor: bad}.Window,
			RefundQuery{Cursor: bad}.Window,
		} {
			_, err := window("op")
			if KindOf(err) != KindInvalid || len(FieldsOf(err)) != 1 || FieldsOf(err)[0].Field != "cursor" {
				t.Fatalf("got %v, want KindInvalid naming the cursor", err)
			}
		}
	})
}

func TestListWindowEmpty(t *testing.T) {
	tests := []struct {
		name string
		w    ListWindow
		want bool
	}{
		{"no bounds", ListWindow{}, false},
		{"only a low bound", ListWindow{Lo: "b"}, false},
		{"only a high bound", ListWindow{Hi: "b"}, false},
		{"bounds in order", ListWindow{Lo: "a", Hi: "b"}, false},
		{"equal bounds", ListWindow{Lo: "b", Hi: "b"}, true},
		{"crossed bounds", ListWindow{Lo: "c", Hi: "b"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Empty(); got != tc.want {
				t.Fatalf("Empty = %v, want %v", got, tc.want)
			}
		})
	}
}

// listed builds cases created at listAt plus the given nanoseconds.
func listed(spec ...any) []*Case {
	var out []*Case
	for i := 0; i < len(spec); i += 2 {
		out = append(out, &Case{ID: spec[i].(string), CreatedAt: listAt.Add(time.Duration(spec[i+1].(int)))})
	}
	return out
}

func caseIDs(cs []*Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func TestNewestFirst(t *testing.T) {
	tests := []struct {
		name string
		in   []*Case
		want []string
	}{
		{"none", nil, []string{}},
		{"by creation time", listed("as_a", 1, "as_b", 3, "as_c", 2), []string{"as_b", "as_c", "as_a"}},
		{"a nanosecond apart", listed("as_a", 0, "as_b", 1), []string{"as_b", "as_a"}},
		{"ties by the greater id", listed("as_a", 5, "as_c", 5, "as_b", 5, "as_z", 4), []string{"as_c", "as_b", "as_a", "as_z"}},
		{"already in order", listed("as_b", 2, "as_a", 1), []string{"as_b", "as_a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			NewestFirst(tc.in, ListPosition)
			if got := caseIDs(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("time zones do not count", func(t *testing.T) {
		cs := listed("as_a", 0, "as_b", 1)
		cs[1].CreatedAt = cs[1].CreatedAt.In(time.FixedZone("PST", -8*3600))
		NewestFirst(cs, ListPosition)
		if got := caseIDs(cs); !slices.Equal(got, []string{"as_b", "as_a"}) {
			t.Fatalf("order %v", got)
		}
	})
}

func TestPage(t *testing.T) {
	cases := listed("as_0", 0, "as_1", 10, "as_2", 20, "as_3", 30, "as_4", 30, "as_5", 50)
	slices.Reverse(cases) // Page takes entries in any order
	tests := []struct {
		name  string
		w     ListWindow
		pages [][]string
	}{
		{"the default page holds all", ListWindow{}, [][]string{{"as_5", "as_4", "as_3", "as_2", "as_1", "as_0"}}},
		{"pages of two", ListWindow{Limit: 2}, [][]string{{"as_5", "as_4"}, {"as_3", "as_2"}, {"as_1", "as_0"}}},
		{"pages of four", ListWindow{Limit: 4}, [][]string{{"as_5", "as_4", "as_3", "as_2"}, {"as_1", "as_0"}}},
		{"one page exactly full", ListWindow{Limit: 6}, [][]string{{"as_5", "as_4", "as_3", "as_2", "as_1", "as_0"}}},
		{"bounded", ListWindow{Lo: ListPosition(cases[4]), Hi: ListPosition(cases[0]), Limit: 3},
			[][]string{{"as_4", "as_3", "as_2"}, {"as_1"}}},
		{"nothing inside", ListWindow{Lo: "9999"}, [][]string{nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.w
			for i, want := range tc.pages {
				items, next := Page(w, cases, ListPosition)
				if got := caseIDs(items); !slices.Equal(got, want) {
					t.Fatalf("page %d: %v, want %v", i+1, got, want)
				}
				if last := i == len(tc.pages)-1; last != (next == "") {
					t.Fatalf("page %d of %d: next cursor %q", i+1, len(tc.pages), next)
				}
				if next == "" {
					break
				}
				// The next page's window is the query's, below the cursor.
				after, err := DecodeCursor("op", next)
				if err != nil {
					t.Fatal(err)
				}
				w.Hi = after
			}
		})
	}
}
