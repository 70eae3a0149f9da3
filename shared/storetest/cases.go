package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// fullCase is a case with every field set, nanoseconds in its times and
// non-ASCII text, as a workflow would leave it while waiting for review.
func fullCase(t *testing.T, o *aftersales.Order) *aftersales.Case {
	t.Helper()
	at := Epoch.Add(90*time.Minute + 987654321)
	c := submitted(t, "as_01JDFULL", o, aftersales.ReturnRefund, "damaged", at, "l1", "l2")
	c.ShopID = "shop-7"
	c.Description = "外箱破损，屏幕有裂痕 (screen cracked)"
	c.RefundTo = aftersales.RefundBalance
	c.Approved, c.Refunded = 12345, 100
	c.Evidence = []aftersales.Evidence{
		{ID: "ev_1", ContentType: "image/jpeg", Size: 183220, Status: "uploaded"},
		{ID: "ev_2", ContentType: "video/mp4", Size: 20 << 20, Status: "verified", Checks: []string{"type: video/mp4 matches the bytes", "decode: MP4 container, brand isom"}},
		{ID: "ev_3", ContentType: "image/png", Size: 5000, Status: "reused", ReusedFrom: "as_01JDOTHER", Thumbnail: true,
			Labels: []string{"Mobile Phone", "Cracked Glass"}, Damage: true,
			Checks: []string{"reuse: 2 bits from evidence ev_0 of case as_01JDOTHER (at most 6 count as the same photo)"}},
	}
	c.Decision = &aftersales.Decision{Outcome: "manual", By: "rules", RuleID: "big-ticket", RuleSetVersion: 3, Reason: "above threshold", Level: aftersales.RoleAdmin}
	c.WaitingFor, c.TaskToken = "review", "AAAAKgAAAAIAAAAAAAAAAT...token"
	c.Deadline = at.Add(48*time.Hour + 5)
	c.PromisedBy = at.Add(time.Hour + 7)
	c.RemindedFor = at.Add(time.Hour + 7)
	c.Return = &aftersales.Shipment{Courier: "shunfeng", TrackingNumber: "SF1234567890", At: at.Add(time.Hour + 3)}
	c.ReturnCondition = aftersales.ConditionDefective
	c.Replacement = &aftersales.Shipment{Courier: "yuantong", TrackingNumber: "YT0987654321", At: at.Add(2 * time.Hour)}
	c.Interception = &aftersales.Interception{Courier: "zhongtong", TrackingNumber: "ZT75310000001", TaskID: "IT100001",
		RequestedAt: at.Add(time.Hour + 9), RefundAt: aftersales.RefundAtArrival, Status: aftersales.InterceptionReturning,
		At: at.Add(2*time.Hour + 1), Note: "拦截成功"}
	c.Timeline[0].Note = "applied from the mini-program"
	c.RefundSeq, c.RefundFailed, c.RefundManual = 2, true, true
	c.Dispute = &aftersales.Dispute{Kind: aftersales.DisputeAmount, Reason: "partial refund", Description: "只退了一半\n(half)",
		EvidenceIDs: []string{"ev_9", "ev_3"}, OpenedAt: at.Add(3*time.Hour + 11), AnsweredAt: at.Add(4*time.Hour + 13),
		Proposals: []aftersales.Proposal{
			{ID: "pr_1", By: aftersales.PartyMerchant, Actor: "staff:s-1", Amount: 500, Note: "half", At: at.Add(4*time.Hour + 13), Status: aftersales.ProposalReplaced},
			{ID: "pr_2", By: aftersales.PartyBuyer, Actor: "buyer:buyer-1", Amount: 900, At: at.Add(5 * time.Hour), Status: aftersales.ProposalOpen},
		}, Outcome: "agreed"}
	return c
}

