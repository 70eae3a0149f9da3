package stack

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

func (st *Stack) billedTransitions(t *testing.T, caseID string) int {
	t.Helper()
	e, err := st.Execution(caseID)
	if err != nil {
		t.Fatalf("execution of %s: %v", caseID, err)
	}
	return int(e.BilledTransitions)
}

// photoSeed makes each uploadEvidence photo another photo: the same one on
// two claims would be flagged reused (issue 16).
var photoSeed atomic.Int64

// uploadEvidence uploads a small real photo (a different one each call)
// for the case and returns its id.
func (st *Stack) uploadEvidence(t *testing.T, buyer *client, caseID string) string {
	t.Helper()
	photo := inspecttest.JPEG(inspecttest.Photo(96, 96, int(photoSeed.Add(1))+1000), 80)
	var ups struct {
		Uploads []struct {
			EvidenceID string            `json:"evidence_id"`
			URL        string            `json:"url"`
			Headers    map[string]string `json:"headers"`
		} `json:"uploads"`
	}
	res := buyer.do("POST", "/v1/cases/"+caseID+"/evidence-uploads", map[string]any{"files": []map[string]any{{"content_type": "image/jpeg", "size": len(photo)}}})
	if res.status != http.StatusCreated {
		t.Fatalf("uploads: %d %s", res.status, res.body)
	}
	res.decode(t, &ups)
	req, _ := http.NewRequest("PUT", ups.Uploads[0].URL, bytes.NewReader(photo))
	for k, v := range ups.Uploads[0].Headers {
		req.Header.Set(k, v)
	}
	put, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	put.Body.Close()
	if put.StatusCode != http.StatusOK {
		t.Fatalf("PUT evidence: %d", put.StatusCode)
	}
	return ups.Uploads[0].EvidenceID
}

var docRow = regexp.MustCompile(`(?m)^\| ([a-z0-9_-]+) \| [^|]+ \| (\d+) \|$`)

