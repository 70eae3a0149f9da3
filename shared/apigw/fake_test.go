package apigw

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/cases"
	"github.com/aftersales/aftersales/shared/usecase/disputes"
	"github.com/aftersales/aftersales/shared/usecase/policies"
)

// call is one use case call the fake saw: the method, the caller and the
// decoded arguments (after ctx and the principal).
type call struct {
	method string
	p      aftersales.Principal
	args   []any
}

// fakeServices plays every use case of Services. It records each call and
// answers with a canned value, or with err when a test sets it.
type fakeServices struct {
	calls []call
	err   error
	// created, when set, is CreateCase's answer; otherwise CreateCase renders
	// the new case as the real use case does before it stores the response.
	created  *aftersales.CreateResult
	rendered []byte
	// refundPages are ListRefunds' answers in turn; past them it answers
	// err, or one refund when err is nil.
	refundPages []aftersales.RefundPage
	panicWith   any
}

func (f *fakeServices) services() Services {
	return Services{Cases: f, Reviews: f, Returns: f, Refunds: f, RuleSets: f, Disputes: f, Policies: f, Inbox: f, Pickups: f}
}

// List plays the inbox: one unread item of the caller's.
func (f *fakeServices) List(_ context.Context, p aftersales.Principal, cursor string, limit int) (aftersales.InboxPage, error) {
	if err := f.record("List", p, cursor, limit); err != nil {
		return aftersales.InboxPage{}, err
	}
	return aftersales.InboxPage{Items: []aftersales.InboxItem{{ID: "nt_1", CaseID: "as_1", Kind: "status_changed", Title: "t", Body: "b",
		Language: aftersales.LangZhCN, CreatedAt: now}}, NextCursor: "cursor-2", Unread: 1}, nil
}

// MarkRead marks the inbox item id read now.
func (f *fakeServices) MarkRead(_ context.Context, p aftersales.Principal, id string) (*aftersales.InboxItem, error) {
	if err := f.record("MarkRead", p, id); err != nil {
		return nil, err
	}
	return &aftersales.InboxItem{ID: id, Kind: "status_changed", Title: "t", Body: "b", Language: aftersales.LangEN, CreatedAt: now, ReadAt: now}, nil
}

func (f *fakeServices) record(method string, p aftersales.Principal, args ...any) error {
	if f.panicWith != nil {
		panic(f.panicWith)
	}
	f.calls = append(f.calls, call{method, p, args})
	return f.err
}

// answer is the fake's reply for calls that return a case: the case named
// id, or err.
func (f *fakeServices) answer(method string, p aftersales.Principal, id string, args ...any) (*aftersales.Case, error) {
	if err := f.record(method, p, append([]any{id}, args...)...); err != nil {
		return nil, err
	}
	return caseNamed(id), nil
}

func (f *fakeServices) CreateCase(_ context.Context, p aftersales.Principal, app aftersales.Application, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
	if err := f.record("CreateCase", p, app, idem.Key); err != nil {
		return aftersales.CreateResult{}, err
	}
	if f.created != nil {
		return *f.created, nil
	}
	c := caseNamed("as_new")
	status, body, err := idem.Render(c)
	if err != nil || status != http.StatusCreated {
		return aftersales.CreateResult{}, aftersales.E(aftersales.KindInternal, "fake", "render failed")
	}
	f.rendered = body
	return aftersales.CreateResult{Case: c}, nil
}

func (f *fakeServices) Goodwill(_ context.Context, p aftersales.Principal, r aftersales.GoodwillRequest, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
	if err := f.record("Goodwill", p, r, idem.Key); err != nil {
		return aftersales.CreateResult{}, err
	}
	return aftersales.CreateResult{Case: caseNamed("as_gw")}, nil
}

func (f *fakeServices) GetCase(_ context.Context, p aftersales.Principal, id string) (*aftersales.Case, error) {
	return f.answer("GetCase", p, id)
}

func (f *fakeServices) EvidenceLinks(_ context.Context, _ aftersales.Principal, c *aftersales.Case) (map[string]cases.EvidenceLink, error) {
	out := map[string]cases.EvidenceLink{}
	for _, e := range c.Evidence {
		out[e.ID] = cases.EvidenceLink{URL: "https://bucket.example/" + e.ID + "?X-Amz-Signature=s", ExpiresAt: now.Add(5 * time.Minute)}
	}
	return out, nil
}

