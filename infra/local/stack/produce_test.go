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
	// A photo of the items alone: the rules ask for the label's too
	// (evidence slots, rule produce-photo-slots).
	item := inspecttest.JPEG(inspecttest.Photo(120, 90, 7), 80)
	up := presignSlot(t, buyer, c.ID, "item", item)
	act(t, buyer, "/v1/cases/"+c.ID+"/evidence", map[string]any{"evidence_ids": []string{up}}, http.StatusOK)
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "awaiting_evidence")
	if c.Decision == nil || c.Decision.RuleID != "produce-photo-slots" {
		t.Fatalf("a claim without the label's photo decided by %+v, want produce-photo-slots", c.Decision)
	}
	label := inspecttest.JPEG(inspecttest.Photo(120, 90, 8), 80)
	up = presignSlot(t, buyer, c.ID, "label", label)
	act(t, buyer, "/v1/cases/"+c.ID+"/evidence", map[string]any{"evidence_ids": []string{up}}, http.StatusOK)
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

// presignSlot uploads photo as the case's evidence for slot (F16) and
// returns its evidence id, not yet attached.
func presignSlot(t *testing.T, buyer *client, caseID, slot string, photo []byte) string {
	t.Helper()
	var ups struct {
		Uploads []presignedUpload `json:"uploads"`
	}
	res := buyer.do("POST", "/v1/cases/"+caseID+"/evidence-uploads",
		map[string]any{"files": []map[string]any{{"content_type": "image/jpeg", "size": len(photo), "slot": slot}}})
	if res.status != http.StatusCreated {
		t.Fatalf("uploads: %d %s", res.status, res.body)
	}
	res.decode(t, &ups)
	ups.Uploads[0].put(t, photo)
	return ups.Uploads[0].EvidenceID
}

// producePhotos uploads the two named photos a produce claim needs (F16:
// the items and the parcel label), each a new photo, and returns their
// evidence ids for one attach.
func producePhotos(t *testing.T, buyer *client, caseID string) []string {
	t.Helper()
	var ids []string
	for _, slot := range []string{"item", "label"} {
		photo := inspecttest.JPEG(inspecttest.Photo(96, 96, int(photoSeed.Add(1))+1000), 80)
		ids = append(ids, presignSlot(t, buyer, caseID, slot, photo))
	}
	return ids
}
