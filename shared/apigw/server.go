package apigw

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Access says who may call a route.
type Access int

// Route access levels.
const (
	AnyCaller   Access = iota // any authenticated caller with a known role (buyer or staff)
	BuyerOnly                 // buyers: their own cases
	StaffOnly                 // reviewer or admin
	CaseReaders               // staff or the platform's arbitrator: read any case and its thread
	Arbiters                  // arbitrator or admin: decide escalated disputes
)

// Route is one operation of the API; the OpenAPI document lists the same set.
type Route struct {
	Method  string
	Path    string // net/http pattern syntax: /v1/cases/{id}
	Access  Access
	handler func(http.ResponseWriter, *http.Request) error
}

// Server serves the buyer and staff routes of docs/API.md.
type Server struct {
	svc    Services
	auth   *Authenticator
	log    *slog.Logger
	mux    *http.ServeMux
	routes []Route
}

// NewServer wires the routes to the use cases.
func NewServer(svc Services, auth *Authenticator, log *slog.Logger) *Server {
	s := &Server{svc: svc, auth: auth, log: log, mux: http.NewServeMux()}
	s.routes = []Route{
		{"POST", "/v1/cases", BuyerOnly, s.createCase},
		{"POST", "/v1/cases/preview", BuyerOnly, s.previewCase},
		{"GET", "/v1/cases", AnyCaller, s.listMyCases},
		{"GET", "/v1/cases/{id}", AnyCaller, s.getCase},
		{"POST", "/v1/evidence-uploads", BuyerOnly, s.requestUploads},
		{"POST", "/v1/cases/{id}/evidence-uploads", BuyerOnly, s.requestUploads},
		{"POST", "/v1/cases/{id}/evidence", BuyerOnly, s.attachEvidence},
		{"POST", "/v1/cases/{id}/cancel", BuyerOnly, s.cancel},
		{"GET", "/v1/reasons", AnyCaller, s.listReasons},
		{"GET", "/v1/policies", AnyCaller, s.getPolicies},
		{"GET", "/v1/staff/cases", CaseReaders, s.listStaffCases},
		{"GET", "/v1/staff/cases/{id}", CaseReaders, s.getCase},
		{"POST", "/v1/cases/{id}/return-shipment", BuyerOnly, caseAction(s.returnShipment)},
		{"POST", "/v1/cases/{id}/pickup", BuyerOnly, caseAction(s.bookPickup)},
		{"POST", "/v1/staff/cases/{id}/approve", StaffOnly, caseAction(s.approve)},
		{"POST", "/v1/staff/cases/{id}/reject", StaffOnly, caseAction(s.reject)},
		{"POST", "/v1/staff/cases/{id}/request-evidence", StaffOnly, caseAction(s.requestEvidence)},
		{"POST", "/v1/staff/cases/{id}/receipt", StaffOnly, caseAction(s.receipt)},
		{"POST", "/v1/staff/cases/{id}/reship", StaffOnly, caseAction(s.reship)},
		{"GET", "/v1/staff/ruleset", StaffOnly, s.getRuleSet},
		{"PUT", "/v1/staff/ruleset", StaffOnly, s.putRuleSet},
		{"POST", "/v1/staff/reviews", StaffOnly, s.startBatchReview},
		{"GET", "/v1/staff/reviews/{id}", StaffOnly, s.getBatchReview},
		{"GET", "/v1/staff/refunds", StaffOnly, s.listRefunds},
		{"GET", "/v1/staff/refunds/export", StaffOnly, s.exportRefunds},
		{"POST", "/v1/staff/cases/{id}/retry-refund", StaffOnly, caseAction(s.retryRefund)},
		{"POST", "/v1/staff/cases/{id}/mark-refund-paid", StaffOnly, caseAction(s.markRefundPaid)},
		{"POST", "/v1/cases/{id}/dispute", BuyerOnly, caseAction(s.openDispute)},
		{"POST", "/v1/cases/{id}/messages", BuyerOnly, s.postMessage},
		{"GET", "/v1/cases/{id}/messages", BuyerOnly, s.listMessages},
		{"POST", "/v1/cases/{id}/proposals", BuyerOnly, caseAction(s.propose)},
		{"POST", "/v1/cases/{id}/proposals/{proposal_id}/accept", BuyerOnly, s.acceptProposal},
		{"POST", "/v1/staff/cases/{id}/messages", CaseReaders, s.postMessage},
		{"GET", "/v1/staff/cases/{id}/messages", CaseReaders, s.listMessages},
		{"POST", "/v1/staff/cases/{id}/proposals", StaffOnly, caseAction(s.propose)},
		{"POST", "/v1/staff/cases/{id}/proposals/{proposal_id}/accept", StaffOnly, s.acceptProposal},
		{"POST", "/v1/staff/cases/{id}/arbitrate", Arbiters, caseAction(s.arbitrate)},
		{"POST", "/v1/staff/goodwill-refunds", StaffOnly, s.goodwillRefund},
		{"POST", "/v1/staff/cases/{id}/documents", CaseReaders, s.requestDocuments},
	}
	s.routes = append(s.routes, s.notificationRoutes()...)
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem{Status: http.StatusNotFound, Title: "Not Found", Detail: "no such route: " + r.Method + " " + r.URL.Path})
	})
	return s
}