// testCaseRoundTrip: a created case reads back field for field with its
// timeline — with every field set, and with only what submitting sets (no
// lines, evidence or decision: empty values must not come back as empty
// non-nil ones) — and takes exactly the lines it names. Its idempotency
// record reads back too; unknown ids are not found.
func testCaseRoundTrip(t *testing.T, s Stores) {
	o := storedMixedOrder(t, s)
	tests := []struct {
		name  string
		c     *aftersales.Case
		holds map[string]bool
	}{
		{"every field", fullCase(t, o), map[string]bool{"l1": true, "l2": true}},
		{"only what submit sets", func() *aftersales.Case {
			c := &aftersales.Case{ID: "as_min", OrderID: "o-1", BuyerID: "buyer-1", Type: aftersales.RefundOnly}
			apply(t, c, aftersales.ActSubmit, "buyer:buyer-1", Epoch)
			return c
		}(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := clone(tc.c)
			rec := idemRecord("buyer-1", "key-"+tc.c.ID, tc.c.ID, Epoch)
			create(t, s, tc.c, rec)
			same(t, "case", getCase(t, s, tc.c.ID), want)
			got, err := s.Idempotency.GetIdempotency(t.Context(), "buyer-1", rec.Key)
			must(t, "get idempotency", err)
			same(t, "idempotency record", got, *rec)
			for _, line := range []string{"l1", "l2", "l3"} {
				if held := holder(t, s, "o-1", line) == tc.c.ID; held != tc.holds[line] {
					t.Errorf("line %s held by the case: %v, want %v", line, held, tc.holds[line])
				}
			}
		})
	}
	_, err := s.Cases.GetCase(t.Context(), "as_unknown")
	wantNotFound(t, "get unknown case", err)
	_, err = s.Idempotency.GetIdempotency(t.Context(), "buyer-2", "key-as_min")
	wantNotFound(t, "another scope's key", err)
}

// testIdempotencyScopes: scopes keep keys apart, even when a scope or a key
// contains the separator of a composite key.
func testIdempotencyScopes(t *testing.T, s Stores) {
	o := storedOrder(t, s, 100, 100, 100)
	recs := []*aftersales.IdempotencyRecord{
		idemRecord("a#b", "c", "as_1", Epoch),
		idemRecord("a", "b#c", "as_2", Epoch),
		idemRecord("a%23b", "c", "as_3", Epoch),
	}
	for i, rec := range recs {
		c := submitted(t, rec.CaseID, o, aftersales.RefundOnly, "wrong_item", Epoch, fmt.Sprintf("l%d", i+1))
		create(t, s, c, rec)
	}
	for _, rec := range recs {
		got, err := s.Idempotency.GetIdempotency(t.Context(), rec.Scope, rec.Key)
		must(t, "get "+rec.Scope+" "+rec.Key, err)
		same(t, "record", got, *rec)
	}
}

