package usecase_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// TestMissedReviewPromise: the sweep records a member's passed review
// promise once, raises the tier's points with that change (none when the
// rule set gives the tier none), and leaves the review waiting; a buyer
// promised nothing has nothing to miss.
func TestMissedReviewPromise(t *testing.T) {
	tests := []struct {
		name       string
		tier       string
		points     map[string]int // the rule set's perks' missed_promise_points by tier; nil: the default
		wantMissed int
		wantPoints int
	}{
		{"diamond, by default", "diamond", nil, 1, 20},
		{"diamond, merchant's 50", "diamond", map[string]int{"diamond": 50}, 1, 50},
		{"diamond, no points set", "diamond", map[string]int{}, 1, 0},
		{"gold: no promise", "gold", nil, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := storetest.NewFakeClock(storetest.Epoch)
			store := memstore.New(clock)
			svc, _ := newServiceWith(t, usecase.Ports{Cases: store, Orders: store, Idempotency: store, Refunds: store}, noBlobs{}, clock,
				func(p *usecase.Ports) {
					if tc.points == nil {
						return
					}
					rs := aftersales.DefaultRuleSet()
					rs.Perks = map[string]aftersales.Perk{}
					for tier, pts := range tc.points {
						rs.Perks[tier] = aftersales.Perk{MissedPromisePoints: pts}
					}
					if err := p.Rules.PutRuleSet(t.Context(), rs); err != nil {
						t.Fatal(err)
					}
				})
			o, err := store.GetOrder(t.Context(), "o1")
			if err != nil {
				t.Fatal(err)
			}
			o.Version, o.EventID, o.MemberTier = 2, "ev-o1-2", tc.tier
			if _, err := svc.Orders.PutOrder(t.Context(), o); err != nil {
				t.Fatal(err)
			}
			c := inReview(t, svc, "tok-1", "l1")
			clock.Advance(2 * time.Hour)
			for range 2 { // the second sweep finds nothing more
				if _, err := svc.Workflow.Remind(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			got, err := store.GetCase(t.Context(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != aftersales.StatusPendingReview || !got.PromisedBy.IsZero() {
				t.Errorf("case %s promised by %v, want still under review, the promise gone", got.Status, got.PromisedBy)
			}
			missed := 0
			for _, e := range got.Timeline {
				if e.Action == aftersales.ActRemind {
					missed++
				}
			}
			if missed != tc.wantMissed {
				t.Errorf("missed promise recorded %d times, want %d", missed, tc.wantMissed)
			}
			es, err := store.PendingEvents(t.Context(), clock.Now().Add(time.Hour), 0)
			if err != nil {
				t.Fatal(err)
			}
			var points []aftersales.DomainEvent
			for _, e := range es {
				if e.Type == aftersales.EventPointsCompensation {
					points = append(points, e)
				}
			}
			switch {
			case tc.wantPoints == 0 && len(points) != 0:
				t.Errorf("points events %+v, want none", points)
			case tc.wantPoints != 0 && (len(points) != 1 || points[0].Detail["points"] != json.Number(strconv.Itoa(tc.wantPoints)) || points[0].Detail["member_tier"] != tc.tier):
				t.Errorf("points events %+v, want one of %d", points, tc.wantPoints)
			}
		})
	}
}