func (f *fakeServices) ListCases(_ context.Context, p aftersales.Principal, q aftersales.CaseQuery) (aftersales.CasePage, error) {
	if err := f.record("ListCases", p, q); err != nil {
		return aftersales.CasePage{}, err
	}
	return aftersales.CasePage{Items: []aftersales.Case{*caseNamed("as_1")}, NextCursor: "cursor-2"}, nil
}

func (f *fakeServices) RequestUploads(_ context.Context, p aftersales.Principal, caseID string, files []aftersales.UploadFile) ([]aftersales.PresignedUpload, error) {
	if err := f.record("RequestUploads", p, caseID, files); err != nil {
		return nil, err
	}
	ups := make([]aftersales.PresignedUpload, len(files))
	for i := range files {
		ups[i] = aftersales.PresignedUpload{EvidenceID: "ev_" + string(rune('a'+i)), URL: "https://bucket.example/ev?X-Amz-Signature=s&X-Amz-Expires=600",
			Method: "PUT", Headers: map[string]string{"Content-Type": files[i].ContentType}, ExpiresAt: now.Add(10 * time.Minute)}
	}
	return ups, nil
}

func (f *fakeServices) AttachEvidence(_ context.Context, p aftersales.Principal, caseID string, ids []string) (*aftersales.Case, error) {
	return f.answer("AttachEvidence", p, caseID, ids)
}

func (f *fakeServices) Cancel(_ context.Context, p aftersales.Principal, caseID string) (*aftersales.Case, error) {
	return f.answer("Cancel", p, caseID)
}

func (f *fakeServices) Approve(_ context.Context, p aftersales.Principal, caseID string, a aftersales.Approval) (*aftersales.Case, error) {
	return f.answer("Approve", p, caseID, a)
}

func (f *fakeServices) Reject(_ context.Context, p aftersales.Principal, caseID, reason string) (*aftersales.Case, error) {
	return f.answer("Reject", p, caseID, reason)
}

func (f *fakeServices) RequestEvidence(_ context.Context, p aftersales.Principal, caseID, note string) (*aftersales.Case, error) {
	return f.answer("RequestEvidence", p, caseID, note)
}

func (f *fakeServices) StartBatchReview(_ context.Context, p aftersales.Principal, req aftersales.BatchReview) (*aftersales.ReviewJob, error) {
	if err := f.record("StartBatchReview", p, req); err != nil {
		return nil, err
	}
	return &aftersales.ReviewJob{ID: "job_1", Decision: req.Decision, Total: max(len(req.CaseIDs), 1), CreatedAt: now}, nil
}

func (f *fakeServices) GetReviewJob(_ context.Context, p aftersales.Principal, id string) (*aftersales.ReviewJob, error) {
	if err := f.record("GetReviewJob", p, id); err != nil {
		return nil, err
	}
	return &aftersales.ReviewJob{ID: id, Decision: "reject", Total: 2, Succeeded: 1, Failed: 1, CreatedAt: now,
		Failures: []aftersales.ReviewFailure{{CaseID: "as_2", Error: "the case is no longer in review"}}}, nil
}

func (f *fakeServices) ShipReturn(_ context.Context, p aftersales.Principal, caseID string, sh aftersales.Shipment, _ int64) (*aftersales.Case, error) {
	return f.answer("ShipReturn", p, caseID, sh)
}

func (f *fakeServices) BookPickup(_ context.Context, p aftersales.Principal, caseID string, r aftersales.PickupRequest) (*aftersales.Case, error) {
	return f.answer("BookPickup", p, caseID, r)
}

func (f *fakeServices) ConfirmReceipt(_ context.Context, p aftersales.Principal, caseID, condition, note string) (*aftersales.Case, error) {
	return f.answer("ConfirmReceipt", p, caseID, condition, note)
}

func (f *fakeServices) Reship(_ context.Context, p aftersales.Principal, caseID string, sh aftersales.Shipment) (*aftersales.Case, error) {
	return f.answer("Reship", p, caseID, sh)
}

func (f *fakeServices) ListRefunds(_ context.Context, p aftersales.Principal, q aftersales.RefundQuery) (aftersales.RefundPage, error) {
	err := f.record("ListRefunds", p, q)
	if n := len(f.callsOf("ListRefunds")); n <= len(f.refundPages) {
		return f.refundPages[n-1], nil
	}
	if err != nil {
		return aftersales.RefundPage{}, err
	}
	return aftersales.RefundPage{Items: []aftersales.Refund{refundOf("as_1-1", 9900)}}, nil
}