// testCreateAllOrNothing: a create that fails writes nothing: no case, no
// idempotency record, no hold on any line.
func testCreateAllOrNothing(t *testing.T, s Stores) {
	o := storedOrder(t, s, 9900, 5000, 3000)
	first := submitted(t, "as_first", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
	firstRec := idemRecord("buyer-1", "k-first", first.ID, Epoch)
	create(t, s, first, firstRec)
	wantFirst := clone(first)

	unknown := newOrder("o-unknown", "buyer-1", orderLine("l2", aftersales.KindPhysical, 1, 5000))
	tests := []struct {
		name    string
		id      string
		order   *aftersales.Order
		lines   []string
		key     string // of the idempotency record
		want    *aftersales.Error
		wantErr func(error) bool // for outcomes without a sentinel of their own
	}{
		{"a held line", "as_b", o, []string{"l2", "l1"}, "k-b", aftersales.ErrLineHeld, nil},
		{"a line the order lacks", "as_b", o, []string{"l2", "l9"}, "k-b", aftersales.ErrNotFound, nil},
		{"an unknown order", "as_b", unknown, []string{"l2"}, "k-b", aftersales.ErrNotFound, nil},
		{"a taken idempotency key", "as_b", o, []string{"l2", "l3"}, "k-first", aftersales.ErrIdempotencyKeyTaken, nil},
		// The twin of a request that won holds its lines too: the key must
		// win, for the service to replay the first answer.
		{"a taken key and a held line", "as_b", o, []string{"l1"}, "k-first", aftersales.ErrIdempotencyKeyTaken, nil},
		{"an existing case id", "as_first", o, []string{"l2"}, "k-b", nil,
			func(err error) bool { return aftersales.KindOf(err) == aftersales.KindConflict }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := submitted(t, tc.id, tc.order, aftersales.RefundOnly, "wrong_item", Epoch, tc.lines...)
			rec := idemRecord("buyer-1", tc.key, c.ID, Epoch)
			err := s.Cases.CreateCase(t.Context(), c, rec)
			if tc.want != nil {
				wantErr(t, "create", err, tc.want)
			} else if !tc.wantErr(err) {
				t.Fatalf("create: unexpected error %v", err)
			}
			if c.ID != first.ID {
				_, err = s.Cases.GetCase(t.Context(), c.ID)
				wantNotFound(t, "get the refused case", err)
			}
			same(t, "the first case", getCase(t, s, first.ID), wantFirst)
			if rec.Key != firstRec.Key {
				_, err = s.Idempotency.GetIdempotency(t.Context(), rec.Scope, rec.Key)
				wantNotFound(t, "idempotency record of the refused case", err)
			}
			got, err := s.Idempotency.GetIdempotency(t.Context(), firstRec.Scope, firstRec.Key)
			must(t, "get the first record", err)
			same(t, "the first idempotency record", got, *firstRec)
			for line, want := range map[string]string{"l1": first.ID, "l2": "", "l3": ""} {
				if got := holder(t, s, "o-1", line); got != want {
					t.Errorf("line %s held by %q, want %q", line, got, want)
				}
			}
		})
	}
}