// Routes lists the operations the server serves.
func (s *Server) Routes() []Route { return s.routes }

// queryParams are the query parameters each route takes, by "METHOD
// path"; a route not named takes none. Any other parameter, or one given
// twice, is refused (422 naming it) before the route does any work.
var queryParams = map[string][]string{
	"GET /v1/cases":                {"status", "cursor", "limit"},
	"GET /v1/staff/cases":          {"status", "type", "kind", "reason", "from", "to", "min_amount", "max_amount", "cursor", "limit"},
	"GET /v1/reasons":              {"type"},
	"GET /v1/policies":             {"kind", "category", "tier", "lang"},
	"POST /v1/cases/preview":       {"lang"},
	"GET /v1/staff/refunds":        {"from", "to", "order_id", "phone", "cursor", "limit"},
	"GET /v1/staff/refunds/export": {"from", "to", "order_id", "phone"},
	"GET /v1/notifications":        {"cursor", "limit"},
}

// QueryParams are the query parameters the route method path takes; the
// OpenAPI document must declare the same.
func QueryParams(method, path string) []string { return queryParams[method+" "+path] }

// checkQuery refuses a query string that is not well formed, or that holds
// a parameter the route does not take or one given more than once.
func checkQuery(r *http.Request, allowed []string) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	qs, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return &malformedError{msg: "the query string is not well formed: " + err.Error()}
	}
	var v aftersales.Validation
	for _, k := range sortedKeys(qs) {
		switch {
		case !slices.Contains(allowed, k):
			v.Add(shortKey(k), "is not a query parameter of this route")
		case len(qs[k]) > 1:
			v.Add(k, "is given %d times; give it once", len(qs[k]))
		}
	}
	return v.Err("query")
}

// ServeHTTP serves one request: it stamps the request id, recovers panics as
// 500 problems, and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve(s.log, s.mux, w, r)
}

// Middleware wraps h with what every entry point shares: the request id on
// the response and on every log line, an access log line, and panics turned
// into 500 problems instead of a dead Lambda.
func Middleware(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(log, h, w, r) })
}

func serve(log *slog.Logger, h http.Handler, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := RequestID(r.Context())
	l := log.With("request_id", id, "method", r.Method, "path", r.URL.Path)
	r = r.WithContext(withLogger(r.Context(), l))
	w.Header().Set("X-Request-Id", id)
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			l.Error("panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			WriteError(sw, r, fmt.Errorf("panic: %v", v))
		}
		Logger(r.Context()).Info("request", "status", sw.status, "duration_ms", time.Since(start).Milliseconds())
	}()
	h.ServeHTTP(sw, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap authenticates, checks the route's access level (a caller with no
// known role is refused on every route), its query parameters and the
// length of its path id, and turns a handler's error into a problem
// response.
func (s *Server) wrap(rt Route) http.Handler {
	allowed := QueryParams(rt.Method, rt.Path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r.Header.Get("Authorization"))
		if err != nil {
			WriteError(w, r, err)
			return
		}
		switch {
		case !p.HasKnownRole():
			WriteError(w, r, aftersales.E(aftersales.KindForbidden, "auth", "the token has no role this API knows (buyer, reviewer, admin or arbitrator)"))
			return
		case rt.Access == StaffOnly && !p.IsStaff():
			WriteError(w, r, aftersales.E(aftersales.KindForbidden, "auth", "this route is for merchant staff"))
			return
		case rt.Access == CaseReaders && !p.ReadsAllCases():
			WriteError(w, r, aftersales.E(aftersales.KindForbidden, "auth", "this route is for merchant staff and the platform's arbitrators"))
			return
		case rt.Access == Arbiters && !p.CanArbitrate():
			WriteError(w, r, aftersales.E(aftersales.KindForbidden, "auth", "this route is for the platform's arbitrators and the merchant's admin"))
			return
		case rt.Access == BuyerOnly && !p.Has(aftersales.RoleBuyer):
			WriteError(w, r, aftersales.E(aftersales.KindForbidden, "auth", "this route is for buyers"))
			return
		}
		if err := checkQuery(r, allowed); err != nil {
			WriteError(w, r, err)
			return
		}
		if id := r.PathValue("id"); len(id) > aftersales.MaxIDBytes {
			// Longer than any id: not found, without asking a store that
			// may not even take it as a key.
			WriteError(w, r, &aftersales.Error{Kind: aftersales.KindNotFound, Op: "route", Msg: "not found", Err: aftersales.ErrNotFound})
			return
		}
		ctx := withPrincipal(r.Context(), p)
		l := Logger(ctx).With("principal", p.Actor())
		if id := r.PathValue("id"); strings.HasPrefix(id, "as_") {
			l = l.With("case_id", id)
		}
		r = r.WithContext(withLogger(ctx, l))
		if err := rt.handler(w, r); err != nil {
			WriteError(w, r, err)
		}
	})
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request) error {
	var req createCaseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	return s.opened(w, r, "case.create", req, func(idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
		return s.svc.Cases.CreateCase(r.Context(), principal(r.Context()), req.application(), idem)
	})
}

