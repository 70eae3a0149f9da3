package stack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// access is what one caller gets from one route: let through to the use
// case, or stopped at the door with the status that says why.
type access int

const (
	// served: past the access checks. The answer is the use case's: 2xx,
	// or a business refusal (409, 422) that any entitled caller could get.
	served          access = iota
	unauthenticated        // 401: no or bad credentials
	forbidden              // 403: a caller who may not do this
	hidden                 // 404: another buyer's case looks like no case
)

func (a access) String() string {
	return [...]string{"served", "401", "403", "404"}[a]
}

// matches reports whether status is outcome a.
func (a access) matches(status int) bool {
	switch a {
	case unauthenticated:
		return status == http.StatusUnauthorized
	case forbidden:
		return status == http.StatusForbidden
	case hidden:
		return status == http.StatusNotFound
	}
	return status < 500 && status != http.StatusUnauthorized && status != http.StatusForbidden && status != http.StatusNotFound
}

// The callers of the matrix, one column each. The owner owns the route's
// case; ownerStaff is the same person holding a staff role as well, who may
// read but not decide their own case (separation of duties). The
// arbitrator is the platform's: it reads every case and its thread and
// decides escalated disputes, and may do nothing a merchant's staff does.
type callers struct {
	noToken, noRole, otherBuyer, owner, reviewer, admin, ownerStaff, arbitrator access
}

// Typical rows.
var (
	buyerOwnCase = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: hidden, owner: served,
		reviewer: forbidden, admin: forbidden, ownerStaff: served, arbitrator: forbidden}
	staffOnCase = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: forbidden, owner: forbidden,
		reviewer: served, admin: served, ownerStaff: forbidden, arbitrator: forbidden}
	staffAny = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: forbidden, owner: forbidden,
		reviewer: served, admin: served, ownerStaff: served, arbitrator: forbidden}
	adminOnly = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: forbidden, owner: forbidden,
		reviewer: forbidden, admin: served, ownerStaff: forbidden, arbitrator: forbidden}
	anyone = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: served, owner: served,
		reviewer: served, admin: served, ownerStaff: served, arbitrator: served}
	buyersOnly = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: served, owner: served,
		reviewer: forbidden, admin: forbidden, ownerStaff: served, arbitrator: forbidden}
	// caseReaders read any case and its thread: staff (even of their own
	// case) and arbitrators.
	caseReaders = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: forbidden, owner: forbidden,
		reviewer: served, admin: served, ownerStaff: served, arbitrator: served}
	// threadWriters write in any thread but that of their own case.
	threadWriters = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: forbidden, owner: forbidden,
		reviewer: served, admin: served, ownerStaff: forbidden, arbitrator: served}
	// arbiters decide escalated disputes: never a reviewer.
	arbiters = callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: forbidden, owner: forbidden,
		reviewer: forbidden, admin: served, ownerStaff: forbidden, arbitrator: served}
)

// authzFixture is what a row's request may name: a fresh case of the
// owner's, in review, and a batch review job.
type authzFixture struct {
	caseID, orderID, jobID string
	ruleset                json.RawMessage
}

// authzRow is one route of the matrix: the request a caller makes, and
// what each caller must get.
type authzRow struct {
	path string // with {id} replaced by the fixture's id
	body func(fx authzFixture) any
	want callers
}