// testOneActiveCasePerLine: a line stays held through every change that
// does not end its case.
func testOneActiveCasePerLine(t *testing.T, s Stores) {
	o := storedOrder(t, s, 9900)
	a := submitted(t, "as_a", o, aftersales.ReturnRefund, "size_not_fit", Epoch, "l1")
	create(t, s, a, nil)
	steps := []aftersales.Action{aftersales.ActSendToReview, aftersales.ActApprove, aftersales.ActShipReturn}
	for i, act := range append([]aftersales.Action{""}, steps...) {
		name := "after " + string(act)
		if act == "" {
			name = "after submit"
		} else {
			prev := a.Version
			apply(t, a, act, "system", Epoch.Add(time.Duration(i)*time.Minute))
			update(t, s, a, prev)
		}
		t.Run(name, func(t *testing.T) {
			b := submitted(t, fmt.Sprintf("as_b%d", i), o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
			wantErr(t, "second case on the line", s.Cases.CreateCase(t.Context(), b, nil), aftersales.ErrLineHeld)
			if got := holder(t, s, "o-1", "l1"); got != a.ID {
				t.Errorf("line held by %q, want %q", got, a.ID)
			}
		})
	}
}

// testEndingReleasesLines: the change that ends a case, whichever terminal
// status it reaches, frees all its lines for a new case without booking
// anything on the ledger; a later change of the ended case leaves the new
// case's hold alone.
func testEndingReleasesLines(t *testing.T, s Stores) {
	tests := []struct {
		name    string
		typ     aftersales.CaseType
		reason  string
		actions []aftersales.Action
		want    aftersales.Status
	}{
		{"cancelled", aftersales.RefundOnly, "wrong_item", []aftersales.Action{aftersales.ActCancel}, aftersales.StatusCancelled},
		{"closed", aftersales.RefundOnly, "not_received", []aftersales.Action{aftersales.ActReject, aftersales.ActExpire}, aftersales.StatusClosed},
		{"completed", aftersales.Claim, "produce_spoiled", []aftersales.Action{aftersales.ActApprove, aftersales.ActRefundSucceeded}, aftersales.StatusCompleted},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrder(fmt.Sprintf("o-%d", i), "buyer-1",
				orderLine("l1", aftersales.KindProduce, 1, 9900),
				orderLine("l2", aftersales.KindProduce, 1, 5000))
			putOrder(t, s, o)
			a := submitted(t, fmt.Sprintf("as_%d_a", i), o, tc.typ, tc.reason, Epoch, "l1", "l2")
			create(t, s, a, nil)
			for j, act := range tc.actions {
				prev := a.Version
				if act == aftersales.ActRefundSucceeded {
					a.Refunded = 12000 // a partial refund of the 14900 the lines are worth
				}
				apply(t, a, act, "staff:s1", Epoch.Add(time.Duration(j+1)*time.Hour))
				update(t, s, a, prev)
				if ended := j == len(tc.actions)-1; !ended && holder(t, s, o.ID, "l1") != a.ID {
					t.Fatalf("line released after %s, before the case ended", act)
				}
			}
			if a.Status != tc.want {
				t.Fatalf("test setup: case is %s, want %s", a.Status, tc.want)
			}
			// The ending change books nothing, even when the case refunded
			// money: refunds are booked by the refund store when they are
			// made (RunRefunds), and booking again here would count twice.
			for _, line := range []string{"l1", "l2"} {
				if got := holder(t, s, o.ID, line); got != "" {
					t.Errorf("line %s still held by %q after the case ended", line, got)
				}
				if got := refundedOn(t, s, o.ID, line); got != 0 {
					t.Errorf("line %s: refunded %d after the case ended, want 0: ending a case must not book", line, got)
				}
			}
			b := submitted(t, fmt.Sprintf("as_%d_b", i), o, aftersales.RefundOnly, "wrong_item", Epoch.Add(5*time.Hour), "l1")
			create(t, s, b, nil)

			// A change of the ended case that is not a transition (the
			// refund ledger catching up) must not touch b's hold.
			prev := a.Version
			a.Refunded = 4200
			update(t, s, a, prev)
			if got := holder(t, s, o.ID, "l1"); got != b.ID {
				t.Errorf("line l1 held by %q after the ended case changed, want %q", got, b.ID)
			}
			if got := refundedOn(t, s, o.ID, "l1"); got != 0 {
				t.Errorf("a change after the end booked a refund: l1 refunded %d", got)
			}
		})
	}
}

// testVersionConflict: of two writers that read the same version, the
// second is refused and changes nothing — not even the lines its ending
// change would have released.
func testVersionConflict(t *testing.T, s Stores) {
	o := storedOrder(t, s, 9900)
	c := submitted(t, "as_1", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
	create(t, s, c, nil)

	x, y := getCase(t, s, c.ID), getCase(t, s, c.ID)
	apply(t, x, aftersales.ActSendToReview, "rules", Epoch.Add(time.Minute))
	update(t, s, x, 1)
	apply(t, y, aftersales.ActCancel, "buyer:buyer-1", Epoch.Add(2*time.Minute))

	tests := []struct {
		name string
		c    *aftersales.Case
		prev int
		want *aftersales.Error
	}{
		{"stale version", y, 1, aftersales.ErrVersionConflict},
		{"version from the future", y, 7, aftersales.ErrVersionConflict},
		{"unknown case", &aftersales.Case{ID: "as_unknown", Version: 2, Status: aftersales.StatusSubmitted}, 1, aftersales.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, "update", s.Cases.UpdateCase(t.Context(), tc.c, tc.prev), tc.want)
			same(t, "stored case", getCase(t, s, c.ID), x)
			if got := holder(t, s, "o-1", "l1"); got != c.ID {
				t.Errorf("line held by %q, want %q", got, c.ID)
			}
		})
	}
}

