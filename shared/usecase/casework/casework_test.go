package casework_test

import (
	"context"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

var (
	buyer    = aftersales.Principal{ID: "b1", Roles: []aftersales.Role{aftersales.RoleBuyer}}
	stranger = aftersales.Principal{ID: "b2", Roles: []aftersales.Role{aftersales.RoleBuyer}}
	reviewer = aftersales.Principal{ID: "s1", Roles: []aftersales.Role{aftersales.RoleReviewer}}
)

// none stands for "no error" in the tables: KindOf(nil) is KindInternal.
const none = aftersales.Kind(255)

func kindOf(err error) aftersales.Kind {
	if err == nil {
		return none
	}
	return aftersales.KindOf(err)
}

// resumes records the tokens resumed.
type resumes []string

func (r *resumes) Resume(_ context.Context, token string, _ *aftersales.Case) error {
	*r = append(*r, token)
	return nil
}

// racingStore loses the first n writes to a concurrent writer.
type racingStore struct {
	*memstore.Store
	lose int
}

func (s *racingStore) UpdateCase(ctx context.Context, c *aftersales.Case, prev int) error {
	if s.lose > 0 {
		s.lose--
		return aftersales.ErrVersionConflict
	}
	return s.Store.UpdateCase(ctx, c, prev)
}

// newCase stores a case of buyer b1 waiting for review on token tok.
func newCase(t *testing.T, store *memstore.Store, token string) *aftersales.Case {
	t.Helper()
	o := &aftersales.Order{ID: "o1", BuyerID: "b1", Status: aftersales.OrderDelivered, Currency: aftersales.CNY,
		Payment: aftersales.Payment{Channel: aftersales.ChannelAlipay, Amount: 10000},
		Lines:   []aftersales.OrderLine{{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 10000, PaidAmount: 10000}}}
	if err := store.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	c := &aftersales.Case{ID: "as_1", OrderID: "o1", BuyerID: "b1", Type: aftersales.RefundOnly, Reason: "wrong_item",
		Currency: aftersales.CNY, Requested: 10000,
		Lines: []aftersales.CaseLine{{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, Amount: 10000}}}
	now := storetest.Epoch
	for _, a := range []aftersales.Action{aftersales.ActSubmit, aftersales.ActSendToReview} {
		if err := c.Apply(aftersales.Change{Action: a, Actor: "test", At: now}); err != nil {
			t.Fatal(err)
		}
	}
	c.WaitingFor, c.TaskToken, c.Deadline = aftersales.WaitReview, token, now.Add(time.Hour)
	if err := store.CreateCase(t.Context(), c, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUpdateRetriesLostRacesThenGivesUp(t *testing.T) {
	tests := []struct {
		name      string
		lose      int
		wantWrote bool
		wantKind  aftersales.Kind
	}{
		{"no race", 0, true, none},
		{"two lost races, then written", 2, true, none},
		{"three lost races: a conflict", 3, false, aftersales.KindConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memstore.New(storetest.NewFakeClock(storetest.Epoch))
			newCase(t, mem, "tok")
			store := &racingStore{Store: mem, lose: tt.lose}
			calls := 0
			c, wrote, err := casework.Update(t.Context(), store, "as_1", store.GetCase, func(c *aftersales.Case) error {
				calls++
				return c.Apply(aftersales.Change{Action: aftersales.ActCancel, Actor: "buyer:b1", At: storetest.Epoch})
			})
			if wrote != tt.wantWrote || kindOf(err) != tt.wantKind {
				t.Fatalf("wrote %v err %v, want wrote %v kind %v", wrote, err, tt.wantWrote, tt.wantKind)
			}
			if calls != min(tt.lose+1, 3) {
				t.Errorf("fn called %d times, want one per attempt", calls)
			}
			if tt.wantWrote && c.Status != aftersales.StatusCancelled {
				t.Errorf("status %s, want cancelled", c.Status)
			}
		})
	}
}

func TestUpdateWithNoChangeWritesNothing(t *testing.T) {
	mem := memstore.New(storetest.NewFakeClock(storetest.Epoch))
	before := newCase(t, mem, "tok")
	c, wrote, err := casework.Update(t.Context(), mem, "as_1", mem.GetCase, func(*aftersales.Case) error { return casework.ErrNoChange })
	if err != nil || wrote || c.Version != before.Version {
		t.Fatalf("got version %d wrote %v err %v, want the case as read", c.Version, wrote, err)
	}
}

func TestEndWait(t *testing.T) {
	tests := []struct {
		name     string
		p        aftersales.Principal
		wait     string
		token    string
		wantKind aftersales.Kind
	}{
		{"staff end the review wait", reviewer, aftersales.WaitReview, "tok", none},
		{"the buyer's own case", buyer, aftersales.WaitReview, "tok", none},
		{"another buyer's case is not found", stranger, aftersales.WaitReview, "tok", aftersales.KindNotFound},
		{"not in that wait", reviewer, aftersales.WaitReturn, "tok", aftersales.KindConflict},
		{"wait not recorded yet: retry", reviewer, aftersales.WaitReview, "", aftersales.KindConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memstore.New(storetest.NewFakeClock(storetest.Epoch))
			newCase(t, mem, tt.token)
			var resumed resumes
			c, err := casework.EndWait(t.Context(), mem, &resumed, tt.p, "as_1", tt.wait, func(c *aftersales.Case) error {
				return c.Apply(aftersales.Change{Action: aftersales.ActReject, Actor: tt.p.Actor(), At: storetest.Epoch, Note: "no"})
			})
			if kindOf(err) != tt.wantKind {
				t.Fatalf("err %v, want kind %v", err, tt.wantKind)
			}
			if tt.wantKind != none {
				if len(resumed) != 0 {
					t.Errorf("resumed %v after a refusal", resumed)
				}
				return
			}
			if c.Status != aftersales.StatusRejected || len(resumed) != 1 || resumed[0] != tt.token {
				t.Fatalf("status %s, resumed %v; want rejected and %q resumed once", c.Status, resumed, tt.token)
			}
		})
	}
}

func TestCheckQuery(t *testing.T) {
	tests := []struct {
		name      string
		q         aftersales.CaseQuery
		field     string
		wantLimit int
	}{
		{"defaults the page size", aftersales.CaseQuery{}, "", aftersales.DefaultPageSize},
		{"unknown status", aftersales.CaseQuery{Status: "lost"}, "status", 0},
		{"unknown type", aftersales.CaseQuery{Type: "gift"}, "type", 0},
		{"page too large", aftersales.CaseQuery{Limit: aftersales.MaxPageSize + 1}, "limit", 0},
		{"max below min", aftersales.CaseQuery{MinAmount: 500, MaxAmount: 100}, "max_amount", 0},
		{"empty date range", aftersales.CaseQuery{From: storetest.Epoch, To: storetest.Epoch}, "to", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := casework.CheckQuery(tt.q)
			if tt.field == "" {
				if err != nil || q.Limit != tt.wantLimit {
					t.Fatalf("limit %d err %v, want %d", q.Limit, err, tt.wantLimit)
				}
				return
			}
			if f := aftersales.FieldsOf(err); len(f) != 1 || f[0].Field != tt.field {
				t.Fatalf("err %v, want one field error on %s", err, tt.field)
			}
		})
	}
}

func TestRequireStaffAndText(t *testing.T) {
	if err := casework.RequireStaff(buyer, "op"); aftersales.KindOf(err) != aftersales.KindForbidden {
		t.Errorf("a buyer: %v, want forbidden", err)
	}
	if err := casework.RequireStaff(reviewer, "op"); err != nil {
		t.Errorf("a reviewer: %v", err)
	}
	if f := aftersales.FieldsOf(casework.RequireText("reason", "  ", "op")); len(f) != 1 || f[0].Field != "reason" {
		t.Errorf("blank reason: %+v", f)
	}
}