// authzMatrix has one row per route of the API server. A route added to the
// server without a row fails TestAuthorizationMatrix: deciding who may call
// it is part of adding it.
func authzMatrix() map[string]authzRow {
	caseRoute := func(want callers, body func(authzFixture) any) authzRow {
		return authzRow{body: body, want: want}
	}
	static := func(v any) func(authzFixture) any { return func(authzFixture) any { return v } }
	return map[string]authzRow{
		"POST /v1/cases": {want: buyersOnly, body: func(fx authzFixture) any {
			// The owner's second line; another buyer naming it is told
			// there is no such order of theirs (422), past the door.
			return map[string]any{"order_id": fx.orderID, "type": "refund_only", "reason": "not_wanted",
				"lines": []map[string]any{{"line_id": "l2", "quantity": 1}}}
		}},
		"POST /v1/cases/preview": {want: buyersOnly, body: func(fx authzFixture) any {
			// As POST /v1/cases: another buyer is told there is no such
			// order of theirs (422), past the door; nothing is stored.
			return map[string]any{"order_id": fx.orderID, "type": "refund_only", "reason": "not_wanted",
				"lines": []map[string]any{{"line_id": "l2", "quantity": 1}}}
		}},
		"GET /v1/policies":                     {path: "/v1/policies?lang=en&kind=claim", want: anyone},
		"GET /v1/cases":                        {want: anyone},
		"GET /v1/cases/{id}":                   caseRoute(callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: hidden, owner: served, reviewer: served, admin: served, ownerStaff: served, arbitrator: served}, nil),
		"POST /v1/evidence-uploads":            {want: buyersOnly, body: static(map[string]any{"files": []map[string]any{{"content_type": "image/png", "size": 1024}}})},
		"POST /v1/cases/{id}/evidence-uploads": caseRoute(buyerOwnCase, static(map[string]any{"files": []map[string]any{{"content_type": "image/png", "size": 1024}}})),
		"POST /v1/cases/{id}/evidence":         caseRoute(buyerOwnCase, static(map[string]any{"evidence_ids": []string{"ev_01JDXXXXXXXXXXXXXXXXXXXXXX"}})),
		"POST /v1/cases/{id}/cancel":           caseRoute(buyerOwnCase, nil),
		"GET /v1/reasons":                      {path: "/v1/reasons?type=refund_only", want: anyone},
		"GET /v1/staff/cases":                  {want: caseReaders},
		"GET /v1/staff/cases/{id}":             caseRoute(caseReaders, nil),
		"POST /v1/cases/{id}/return-shipment":  caseRoute(buyerOwnCase, static(map[string]any{"courier": "sf", "tracking_number": "SF1234567890"})),
		"POST /v1/cases/{id}/pickup": caseRoute(buyerOwnCase, static(map[string]any{"address": "上海市浦东新区1号",
			"window_start": "2030-01-01T01:00:00Z", "window_end": "2030-01-01T03:00:00Z"})),
		"POST /v1/staff/cases/{id}/approve":          caseRoute(staffOnCase, static(map[string]any{})),
		"POST /v1/staff/cases/{id}/reject":           caseRoute(staffOnCase, static(map[string]any{"reason": "used"})),
		"POST /v1/staff/cases/{id}/request-evidence": caseRoute(staffOnCase, static(map[string]any{"note": "a photo of the label"})),
		"POST /v1/staff/cases/{id}/receipt":          caseRoute(staffOnCase, static(map[string]any{"condition": "sellable"})),
		"POST /v1/staff/cases/{id}/reship":           caseRoute(staffOnCase, static(map[string]any{"courier": "sf", "tracking_number": "SF1234567891"})),
		"POST /v1/staff/cases/{id}/retry-refund":     caseRoute(staffOnCase, static(map[string]any{"refund_to": "balance"})),
		"POST /v1/staff/cases/{id}/mark-refund-paid": caseRoute(staffOnCase, static(map[string]any{"reference": "BANK-1"})),
		"GET /v1/staff/ruleset":                      {want: staffAny},
		"PUT /v1/staff/ruleset":                      {want: adminOnly, body: func(fx authzFixture) any { return fx.ruleset }},
		"POST /v1/staff/reviews": {want: staffAny, body: func(fx authzFixture) any {
			// Another case than the owner's: whether staff may decide a
			// case of their own in a batch is the job's item result.
			return map[string]any{"case_ids": []string{"as_01JDXXXXXXXXXXXXXXXXXXXXXX"}, "decision": "reject", "reason": "used"}
		}},
		"GET /v1/staff/reviews/{id}":   {want: staffAny},
		"GET /v1/staff/refunds":        {want: staffAny},
		"GET /v1/staff/refunds/export": {want: staffAny},

		// The fixture case is in review, not disputed: the entitled get
		// a conflict, past the door.
		"POST /v1/cases/{id}/dispute":   caseRoute(buyerOwnCase, static(map[string]any{"reason": "unfair", "description": "it was not used"})),
		"POST /v1/cases/{id}/messages":  caseRoute(buyerOwnCase, static(map[string]any{"text": "hello"})),
		"GET /v1/cases/{id}/messages":   caseRoute(buyerOwnCase, nil),
		"POST /v1/cases/{id}/proposals": caseRoute(buyerOwnCase, static(map[string]any{"amount": 100})),
		"POST /v1/cases/{id}/proposals/{proposal_id}/accept": {path: "/v1/cases/{id}/proposals/pr_01JDXXXXXXXXXXXXXXXXXXXXXX/accept",
			want: buyerOwnCase},
		"POST /v1/staff/cases/{id}/messages":  caseRoute(threadWriters, static(map[string]any{"text": "we checked"})),
		"GET /v1/staff/cases/{id}/messages":   caseRoute(caseReaders, nil),
		"POST /v1/staff/cases/{id}/proposals": caseRoute(staffOnCase, static(map[string]any{"amount": 100})),
		"POST /v1/staff/cases/{id}/proposals/{proposal_id}/accept": {path: "/v1/staff/cases/{id}/proposals/pr_01JDXXXXXXXXXXXXXXXXXXXXXX/accept",
			want: staffOnCase},
		"POST /v1/staff/cases/{id}/documents": caseRoute(threadWriters, static(map[string]any{"files": []map[string]any{{"content_type": "application/pdf", "size": 2048}}})),
		"POST /v1/staff/cases/{id}/arbitrate": caseRoute(arbiters, static(map[string]any{"outcome": "dismiss", "note": "no fault"})),
		// On the owner's order: the owner as staff may not refund it;
		// staff get 422 (line l1 is held by the fixture case, so only l2
		// is left: 9000), past the door.
		"POST /v1/staff/goodwill-refunds": {want: staffOnCase, body: func(fx authzFixture) any {
			return map[string]any{"order_id": fx.orderID, "amount": 9001, "reason": "late_delivery"}
		}},
		// The inbox: everyone reads their own (staff the staff inbox); the
		// owner's notification is nobody else's, so to them it is not found.
		"GET /v1/notifications": {want: anyone},
		"POST /v1/notifications/{id}/read": {want: callers{noToken: unauthenticated, noRole: forbidden, otherBuyer: hidden, owner: served,
			reviewer: hidden, admin: hidden, ownerStaff: hidden, arbitrator: hidden}},
	}
}