// testTimelineAppend: entries are appended in order, several in one update
// too, and stored entries never change even if a caller edits its copy.
func testTimelineAppend(t *testing.T, s Stores) {
	o := storedOrder(t, s, 9900)
	c := submitted(t, "as_1", o, aftersales.ReturnRefund, "damaged", Epoch, "l1")
	create(t, s, c, nil)
	want := clone(c)

	steps := []struct {
		name    string
		actions []aftersales.Action
		edit    func(c *aftersales.Case) // made to both the written case and the expectation
		rewrite bool                     // the caller edits an entry already stored
	}{
		{"one entry", []aftersales.Action{aftersales.ActSendToReview}, nil, false},
		{"two entries at once", []aftersales.Action{aftersales.ActRequestEvidence, aftersales.ActAttachEvidence}, nil, false},
		{"a wait is recorded", []aftersales.Action{aftersales.ActSendToReview}, func(c *aftersales.Case) {
			c.WaitingFor, c.TaskToken, c.Deadline = "review", "token-2", Epoch.Add(48*time.Hour)
		}, false},
		{"an old entry edited by the caller stays as stored", []aftersales.Action{aftersales.ActApprove}, func(c *aftersales.Case) {
			c.Decision = &aftersales.Decision{Outcome: "approve", By: "staff:s1"}
		}, true},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			prev := c.Version
			for _, a := range st.actions {
				apply(t, c, a, "system", Epoch.Add(time.Duration(i+1)*time.Minute))
				apply(t, want, a, "system", Epoch.Add(time.Duration(i+1)*time.Minute))
			}
			if st.edit != nil {
				st.edit(c)
				st.edit(want)
			}
			if st.rewrite {
				c.Timeline[0].Note = "rewritten history"
			}
			update(t, s, c, prev)
			got := getCase(t, s, c.ID)
			same(t, "case", got, want)
			for j, e := range got.Timeline {
				if e.Seq != j+1 {
					t.Fatalf("timeline entry %d has seq %d", j, e.Seq)
				}
			}
		})
	}
}

// testIdempotencyExpiry: a record is live until its expiry (exclusive), and
// an expired key can be used again even though the record may still be
// stored (DynamoDB's TTL deletes late).
func testIdempotencyExpiry(t *testing.T, s Stores) {
	o := storedOrder(t, s, 9900, 5000)
	c := submitted(t, "as_1", o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
	rec := idemRecord("buyer-1", "k", c.ID, Epoch)
	create(t, s, c, rec)

	tests := []struct {
		name string
		at   time.Time
		live bool
	}{
		{"just created", Epoch, true},
		{"a nanosecond before expiry", rec.ExpiresAt.Add(-1), true},
		{"at expiry", rec.ExpiresAt, false},
		{"long after", rec.ExpiresAt.Add(72 * time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Clock.Set(tc.at)
			got, err := s.Idempotency.GetIdempotency(t.Context(), "buyer-1", "k")
			if !tc.live {
				wantNotFound(t, "expired record", err)
				return
			}
			must(t, "live record", err)
			same(t, "record", got, *rec)
		})
	}

	t.Run("an expired key is free again", func(t *testing.T) {
		s.Clock.Set(rec.ExpiresAt)
		c2 := submitted(t, "as_2", o, aftersales.RefundOnly, "wrong_item", rec.ExpiresAt, "l2")
		rec2 := idemRecord("buyer-1", "k", c2.ID, rec.ExpiresAt)
		create(t, s, c2, rec2)
		got, err := s.Idempotency.GetIdempotency(t.Context(), "buyer-1", "k")
		must(t, "new record", err)
		same(t, "record", got, *rec2)
	})
}

// testUploads: declared uploads read back until they expire.
func testUploads(t *testing.T, s Stores) {
	ups := []aftersales.Upload{
		{ID: "ev_1", BuyerID: "buyer-1", ObjectKey: "evidence/buyer-1/ev_1", ContentType: "image/jpeg", Size: 1234,
			CreatedAt: Epoch, ExpiresAt: Epoch.Add(time.Hour)},
		{ID: "ev_2", BuyerID: "buyer-1", CaseID: "as_1", ObjectKey: "evidence/buyer-1/ev_2", ContentType: "video/mp4", Size: 99 << 20,
			CreatedAt: Epoch, ExpiresAt: Epoch.Add(aftersales.UploadRecordTTL + 1)},
	}
	must(t, "put uploads", s.Cases.PutUploads(t.Context(), ups))

	tests := []struct {
		name string
		at   time.Time
		id   string
		want *aftersales.Upload
	}{
		{"fresh", Epoch, "ev_1", &ups[0]},
		{"with its case", Epoch, "ev_2", &ups[1]},
		{"unknown", Epoch, "ev_9", nil},
		{"at expiry", Epoch.Add(time.Hour), "ev_1", nil},
		{"the other still live", Epoch.Add(time.Hour), "ev_2", &ups[1]},
		{"both expired", Epoch.Add(aftersales.UploadRecordTTL + 1), "ev_2", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Clock.Set(tc.at)
			got, err := s.Cases.GetUpload(t.Context(), tc.id)
			if tc.want == nil {
				wantNotFound(t, "get upload", err)
				return
			}
			must(t, "get upload", err)
			same(t, "upload", got, *tc.want)
		})
	}
}

