package stack

import (
	"net/http"
	"strings"
	"testing"
)

// TestApplianceDocuments is F21's documents end to end: an appliance case
// takes its installation record as a PDF through a presigned URL, and the
// evidence check verifies it as a PDF; a PDF for a photo's slot, and an
// appliance's document on a case of other goods, are refused naming the
// field.
func TestApplianceDocuments(t *testing.T) {
	st := startStack(t)
	b1, b2 := st.as(t, "buyer-1", "buyer"), st.as(t, "buyer-2", "buyer")
	fridge := openForReview(t, st, b2, "o-1005", "l1", "size_not_fit")
	shoes := openForReview(t, st, b1, "o-1002", "l1", "size_not_fit")
	pdf := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

	uploads := func(c *client, caseID, contentType, slot string) response {
		return c.do("POST", "/v1/cases/"+caseID+"/evidence-uploads",
			map[string]any{"files": []map[string]any{{"content_type": contentType, "size": len(pdf), "slot": slot}}})
	}
	refused := []struct {
		name      string
		c         *client
		caseID    string
		typ, slot string
		field     string
	}{
		{"a PDF for a photo's slot", b2, fridge, "application/pdf", "label", "files[0].content_type"},
		{"a PDF without a slot", b2, fridge, "application/pdf", "", "files[0].content_type"},
		{"an appliance's document on shoes", b1, shoes, "image/jpeg", "install_record", "files[0].slot"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			res := uploads(tt.c, tt.caseID, tt.typ, tt.slot)
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.body), `"field":"`+tt.field+`"`) {
				t.Fatalf("%d %s, want 422 naming %s", res.status, res.body, tt.field)
			}
		})
	}

	res := uploads(b2, fridge, "application/pdf", "install_record")
	if res.status != http.StatusCreated {
		t.Fatalf("the installation record's upload URL: %d %s", res.status, res.body)
	}
	var ups struct {
		Uploads []presignedUpload `json:"uploads"`
	}
	res.decode(t, &ups)
	ups.Uploads[0].put(t, pdf)
	if res := b2.do("POST", "/v1/cases/"+fridge+"/evidence", map[string]any{"evidence_ids": []string{ups.Uploads[0].EvidenceID}}); res.status != http.StatusOK {
		t.Fatalf("attach: %d %s", res.status, res.body)
	}
	st.settle(t)
	got := st.evidenceCase(t, b2, fridge)
	if len(got.Evidence) != 1 {
		t.Fatalf("evidence %+v, want the installation record", got.Evidence)
	}
	e := got.Evidence[0]
	if e.Slot != "install_record" || e.ContentType != "application/pdf" || e.Status != "verified" || !hasCheck(e, "PDF") {
		t.Errorf("the installation record: %+v, want a verified PDF in slot install_record", e)
	}
}