// TestAuthorizationMatrix asks every route of the API server as every kind
// of caller, over HTTP on the local stack, and checks each answer against
// the matrix. Callers who are refused go first, and the route's case must
// be unchanged after them: a refusal writes nothing.
func TestAuthorizationMatrix(t *testing.T) {
	st := startStack(t)
	const ownerID, otherID = "buyer-authz-1", "buyer-authz-2"
	columns := []struct {
		name string
		c    *client
		want func(callers) access
	}{
		{"no token", st.as(t, ""), func(c callers) access { return c.noToken }},
		{"no known role", st.as(t, "someone", "god"), func(c callers) access { return c.noRole }},
		{"other buyer", st.as(t, otherID, "buyer"), func(c callers) access { return c.otherBuyer }},
		{"owner", st.as(t, ownerID, "buyer"), func(c callers) access { return c.owner }},
		{"reviewer", st.as(t, "staff-authz-r", "reviewer"), func(c callers) access { return c.reviewer }},
		{"admin", st.as(t, "staff-authz-a", "admin"), func(c callers) access { return c.admin }},
		{"owner as staff", st.as(t, ownerID, "buyer", "reviewer"), func(c callers) access { return c.ownerStaff }},
		{"arbitrator", st.as(t, "platform-arb", "arbitrator"), func(c callers) access { return c.arbitrator }},
	}
	admin := st.as(t, "staff-authz-a", "admin")
	var job struct {
		ID string `json:"id"`
	}
	admin.do("POST", "/v1/staff/reviews", map[string]any{"case_ids": []string{"as_01JDXXXXXXXXXXXXXXXXXXXXXX"}, "decision": "reject", "reason": "used"}).decode(t, &job)
	ruleset := admin.do("GET", "/v1/staff/ruleset", nil)
	if ruleset.status != http.StatusOK || job.ID == "" {
		t.Fatalf("fixtures: ruleset %d, job %q", ruleset.status, job.ID)
	}

	matrix := authzMatrix()
	routes := apigw.NewServer(apigw.Services{}, nil, nil).Routes()
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if _, ok := matrix[key]; !ok {
			t.Errorf("%s has no row in the authorization matrix: decide who may call it", key)
		}
	}
	if len(matrix) != len(routes) {
		t.Errorf("the matrix has %d rows for %d routes: remove the rows of routes that are gone", len(matrix), len(routes))
	}

	for i, rt := range routes {
		key := rt.Method + " " + rt.Path
		row, ok := matrix[key]
		if !ok {
			continue
		}
		t.Run(key, func(t *testing.T) {
			fx := authzFixture{jobID: job.ID, ruleset: ruleset.body, orderID: fmt.Sprintf("o-authz-%02d", i)}
			fx.caseID = st.caseInReview(t, fx.orderID, ownerID)
			path := row.path
			if path == "" {
				path = rt.Path
			}
			id := fx.caseID
			if strings.HasPrefix(rt.Path, "/v1/staff/reviews/") {
				id = fx.jobID
			}
			if strings.HasPrefix(rt.Path, "/v1/notifications/") {
				// The owner's notice of the fixture case's submission.
				id = aftersales.InboxItemID(aftersales.BuyerRecipient(ownerID), aftersales.CaseEventID(fx.caseID, 1))
			}
			path = strings.ReplaceAll(path, "{id}", id)
			var body any
			if row.body != nil {
				body = row.body(fx)
			}
			before := st.caseState(t, fx.caseID)
			// Refused callers first: then the case must be as it was.
			for _, refused := range []bool{true, false} {
				for _, col := range columns {
					want := col.want(row.want)
					if (want != served) != refused {
						continue
					}
					res := col.c.do(rt.Method, path, body, "Idempotency-Key", "authz-"+col.name)
					if !want.matches(res.status) {
						t.Errorf("%s: %d, want %s; %s", col.name, res.status, want, res.body)
					}
				}
				if refused {
					if after := st.caseState(t, fx.caseID); after != before {
						t.Errorf("refused callers changed the case: %s -> %s", before, after)
					}
				}
			}
		})
	}
}