// TestBilledTransitionsPerPath runs every path of the workflow to its end,
// counts the state transitions Step Functions bills for it, and checks them
// against the table in docs/WORKFLOW.md (so the published cost model cannot
// drift from the state machine).
func TestBilledTransitionsPerPath(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/WORKFLOW.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]int{}
	for _, m := range docRow.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]], _ = strconv.Atoi(m[2])
	}
	type path struct {
		name string
		run  func(t *testing.T, st *Stack) caseBody
	}
	review := func(t *testing.T, st *Stack, order, typ, reason, line string) (caseBody, *client, *client) {
		buyer := st.as(t, "buyer-1", "buyer")
		c := st.apply(t, buyer, app(order, typ, reason, line, 1))
		wantStatus(t, c, "pending_review")
		return c, buyer, st.as(t, "staff-1", "reviewer")
	}
	paths := []path{
		{"refund-auto", func(t *testing.T, st *Stack) caseBody {
			return st.apply(t, st.as(t, "buyer-1", "buyer"), app("o-1001", "refund_only", "wrong_item", "l1", 1))
		}},
		{"refund-manual", func(t *testing.T, st *Stack) caseBody {
			c, buyer, staff := review(t, st, "o-1002", "refund_only", "not_received", "l1")
			act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, 200)
			st.settle(t)
			return st.get(t, buyer, c.ID)
		}},
		{"refund-review-deadline", func(t *testing.T, st *Stack) caseBody {
			c, buyer, _ := review(t, st, "o-1002", "refund_only", "not_received", "l1")
			st.advance(t, 6*24*time.Hour)
			return st.get(t, buyer, c.ID)
		}},
		{"return-refund", func(t *testing.T, st *Stack) caseBody {
			c, buyer, staff := review(t, st, "o-1002", "return_refund", "size_not_fit", "l1")
			act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, 200)
			st.settle(t)
			act(t, buyer, "/v1/cases/"+c.ID+"/return-shipment", map[string]any{"courier": "shunfeng", "tracking_number": "SF1234567890"}, 200)
			st.settle(t)
			act(t, staff, "/v1/staff/cases/"+c.ID+"/receipt", map[string]any{"condition": "sellable"}, 200)
			st.settle(t)
			return st.get(t, buyer, c.ID)
		}},
		{"exchange", func(t *testing.T, st *Stack) caseBody {
			c, buyer, staff := review(t, st, "o-1002", "exchange", "size_exchange", "l2")
			act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, 200)
			st.settle(t)
			act(t, buyer, "/v1/cases/"+c.ID+"/return-shipment", map[string]any{"courier": "shunfeng", "tracking_number": "SF1234567890"}, 200)
			st.settle(t)
			act(t, staff, "/v1/staff/cases/"+c.ID+"/receipt", map[string]any{"condition": "sellable"}, 200)
			st.settle(t)
			act(t, staff, "/v1/staff/cases/"+c.ID+"/reship", map[string]any{"courier": "shunfeng", "tracking_number": "SF0987654321"}, 200)
			st.settle(t)
			return st.get(t, buyer, c.ID)
		}},
		{"claim-with-evidence", func(t *testing.T, st *Stack) caseBody {
			buyer := st.as(t, "buyer-1", "buyer")
			c := st.apply(t, buyer, app("o-1003", "claim", "produce_spoiled", "l1", 1))
			wantStatus(t, c, "awaiting_evidence")
			act(t, buyer, "/v1/cases/"+c.ID+"/evidence", map[string]any{"evidence_ids": producePhotos(t, buyer, c.ID)}, 200)
			st.settle(t)
			act(t, st.as(t, "staff-1", "reviewer"), "/v1/staff/cases/"+c.ID+"/approve", map[string]any{"amount": 1000, "note": "one of five jin spoiled"}, 200)
			st.settle(t)
			return st.get(t, buyer, c.ID)
		}},
		{"rejected-window-expires", func(t *testing.T, st *Stack) caseBody {
			c, buyer, staff := review(t, st, "o-1002", "return_refund", "size_not_fit", "l1")
			act(t, staff, "/v1/staff/cases/"+c.ID+"/reject", map[string]any{"reason": "worn"}, 200)
			st.settle(t)
			st.advance(t, 8*24*time.Hour)
			return st.get(t, buyer, c.ID)
		}},
		{"dispute-agreed", func(t *testing.T, st *Stack) caseBody {
			c, buyer, staff := review(t, st, "o-1002", "refund_only", "not_received", "l1")
			act(t, staff, "/v1/staff/cases/"+c.ID+"/reject", map[string]any{"reason": "delivered to the locker"}, 200)
			st.settle(t)
			act(t, buyer, "/v1/cases/"+c.ID+"/dispute", map[string]any{"reason": "not in the locker", "description": "the locker was empty"}, 200)
			st.settle(t)
			act(t, staff, "/v1/staff/cases/"+c.ID+"/proposals", map[string]any{"amount": 20000, "note": "we split it"}, 200)
			st.settle(t)
			d := st.dispute(t, buyer, c.ID)
			act(t, buyer, "/v1/cases/"+c.ID+"/proposals/"+d.Dispute.Proposals[0].ID+"/accept", nil, 200)
			st.settle(t)
			return st.get(t, buyer, c.ID)
		}},
		{"dispute-escalated-arbitrated", func(t *testing.T, st *Stack) caseBody {
			c, buyer, staff := review(t, st, "o-1002", "refund_only", "not_received", "l1")
			act(t, staff, "/v1/staff/cases/"+c.ID+"/reject", map[string]any{"reason": "delivered to the locker"}, 200)
			st.settle(t)
			act(t, buyer, "/v1/cases/"+c.ID+"/dispute", map[string]any{"reason": "not in the locker", "description": "the locker was empty"}, 200)
			st.advance(t, 49*time.Hour)
			act(t, st.as(t, "arb-1", "arbitrator"), "/v1/staff/cases/"+c.ID+"/arbitrate", map[string]any{"outcome": "dismiss", "note": "the locker's photo shows the parcel"}, 200)
			st.settle(t)
			return st.get(t, buyer, c.ID)
		}},
		{"cancelled-in-review", func(t *testing.T, st *Stack) caseBody {
			c, buyer, _ := review(t, st, "o-1002", "return_refund", "size_not_fit", "l1")
			act(t, buyer, "/v1/cases/"+c.ID+"/cancel", nil, 200)
			st.advance(t, 6*24*time.Hour)
			return st.get(t, buyer, c.ID)
		}},
	}
	measured := ""
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			st := startStack(t)
			c := p.run(t, st)
			if e, err := st.Execution(c.ID); err != nil || e.Status != "SUCCEEDED" {
				t.Fatalf("execution of a %s case: %+v %v; timeline %v", c.Status, e, err, actions(c))
			}
			n := st.billedTransitions(t, c.ID)
			measured += fmt.Sprintf("| %s | %s | %d |\n", p.name, c.Status, n)
			if want, ok := documented[p.name]; !ok || want != n {
				t.Errorf("%s: %d billed transitions, docs/WORKFLOW.md says %d (documented: %v)", p.name, n, want, ok)
			}
		})
	}
	if t.Failed() {
		t.Logf("measured:\n%s", measured)
	}
	if documented["refund-auto"] > 8 {
		t.Errorf("an auto-approved refund costs %d transitions, the budget is 8", documented["refund-auto"])
	}
}
