package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/inspect/inspecttest"
)

var start = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// startStack runs the local stack on free ports with a virtual clock.
func startStack(t testing.TB) *Stack {
	t.Helper()
	st, err := Start(context.Background(), Options{
		AnyPorts: true, Seed: true, Clock: vclock.New(start),
	})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	// The seed's own asynchronous work (the produce order's claim-window
	// reminder, issue 17) is done before a test counts anything.
	if err := st.WaitIdle(t.Context()); err != nil {
		t.Fatalf("start stack: %v", err)
	}
	return st
}

// client talks to the stack over real HTTP as one caller. It signs a fresh
// token for every request, as a logged-in client refreshes its session, so
// tests can move the clock days ahead.
type client struct {
	t     testing.TB
	st    *Stack
	sub   string
	roles []string
	token string // fixed token instead (for bad tokens)
}

func (st *Stack) as(t testing.TB, sub string, roles ...string) *client {
	return &client{t: t, st: st, sub: sub, roles: roles}
}

func (c *client) bearer() string {
	if c.token != "" || c.sub == "" {
		return c.token
	}
	tok, err := c.st.Token(c.sub, c.roles...)
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.st.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := c.bearer(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.Header.Get("X-Request-Id") == "" && strings.HasPrefix(path, "/v1/") {
		c.t.Errorf("%s %s: no X-Request-Id header", method, path)
	}
	return response{res.StatusCode, res.Header, b}
}

type caseBody struct {
	ID             string `json:"id"`
	ApprovedAmount int64  `json:"approved_amount"`
	RefundedAmount int64  `json:"refunded_amount"`
	Decision       *struct {
		Outcome        string `json:"outcome"`
		By             string `json:"by"`
		RuleID         string `json:"rule_id"`
		RuleSetVersion int    `json:"ruleset_version"`
	} `json:"decision"`
	OrderID         string `json:"order_id"`
	BuyerID         string `json:"buyer_id"`
	Type            string `json:"type"`
	Status          string `json:"status"`
	Version         int    `json:"version"`
	RequestedAmount int64  `json:"requested_amount"`
	Currency        string `json:"currency"`
	Lines           []struct {
		LineID   string `json:"line_id"`
		Quantity int    `json:"quantity"`
		Amount   int64  `json:"amount"`
	} `json:"lines"`
	Evidence []struct {
		ID          string `json:"id"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		Status      string `json:"status"`
	} `json:"evidence"`
	Next *struct {
		Actor     string     `json:"actor"`
		Action    string     `json:"action"`
		Deadline  *time.Time `json:"deadline"`
		DefaultAt *time.Time `json:"default_at"`
	} `json:"next"`
	Timeline []struct {
		Seq    int    `json:"seq"`
		Actor  string `json:"actor"`
		Action string `json:"action"`
		From   string `json:"from"`
		To     string `json:"to"`
	} `json:"timeline"`
}

type problemBody struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (r response) problem(t testing.TB, status int) problemBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p problemBody
	r.decode(t, &p)
	if p.Status != status || p.Title == "" || p.Type == "" || p.RequestID == "" {
		t.Fatalf("problem %+v is incomplete", p)
	}
	return p
}

func (p problemBody) names(field string) bool {
	for _, e := range p.Errors {
		if e.Field == field && e.Message != "" {
			return true
		}
	}
	return false
}

func refundApp(order, line string, qty int) map[string]any {
	return map[string]any{"order_id": order, "type": "refund_only", "reason": "wrong_item",
		"lines": []map[string]any{{"line_id": line, "quantity": qty}}}
}

// itemCount counts every item of the table: "nothing was written" is a
// statement about the whole table, not about the rows a test thought of.
func (st *Stack) itemCount(t testing.TB) int32 {
	t.Helper()
	var n int32
	var start map[string]types.AttributeValue
	for {
		out, err := st.dynamo.Client().Scan(context.Background(), &dynamodb.ScanInput{
			TableName: aws.String(TableName), Select: types.SelectCount, ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		n += out.Count
		if len(out.LastEvaluatedKey) == 0 {
			return n
		}
		start = out.LastEvaluatedKey
	}
}

func TestCaseLifecycleOverHTTP(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")

	res := buyer.do("POST", "/v1/cases", refundApp("o-1002", "l1", 1), "Idempotency-Key", "k-1")
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var c caseBody
	res.decode(t, &c)
	if !strings.HasPrefix(c.ID, "as_") || c.Status != "submitted" || c.Version != 1 || c.RequestedAmount != 49900 ||
		c.Currency != "CNY" || len(c.Lines) != 1 || c.Lines[0].Amount != 49900 || c.BuyerID != "buyer-1" {
		t.Fatalf("created case %+v", c)
	}
	if c.Next == nil || c.Next.Actor != "system" || len(c.Timeline) != 1 || c.Timeline[0].Actor != "buyer:buyer-1" || c.Timeline[0].To != "submitted" {
		t.Fatalf("next %+v timeline %+v", c.Next, c.Timeline)
	}
	if loc := res.header.Get("Location"); loc != "/v1/cases/"+c.ID {
		t.Errorf("Location = %q", loc)
	}

	// The rules send a delivered order's refund to a person.
	st.settle(t)
	got := st.get(t, buyer, c.ID)
	if got.Status != "pending_review" || got.Version != 3 || got.Next == nil || got.Next.Actor != "merchant" {
		t.Fatalf("after the rules: %+v", got)
	}

	var page struct {
		Items []caseBody `json:"items"`
	}
	buyer.do("GET", "/v1/cases", nil).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != c.ID {
		t.Fatalf("list: %+v", page.Items)
	}

	// Evidence: ask for a URL, PUT the bytes straight to S3, attach.
	photo := inspecttest.JPEG(inspecttest.Photo(120, 90, 101), 80)
	up := presign(t, buyer, "/v1/cases/"+c.ID+"/evidence-uploads", "image/jpeg", len(photo))
	if up.Method != "PUT" || !up.ExpiresAt.Equal(start.Add(15*time.Minute)) {
		t.Fatalf("upload %+v", up)
	}
	up.put(t, photo)

	// Attach from "another terminal": a new client.
	other := st.as(t, "buyer-1", "buyer")
	res = other.do("POST", "/v1/cases/"+c.ID+"/evidence", map[string]any{"evidence_ids": []string{up.EvidenceID}})
	if res.status != http.StatusOK {
		t.Fatalf("attach: %d %s", res.status, res.body)
	}
	res.decode(t, &got)
	if got.Version != 4 || len(got.Evidence) != 1 || got.Evidence[0].Size != int64(len(photo)) || got.Evidence[0].Status != "uploaded" ||
		got.Timeline[3].Action != "attach_evidence" || got.Status != "pending_review" {
		t.Fatalf("after attach: %+v", got)
	}

	// The upload landing under evidence/ is checked: a real photo is verified.
	st.settle(t)
	got = st.get(t, buyer, c.ID)
	if got.Version != 5 || got.Evidence[0].Status != "verified" || got.Timeline[4].Action != "check_evidence" || got.Status != "pending_review" {
		t.Fatalf("after the check: %+v", got)
	}

	res = buyer.do("POST", "/v1/cases/"+c.ID+"/cancel", nil)
	res.decode(t, &got)
	if res.status != http.StatusOK || got.Status != "cancelled" || got.Version != 6 || got.Next != nil {
		t.Fatalf("cancel: %d %+v", res.status, got)
	}
	st.settle(t)
	if e, err := st.Execution(c.ID); err != nil || e.Status != "SUCCEEDED" {
		t.Errorf("the workflow of a cancelled case did not end: %+v %v", e, err)
	}
	// Cancelled twice: the case has ended.
	buyer.do("POST", "/v1/cases/"+c.ID+"/cancel", nil).problem(t, http.StatusConflict)

	// The line is free again: a new application on it is accepted.
	res = buyer.do("POST", "/v1/cases", refundApp("o-1002", "l1", 1), "Idempotency-Key", "k-2")
	if res.status != http.StatusCreated {
		t.Fatalf("re-apply after cancel: %d %s", res.status, res.body)
	}
	st.settle(t)

	// Staff see both, newest first.
	staff := st.as(t, "staff-1", "reviewer")
	staff.do("GET", "/v1/staff/cases", nil).decode(t, &page)
	if len(page.Items) != 2 || page.Items[1].ID != c.ID {
		t.Fatalf("staff list: %+v", page.Items)
	}
	var sc caseBody
	staff.do("GET", "/v1/staff/cases/"+c.ID, nil).decode(t, &sc)
	if sc.Status != "cancelled" || len(sc.Timeline) != 6 {
		t.Fatalf("staff get: %+v", sc)
	}
}

func TestIdempotentCreate(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	first := buyer.do("POST", "/v1/cases", refundApp("o-1001", "l1", 1), "Idempotency-Key", "same")
	if first.status != http.StatusCreated {
		t.Fatalf("create: %d %s", first.status, first.body)
	}
	st.settle(t) // the workflow writes too; let it finish before counting items
	items := st.itemCount(t)
	again := buyer.do("POST", "/v1/cases", refundApp("o-1001", "l1", 1), "Idempotency-Key", "same")
	if again.status != http.StatusCreated || !bytes.Equal(bytes.TrimSpace(again.body), bytes.TrimSpace(first.body)) {
		t.Fatalf("replay: %d\n%s\nwant\n%s", again.status, again.body, first.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay not marked Idempotent-Replayed")
	}
	p := buyer.do("POST", "/v1/cases", refundApp("o-1001", "l1", 2), "Idempotency-Key", "same").problem(t, http.StatusUnprocessableEntity)
	if !p.names("Idempotency-Key") {
		t.Errorf("problem %+v does not name Idempotency-Key", p)
	}
	if n := st.itemCount(t); n != items {
		t.Errorf("replays wrote %d items", n-items)
	}
	// Another buyer's identical key is another request.
	res := st.as(t, "buyer-2", "buyer").do("POST", "/v1/cases", refundApp("o-1007", "l1", 1), "Idempotency-Key", "same")
	if res.status != http.StatusCreated {
		t.Fatalf("buyer-2 with the same key: %d %s", res.status, res.body)
	}
}

func TestAccessControl(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	var c caseBody
	buyer.do("POST", "/v1/cases", refundApp("o-1002", "l1", 1), "Idempotency-Key", "k").decode(t, &c)
	st.settle(t) // in review now: the line stays held

	p := st.as(t, "buyer-1", "buyer").do("POST", "/v1/cases", refundApp("o-1002", "l1", 1), "Idempotency-Key", "k2").problem(t, http.StatusConflict)
	if p.Type != "urn:aftersales:problem:conflict" {
		t.Errorf("second active case on a line: %+v", p)
	}

	stranger := st.as(t, "buyer-2", "buyer")
	stranger.do("GET", "/v1/cases/"+c.ID, nil).problem(t, http.StatusNotFound)
	stranger.do("POST", "/v1/cases/"+c.ID+"/cancel", nil).problem(t, http.StatusNotFound)
	stranger.do("POST", "/v1/cases/"+c.ID+"/evidence-uploads", map[string]any{"files": []map[string]any{{"content_type": "image/png", "size": 10}}}).problem(t, http.StatusNotFound)
	var page struct {
		Items []caseBody `json:"items"`
	}
	stranger.do("GET", "/v1/cases", nil).decode(t, &page)
	if len(page.Items) != 0 {
		t.Errorf("buyer-2 sees %d cases of buyer-1", len(page.Items))
	}
	buyer.do("GET", "/v1/cases/as_01JDXXXXXXXXXXXXXXXXXXXXXX", nil).problem(t, http.StatusNotFound)

	anon := st.as(t, "")
	for _, path := range []string{"/v1/cases", "/v1/cases/" + c.ID, "/v1/staff/cases", "/v1/reasons"} {
		p := anon.do("GET", path, nil).problem(t, http.StatusUnauthorized)
		if p.Type != "urn:aftersales:problem:unauthenticated" {
			t.Errorf("%s: type %q", path, p.Type)
		}
	}
	bad := &client{t: t, st: st, sub: "x", token: "not-a-jwt"}
	bad.do("GET", "/v1/cases", nil).problem(t, http.StatusUnauthorized)

	buyer.do("GET", "/v1/staff/cases", nil).problem(t, http.StatusForbidden)
	buyer.do("GET", "/v1/staff/cases/"+c.ID, nil).problem(t, http.StatusForbidden)
	st.as(t, "staff-1", "reviewer").do("POST", "/v1/cases", refundApp("o-1001", "l2", 1), "Idempotency-Key", "s").problem(t, http.StatusForbidden)
}

// TestInvalidApplications sends one invalid field at a time and checks the
// answer names that field and that nothing at all was written.
func TestInvalidApplications(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	// A case with 9 files already, for the "too many files" case.
	var full caseBody
	buyer.do("POST", "/v1/cases", refundApp("o-1002", "l2", 1), "Idempotency-Key", "full").decode(t, &full)
	st.settle(t) // the workflow writes too; let it finish before counting items

	app := func(mut func(map[string]any)) map[string]any {
		a := refundApp("o-1001", "l1", 1)
		mut(a)
		return a
	}
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		field  string
	}{
		{"unknown order", "/v1/cases", app(func(a map[string]any) { a["order_id"] = "o-404" }), 422, "order_id"},
		{"another buyer's order", "/v1/cases", app(func(a map[string]any) { a["order_id"] = "o-1005" }), 422, "order_id"},
		{"unknown type", "/v1/cases", app(func(a map[string]any) { a["type"] = "free_money" }), 422, "type"},
		{"unknown reason", "/v1/cases", app(func(a map[string]any) { a["reason"] = "because" }), 422, "reason"},
		{"reason of another type", "/v1/cases", app(func(a map[string]any) { a["reason"] = "size_not_fit" }), 422, "reason"},
		{"quantity 0", "/v1/cases", app(func(a map[string]any) { a["lines"] = []map[string]any{{"line_id": "l1", "quantity": 0}} }), 422, "lines[0].quantity"},
		{"quantity above ordered", "/v1/cases", app(func(a map[string]any) { a["lines"] = []map[string]any{{"line_id": "l1", "quantity": 3}} }), 422, "lines[0].quantity"},
		{"unknown line", "/v1/cases", app(func(a map[string]any) { a["lines"] = []map[string]any{{"line_id": "l9", "quantity": 1}} }), 422, "lines[0].line_id"},
		{"no lines", "/v1/cases", app(func(a map[string]any) { delete(a, "lines") }), 422, "lines"},
		{"amount above refundable", "/v1/cases", app(func(a map[string]any) { a["amount"] = 9901 }), 422, "amount"},
		{"amount zero", "/v1/cases", app(func(a map[string]any) { a["amount"] = 0 }), 422, "amount"},
		{"amount not a number", "/v1/cases", app(func(a map[string]any) { a["amount"] = "lots" }), 422, "amount"},
		{"bad refund destination", "/v1/cases", app(func(a map[string]any) { a["refund_to"] = "cash" }), 422, "refund_to"},
		{"unknown field", "/v1/cases", app(func(a map[string]any) { a["discount"] = 5 }), 422, "discount"},
		{"return on an unshipped order", "/v1/cases", app(func(a map[string]any) { a["type"] = "return_refund"; a["reason"] = "size_not_fit" }), 422, "type"},
		{"unknown evidence", "/v1/cases", app(func(a map[string]any) { a["evidence"] = []string{"ev_nope"} }), 422, "evidence[0]"},
		{"too many files", "/v1/cases/" + full.ID + "/evidence-uploads", map[string]any{"files": tenFiles()}, 422, "files"},
		{"too large image", "/v1/cases/" + full.ID + "/evidence-uploads", map[string]any{"files": []map[string]any{{"content_type": "image/jpeg", "size": 20<<20 + 1}}}, 422, "files[0].size"},
		{"too large video", "/v1/cases/" + full.ID + "/evidence-uploads", map[string]any{"files": []map[string]any{{"content_type": "video/mp4", "size": 100<<20 + 1}}}, 422, "files[0].size"},
		{"wrong content type", "/v1/cases/" + full.ID + "/evidence-uploads", map[string]any{"files": []map[string]any{{"content_type": "application/pdf", "size": 100}}}, 422, "files[0].content_type"},
		{"no files", "/v1/evidence-uploads", map[string]any{"files": []map[string]any{}}, 422, "files"},
		{"attach nothing", "/v1/cases/" + full.ID + "/evidence", map[string]any{"evidence_ids": []string{}}, 422, "evidence_ids"},
		{"attach unknown evidence", "/v1/cases/" + full.ID + "/evidence", map[string]any{"evidence_ids": []string{"ev_nope"}}, 422, "evidence_ids[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := st.itemCount(t)
			p := buyer.do("POST", tt.path, tt.body, "Idempotency-Key", "bad-"+tt.name).problem(t, tt.status)
			if !p.names(tt.field) {
				t.Errorf("problem does not name %q: %s", tt.field, mustJSON(p))
			}
			if after := st.itemCount(t); after != before {
				t.Errorf("a refused request wrote %d items", after-before)
			}
		})
	}

	t.Run("malformed JSON", func(t *testing.T) {
		req, _ := http.NewRequest("POST", st.URL+"/v1/cases", strings.NewReader("{not json"))
		req.Header.Set("Authorization", "Bearer "+buyer.bearer())
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "m")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", res.StatusCode)
		}
	})
	t.Run("missing idempotency key", func(t *testing.T) {
		before := st.itemCount(t)
		p := buyer.do("POST", "/v1/cases", refundApp("o-1001", "l1", 1)).problem(t, 422)
		if !p.names("Idempotency-Key") || st.itemCount(t) != before {
			t.Errorf("problem %+v", p)
		}
	})
}

func tenFiles() []map[string]any {
	out := make([]map[string]any, 10)
	for i := range out {
		out[i] = map[string]any{"content_type": "image/png", "size": 1000}
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUploadRefusedWhenItDoesNotMatchTheDeclaration(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	var ups struct {
		Uploads []struct {
			EvidenceID string            `json:"evidence_id"`
			URL        string            `json:"url"`
			Headers    map[string]string `json:"headers"`
		} `json:"uploads"`
	}
	buyer.do("POST", "/v1/evidence-uploads", map[string]any{"files": []map[string]any{{"content_type": "image/png", "size": 4}}}).decode(t, &ups)
	up := ups.Uploads[0]
	put := func(ct string, body []byte) int {
		req, _ := http.NewRequest("PUT", up.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := put("image/jpeg", []byte("abcd")); code < 400 {
		t.Errorf("PUT with another content type: %d, want refused", code)
	}
	if code := put("image/png", []byte("abcdefgh")); code < 400 {
		t.Errorf("PUT with another length: %d, want refused", code)
	}
	// Not uploaded: it cannot be sent with an application.
	a := refundApp("o-1001", "l1", 1)
	a["evidence"] = []string{up.EvidenceID}
	p := buyer.do("POST", "/v1/cases", a, "Idempotency-Key", "e").problem(t, 422)
	if !p.names("evidence[0]") {
		t.Errorf("problem %+v", p)
	}
	// Uploaded as declared, it can.
	if code := put("image/png", []byte("abcd")); code != 200 {
		t.Fatalf("PUT as declared: %d", code)
	}
	var c caseBody
	res := buyer.do("POST", "/v1/cases", a, "Idempotency-Key", "e2")
	res.decode(t, &c)
	if res.status != 201 || len(c.Evidence) != 1 || c.Evidence[0].ID != up.EvidenceID {
		t.Fatalf("create with evidence: %d %s", res.status, res.body)
	}
	// The URL expires after 15 minutes.
	st.Clock.Advance(16 * time.Minute)
	if code := put("image/png", []byte("abcd")); code != http.StatusForbidden {
		t.Errorf("PUT after expiry: %d, want 403", code)
	}
}

// presignedUpload is one upload URL the API hands out.
type presignedUpload struct {
	EvidenceID string            `json:"evidence_id"`
	URL        string            `json:"url"`
	Method     string            `json:"method"`
	Headers    map[string]string `json:"headers"`
	ExpiresAt  time.Time         `json:"expires_at"`
}

// presign asks path (an evidence or document upload route) for one upload
// URL of a file of contentType and size.
func presign(t testing.TB, c *client, path, contentType string, size int) presignedUpload {
	t.Helper()
	var ups struct {
		Uploads []presignedUpload `json:"uploads"`
	}
	res := c.do("POST", path, map[string]any{"files": []map[string]any{{"content_type": contentType, "size": size}}})
	if res.status != http.StatusCreated {
		t.Fatalf("uploads: %d %s", res.status, res.body)
	}
	res.decode(t, &ups)
	return ups.Uploads[0]
}

// put uploads body through the URL, straight to the local S3.
func (up presignedUpload) put(t testing.TB, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(up.Method, up.URL, bytes.NewReader(body))
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	req.ContentLength = int64(len(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PUT to the presigned URL: %d", res.StatusCode)
	}
}
