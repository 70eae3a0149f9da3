package apigw

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw/ledgercsv"
	"github.com/aftersales/aftersales/shared/usecase/policies"
)

// The callers of the tests, as the server passes them to the use cases.
var (
	buyer    = aftersales.Principal{ID: "buyer-1", Roles: []aftersales.Role{aftersales.RoleBuyer}}
	reviewer = aftersales.Principal{ID: "staff-1", Roles: []aftersales.Role{aftersales.RoleReviewer}}
	admin    = aftersales.Principal{ID: "admin-1", Roles: []aftersales.Role{aftersales.RoleAdmin}}
	arbiter  = aftersales.Principal{ID: "arb-1", Roles: []aftersales.Role{aftersales.RoleArbitrator}}
)

func ptr[T any](v T) *T { return &v }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestRoutes sends one well-formed request to every route and checks the
// call the use cases saw (method, caller, decoded arguments) and the answer.
// It fails when a route of the router has no case here.
func TestRoutes(t *testing.T) {
	buyerTok, staffTok, adminTok := token(t, "buyer-1"), token(t, "staff-1", "reviewer"), token(t, "admin-1", "admin")
	tests := []struct {
		name    string
		req     request
		status  int
		want    *call             // the one use case call; nil: none
		body    string            // a substring of the answer
		headers map[string]string // headers of the answer
	}{
		{name: "create a case",
			req: request{method: "POST", target: "/v1/cases", auth: buyerTok, headers: map[string]string{"Idempotency-Key": "k-1"},
				body: `{"order_id":"o-1","type":"claim","reason":"spoiled","description":"soft","lines":[{"line_id":"l1","quantity":2}],
					"amount":500,"refund_to":"balance","evidence":["ev_1"],"claim":{"spoiled_weight":100,"total_weight":400}}`},
			status: http.StatusCreated,
			want: &call{"CreateCase", buyer, []any{aftersales.Application{OrderID: "o-1", Type: aftersales.Claim, Reason: "spoiled",
				Description: "soft", Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 2}}, Amount: ptr[int64](500),
				RefundTo: aftersales.RefundBalance, EvidenceIDs: []string{"ev_1"},
				Claim: &aftersales.ClaimDetails{SpoiledWeight: 100, TotalWeight: 400}}, "k-1"}},
			body: `"id":"as_new"`, headers: map[string]string{"Location": "/v1/cases/as_new", "Content-Type": "application/json"}},
		{name: "list my cases",
			req:    request{method: "GET", target: "/v1/cases?status=pending_review&limit=10&cursor=c-1", auth: buyerTok},
			status: http.StatusOK,
			want: &call{"ListCases", buyer, []any{aftersales.CaseQuery{BuyerID: "buyer-1", Status: aftersales.StatusPendingReview,
				Limit: 10, Cursor: "c-1"}}},
			body: `"next_cursor":"cursor-2"`},
		{name: "get a case", req: request{method: "GET", target: "/v1/cases/as_1", auth: buyerTok}, status: http.StatusOK,
			want: &call{"GetCase", buyer, []any{"as_1"}}, body: `"next":{"actor":"merchant"`},
		{name: "uploads before the case",
			req:    request{method: "POST", target: "/v1/evidence-uploads", auth: buyerTok, body: `{"files":[{"content_type":"image/jpeg","size":1000}]}`},
			status: http.StatusCreated,
			want:   &call{"RequestUploads", buyer, []any{"", []aftersales.UploadFile{{ContentType: "image/jpeg", Size: 1000}}}},
			body:   `"url":"https://bucket.example/ev?X-Amz-Signature=s&X-Amz-Expires=600"`},
		{name: "uploads for a case",
			req: request{method: "POST", target: "/v1/cases/as_1/evidence-uploads", auth: buyerTok,
				body: `{"files":[{"content_type":"image/png","size":1},{"content_type":"video/mp4","size":2}]}`},
			status: http.StatusCreated,
			want: &call{"RequestUploads", buyer, []any{"as_1", []aftersales.UploadFile{{ContentType: "image/png", Size: 1},
				{ContentType: "video/mp4", Size: 2}}}},
			body: `"evidence_id":"ev_b"`},
		{name: "attach evidence", req: request{method: "POST", target: "/v1/cases/as_1/evidence", auth: buyerTok, body: `{"evidence_ids":["ev_a","ev_b"]}`},
			status: http.StatusOK, want: &call{"AttachEvidence", buyer, []any{"as_1", []string{"ev_a", "ev_b"}}}, body: `"id":"as_1"`},
		{name: "cancel", req: request{method: "POST", target: "/v1/cases/as_1/cancel", auth: buyerTok}, status: http.StatusOK,
			want: &call{"Cancel", buyer, []any{"as_1"}}, body: `"id":"as_1"`},
		{name: "reasons of a type", req: request{method: "GET", target: "/v1/reasons?type=return_refund", auth: buyerTok}, status: http.StatusOK,
			body: `"code":"size_not_fit"`},
		{name: "staff list with every filter",
			req: request{method: "GET", auth: staffTok, target: "/v1/staff/cases?status=pending_review&type=return_refund&kind=physical" +
				"&reason=damaged&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&min_amount=100&max_amount=900&cursor=c&limit=5"},
			status: http.StatusOK,
			want: &call{"ListCases", reviewer, []any{aftersales.CaseQuery{Status: aftersales.StatusPendingReview, Type: aftersales.ReturnRefund,
				Kind: aftersales.KindPhysical, Reason: "damaged", From: at("2026-11-01T00:00:00Z"), To: at("2026-12-01T00:00:00Z"),
				MinAmount: 100, MaxAmount: 900, Cursor: "c", Limit: 5}}},
			body: `"items":[{"id":"as_1"`},
		{name: "staff get", req: request{method: "GET", target: "/v1/staff/cases/as_1", auth: staffTok}, status: http.StatusOK,
			want: &call{"GetCase", reviewer, []any{"as_1"}}, body: `"id":"as_1"`},
		{name: "ship the return",
			req:    request{method: "POST", target: "/v1/cases/as_1/return-shipment", auth: buyerTok, body: `{"courier":"SF","tracking_number":"SF1"}`},
			status: http.StatusOK, want: &call{"ShipReturn", buyer, []any{"as_1", aftersales.Shipment{Courier: "SF", TrackingNumber: "SF1"}}}},
		{name: "book a pickup",
			req: request{method: "POST", target: "/v1/cases/as_1/pickup", auth: buyerTok,
				body: `{"window_start":"2026-12-06T01:00:00Z","window_end":"2026-12-06T03:00:00Z","address":"上海市1号"}`},
			status: http.StatusOK, want: &call{"BookPickup", buyer, []any{"as_1", aftersales.PickupRequest{Address: "上海市1号",
				WindowStart: at("2026-12-06T01:00:00Z"), WindowEnd: at("2026-12-06T03:00:00Z")}}}},
		{name: "approve a part", req: request{method: "POST", target: "/v1/staff/cases/as_1/approve", auth: staffTok, body: `{"amount":5000,"note":"half"}`},
			status: http.StatusOK, want: &call{"Approve", reviewer, []any{"as_1", aftersales.Approval{Amount: ptr[int64](5000), Note: "half"}}}},
		{name: "approve in full", req: request{method: "POST", target: "/v1/staff/cases/as_1/approve", auth: adminTok, body: `{}`},
			status: http.StatusOK, want: &call{"Approve", admin, []any{"as_1", aftersales.Approval{}}}},
		{name: "reject", req: request{method: "POST", target: "/v1/staff/cases/as_1/reject", auth: staffTok, body: `{"reason":"worn"}`},
			status: http.StatusOK, want: &call{"Reject", reviewer, []any{"as_1", "worn"}}},
		{name: "request evidence", req: request{method: "POST", target: "/v1/staff/cases/as_1/request-evidence", auth: staffTok, body: `{"note":"a photo"}`},
			status: http.StatusOK, want: &call{"RequestEvidence", reviewer, []any{"as_1", "a photo"}}},
		{name: "receipt", req: request{method: "POST", target: "/v1/staff/cases/as_1/receipt", auth: staffTok, body: `{"condition":"sellable","note":"ok"}`},
			status: http.StatusOK, want: &call{"ConfirmReceipt", reviewer, []any{"as_1", "sellable", "ok"}}},
		{name: "reship", req: request{method: "POST", target: "/v1/staff/cases/as_1/reship", auth: staffTok, body: `{"courier":"JD","tracking_number":"JD9"}`},
			status: http.StatusOK, want: &call{"Reship", reviewer, []any{"as_1", aftersales.Shipment{Courier: "JD", TrackingNumber: "JD9"}}}},
		{name: "get the rule set", req: request{method: "GET", target: "/v1/staff/ruleset", auth: staffTok}, status: http.StatusOK,
			want: &call{"CurrentRuleSet", aftersales.Principal{}, nil}, body: `"rules":[`, headers: map[string]string{"Content-Type": "application/json"}},
		{name: "put the rule set", req: request{method: "PUT", target: "/v1/staff/ruleset", auth: adminTok, body: ruleSetBody},
			status: http.StatusOK, want: &call{"PutRuleSet", admin, []any{decodedRuleSet(t)}}, body: `"version":4`},
		{name: "batch review by filter",
			req: request{method: "POST", target: "/v1/staff/reviews", auth: staffTok,
				body: `{"filter":{"status":"pending_review","type":"refund_only","kind":"virtual","reason":"not_received",
					"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","min_amount":1,"max_amount":2},"decision":"approve","reason":"ok"}`},
			status: http.StatusAccepted,
			want: &call{"StartBatchReview", reviewer, []any{aftersales.BatchReview{Decision: "approve", Reason: "ok",
				Filter: &aftersales.CaseQuery{Status: aftersales.StatusPendingReview, Type: aftersales.RefundOnly, Kind: aftersales.KindVirtual,
					Reason: "not_received", From: at("2026-11-01T00:00:00Z"), To: at("2026-11-02T00:00:00Z"), MinAmount: 1, MaxAmount: 2}}}},
			body: `"status":"running"`, headers: map[string]string{"Location": "/v1/staff/reviews/job_1"}},
		{name: "batch review by ids",
			req:    request{method: "POST", target: "/v1/staff/reviews", auth: staffTok, body: `{"case_ids":["as_1","as_2"],"decision":"reject","reason":"late"}`},
			status: http.StatusAccepted,
			want:   &call{"StartBatchReview", reviewer, []any{aftersales.BatchReview{CaseIDs: []string{"as_1", "as_2"}, Decision: "reject", Reason: "late"}}},
			body:   `"total":2`},
		{name: "batch review progress", req: request{method: "GET", target: "/v1/staff/reviews/job_1", auth: staffTok}, status: http.StatusOK,
			want: &call{"GetReviewJob", reviewer, []any{"job_1"}},
			body: `"status":"done","decision":"reject","total":2,"succeeded":1,"failed":1,"failures":[{"case_id":"as_2"`},
		{name: "refund ledger",
			req: request{method: "GET", auth: staffTok,
				target: "/v1/staff/refunds?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&order_id=o-1&phone=138&cursor=c&limit=7"},
			status: http.StatusOK,
			want: &call{"ListRefunds", reviewer, []any{aftersales.RefundQuery{From: at("2026-11-01T00:00:00Z"), To: at("2026-12-01T00:00:00Z"),
				OrderID: "o-1", Phone: "138", Cursor: "c", Limit: 7}}},
			body: `"id":"rf_as_1-1"`},
		{name: "refund export", req: request{method: "GET", target: "/v1/staff/refunds/export?order_id=o-1", auth: staffTok}, status: http.StatusOK,
			want: &call{"ListRefunds", reviewer, []any{aftersales.RefundQuery{OrderID: "o-1", Limit: aftersales.MaxPageSize}}},
			body: "as_1-1", headers: map[string]string{"Content-Type": "text/csv; charset=utf-8",
				"Content-Disposition": `attachment; filename="refunds.csv"`}},
		{name: "retry a refund", req: request{method: "POST", target: "/v1/staff/cases/as_1/retry-refund", auth: staffTok, body: `{"refund_to":"balance"}`},
			status: http.StatusOK, want: &call{"RetryRefund", reviewer, []any{"as_1", aftersales.RefundBalance}}},
		{name: "policies for a product page",
			req:    request{method: "GET", target: "/v1/policies?kind=claim&category=fruit&tier=diamond&lang=en", auth: staffTok},
			status: http.StatusOK,
			want:   &call{"Policies", reviewer, []any{policies.Query{Kind: "claim", Category: "fruit", Tier: "diamond", Lang: "en"}}},
			body:   `"sections":[{"topic":"rules","title":"How applications are decided","lines":[{"text":"Applications are checked`},
		{name: "preview an application",
			req: request{method: "POST", target: "/v1/cases/preview?lang=en", auth: buyerTok,
				body: `{"order_id":"o-1","type":"return_refund","reason":"size_not_fit","lines":[{"line_id":"l1","quantity":1}],"amount":3900}`},
			status: http.StatusOK,
			want: &call{"Preview", buyer, []any{aftersales.Application{OrderID: "o-1", Type: aftersales.ReturnRefund, Reason: "size_not_fit",
				Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 1}}, Amount: ptr[int64](3900)}, "en"}},
			body: `{"lang":"en","summary":"Rule “small-amount” decides: approved automatically. Refund: 39.00 CNY. Next: you ship the goods back, within 7 days.",` +
				`"type":"return_refund","status":"awaiting_return","lines":[{"line_id":"l1","sku":"SOCKS","kind":"physical","quantity":1,"amount":3900}],` +
				`"requested_amount":3900,"approved_amount":3900,"currency":"CNY","refund_to":"original",` +
				`"decision":{"outcome":"approve","by":"rules","rule_id":"small-amount","ruleset_version":1},` +
				`"next":{"actor":"buyer","action":"ship_return","deadline":"2026-11-18T`},
		{name: "mark a manual refund paid", req: request{method: "POST", target: "/v1/staff/cases/as_1/mark-refund-paid", auth: staffTok,
			body: `{"reference":"BANK-20261111-001"}`},
			status: http.StatusOK, want: &call{"MarkRefundPaid", reviewer, []any{"as_1", "BANK-20261111-001"}}},
		{name: "open a dispute", req: request{method: "POST", target: "/v1/cases/as_1/dispute", auth: buyerTok,
			body: `{"reason":"not as described","description":"see photos","evidence_ids":["ev_1"]}`},
			status: http.StatusOK, want: &call{"Open", buyer, []any{"as_1", aftersales.DisputeRequest{Reason: "not as described",
				Description: "see photos", EvidenceIDs: []string{"ev_1"}}}}},
		{name: "buyer writes", req: request{method: "POST", target: "/v1/cases/as_1/messages", auth: buyerTok, body: `{"text":"你好\nhello"}`},
			status: http.StatusCreated, want: &call{"Post", buyer, []any{aftersales.PartyBuyer, "as_1", aftersales.MessageRequest{Text: "你好\nhello"}}},
			body: `"party":"buyer"`},
		{name: "buyer reads the thread", req: request{method: "GET", target: "/v1/cases/as_1/messages", auth: buyerTok},
			status: http.StatusOK, want: &call{"Thread", buyer, []any{aftersales.PartyBuyer, "as_1"}}, body: `"verified":true`},
		{name: "buyer proposes", req: request{method: "POST", target: "/v1/cases/as_1/proposals", auth: buyerTok, body: `{"amount":3000,"note":"half"}`},
			status: http.StatusOK, want: &call{"Propose", buyer, []any{"as_1", aftersales.PartyBuyer, int64(3000), "half"}}},
		{name: "buyer accepts", req: request{method: "POST", target: "/v1/cases/as_1/proposals/pr_1/accept", auth: buyerTok},
			status: http.StatusOK, want: &call{"Accept", buyer, []any{"as_1", aftersales.PartyBuyer, "pr_1"}}},
		{name: "staff write", req: request{method: "POST", target: "/v1/staff/cases/as_1/messages", auth: staffTok, body: `{"text":"we checked"}`},
			status: http.StatusCreated, want: &call{"Post", reviewer, []any{aftersales.PartyMerchant, "as_1", aftersales.MessageRequest{Text: "we checked"}}},
			body: `"party":"merchant"`},
		{name: "an arbitrator reads the thread", req: request{method: "GET", target: "/v1/staff/cases/as_1/messages", auth: token(t, "arb-1", "arbitrator")},
			status: http.StatusOK, want: &call{"Thread", arbiter, []any{aftersales.PartyPlatform, "as_1"}}, body: `"party":"platform"`},
		{name: "staff propose", req: request{method: "POST", target: "/v1/staff/cases/as_1/proposals", auth: staffTok, body: `{"amount":2000}`},
			status: http.StatusOK, want: &call{"Propose", reviewer, []any{"as_1", aftersales.PartyMerchant, int64(2000), ""}}},
		{name: "staff accept", req: request{method: "POST", target: "/v1/staff/cases/as_1/proposals/pr_2/accept", auth: staffTok},
			status: http.StatusOK, want: &call{"Accept", reviewer, []any{"as_1", aftersales.PartyMerchant, "pr_2"}}},
		{name: "staff upload a document", req: request{method: "POST", target: "/v1/staff/cases/as_1/documents", auth: staffTok,
			body: `{"files":[{"content_type":"application/pdf","size":2048}]}`},
			status: http.StatusCreated, want: &call{"RequestDocuments", reviewer, []any{"as_1", []aftersales.UploadFile{{ContentType: "application/pdf", Size: 2048}}}},
			body: `"evidence_id":"ev_doc"`},
		{name: "goodwill refund", req: request{method: "POST", target: "/v1/staff/goodwill-refunds", auth: staffTok,
			headers: map[string]string{"Idempotency-Key": "gw-1"},
			body:    `{"order_id":"o-1","amount":1000,"reason":"late_delivery","note":"sorry"}`},
			status: http.StatusCreated, want: &call{"Goodwill", reviewer, []any{aftersales.GoodwillRequest{OrderID: "o-1", Amount: 1000,
				Reason: "late_delivery", Note: "sorry"}, "gw-1"}},
			headers: map[string]string{"Location": "/v1/cases/as_gw"}},
		{name: "arbitrate", req: request{method: "POST", target: "/v1/staff/cases/as_1/arbitrate", auth: token(t, "arb-1", "arbitrator"),
			body: `{"outcome":"refund","amount":4000,"note":"the photos prove it"}`},
			status: http.StatusOK, want: &call{"Arbitrate", arbiter, []any{"as_1", "refund", int64(4000), "the photos prove it"}}},
		{name: "my inbox", req: request{method: "GET", target: "/v1/notifications?cursor=c&limit=5", auth: buyerTok}, status: http.StatusOK,
			want: &call{"List", buyer, []any{"c", 5}}, body: `"items":[{"id":"nt_1","case_id":"as_1","kind":"status_changed"`},
		{name: "the staff inbox", req: request{method: "GET", target: "/v1/notifications", auth: staffTok}, status: http.StatusOK,
			want: &call{"List", reviewer, []any{"", 0}}, body: `"next_cursor":"cursor-2","unread":1`},
		{name: "mark one read", req: request{method: "POST", target: "/v1/notifications/nt_9/read", auth: buyerTok}, status: http.StatusOK,
			want: &call{"MarkRead", buyer, []any{"nt_9"}}, body: `"read_at":"`},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(tt.req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body %s, want it to hold %s", rec.Body, tt.body)
			}
			for k, v := range tt.headers {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if rec.Header().Get("X-Request-Id") != "req-1" {
				t.Errorf("X-Request-Id %q", rec.Header().Get("X-Request-Id"))
			}
			h.fake.wantCall(t, tt.want)
			_, pattern := h.srv.mux.Handler(httptest.NewRequest(tt.req.method, tt.req.target, nil))
			covered[pattern] = true
		})
	}
	for _, rt := range newHarness(t).srv.Routes() {
		if !covered[rt.Method+" "+rt.Path] {
			t.Errorf("route %s %s has no case in TestRoutes", rt.Method, rt.Path)
		}
	}
}