func (f *fakeServices) RetryRefund(_ context.Context, p aftersales.Principal, caseID string, to aftersales.RefundDestination) (*aftersales.Case, error) {
	return f.answer("RetryRefund", p, caseID, to)
}

func (f *fakeServices) MarkRefundPaid(_ context.Context, p aftersales.Principal, caseID, reference string) (*aftersales.Case, error) {
	return f.answer("MarkRefundPaid", p, caseID, reference)
}

func (f *fakeServices) Open(_ context.Context, p aftersales.Principal, caseID string, r aftersales.DisputeRequest) (*aftersales.Case, error) {
	return f.answer("Open", p, caseID, r)
}

func (f *fakeServices) Post(_ context.Context, p aftersales.Principal, side aftersales.Party, caseID string, r aftersales.MessageRequest) (aftersales.Message, error) {
	if err := f.record("Post", p, side, caseID, r); err != nil {
		return aftersales.Message{}, err
	}
	m := aftersales.Message{CaseID: caseID, ID: "msg_1", Author: p.Actor(), Party: side, Text: r.Text,
		EvidenceIDs: r.EvidenceIDs, At: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)}
	m.Seal(nil)
	return m, nil
}

func (f *fakeServices) Thread(_ context.Context, p aftersales.Principal, side aftersales.Party, caseID string) (disputes.Thread, error) {
	if err := f.record("Thread", p, side, caseID); err != nil {
		return disputes.Thread{}, err
	}
	m, _ := f.Post(context.Background(), p, side, caseID, aftersales.MessageRequest{Text: "hello"})
	f.calls = f.calls[:len(f.calls)-1]
	return disputes.Thread{Messages: []aftersales.Message{m}, Verified: true}, nil
}

func (f *fakeServices) Propose(_ context.Context, p aftersales.Principal, side aftersales.Party, caseID string, amount int64, note string) (*aftersales.Case, error) {
	return f.answer("Propose", p, caseID, side, amount, note)
}

func (f *fakeServices) Accept(_ context.Context, p aftersales.Principal, side aftersales.Party, caseID, proposalID string) (*aftersales.Case, error) {
	return f.answer("Accept", p, caseID, side, proposalID)
}

func (f *fakeServices) RequestDocuments(_ context.Context, p aftersales.Principal, caseID string, files []aftersales.UploadFile) ([]aftersales.PresignedUpload, error) {
	if err := f.record("RequestDocuments", p, caseID, files); err != nil {
		return nil, err
	}
	return []aftersales.PresignedUpload{{EvidenceID: "ev_doc", URL: "http://s3/threads/x", Method: "PUT", ExpiresAt: now}}, nil
}

func (f *fakeServices) Arbitrate(_ context.Context, p aftersales.Principal, caseID, verdict string, amount int64, note string) (*aftersales.Case, error) {
	return f.answer("Arbitrate", p, caseID, verdict, amount, note)
}

func (f *fakeServices) CurrentRuleSet(context.Context) (*aftersales.RuleSet, error) {
	if err := f.record("CurrentRuleSet", aftersales.Principal{}); err != nil {
		return nil, err
	}
	return aftersales.DefaultRuleSet(), nil
}

func (f *fakeServices) PutRuleSet(_ context.Context, p aftersales.Principal, rs *aftersales.RuleSet) (*aftersales.RuleSet, error) {
	if err := f.record("PutRuleSet", p, rs); err != nil {
		return nil, err
	}
	saved := *rs
	saved.Version++
	return &saved, nil
}

func (f *fakeServices) Policies(_ context.Context, p aftersales.Principal, q policies.Query) (policies.Policy, error) {
	if err := f.record("Policies", p, q); err != nil {
		return policies.Policy{}, err
	}
	return policies.Write(aftersales.DefaultRuleSet(), policies.Filter{Kind: aftersales.CaseType(q.Kind), Tier: q.Tier}, policies.LangEN), nil
}

