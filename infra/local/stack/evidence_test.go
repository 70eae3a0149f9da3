package stack

import (
	"bytes"
	"image/jpeg"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

// evidenceView is the evidence part of the case view (issue 16).
type evidenceView struct {
	ID            string     `json:"id"`
	ContentType   string     `json:"content_type"`
	Slot          string     `json:"slot"`
	Status        string     `json:"status"`
	Checks        []string   `json:"checks"`
	ReusedFrom    string     `json:"reused_from"`
	ViewURL       string     `json:"view_url"`
	ThumbnailURL  string     `json:"thumbnail_url"`
	ViewExpiresAt *time.Time `json:"view_expires_at"`
}

type evidenceCase struct {
	ID       string         `json:"id"`
	Status   string         `json:"status"`
	Evidence []evidenceView `json:"evidence"`
	Next     *struct {
		Action   string     `json:"action"`
		Deadline *time.Time `json:"deadline"`
	} `json:"next"`
	Timeline []struct {
		Action string `json:"action"`
		Actor  string `json:"actor"`
		Note   string `json:"note"`
	} `json:"timeline"`
}

// openForReview opens a case without evidence that the rules send to a
// person, and waits until its review wait has begun.
func openForReview(t *testing.T, st *Stack, buyer *client, order, line, reason string) string {
	t.Helper()
	res := buyer.do("POST", "/v1/cases", map[string]any{"order_id": order, "type": "return_refund", "reason": reason,
		"lines": []map[string]any{{"line_id": line, "quantity": 1}}}, "Idempotency-Key", "ev-"+order+"-"+line)
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var c evidenceCase
	res.decode(t, &c)
	st.settle(t)
	if got := st.evidenceCase(t, buyer, c.ID); got.Status != "pending_review" {
		t.Fatalf("the rules sent %s to %s, want pending_review", c.ID, got.Status)
	}
	return c.ID
}

// addEvidence uploads body as contentType through a presigned URL and
// attaches it to the case; the verification runs when the file lands
// under evidence/, and settle waits for it.
func addEvidence(t *testing.T, st *Stack, buyer *client, caseID, contentType string, body []byte) string {
	t.Helper()
	up := presign(t, buyer, "/v1/cases/"+caseID+"/evidence-uploads", contentType, len(body))
	up.put(t, body)
	if res := buyer.do("POST", "/v1/cases/"+caseID+"/evidence", map[string]any{"evidence_ids": []string{up.EvidenceID}}); res.status != http.StatusOK {
		t.Fatalf("attach: %d %s", res.status, res.body)
	}
	st.settle(t)
	return up.EvidenceID
}

func (st *Stack) evidenceCase(t *testing.T, c *client, id string) evidenceCase {
	t.Helper()
	path := "/v1/cases/" + id
	if !slices.Contains(c.roles, "buyer") {
		path = "/v1/staff/cases/" + id
	}
	res := c.do("GET", path, nil)
	if res.status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, res.status, res.body)
	}
	var got evidenceCase
	res.decode(t, &got)
	return got
}