// ruleSetBody is a rule set a staff member PUTs, at version 3.
const ruleSetBody = `{"version":3,"rules":[{"id":"small","when":{"amount_at_most":5000},"then":{"decision":"approve","reason":"small"}},` +
	`{"id":"default","then":{"decision":"manual","level":"reviewer"}}]}`

func decodedRuleSet(t *testing.T) *aftersales.RuleSet {
	t.Helper()
	rs := aftersales.DefaultRuleSet()
	rs.Version = 3
	rs.Rules = []aftersales.Rule{
		{ID: "small", When: aftersales.Condition{AmountAtMost: ptr[int64](5000)}, Then: aftersales.Outcome{Decision: aftersales.OutcomeApprove, Reason: "small"}},
		{ID: "default", Then: aftersales.Outcome{Decision: aftersales.OutcomeManual, Level: aftersales.RoleReviewer}},
	}
	return rs
}

// access is who may call each route, as docs/API.md says: pinned here so that a
// route's level cannot change unnoticed.
var access = map[string]Access{
	"POST /v1/cases":                             BuyerOnly,
	"GET /v1/cases":                              AnyCaller,
	"GET /v1/cases/{id}":                         AnyCaller,
	"POST /v1/evidence-uploads":                  BuyerOnly,
	"POST /v1/cases/{id}/evidence-uploads":       BuyerOnly,
	"POST /v1/cases/{id}/evidence":               BuyerOnly,
	"POST /v1/cases/{id}/cancel":                 BuyerOnly,
	"GET /v1/reasons":                            AnyCaller,
	"GET /v1/policies":                           AnyCaller,
	"POST /v1/cases/preview":                     BuyerOnly,
	"GET /v1/staff/cases":                        CaseReaders,
	"GET /v1/staff/cases/{id}":                   CaseReaders,
	"POST /v1/cases/{id}/return-shipment":        BuyerOnly,
	"POST /v1/cases/{id}/pickup":                 BuyerOnly,
	"POST /v1/staff/cases/{id}/approve":          StaffOnly,
	"POST /v1/staff/cases/{id}/reject":           StaffOnly,
	"POST /v1/staff/cases/{id}/request-evidence": StaffOnly,
	"POST /v1/staff/cases/{id}/receipt":          StaffOnly,
	"POST /v1/staff/cases/{id}/reship":           StaffOnly,
	"GET /v1/staff/ruleset":                      StaffOnly,
	"PUT /v1/staff/ruleset":                      StaffOnly,
	"POST /v1/staff/reviews":                     StaffOnly,
	"GET /v1/staff/reviews/{id}":                 StaffOnly,
	"GET /v1/staff/refunds":                      StaffOnly,
	"GET /v1/staff/refunds/export":               StaffOnly,
	"POST /v1/staff/cases/{id}/retry-refund":     StaffOnly,
	"POST /v1/staff/cases/{id}/mark-refund-paid": StaffOnly,

	"POST /v1/cases/{id}/dispute":                              BuyerOnly,
	"POST /v1/cases/{id}/messages":                             BuyerOnly,
	"GET /v1/cases/{id}/messages":                              BuyerOnly,
	"POST /v1/cases/{id}/proposals":                            BuyerOnly,
	"POST /v1/cases/{id}/proposals/{proposal_id}/accept":       BuyerOnly,
	"POST /v1/staff/cases/{id}/messages":                       CaseReaders,
	"GET /v1/staff/cases/{id}/messages":                        CaseReaders,
	"POST /v1/staff/cases/{id}/proposals":                      StaffOnly,
	"POST /v1/staff/cases/{id}/proposals/{proposal_id}/accept": StaffOnly,
	"POST /v1/staff/cases/{id}/arbitrate":                      Arbiters,
	"POST /v1/staff/goodwill-refunds":                          StaffOnly,
	"POST /v1/staff/cases/{id}/documents":                      CaseReaders,
	"GET /v1/notifications":                                    AnyCaller,
	"POST /v1/notifications/{id}/read":                         AnyCaller,
}