// caseInReview posts a fresh two-line order for buyer and opens a refund of
// its first line that the rules leave to staff, returning the case id.
func (st *Stack) caseInReview(t *testing.T, orderID, buyer string) string {
	t.Helper()
	now, day := st.Clock.Now().UTC().Truncate(time.Second), 24*time.Hour
	o := &aftersales.Order{ID: orderID, BuyerID: buyer, ShopID: "main", Status: aftersales.OrderDelivered, Version: 1, EventID: "ev-" + orderID,
		PaidAt: now.Add(-6 * day), ShippedAt: now.Add(-5 * day), DeliveredAt: now.Add(-3 * day),
		Currency: aftersales.CNY, Payment: aftersales.Payment{Channel: aftersales.ChannelAlipay, TransactionID: "t-" + orderID, Amount: 58900},
		Lines: []aftersales.OrderLine{
			{LineID: "l1", SKU: "SHOE-42", Name: "Running shoes", Kind: aftersales.KindPhysical, Category: "shoes", Quantity: 1, UnitPrice: 49900, PaidAmount: 49900},
			{LineID: "l2", SKU: "SOCKS-3", Name: "Socks", Kind: aftersales.KindPhysical, Category: "apparel", Quantity: 1, UnitPrice: 9000, PaidAmount: 9000},
		}}
	body, err := json.Marshal(mallhook.FromOrder(o))
	if err != nil {
		t.Fatal(err)
	}
	if status, resp, err := st.postOrder(t.Context(), body); err != nil || status != http.StatusNoContent {
		t.Fatalf("post order %s: %d %s %v", orderID, status, resp, err)
	}
	var c caseBody
	res := st.as(t, buyer, "buyer").do("POST", "/v1/cases", refundApp(orderID, "l1", 1), "Idempotency-Key", "authz-fixture-"+orderID)
	if res.status != http.StatusCreated {
		t.Fatalf("open the fixture case: %d %s", res.status, res.body)
	}
	res.decode(t, &c)
	st.settle(t)
	if s := st.caseState(t, c.ID); !strings.HasPrefix(s, "pending_review") {
		t.Fatalf("the fixture case is %s, want pending_review", s)
	}
	return c.ID
}

// caseState is the case's status, version and timeline length, as staff
// read it: what any write would change.
func (st *Stack) caseState(t *testing.T, id string) string {
	t.Helper()
	var c struct {
		Status   string            `json:"status"`
		Version  int               `json:"version"`
		Timeline []json.RawMessage `json:"timeline"`
	}
	st.as(t, "staff-authz-state", "admin").do("GET", "/v1/staff/cases/"+id, nil).decode(t, &c)
	return fmt.Sprintf("%s v%d (%d entries)", c.Status, c.Version, len(c.Timeline))
}