// testNoAliasing: what a caller holds, before or after a call, is not what
// the store keeps.
func testNoAliasing(t *testing.T, s Stores) {
	o := newOrder("o-1", "buyer-1",
		orderLine("l1", aftersales.KindPhysical, 2, 19800),
		orderLine("l2", aftersales.KindAppliance, 1, 259900))
	putOrder(t, s, o)
	c := fullCase(t, o)
	rec := idemRecord("buyer-1", "k", c.ID, Epoch)
	create(t, s, c, rec)
	wantOrder := getOrder(t, s, "o-1")
	wantCase := getCase(t, s, c.ID)
	wantRec := *rec
	wantRec.Response = append([]byte(nil), rec.Response...)

	scribble := func(c *aftersales.Case) {
		c.Lines[0].Name = "scribbled"
		c.Evidence[0].ID = "ev_scribbled"
		c.Timeline[0].Note = "scribbled"
		c.Decision.Reason = "scribbled"
	}
	tests := []struct {
		name   string
		mutate func(t *testing.T)
	}{
		{"the created case", func(*testing.T) { scribble(c) }},
		{"a read case", func(t *testing.T) { scribble(getCase(t, s, c.ID)) }},
		{"a listed case", func(t *testing.T) {
			page, err := s.Cases.ListCases(t.Context(), aftersales.CaseQuery{BuyerID: "buyer-1"})
			must(t, "list", err)
			page.Items[0].Lines[0].Name = "scribbled"
			page.Items[0].Decision.Reason = "scribbled"
		}},
		{"the put order", func(*testing.T) { o.Lines[0].Name = "scribbled" }},
		{"a read order", func(t *testing.T) { getOrder(t, s, "o-1").Lines[0].Name = "scribbled" }},
		{"the idempotency response", func(t *testing.T) {
			rec.Response[0] = 'X'
			got, err := s.Idempotency.GetIdempotency(t.Context(), "buyer-1", "k")
			must(t, "get idempotency", err)
			got.Response[1] = 'X'
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.mutate(t)
			same(t, "case", getCase(t, s, c.ID), wantCase)
			same(t, "order", getOrder(t, s, "o-1"), wantOrder)
			got, err := s.Idempotency.GetIdempotency(t.Context(), "buyer-1", "k")
			must(t, "get idempotency", err)
			same(t, "idempotency record", got, wantRec)
		})
	}
}