// TestAccessLevels: every route refuses a request without a token, staff
// routes refuse buyers and buyer routes refuse staff, before any use case
// is called.
func TestAccessLevels(t *testing.T) {
	buyerTok, staffTok := token(t, "buyer-1"), token(t, "staff-1", "reviewer")
	routes := newHarness(t).srv.Routes()
	if len(routes) != len(access) {
		t.Errorf("%d routes, %d pinned access levels", len(routes), len(access))
	}
	for _, rt := range routes {
		level, ok := access[rt.Method+" "+rt.Path]
		if !ok || level != rt.Access {
			t.Errorf("%s %s: access %v, want %v (pinned: %v)", rt.Method, rt.Path, rt.Access, level, ok)
		}
		target := strings.ReplaceAll(rt.Path, "{id}", "as_1")
		type refusal struct {
			name   string
			auth   string
			status int
		}
		tests := []refusal{
			{"no token", "", http.StatusUnauthorized},
			{"a token of another issuer", "Bearer " + mustSign(t, "other"), http.StatusUnauthorized},
		}
		switch level {
		case StaffOnly, CaseReaders:
			tests = append(tests, refusal{"a buyer", buyerTok, http.StatusForbidden})
		case Arbiters:
			tests = append(tests, refusal{"a buyer", buyerTok, http.StatusForbidden}, refusal{"a reviewer", staffTok, http.StatusForbidden})
		case BuyerOnly:
			tests = append(tests, refusal{"staff without the buyer role", staffTok, http.StatusForbidden})
		}
		for _, tt := range tests {
			t.Run(rt.Method+" "+rt.Path+"/"+tt.name, func(t *testing.T) {
				h := newHarness(t)
				rec := h.do(request{method: rt.Method, target: target, auth: tt.auth, body: "{}"})
				p := wantProblem(t, h.fake, rec, tt.status, "")
				if tt.status == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != `Bearer realm="aftersales"` {
					t.Errorf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
				}
				if p.RequestID != "req-1" {
					t.Errorf("request_id %q", p.RequestID)
				}
			})
		}
	}
}