// opened answers a request that opens a case, once per Idempotency-Key
// (required): 201 with the case, or the first answer replayed.
func (s *Server) opened(w http.ResponseWriter, r *http.Request, op string, req any, open func(*aftersales.IdempotentRequest) (aftersales.CreateResult, error)) error {
	key := r.Header.Get("Idempotency-Key")
	var v aftersales.Validation
	v.Check(key != "" && len(key) <= 255, "Idempotency-Key", "the header is required (1 to 255 characters, e.g. a UUID per request)")
	if err := v.Err(op); err != nil {
		return err
	}
	// Hash the decoded request, not the raw bytes: the same request re-sent
	// with other whitespace or key order is the same request.
	canonical, err := json.Marshal(req)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(canonical)
	res, err := open(&aftersales.IdempotentRequest{
		Key: key, RequestHash: hex.EncodeToString(sum[:]),
		Render: func(c *aftersales.Case) (int, []byte, error) {
			b, err := marshal(toCaseJSON(c))
			return http.StatusCreated, b, err
		},
	})
	if err != nil {
		return err
	}
	if rec := res.Replayed; rec != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Location", "/v1/cases/"+rec.CaseID)
		w.WriteHeader(rec.StatusCode)
		_, err := w.Write(rec.Response)
		return err
	}
	Logger(r.Context()).Info("case created", "case_id", res.Case.ID, "order_id", res.Case.OrderID, "type", string(res.Case.Type))
	if res.EnqueueErr != nil {
		Logger(r.Context()).Warn("case not handed to the workflow; the sweeper will", "case_id", res.Case.ID, "err", res.EnqueueErr.Error())
	}
	w.Header().Set("Location", "/v1/cases/"+res.Case.ID)
	WriteJSON(w, http.StatusCreated, toCaseJSON(res.Case))
	return nil
}

type goodwillRequest struct {
	OrderID  string   `json:"order_id"`
	Lines    []string `json:"lines,omitempty" max:"50"`
	Amount   int64    `json:"amount"`
	Reason   string   `json:"reason"`
	Note     string   `json:"note,omitempty"`
	RefundTo string   `json:"refund_to,omitempty"`
}

// goodwillRefund opens a goodwill case (F28).
func (s *Server) goodwillRefund(w http.ResponseWriter, r *http.Request) error {
	var req goodwillRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	return s.opened(w, r, "case.goodwill", req, func(idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error) {
		return s.svc.Cases.Goodwill(r.Context(), principal(r.Context()), aftersales.GoodwillRequest{OrderID: req.OrderID,
			Lines: req.Lines, Amount: req.Amount, Reason: req.Reason, Note: req.Note, RefundTo: aftersales.RefundDestination(req.RefundTo)}, idem)
	})
}