// testConcurrentCreate: of many simultaneous cases on one line exactly one
// wins. The others are refused as held (DynamoDB may instead cancel a
// transaction that collides with one in flight: that is Transient, and the
// caller's retry then sees the line held).
func testConcurrentCreate(t *testing.T, s Stores) {
	o := storedOrder(t, s, 9900)
	const n = 8
	cases := make([]*aftersales.Case, n)
	for i := range cases {
		cases[i] = submitted(t, fmt.Sprintf("as_%d", i), o, aftersales.RefundOnly, "wrong_item", Epoch, "l1")
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range cases {
		wg.Go(func() {
			<-start
			errs[i] = s.Cases.CreateCase(t.Context(), cases[i], idemRecord("buyer-1", fmt.Sprintf("k%d", i), cases[i].ID, Epoch))
		})
	}
	close(start)
	wg.Wait()

	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Fatalf("both %s and %s took the line", winner, cases[i].ID)
			}
			winner = cases[i].ID
		case errors.Is(err, aftersales.ErrLineHeld), aftersales.KindOf(err) == aftersales.KindTransient:
			_, gerr := s.Cases.GetCase(t.Context(), cases[i].ID)
			wantNotFound(t, "a losing case", gerr)
		default:
			t.Fatalf("case %s: unexpected error %v", cases[i].ID, err)
		}
	}
	if winner == "" {
		t.Fatal("no case took the line")
	}
	if got := holder(t, s, "o-1", "l1"); got != winner {
		t.Errorf("line held by %q, want the winner %q", got, winner)
	}
}

// refundedOn returns the ledger's refunded amount of an order line.
func refundedOn(t *testing.T, s Stores, orderID, lineID string) int64 {
	t.Helper()
	o, err := s.Orders.GetOrder(t.Context(), orderID)
	if err != nil {
		t.Fatalf("get order %s: %v", orderID, err)
	}
	l, ok := o.Line(lineID)
	if !ok {
		t.Fatalf("order %s has no line %s", orderID, lineID)
	}
	return l.Refunded
}

// testCasesExist: the batched existence check answers exactly the stored
// ids among many, across the adapters' batch boundaries (DynamoDB reads 100
// keys a call), once for a duplicate, and without failing on ids no store
// could hold (empty, longer than any key).
func testCasesExist(t *testing.T, s Stores) {
	o := storedOrder(t, s, 100, 100, 100)
	for i, id := range []string{"as_1", "as_2", "as_3#x"} {
		create(t, s, submitted(t, id, o, aftersales.RefundOnly, "wrong_item", Epoch, fmt.Sprintf("l%d", i+1)), nil)
	}
	many := make([]string, 0, 260)
	for i := range 250 {
		many = append(many, fmt.Sprintf("as_unknown_%03d", i))
	}
	many = slices.Insert(many, 0, "as_1")
	many = slices.Insert(many, 150, "as_3#x", "as_1") // past the first batch of 100, and a duplicate
	many = append(many, "as_2")
	tests := []struct {
		name string
		ids  []string
		want map[string]bool
	}{
		{"none asked", nil, map[string]bool{}},
		{"none stored", []string{"as_x", "as_y"}, map[string]bool{}},
		{"one of each", []string{"as_x", "as_2"}, map[string]bool{"as_2": true}},
		{"many, across batches", many, map[string]bool{"as_1": true, "as_2": true, "as_3#x": true}},
		{"ids no store could hold", []string{"", strings.Repeat("x", 4096), "as_1"}, map[string]bool{"as_1": true}},
		{"the key's prefix alone", []string{"as_"}, map[string]bool{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Cases.CasesExist(t.Context(), tc.ids)
			must(t, "cases exist", err)
			if !maps.Equal(got, tc.want) {
				t.Errorf("found %v, want %v", got, tc.want)
			}
		})
	}
}