// TestNoKnownRoleIsForbiddenEverywhere: a token whose roles claim names no
// role this API knows is neither a buyer nor staff, so every route answers
// 403 before any use case runs. Before issue 13 it read GET /v1/cases as a
// buyer; a token with no roles claim at all is still the mall's buyer.
func TestNoKnownRoleIsForbiddenEverywhere(t *testing.T) {
	routes := newHarness(t).srv.Routes()
	tokens := []struct {
		name string
		auth string
	}{
		{"only unknown roles", token(t, "buyer-1", "god", "superuser")},
		{"an empty roles claim", "Bearer " + mustSignRoles(t, "buyer-1", []string{})},
	}
	for _, tok := range tokens {
		for _, rt := range routes {
			t.Run(tok.name+"/"+rt.Method+" "+rt.Path, func(t *testing.T) {
				h := newHarness(t)
				rec := h.do(request{method: rt.Method, target: strings.ReplaceAll(rt.Path, "{id}", "as_1"), auth: tok.auth, body: "{}"})
				if p := wantProblem(t, h.fake, rec, http.StatusForbidden, ""); !strings.Contains(p.Detail, "no role") {
					t.Errorf("detail %q does not say the token has no known role", p.Detail)
				}
			})
		}
	}
}

// mustSignRoles signs a token whose roles claim is exactly roles, even an
// empty list (SignHS256 leaves an empty one out).
func mustSignRoles(t *testing.T, sub string, roles []string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "sub": sub,
		"roles": roles, "exp": now.Add(time.Hour).Unix()}).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustSign is a reviewer token from issuer.