// getCase is the case view: the case with a short-lived link to each
// evidence file (issue 16). The links are in the body only; the access log
// records the path, never a body.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	p := principal(r.Context())
	c, err := s.svc.Cases.GetCase(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	links, err := s.svc.Cases.EvidenceLinks(r.Context(), p, c)
	if err != nil {
		return err
	}
	out := toCaseJSON(c)
	for i := range out.Evidence {
		if l, ok := links[out.Evidence[i].ID]; ok {
			exp := l.ExpiresAt.UTC()
			out.Evidence[i].ViewURL, out.Evidence[i].ThumbnailURL, out.Evidence[i].ViewExpiresAt = l.URL, l.ThumbnailURL, &exp
		}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// listMyCases lists the caller's own cases (staff use /v1/staff/cases).
func (s *Server) listMyCases(w http.ResponseWriter, r *http.Request) error {
	p := principal(r.Context())
	q, err := parseCaseQuery(r, false)
	if err != nil {
		return err
	}
	q.BuyerID = p.ID
	// Listing as a buyer even for staff tokens: "my cases" means mine.
	page, err := s.svc.Cases.ListCases(r.Context(), aftersales.Principal{ID: p.ID, Roles: []aftersales.Role{aftersales.RoleBuyer}}, q)
	if err != nil {
		return err
	}
	writePage(w, page)
	return nil
}

func (s *Server) listStaffCases(w http.ResponseWriter, r *http.Request) error {
	q, err := parseCaseQuery(r, true)
	if err != nil {
		return err
	}
	page, err := s.svc.Cases.ListCases(r.Context(), principal(r.Context()), q)
	if err != nil {
		return err
	}
	writePage(w, page)
	return nil
}

func writePage(w http.ResponseWriter, page aftersales.CasePage) {
	out := pageJSON[caseJSON]{Items: make([]caseJSON, 0, len(page.Items)), NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Items = append(out.Items, toCaseJSON(&page.Items[i]))
	}
	WriteJSON(w, http.StatusOK, out)
}

// parseCaseQuery reads list parameters, naming each bad one. Buyers may only
// filter by status; staff have every filter of docs/API.md (queryParams
// has refused any other parameter).
func parseCaseQuery(r *http.Request, staff bool) (aftersales.CaseQuery, error) {
	qs := r.URL.Query()
	var v aftersales.Validation
	q := aftersales.CaseQuery{Status: aftersales.Status(qs.Get("status")), Cursor: qs.Get("cursor")}
	q.Limit = parseInt(&v, qs, "limit")
	if staff {
		q.Type = aftersales.CaseType(qs.Get("type"))
		q.Kind = aftersales.LineKind(qs.Get("kind"))
		q.Reason = qs.Get("reason")
		q.From = parseTime(&v, qs, "from")
		q.To = parseTime(&v, qs, "to")
		q.MinAmount = int64(parseInt(&v, qs, "min_amount"))
		q.MaxAmount = int64(parseInt(&v, qs, "max_amount"))
	}
	return q, v.Err("case.list")
}

func parseInt(v *aftersales.Validation, qs map[string][]string, name string) int {
	s := ""
	if vs := qs[name]; len(vs) > 0 {
		s = vs[0]
	}
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if !v.Check(err == nil && n >= 0, name, "must be a whole number >= 0") {
		return 0
	}
	return n
}

func parseTime(v *aftersales.Validation, qs map[string][]string, name string) time.Time {
	s := ""
	if vs := qs[name]; len(vs) > 0 {
		s = vs[0]
	}
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	v.Check(err == nil, name, "must be an RFC 3339 time such as 2026-11-11T00:00:00Z")
	return t
}

func (s *Server) requestUploads(w http.ResponseWriter, r *http.Request) error {
	return s.presigned(w, r, s.svc.Cases.RequestUploads)
}

// requestDocuments signs the uploads of staff's thread documents.
func (s *Server) requestDocuments(w http.ResponseWriter, r *http.Request) error {
	return s.presigned(w, r, s.svc.Disputes.RequestDocuments)
}

// presigned declares the files of the body with declare and answers their
// upload URLs.
func (s *Server) presigned(w http.ResponseWriter, r *http.Request,
	declare func(context.Context, aftersales.Principal, string, []aftersales.UploadFile) ([]aftersales.PresignedUpload, error)) error {
	var req uploadsRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	files := make([]aftersales.UploadFile, len(req.Files))
	for i, f := range req.Files {
		files[i] = aftersales.UploadFile{ContentType: f.ContentType, Size: f.Size, Slot: f.Slot}
	}
	ups, err := declare(r.Context(), principal(r.Context()), r.PathValue("id"), files)
	if err != nil {
		return err
	}
	out := struct {
		Uploads []uploadJSON `json:"uploads"`
	}{Uploads: make([]uploadJSON, len(ups))}
	for i, u := range ups {
		out.Uploads[i] = uploadJSON{u.EvidenceID, u.URL, u.Method, u.Headers, u.ExpiresAt.UTC()}
	}
	WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) attachEvidence(w http.ResponseWriter, r *http.Request) error {
	var req attachRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.svc.Cases.AttachEvidence(r.Context(), principal(r.Context()), r.PathValue("id"), req.EvidenceIDs)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toCaseJSON(c))
	return nil
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	c, err := s.svc.Cases.Cancel(r.Context(), principal(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toCaseJSON(c))
	return nil
}

func (s *Server) listReasons(w http.ResponseWriter, r *http.Request) error {
	t := aftersales.CaseType(r.URL.Query().Get("type"))
	if t != "" && !t.Valid() {
		var v aftersales.Validation
		v.Add("type", "must be one of refund_only, return_refund, exchange, claim")
		return v.Err("reasons.list")
	}
	rs := aftersales.Reasons(t)
	out := pageJSON[reasonJSON]{Items: make([]reasonJSON, len(rs))}
	for i, x := range rs {
		out.Items[i] = reasonJSON{x.Code, string(x.Type), x.LabelZH, x.LabelEN, x.EvidenceRequired}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}
