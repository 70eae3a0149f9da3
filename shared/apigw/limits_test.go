package apigw

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Regression tests of issue 13, defects 5 and 6, at the HTTP boundary:
// limits are checked before any use case is called, error lists are
// capped, text that would deceive its reader is refused, and every field
// is named by its full JSON path.

// quoted is a JSON list of n strings, each different.
func quoted(n int, prefix string) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Quote(fmt.Sprintf("%s%d", prefix, i))
	}
	return "[" + strings.Join(ids, ",") + "]"
}

// omittedOf is the problem's count of errors it does not list.
func omittedOf(t *testing.T, rec *httptest.ResponseRecorder) int {
	t.Helper()
	var p struct {
		Omitted int `json:"errors_omitted"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p.Omitted
}

// refusal is a request the server refuses itself, before any use case.
type refusal struct {
	name    string
	req     request
	status  int
	field   string // the first error's field
	message string // a substring of its message
	listed  int    // errors listed; 0: not checked
	omitted int    // errors counted but not listed
}

func (tt refusal) run(t *testing.T) {
	t.Helper()
	h := newHarness(t)
	start := time.Now()
	rec := h.do(tt.req)
	p := wantProblem(t, h.fake, rec, tt.status, "")
	if tt.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.field || !strings.Contains(p.Errors[0].Message, tt.message)) {
		t.Errorf("errors %+v, want the first on %q holding %q", p.Errors, tt.field, tt.message)
	}
	if tt.listed != 0 && len(p.Errors) != tt.listed {
		t.Errorf("%d errors listed, want %d", len(p.Errors), tt.listed)
	}
	if got := omittedOf(t, rec); got != tt.omitted {
		t.Errorf("errors_omitted %d, want %d", got, tt.omitted)
	}
	if rec.Body.Len() > 8<<10 {
		t.Errorf("a %d-byte answer", rec.Body.Len())
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the refusal took %v", d)
	}
}

// TestLimitsBeforeWork: lists over their limit are refused by the decoder,
// naming the limit once, before any use case looks anything up.
func TestLimitsBeforeWork(t *testing.T) {
	buyerTok, staffTok := token(t, "buyer-1"), token(t, "staff-1", "reviewer")
	idem := map[string]string{"Idempotency-Key": "k"}
	unknown := make([]string, 100)
	for i := range unknown {
		unknown[i] = fmt.Sprintf(`"x%03d":1`, i)
	}
	for _, tt := range []refusal{
		{name: "an application of 5,000 evidence ids", req: request{method: "POST", target: "/v1/cases", auth: buyerTok, headers: idem,
			body: `{"order_id":"o-1","type":"refund_only","reason":"damaged","lines":[{"line_id":"l1","quantity":1}],"evidence":` + quoted(5000, "e") + `}`},
			status: 422, field: "evidence", message: "at most 9 items; 5000 were sent", listed: 1},
		{name: "an application of 51 lines", req: request{method: "POST", target: "/v1/cases", auth: buyerTok, headers: idem,
			body: `{"order_id":"o-1","lines":[` + strings.Repeat(`{"line_id":"l","quantity":1},`, 50) + `{"line_id":"l","quantity":1}]}`},
			status: 422, field: "lines", message: "at most 50 items", listed: 1},
		{name: "attaching 5,000 evidence ids", req: request{method: "POST", target: "/v1/cases/as_1/evidence", auth: buyerTok,
			body: `{"evidence_ids":` + quoted(5000, "ev_") + `}`}, status: 422, field: "evidence_ids", message: "at most 9 items", listed: 1},
		{name: "ten upload files", req: request{method: "POST", target: "/v1/evidence-uploads", auth: buyerTok,
			body: `{"files":[` + strings.Repeat(`{"content_type":"image/png","size":1},`, 9) + `{"content_type":"image/png","size":1}]}`},
			status: 422, field: "files", message: "at most 9 items", listed: 1},
		{name: "a batch of 10,001 case ids", req: request{method: "POST", target: "/v1/staff/reviews", auth: staffTok,
			body: `{"decision":"approve","case_ids":` + quoted(aftersales.MaxBatchReview+1, "as_") + `}`},
			status: 422, field: "case_ids", message: "at most 10000 items", listed: 1},
		{name: "100 unknown fields", req: request{method: "POST", target: "/v1/staff/cases/as_1/approve", auth: staffTok,
			body: "{" + strings.Join(unknown, ",") + "}"},
			status: 422, field: "x000", message: "is not a field", listed: aftersales.MaxFieldErrors, omitted: 100 - aftersales.MaxFieldErrors},
		{name: "an id longer than any id", req: request{method: "GET", target: "/v1/cases/as_" + strings.Repeat("9", 3000), auth: buyerTok},
			status: 404},
	} {
		t.Run(tt.name, tt.run)
	}
}

// TestTextRefused: strings of any body that are not UTF-8, or that hold
// control characters, bidirectional controls or invisible formatting, are
// refused with their field, whether sent raw or as \u escapes.
func TestTextRefused(t *testing.T) {
	buyerTok, staffTok, adminTok := token(t, "buyer-1"), token(t, "staff-1", "reviewer"), token(t, "admin-1", "admin")
	create := func(body string) request {
		return request{method: "POST", target: "/v1/cases", auth: buyerTok, headers: map[string]string{"Idempotency-Key": "k"}, body: body}
	}
	application := func(description string) request {
		return create(`{"order_id":"o-1","type":"refund_only","reason":"damaged","lines":[{"line_id":"l1","quantity":1}],"description":"` + description + `"}`)
	}
	rules := func(description string) request {
		return request{method: "PUT", target: "/v1/staff/ruleset", auth: adminTok,
			body: `{"rules":[{"id":"default","description":"` + description + `","then":{"decision":"manual","level":"reviewer"}}]}`}
	}
	for _, tt := range []refusal{
		{name: "invalid UTF-8 in a description", req: application("caf\xe9"), status: 422, field: "description", message: "valid UTF-8"},
		{name: "invalid UTF-8 in a nested field", req: create(`{"order_id":"o-1","lines":[{"line_id":"l1"},{"line_id":"l` + "\xff" + `"}]}`),
			status: 422, field: "lines[1].line_id", message: "valid UTF-8"},
		{name: "invalid UTF-8 in a field's name", req: create(`{"order_id":"o-1","colo` + "\xff" + `r":"red"}`), status: 422, field: "colo\ufffdr", message: "valid UTF-8"},
		{name: "half a surrogate pair", req: application(`\ud800 alone`), status: 422, field: "description", message: "valid UTF-8"},
		{name: "a low surrogate first", req: application(`\udc00\ud800`), status: 422, field: "description", message: "valid UTF-8"},
		{name: "a right-to-left override", req: application("photo_\u202egnp.exe"), status: 422, field: "description", message: "U+202E"},
		{name: "a right-to-left override escaped", req: application(`photo_\u202Egnp.exe`), status: 422, field: "description", message: "U+202E"},
		{name: "a NUL escaped", req: application(`a\u0000b`), status: 422, field: "description", message: "U+0000"},
		{name: "an escape sequence in a rejection", req: request{method: "POST", target: "/v1/staff/cases/as_1/reject", auth: staffTok,
			body: `{"reason":"\u001b[31mfraud"}`}, status: 422, field: "reason", message: "U+001B"},
		{name: "a zero-width space in a courier", req: request{method: "POST", target: "/v1/cases/as_1/return-shipment", auth: buyerTok,
			body: `{"courier":"SF\u200b","tracking_number":"SF1234567"}`}, status: 422, field: "courier", message: "U+200B"},
		{name: "an isolate in a batch reason", req: request{method: "POST", target: "/v1/staff/reviews", auth: staffTok,
			body: `{"decision":"reject","case_ids":["as_1"],"reason":"\u2067x"}`}, status: 422, field: "reason", message: "U+2067"},
		{name: "an override in a rule set", req: rules(`\u202e`), status: 422, field: "rules[0].description", message: "U+202E"},
		{name: "invalid UTF-8 in a rule set", req: rules("\xc3("), status: 422, field: "rules[0].description", message: "valid UTF-8"},
	} {
		t.Run(tt.name, tt.run)
	}
}

// TestTextAccepted: line breaks, tabs, escaped pairs of surrogates and an
// escaped backslash before "ud800" are text.
func TestTextAccepted(t *testing.T) {
	for _, tt := range []struct{ name, raw, want string }{
		{"line breaks and tabs", `line 1\nline 2\tend`, "line 1\nline 2\tend"},
		{"an emoji as a surrogate pair", `\ud83d\ude00 ok`, "😀 ok"},
		{"an escaped backslash, not an escape", `\\ud800`, `\ud800`},
		{"Chinese", "尺码偏小", "尺码偏小"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(request{method: "POST", target: "/v1/cases", auth: token(t, "buyer-1"), headers: map[string]string{"Idempotency-Key": "k"},
				body: `{"order_id":"o-1","type":"refund_only","reason":"damaged","lines":[{"line_id":"l1","quantity":1}],"description":"` + tt.raw + `"}`})
			if rec.Code != http.StatusCreated {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if got := h.fake.callsOf("CreateCase")[0].args[0].(aftersales.Application).Description; got != tt.want {
				t.Errorf("description %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFieldPaths: every unknown field and every value of the wrong type is
// named by its full JSON path.
func TestFieldPaths(t *testing.T) {
	buyerTok, staffTok := token(t, "buyer-1"), token(t, "staff-1", "reviewer")
	create := func(body string) request {
		return request{method: "POST", target: "/v1/cases", auth: buyerTok, headers: map[string]string{"Idempotency-Key": "k"}, body: body}
	}
	long := strings.Repeat("k", 200)
	for _, tt := range []refusal{
		{name: "an unknown field of a line", req: create(`{"order_id":"o-1","lines":[{"line_id":"l1","quantity":1,"amount":5}]}`),
			status: 422, field: "lines[0].amount", message: "is not a field", listed: 1},
		{name: "an unknown field of the second line", req: create(`{"lines":[{"line_id":"l1"},{"line_id":"l2","sku":"x"}]}`),
			status: 422, field: "lines[1].sku", message: "is not a field", listed: 1},
		{name: "an unknown field of a claim", req: create(`{"claim":{"spoiled_weight":1,"colour":"red"}}`),
			status: 422, field: "claim.colour", message: "is not a field", listed: 1},
		{name: "the wrong type in a line", req: create(`{"lines":[{"line_id":"l1","quantity":1},{"line_id":"l2","quantity":1.5}]}`),
			status: 422, field: "lines[1].quantity", message: "whole number", listed: 1},
		{name: "a number too large", req: create(`{"amount":99999999999999999999}`), status: 422, field: "amount", message: "whole number", listed: 1},
		{name: "a name in another case", req: create(`{"Order_ID":"o-1"}`), status: 422, field: "Order_ID", message: "is not a field", listed: 1},
		{name: "a long unknown name is cut", req: create(`{"` + long + `":1}`), status: 422, field: long[:maxKeyBytes] + "…", message: "is not a field"},
		{name: "a list for an object", req: create(`[]`), status: 422, field: "body", message: "must be an object"},
		{name: "an upload file's unknown field", req: request{method: "POST", target: "/v1/evidence-uploads", auth: buyerTok,
			body: `{"files":[{"content_type":"image/png","size":1,"name":"a.png"}]}`}, status: 422, field: "files[0].name", message: "is not a field"},
		{name: "a batch filter's unknown field", req: request{method: "POST", target: "/v1/staff/reviews", auth: staffTok,
			body: `{"decision":"approve","filter":{"shop":"main"}}`}, status: 422, field: "filter.shop", message: "is not a field"},
		{name: "a batch filter's bad time", req: request{method: "POST", target: "/v1/staff/reviews", auth: staffTok,
			body: `{"decision":"approve","filter":{"from":"yesterday"}}`}, status: 422, field: "filter.from", message: "RFC 3339"},
		{name: "every error of a body, in order", req: create(`{"lines":[{"line_id":7,"qty":1}],"type":["claim"],"zone":1}`),
			status: 422, field: "lines[0].line_id", message: "must be a string", listed: 4},
	} {
		t.Run(tt.name, tt.run)
	}
}

// TestQueryParameters: a route takes the parameters it declares, once;
// anything else is refused before the route does any work.
func TestQueryParameters(t *testing.T) {
	buyerTok, staffTok := token(t, "buyer-1"), token(t, "staff-1", "reviewer")
	many := make([]string, 100)
	for i := range many {
		many[i] = fmt.Sprintf("p%03d=1", i)
	}
	for _, tt := range []refusal{
		{name: "a parameter of a route that takes none", req: request{method: "GET", target: "/v1/cases/as_1?expand=timeline", auth: buyerTok},
			status: 422, field: "expand", message: "is not a query parameter"},
		{name: "a parameter on a POST", req: request{method: "POST", target: "/v1/cases/as_1/cancel?force=1", auth: buyerTok},
			status: 422, field: "force", message: "is not a query parameter"},
		{name: "a parameter given twice", req: request{method: "GET", target: "/v1/cases?status=completed&status=closed", auth: buyerTok},
			status: 422, field: "status", message: "given 2 times"},
		{name: "a staff filter on the buyer's list", req: request{method: "GET", target: "/v1/cases?min_amount=1", auth: buyerTok},
			status: 422, field: "min_amount", message: "is not a query parameter"},
		{name: "a parameter of a batch's progress", req: request{method: "GET", target: "/v1/staff/reviews/job_1?verbose=1", auth: staffTok},
			status: 422, field: "verbose", message: "is not a query parameter"},
		{name: "100 unknown parameters", req: request{method: "GET", target: "/v1/reasons?" + strings.Join(many, "&"), auth: buyerTok},
			status: 422, field: "p000", listed: aftersales.MaxFieldErrors, omitted: 100 - aftersales.MaxFieldErrors},
		{name: "a query string that is not well formed", req: request{method: "GET", target: "/v1/cases?status=%zz", auth: buyerTok}, status: 400},
	} {
		t.Run(tt.name, tt.run)
	}
}

// TestProblemLimits: the answer to any error lists at most MaxFieldErrors
// fields and counts the rest, and a rate limit says when to retry.
func TestProblemLimits(t *testing.T) {
	many := &aftersales.Error{Kind: aftersales.KindInvalid, Op: "op", Msg: "the request has invalid fields"}
	for i := range 5000 {
		many.Fields = append(many.Fields, aftersales.FieldError{Field: fmt.Sprintf("evidence[%d]", i), Message: "no upload of yours is known"})
	}
	tests := []struct {
		name       string
		err        error
		status     int
		listed     int
		omitted    int
		retryAfter string
	}{
		{"5,000 field errors", many, 422, aftersales.MaxFieldErrors, 5000 - aftersales.MaxFieldErrors, ""},
		{"capped by a validation", &aftersales.Error{Kind: aftersales.KindInvalid, Fields: many.Fields[:3], Omitted: 7}, 422, 3, 7, ""},
		{"rate limited", &aftersales.Error{Kind: aftersales.KindRateLimited, Msg: "try later", RetryAfter: 90*time.Second + time.Millisecond},
			http.StatusTooManyRequests, 0, 0, "91"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.err = tt.err
			rec := h.do(request{method: "GET", target: "/v1/cases/as_1", auth: token(t, "buyer-1")})
			p := problemOf(t, rec)
			if rec.Code != tt.status || len(p.Errors) != tt.listed || omittedOf(t, rec) != tt.omitted {
				t.Errorf("%d with %d errors and %d omitted, want %d, %d, %d", rec.Code, len(p.Errors), omittedOf(t, rec), tt.status, tt.listed, tt.omitted)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
		})
	}
}

// TestListLimitsAreTheDomains: the `max` tags of request lists are the
// domain's limits.
func TestListLimitsAreTheDomains(t *testing.T) {
	tests := []struct {
		typ   reflect.Type
		field string
		limit int
	}{
		{reflect.TypeFor[createCaseRequest](), "Lines", aftersales.MaxCaseLines},
		{reflect.TypeFor[createCaseRequest](), "Evidence", aftersales.MaxEvidencePerCase},
		{reflect.TypeFor[uploadsRequest](), "Files", aftersales.MaxEvidencePerCase},
		{reflect.TypeFor[attachRequest](), "EvidenceIDs", aftersales.MaxEvidencePerCase},
		{reflect.TypeFor[batchRequest](), "CaseIDs", aftersales.MaxBatchReview},
	}
	for _, tt := range tests {
		f, ok := tt.typ.FieldByName(tt.field)
		if !ok || f.Tag.Get("max") != strconv.Itoa(tt.limit) {
			t.Errorf("%s.%s: max %q, want %d", tt.typ.Name(), tt.field, f.Tag.Get("max"), tt.limit)
		}
	}
}

// TestRequestTypesAreChecked: every request type has only fields whose
// kinds the decoder's shape check knows, so none is accepted unchecked.
func TestRequestTypesAreChecked(t *testing.T) {
	var check func(t *testing.T, typ reflect.Type, path string)
	check = func(t *testing.T, typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch k := typ.Kind(); {
		case typ == timeType, k == reflect.String, k == reflect.Bool, k == reflect.Int, k == reflect.Int64:
		case k == reflect.Struct:
			for name, f := range requestFields(typ) {
				check(t, f.typ, path+"."+name)
			}
		case k == reflect.Slice:
			check(t, typ.Elem(), path+"[]")
		default:
			t.Errorf("%s: the decoder cannot check a %s", path, typ)
		}
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[createCaseRequest](), reflect.TypeFor[uploadsRequest](), reflect.TypeFor[attachRequest](),
		reflect.TypeFor[approveRequest](), reflect.TypeFor[rejectRequest](), reflect.TypeFor[noteRequest](),
		reflect.TypeFor[receiptRequest](), reflect.TypeFor[shipmentRequest](), reflect.TypeFor[batchRequest](),
		reflect.TypeFor[retryRefundRequest](),
	} {
		t.Run(typ.Name(), func(t *testing.T) { check(t, typ, typ.Name()) })
	}
}