func mustSign(t *testing.T, issuer string) string {
	t.Helper()
	s, err := SignHS256(testSecret, issuer, testAudience, "staff-1", []string{"reviewer"}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAnyCallerRoutesServeStaffAndBuyers: the routes open to both serve
// both; "my cases" lists as a buyer even for a staff token.
func TestAnyCallerRoutesServeStaffAndBuyers(t *testing.T) {
	tests := []struct {
		name string
		auth string
		want aftersales.Principal
	}{
		{"buyer", token(t, "buyer-1", "buyer"), buyer},
		{"reviewer", token(t, "staff-1", "reviewer"), aftersales.Principal{ID: "staff-1", Roles: []aftersales.Role{aftersales.RoleBuyer}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if rec := h.do(request{method: "GET", target: "/v1/cases", auth: tt.auth}); rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			got := h.fake.callsOf("ListCases")
			if len(got) != 1 || !reflect.DeepEqual(got[0].p, tt.want) || got[0].args[0].(aftersales.CaseQuery).BuyerID != tt.want.ID {
				t.Errorf("ListCases calls %+v, want as %+v", got, tt.want)
			}
		})
	}
}

// TestRefusedRequests: bodies, headers and query parameters the server
// refuses itself, each answered with the status and the field it names.
func TestRefusedRequests(t *testing.T) {
	buyerTok, staffTok := token(t, "buyer-1"), token(t, "staff-1", "reviewer")
	create := func(body string, headers map[string]string) request {
		if headers == nil {
			headers = map[string]string{"Idempotency-Key": "k"}
		}
		return request{method: "POST", target: "/v1/cases", auth: buyerTok, body: body, headers: headers}
	}
	tests := []struct {
		name   string
		req    request
		status int
		field  string
	}{
		{"not JSON", create(`{"order_id":`, nil), http.StatusBadRequest, ""},
		{"two JSON values", create(`{} {}`, nil), http.StatusBadRequest, ""},
		{"an unknown field", create(`{"order_id":"o-1","colour":"red"}`, nil), http.StatusUnprocessableEntity, "colour"},
		{"a field of the wrong type", create(`{"order_id":"o-1","lines":[{"line_id":"l1","quantity":"two"}]}`, nil),
			http.StatusUnprocessableEntity, "lines[0].quantity"},
		{"a string for a list", create(`{"evidence":"ev_1"}`, nil), http.StatusUnprocessableEntity, "evidence"},
		{"no Idempotency-Key", create(`{"order_id":"o-1"}`, map[string]string{}), http.StatusUnprocessableEntity, "Idempotency-Key"},
		{"an Idempotency-Key too long", create(`{}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}),
			http.StatusUnprocessableEntity, "Idempotency-Key"},
		{"not JSON by its content type", create(`{}`, map[string]string{"Idempotency-Key": "k", "Content-Type": "text/plain"}),
			http.StatusUnprocessableEntity, "Content-Type"},
		{"a body over 64 KiB", create(`{"description":"`+strings.Repeat("x", maxBodyBytes)+`"}`, nil), http.StatusRequestEntityTooLarge, ""},
		{"a batch over 1 MiB", request{method: "POST", target: "/v1/staff/reviews", auth: staffTok,
			body: `{"decision":"approve","reason":"` + strings.Repeat("x", maxBatchBodyBytes) + `"}`}, http.StatusRequestEntityTooLarge, ""},
		{"a batch's unknown field", request{method: "POST", target: "/v1/staff/reviews", auth: staffTok, body: `{"decision":"approve","all":true}`},
			http.StatusUnprocessableEntity, "all"},
		{"an action's unknown field", request{method: "POST", target: "/v1/staff/cases/as_1/reject", auth: staffTok, body: `{"why":"x"}`},
			http.StatusUnprocessableEntity, "why"},
		{"a rule set over 64 KiB", request{method: "PUT", target: "/v1/staff/ruleset", auth: staffTok,
			body: `{"rules":"` + strings.Repeat("x", maxBodyBytes) + `"}`}, http.StatusUnprocessableEntity, "body"},
		{"a rule set with an unknown field", request{method: "PUT", target: "/v1/staff/ruleset", auth: staffTok, body: `{"rulez":[]}`},
			http.StatusUnprocessableEntity, "rulez"},
		{"a buyer filtering by type", request{method: "GET", target: "/v1/cases?type=claim", auth: buyerTok}, http.StatusUnprocessableEntity, "type"},
		{"a negative limit", request{method: "GET", target: "/v1/cases?limit=-1", auth: buyerTok}, http.StatusUnprocessableEntity, "limit"},
		{"a limit that is not a number", request{method: "GET", target: "/v1/staff/cases?limit=ten", auth: staffTok}, http.StatusUnprocessableEntity, "limit"},
		{"a date that is not RFC 3339", request{method: "GET", target: "/v1/staff/cases?from=yesterday", auth: staffTok}, http.StatusUnprocessableEntity, "from"},
		{"an amount that is not a number", request{method: "GET", target: "/v1/staff/cases?min_amount=1.5", auth: staffTok}, http.StatusUnprocessableEntity, "min_amount"},
		{"an unknown staff filter", request{method: "GET", target: "/v1/staff/cases?shop=main", auth: staffTok}, http.StatusUnprocessableEntity, "shop"},
		{"an unknown reason type", request{method: "GET", target: "/v1/reasons?type=gift", auth: buyerTok}, http.StatusUnprocessableEntity, "type"},
		{"an unknown ledger filter", request{method: "GET", target: "/v1/staff/refunds?status=succeeded", auth: staffTok}, http.StatusUnprocessableEntity, "status"},
		{"a ledger date that is not RFC 3339", request{method: "GET", target: "/v1/staff/refunds?to=2026-13-01", auth: staffTok}, http.StatusUnprocessableEntity, "to"},
		{"paging an export", request{method: "GET", target: "/v1/staff/refunds/export?cursor=c", auth: staffTok}, http.StatusUnprocessableEntity, "cursor"},
		{"a preview's unknown field", request{method: "POST", target: "/v1/cases/preview", auth: buyerTok, body: `{"order_id":"o-1","colour":"red"}`},
			http.StatusUnprocessableEntity, "colour"},
		{"a preview's field of the wrong type", request{method: "POST", target: "/v1/cases/preview", auth: buyerTok,
			body: `{"lines":[{"line_id":"l1","quantity":"two"}]}`}, http.StatusUnprocessableEntity, "lines[0].quantity"},
		{"a preview that is not JSON", request{method: "POST", target: "/v1/cases/preview", auth: buyerTok, body: `{"order_id":`}, http.StatusBadRequest, ""},
		{"a policies parameter it does not take", request{method: "GET", target: "/v1/policies?product=p1", auth: buyerTok}, http.StatusUnprocessableEntity, "product"},
		{"a preview parameter it does not take", request{method: "POST", target: "/v1/cases/preview?kind=claim", auth: buyerTok, body: `{}`},
			http.StatusUnprocessableEntity, "kind"},
		{"no such route", request{method: "GET", target: "/v1/orders", auth: buyerTok}, http.StatusNotFound, ""},
		{"no such method", request{method: "DELETE", target: "/v1/cases/as_1", auth: buyerTok}, http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			wantProblem(t, h.fake, h.do(tt.req), tt.status, tt.field)
		})
	}
}

// TestErrorKinds: each kind of a use case's error has its status; internal
// errors are not echoed, field errors are named, and refusals by the use
// case reach the client with their message.
func TestErrorKinds(t *testing.T) {
	invalid := &aftersales.Error{Kind: aftersales.KindInvalid, Op: "case.create", Msg: "the request has invalid fields",
		Fields: []aftersales.FieldError{{Field: "lines[0].quantity", Message: "must be at most 2"}}}
	tests := []struct {
		name   string
		err    error
		status int
		detail string
	}{
		{"invalid", invalid, http.StatusUnprocessableEntity, "the request has invalid fields"},
		{"not found", aftersales.ErrNotFound, http.StatusNotFound, "not found"},
		{"conflict", aftersales.E(aftersales.KindConflict, "op", "the case is cancelled"), http.StatusConflict, "the case is cancelled"},
		{"forbidden", aftersales.E(aftersales.KindForbidden, "op", "admins only"), http.StatusForbidden, "admins only"},
		{"unauthenticated", aftersales.E(aftersales.KindUnauthenticated, "op", "who?"), http.StatusUnauthorized, "who?"},
		{"precondition failed", aftersales.E(aftersales.KindPreconditionFailed, "op", "version 2 is not current"), http.StatusPreconditionFailed, "version 2 is not current"},
		{"transient", aftersales.E(aftersales.KindTransient, "op", "try again"), http.StatusServiceUnavailable, "try again"},
		{"internal", aftersales.Wrap(aftersales.KindInternal, "op", errTable), http.StatusInternalServerError, "an internal error occurred; quote the request id to support"},
		{"unclassified", errTable, http.StatusInternalServerError, "an internal error occurred; quote the request id to support"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.err = tt.err
			rec := h.do(request{method: "GET", target: "/v1/cases/as_1", auth: token(t, "buyer-1")})
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			p := problemOf(t, rec)
			if p.Detail != tt.detail || p.Type != problemType(aftersales.KindOf(tt.err)) {
				t.Errorf("problem %+v, want detail %q", p, tt.detail)
			}
			if strings.Contains(rec.Body.String(), errTable.Error()) {
				t.Errorf("the cause reached the client: %s", rec.Body)
			}
			if tt.err == invalid && (len(p.Errors) != 1 || p.Errors[0] != (fieldProblem{"lines[0].quantity", "must be at most 2"})) {
				t.Errorf("errors %+v", p.Errors)
			}
		})
	}
}

// errTable is a cause that must stay in the logs.
var errTable = &tableError{}

type tableError struct{}

func (*tableError) Error() string { return "dynamodb: table aftersales-prod is throttled" }

// TestCreateCaseIdempotency: the request hash ignores formatting, and a
// replayed answer is sent as it was stored.
func TestCreateCaseIdempotency(t *testing.T) {
	hashOf := func(body string) string {
		var req createCaseRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(req)
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	a := `{"order_id":"o-1","type":"refund_only","reason":"damaged","lines":[{"line_id":"l1","quantity":1}]}`
	b := "{\n  \"lines\": [{\"quantity\": 1, \"line_id\": \"l1\"}], \"reason\": \"damaged\", \"type\": \"refund_only\", \"order_id\": \"o-1\"\n}"
	if hashOf(a) != hashOf(b) {
		t.Fatal("the same application with other whitespace and key order hashes differently")
	}

	t.Run("the rendered answer is the one sent", func(t *testing.T) {
		h := newHarness(t)
		rec := h.do(request{method: "POST", target: "/v1/cases", auth: token(t, "buyer-1"), body: a, headers: map[string]string{"Idempotency-Key": "k"}})
		if rec.Code != http.StatusCreated || !bytes.Equal(rec.Body.Bytes(), h.fake.rendered) {
			t.Errorf("answer %d %s, rendered for replays %s", rec.Code, rec.Body, h.fake.rendered)
		}
	})
	t.Run("replayed", func(t *testing.T) {
		h := newHarness(t)
		h.fake.created = &aftersales.CreateResult{Replayed: &aftersales.IdempotencyRecord{CaseID: "as_old", StatusCode: http.StatusCreated,
			Response: []byte(`{"id":"as_old"}`)}}
		rec := h.do(request{method: "POST", target: "/v1/cases", auth: token(t, "buyer-1"), body: b, headers: map[string]string{"Idempotency-Key": "k"}})
		want := map[string]string{"Idempotent-Replayed": "true", "Location": "/v1/cases/as_old", "Content-Type": "application/json"}
		for k, v := range want {
			if rec.Header().Get(k) != v {
				t.Errorf("%s %q, want %q", k, rec.Header().Get(k), v)
			}
		}
		if rec.Code != http.StatusCreated || rec.Body.String() != `{"id":"as_old"}` {
			t.Errorf("answer %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("not handed to the workflow still succeeds", func(t *testing.T) {
		h := newHarness(t)
		h.fake.created = &aftersales.CreateResult{Case: caseNamed("as_late"), EnqueueErr: aftersales.E(aftersales.KindTransient, "intake", "down")}
		rec := h.do(request{method: "POST", target: "/v1/cases", auth: token(t, "buyer-1"), body: a, headers: map[string]string{"Idempotency-Key": "k"}})
		if rec.Code != http.StatusCreated || !strings.Contains(h.log.String(), "the sweeper will") {
			t.Errorf("answer %d; log %s", rec.Code, h.log)
		}
	})
}

// TestExportRefunds: the export reads every page, writes the rows and the
// totals, and ends without totals when a later page fails.
func TestExportRefunds(t *testing.T) {
	first := aftersales.RefundPage{Items: []aftersales.Refund{refundOf("as_1-1", 100), refundOf("as_2-1", 250)}, NextCursor: "c-2"}
	second := aftersales.RefundPage{Items: []aftersales.Refund{refundOf("as_3-1", 5)}}
	tests := []struct {
		name       string
		pages      []aftersales.RefundPage
		err        error
		status     int
		rows       []string // out_refund_no of each row; nil: not checked
		wantTotals bool
	}{
		{"two pages", []aftersales.RefundPage{first, second}, nil, http.StatusOK, []string{"as_1-1", "as_2-1", "as_3-1"}, true},
		// Rows still in the CSV writer's buffer are not sent either.
		{"the second page fails", []aftersales.RefundPage{first}, aftersales.E(aftersales.KindTransient, "op", "throttled"), http.StatusOK,
			nil, false},
		{"the first page fails", nil, aftersales.E(aftersales.KindForbidden, "op", "admins only"), http.StatusForbidden, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.refundPages, h.fake.err = tt.pages, tt.err
			rec := h.do(request{method: "GET", target: "/v1/staff/refunds/export?from=2026-11-01T00:00:00Z", auth: token(t, "staff-1", "admin")})
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status != http.StatusOK {
				problemOf(t, rec)
				return
			}
			calls := h.fake.callsOf("ListRefunds")
			if len(calls) != 2 || calls[1].args[0].(aftersales.RefundQuery).Cursor != "c-2" {
				t.Errorf("ListRefunds calls %+v, want the second with cursor c-2", calls)
			}
			r := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), ledgercsv.BOM)))
			r.FieldsPerRecord = -1
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			totals := false
			for _, rec := range recs {
				if len(rec) > 1 && strings.HasPrefix(rec[1], "as_") {
					rows = append(rows, rec[1])
				}
				totals = totals || rec[0] == ledgercsv.TitleMonths
			}
			if totals != tt.wantTotals || (tt.rows != nil && !reflect.DeepEqual(rows, tt.rows)) {
				t.Errorf("rows %v totals %v, want %v totals %v", rows, totals, tt.rows, tt.wantTotals)
			}
			if cut := strings.Contains(h.log.String(), "refund export cut short"); cut == tt.wantTotals {
				t.Errorf("logged a cut-short export: %v, want %v", cut, !tt.wantTotals)
			}
		})
	}
}

// TestPanicIsA500: a panicking use case is answered as an internal error
// and logged with its stack; the Lambda lives on.
func TestPanicIsA500(t *testing.T) {
	h := newHarness(t)
	h.fake.panicWith = "nil map"
	rec := h.do(request{method: "GET", target: "/v1/cases/as_1", auth: token(t, "buyer-1")})
	if rec.Code != http.StatusInternalServerError || problemOf(t, rec).RequestID != "req-1" {
		t.Errorf("answer %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(h.log.String(), `"msg":"panic"`) || !strings.Contains(h.log.String(), `"status":500`) {
		t.Errorf("log %s", h.log)
	}
}

// TestLedgerRowsSayWhetherMoneyMoved: every ledger row says whether it is a
// sandbox row (always written, never left to guess), and a refund paid by
// hand names who marked it paid and the reference given.
func TestLedgerRowsSayWhetherMoneyMoved(t *testing.T) {
	trial, byHand := refundOf("as_1-1", 9900), refundOf("as_2-1", 500)
	trial.Sandbox = true
	byHand.Channel, byHand.PaidBy, byHand.ProviderRefundID = aftersales.ChannelBankCard, "staff:f1", "BANK-1"
	pending := refundOf("as_3-1", 700)
	pending.Channel, pending.Status = aftersales.ChannelBankCard, aftersales.RefundManual
	h := newHarness(t)
	h.fake.refundPages = []aftersales.RefundPage{{Items: []aftersales.Refund{trial, byHand, pending}}}
	rec := h.do(request{method: "GET", target: "/v1/staff/refunds", auth: token(t, "staff-1", "reviewer")})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Items) != 3 {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	tests := []struct {
		name string
		row  map[string]any
		want map[string]any
	}{
		{"a sandbox row", page.Items[0], map[string]any{"sandbox": true, "status": "succeeded"}},
		{"a refund paid by hand", page.Items[1], map[string]any{"sandbox": false, "paid_by": "staff:f1", "provider_refund_id": "BANK-1"}},
		{"a refund waiting for finance", page.Items[2], map[string]any{"sandbox": false, "status": "manual", "channel": "bankcard"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.want {
				if tt.row[k] != v {
					t.Errorf("%s = %v, want %v (row %v)", k, tt.row[k], v, tt.row)
				}
			}
		})
	}
}