// Preview answers as the rules would for a small return: approved, the
// goods due back in 7 days.
func (f *fakeServices) Preview(_ context.Context, p aftersales.Principal, app aftersales.Application, lang string) (policies.Preview, error) {
	if err := f.record("Preview", p, app, lang); err != nil {
		return policies.Preview{}, err
	}
	c := &aftersales.Case{OrderID: app.OrderID, Type: app.Type, Status: aftersales.StatusAwaitingReturn, Currency: "CNY", Requested: 3900, Approved: 3900,
		RefundTo: aftersales.RefundOriginal, Lines: []aftersales.CaseLine{{LineID: "l1", SKU: "SOCKS", Kind: aftersales.KindPhysical, Quantity: 1, Amount: 3900}}}
	pv := aftersales.Preview{Case: c, Decision: aftersales.Decision{Outcome: "approve", By: "rules", RuleID: "small-amount", RuleSetVersion: 1},
		Next: &aftersales.NextStep{Actor: aftersales.ActorBuyer, Action: "ship_return", Deadline: now.Add(7 * 24 * time.Hour)}}
	return policies.Preview{Preview: pv, Lang: policies.LangEN, Summary: policies.Summarize(pv, now, policies.LangEN)}, nil
}

// wantCall checks that the use cases saw exactly want, or no call when want
// is nil.
func (f *fakeServices) wantCall(t *testing.T, want *call) {
	t.Helper()
	switch {
	case want == nil && len(f.calls) != 0:
		t.Errorf("calls %+v, want none", f.calls)
	case want != nil && (len(f.calls) != 1 || !reflect.DeepEqual(f.calls[0], *want)):
		t.Errorf("calls %+v,\nwant [%+v]", f.calls, *want)
	}
}

// callsOf returns the recorded calls of method.
func (f *fakeServices) callsOf(method string) []call {
	var out []call
	for _, c := range f.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

func caseNamed(id string) *aftersales.Case {
	return &aftersales.Case{ID: id, OrderID: "o-1002", BuyerID: "buyer-1", Type: aftersales.ReturnRefund, Reason: "size_not_fit",
		Status: aftersales.StatusPendingReview, Currency: "CNY", Requested: 9900, Version: 2, CreatedAt: now, UpdatedAt: now}
}

func refundOf(outRefundNo string, amount int64) aftersales.Refund {
	return aftersales.Refund{OutRefundNo: outRefundNo, CaseID: strings.Split(outRefundNo, "-")[0], OrderID: "o-1002",
		BuyerID: "buyer-1", Amount: aftersales.Money{Amount: amount, Currency: "CNY"}, Channel: aftersales.ChannelWeChatPay,
		Destination: aftersales.RefundOriginal, Status: aftersales.RefundSucceeded, CreatedAt: now}
}

// The test tokens' issuer, audience and secret.
const (
	testIssuer   = "iss"
	testAudience = "aud"
	testSecret   = "secret"
)

// harness is a server on a fake, with a log the tests can read.
type harness struct {
	t    *testing.T
	fake *fakeServices
	srv  *Server
	log  *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	auth, err := NewAuthenticator(testIssuer, testAudience, testSecret, "", fixedClock(now))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: &fakeServices{}, log: &bytes.Buffer{}}
	h.srv = NewServer(h.fake.services(), auth, slog.New(slog.NewJSONHandler(h.log, nil)))
	return h
}

// token is "Bearer <jwt>" for sub with roles; no roles means the mall's
// buyer login, which sends none.
func token(t *testing.T, sub string, roles ...string) string {
	t.Helper()
	s, err := SignHS256(testSecret, testIssuer, testAudience, sub, roles, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + s
}

// request is one HTTP request of a test: the body is sent as JSON unless
// a content type is given in headers.
type request struct {
	method, target string
	auth           string
	body           string
	headers        map[string]string
}

func (h *harness) do(r request) *httptest.ResponseRecorder {
	h.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.target, body)
	req = req.WithContext(withRequestID(req.Context(), "req-1"))
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec
}

// problemOf decodes a problem+json answer, failing the test on any other.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder) problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
		t.Fatalf("Content-Type %q, want %s; body %s", ct, ProblemContentType, rec.Body)
	}
	var p problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %s: %v", rec.Body, err)
	}
	if p.Status != rec.Code {
		t.Errorf("problem status %d, response status %d", p.Status, rec.Code)
	}
	return p
}

// wantProblem checks a refusal: its status, the invalid field it names
// (when field is set), and that no use case was called.
func wantProblem(t *testing.T, f *fakeServices, rec *httptest.ResponseRecorder, status int, field string) problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	p := problemOf(t, rec)
	if field != "" && !slices.ContainsFunc(p.Errors, func(e fieldProblem) bool { return e.Field == field }) {
		t.Errorf("errors %+v do not name %q", p.Errors, field)
	}
	if len(f.calls) != 0 {
		t.Errorf("a refused request called the use cases: %+v", f.calls)
	}
	return p
}