func fetch(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func hasCheck(e evidenceView, part string) bool {
	return slices.ContainsFunc(e.Checks, func(c string) bool { return strings.Contains(c, part) })
}

// TestEvidenceChecks is issue 16 end to end on the local stack: uploads
// land in the local S3, whose notifications go to the evidence queue and
// the evidence function, which records what each file is on its case.
func TestEvidenceChecks(t *testing.T) {
	st := startStack(t)
	buyer1 := st.as(t, "buyer-1", "buyer")
	buyer2 := st.as(t, "buyer-2", "buyer")
	staff := st.as(t, "rev-1", "reviewer")

	photo := inspecttest.JPEG(inspecttest.Photo(640, 480, 11), 90)
	first := openForReview(t, st, buyer1, "o-1002", "l1", "damaged")
	evFirst := addEvidence(t, st, buyer1, first, "image/jpeg", photo)

	t.Run("a real JPEG is verified", func(t *testing.T) {
		c := st.evidenceCase(t, buyer1, first)
		e := c.Evidence[0]
		if e.ID != evFirst || e.Status != "verified" || !hasCheck(e, "decode: jpeg 640x480") || !hasCheck(e, "reuse: no photo") {
			t.Fatalf("evidence %+v", e)
		}
		if c.Status != "pending_review" || !slices.ContainsFunc(c.Timeline, func(x struct {
			Action string `json:"action"`
			Actor  string `json:"actor"`
			Note   string `json:"note"`
		}) bool {
			return x.Action == "check_evidence" && x.Actor == "system" && strings.Contains(x.Note, evFirst+" verified")
		}) {
			t.Fatalf("case %+v", c)
		}
	})

	t.Run("staff open the evidence through the URL in the case view", func(t *testing.T) {
		e := st.evidenceCase(t, staff, first).Evidence[0]
		if e.ViewURL == "" || e.ViewExpiresAt == nil || !e.ViewExpiresAt.Equal(st.Clock.Now().UTC().Truncate(time.Second).Add(5*time.Minute)) {
			t.Fatalf("view %+v", e)
		}
		if status, body := fetch(t, e.ViewURL); status != http.StatusOK || !bytes.Equal(body, photo) {
			t.Fatalf("GET view URL: %d, %d bytes (want the %d uploaded)", status, len(body), len(photo))
		}
		// The thumbnail, made once by the check, 320 px on the longer side.
		status, thumb := fetch(t, e.ThumbnailURL)
		if status != http.StatusOK {
			t.Fatalf("GET thumbnail URL: %d", status)
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb)); err != nil || cfg.Width != 320 || cfg.Height != 240 {
			t.Fatalf("thumbnail %+v %v", cfg, err)
		}
		// The buyer sees their own too.
		if own := st.evidenceCase(t, buyer1, first).Evidence[0]; own.ViewURL == "" {
			t.Fatal("the buyer has no link to their own evidence")
		}
	})

	t.Run("a buyer cannot get a URL for another buyer's evidence", func(t *testing.T) {
		res := buyer2.do("GET", "/v1/cases/"+first, nil)
		if res.status != http.StatusNotFound || bytes.Contains(res.body, []byte("X-Amz-Signature")) {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})

	t.Run("bytes that are not an image are invalid and the buyer is asked for valid evidence", func(t *testing.T) {
		id := openForReview(t, st, buyer2, "o-1006", "l1", "quality_issue")
		ev := addEvidence(t, st, buyer2, id, "image/jpeg", []byte("not really a jpeg"))
		c := st.evidenceCase(t, buyer2, id)
		e := c.Evidence[0]
		if e.ID != ev || e.Status != "invalid" || !hasCheck(e, "type: the bytes are none of") || e.ThumbnailURL != "" || e.ViewURL == "" {
			t.Fatalf("evidence %+v", e)
		}
		// The rule set's evidence deadline, 72 h, from now.
		if c.Status != "awaiting_evidence" || c.Next == nil || c.Next.Action != "add_evidence" || c.Next.Deadline == nil ||
			!c.Next.Deadline.Equal(st.Clock.Now().Add(72*time.Hour)) {
			t.Fatalf("case %s next %+v", c.Status, c.Next)
		}
	})

	t.Run("the same photo on another buyer's claim is reused, naming the first case", func(t *testing.T) {
		id := openForReview(t, st, buyer2, "o-1005", "l1", "damaged")
		addEvidence(t, st, buyer2, id, "image/jpeg", photo)
		c := st.evidenceCase(t, staff, id)
		if e := c.Evidence[0]; e.Status != "reused" || e.ReusedFrom != first || !hasCheck(e, "0 bits from evidence "+evFirst) {
			t.Fatalf("evidence %+v", e)
		}
		if c.Status != "awaiting_evidence" {
			t.Fatalf("status %s", c.Status)
		}
	})

	t.Run("a re-encoded, slightly resized copy is reused too", func(t *testing.T) {
		copy90, err := inspecttest.Resized(photo, 9, 10, 75)
		if err != nil {
			t.Fatal(err)
		}
		id := openForReview(t, st, buyer2, "o-1008", "l1", "quality_issue")
		addEvidence(t, st, buyer2, id, "image/jpeg", copy90)
		if e := st.evidenceCase(t, staff, id).Evidence[0]; e.Status != "reused" || e.ReusedFrom != first || !hasCheck(e, "decode: jpeg 576x432") {
			t.Fatalf("evidence %+v", e)
		}
	})

	t.Run("a photo taken before the delivery is flagged", func(t *testing.T) {
		// o-1002 was delivered three days before the stack's start.
		taken := st.Clock.Now().Add(-10 * 24 * time.Hour).UTC()
		b, err := inspecttest.WithCaptureTime(inspecttest.JPEG(inspecttest.Photo(400, 300, 12), 90), taken)
		if err != nil {
			t.Fatal(err)
		}
		id := openForReview(t, st, buyer1, "o-1002", "l2", "damaged")
		ev := addEvidence(t, st, buyer1, id, "image/jpeg", b)
		c := st.evidenceCase(t, staff, id)
		e := c.Evidence[0]
		if e.Status != "verified" || !hasCheck(e, "before the order was delivered") {
			t.Fatalf("evidence %+v", e)
		}
		last := c.Timeline[len(c.Timeline)-1]
		if last.Action != "check_evidence" || !strings.Contains(last.Note, ev+" verified; flagged: taken before delivery") {
			t.Fatalf("timeline %+v", c.Timeline)
		}
	})

	t.Run("the view URL expires within minutes", func(t *testing.T) {
		e := st.evidenceCase(t, staff, first).Evidence[0]
		st.Clock.Advance(6 * time.Minute)
		if status, _ := fetch(t, e.ViewURL); status != http.StatusForbidden {
			t.Fatalf("an expired view URL answered %d", status)
		}
	})
}

// TestEvidenceRecognitionPerCategory turns image recognition on for one
// product category through the rule set and checks that only photos of
// that category are recognised (locally by the heuristic adapter: the
// local stack never calls Rekognition).
func TestEvidenceRecognitionPerCategory(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	staff := st.as(t, "rev-1", "reviewer")
	admin := st.as(t, "boss", "admin")

	var rs map[string]any
	admin.do("GET", "/v1/staff/ruleset", nil).decode(t, &rs)
	if ev, _ := rs["evidence"].(map[string]any); ev == nil || ev["reuse_max_distance"] != float64(6) {
		t.Fatalf("the default evidence settings: %v", rs["evidence"])
	}
	rs["evidence"] = map[string]any{"reuse_max_distance": 6, "recognition_categories": []string{"shoes"}}
	if res := admin.do("PUT", "/v1/staff/ruleset", rs); res.status != http.StatusOK {
		t.Fatalf("put ruleset: %d %s", res.status, res.body)
	}
	tests := []struct {
		name       string
		line       string
		recognized bool
	}{
		{"shoes: recognised", "l1", true},
		{"socks (apparel): not", "l2", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := openForReview(t, st, buyer, "o-1002", tt.line, "damaged")
			addEvidence(t, st, buyer, id, "image/jpeg", inspecttest.JPEG(inspecttest.Photo(300, 200, 40+i), 85))
			e := st.evidenceCase(t, staff, id).Evidence[0]
			if e.Status != "verified" || hasCheck(e, "recognition: ") != tt.recognized {
				t.Fatalf("evidence %+v", e)
			}
		})
	}
}
