package stack

import (
	"net/http"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

// TestProduceClaimWindow (F16): a claim of 1 spoiled jin of 5 strawberries,
// with a photo, inside 24 h of delivery pays 20% of the line once a
// reviewer approves it; a claim after the window is rejected by the
// default rule set, naming the window.
func TestProduceClaimWindow(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	claim := func() map[string]any {
		a := app("o-1003", "claim", "produce_spoiled", "l1", 5)
		a["claim"] = map[string]any{"spoiled_quantity": 1}
		return a
	}
	c := st.apply(t, buyer, claim()) // delivered 6 h before the stack's start
	wantStatus(t, c, "awaiting_evidence")
	photo := inspecttest.JPEG(inspecttest.Photo(120, 90, 7), 80)
	up := presign(t, buyer, "/v1/cases/"+c.ID+"/evidence-uploads", "image/jpeg", len(photo))
	up.put(t, photo)
	act(t, buyer, "/v1/cases/"+c.ID+"/evidence", map[string]any{"evidence_ids": []string{up.EvidenceID}}, http.StatusOK)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "pending_review")
	if c.RequestedAmount != 2000 {
		t.Fatalf("1 of 5 jin of a 100 CNY line claims %d, want 2000 (20%%)", c.RequestedAmount)
	}
	act(t, st.as(t, "staff-1", "reviewer"), "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 2000 {
		t.Errorf("refunded %d, want 2000", c.RefundedAmount)
	}

	st.advance(t, 19*time.Hour) // delivered 25 h ago now
	late := st.apply(t, buyer, claim())
	wantStatus(t, late, "rejected")
	if late.Decision == nil || late.Decision.RuleID != "produce-claim-window" {
		t.Errorf("late claim decided by %+v, want produce-claim-window", late.Decision)
	}
}
