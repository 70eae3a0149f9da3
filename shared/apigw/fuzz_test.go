package apigw

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The fuzz targets of the API's decoders of outside input. `make test` runs
// their seed corpora (the f.Add seeds and testdata/fuzz/<Target>/); `make
// fuzz` explores from there. Each target states properties that must hold
// for every input, not only "does not panic".

// checkAnswer holds for every answer of the API to any body: never a 5xx
// (a body cannot be the server's fault), a refusal is problem+json with its
// status inside, and a refused request reached no use case.
func checkAnswer(t *testing.T, h *harness, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d for a client's body: %s", rec.Code, rec.Body)
	}
	if rec.Code < 400 {
		return
	}
	p := problemOf(t, rec)
	if p.Type == "" || p.Title == "" {
		t.Errorf("problem without type or title: %+v", p)
	}
	if len(h.fake.calls) != 0 {
		t.Errorf("a refused request (%d) called the use cases: %+v", rec.Code, h.fake.calls)
	}
}

// FuzzApplicationBody sends any body as a buyer's application.
func FuzzApplicationBody(f *testing.F) {
	for _, s := range []string{
		`{"order_id":"o-1","type":"refund_only","reason":"not_wanted","lines":[{"line_id":"l1","quantity":1}]}`,
		`{"order_id":"o-1","type":"claim","reason":"spoiled","lines":[{"line_id":"l1","quantity":1}],"claim":{"spoiled_weight":1000000000000000,"total_weight":3}}`,
		`{"order_id":"o-1","type":"refund_only","reason":"x","description":"\u202egnp.exe","lines":[{"line_id":"l1","quantity":1,"amount":5}]}`,
		`{"order_id":"o-1","type":"return_refund","reason":"x","lines":[],"evidence":["ev_1","ev_1"],"amount":-1}`,
		"{\"order_id\":\"o-1\",\"description\":\"\xff\xfe\"}",
		`[]`, `null`, `{"lines":{}}`, `{"amount":1e400}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		h := newHarness(t)
		rec := h.do(request{method: "POST", target: "/v1/cases", auth: token(t, "buyer-1"), body: body,
			headers: map[string]string{"Idempotency-Key": "k"}})
		checkAnswer(t, h, rec)
		if rec.Code < 400 && !utf8.ValidString(body) {
			t.Errorf("a body that is not UTF-8 was accepted (%d): %q", rec.Code, body)
		}
		for _, c := range h.fake.callsOf("CreateCase") {
			app := c.args[0].(aftersales.Application)
			if !utf8.ValidString(app.Description) {
				t.Errorf("description reached the use case as invalid UTF-8: %q", app.Description)
			}
		}
	})
}

// staffRoutes are the staff operations that take a body, for FuzzStaffBody.
var staffRoutes = []struct{ method, target string }{
	{"POST", "/v1/staff/cases/as_1/approve"},
	{"POST", "/v1/staff/cases/as_1/reject"},
	{"POST", "/v1/staff/cases/as_1/request-evidence"},
	{"POST", "/v1/staff/cases/as_1/receipt"},
	{"POST", "/v1/staff/cases/as_1/reship"},
	{"POST", "/v1/staff/cases/as_1/retry-refund"},
	{"POST", "/v1/staff/reviews"},
	{"PUT", "/v1/staff/ruleset"},
	{"POST", "/v1/cases/as_1/return-shipment"},
	{"POST", "/v1/cases/as_1/evidence"},
	{"POST", "/v1/cases/as_1/evidence-uploads"},
}

// FuzzStaffBody sends any body to each operation that takes one, as a
// caller the route admits (an admin for staff routes, the buyer otherwise).
func FuzzStaffBody(f *testing.F) {
	for i, s := range []string{
		`{"amount":100,"note":"ok"}`, `{"reason":"not as described"}`, `{"note":"a photo of the label"}`,
		`{"condition":"intact","note":""}`, `{"carrier":"SF","tracking_no":"SF123"}`, `{"to":"balance"}`,
		`{"action":"approve","case_ids":["as_1","as_1"]}`, `{"name":"r","rules":[]}`,
		`{"carrier":"SF","tracking_no":"SF1"}`, `{"evidence_ids":["ev_1"]}`, `{"files":[{"content_type":"image/png","size":10}]}`,
	} {
		f.Add(uint8(i), s)
	}
	f.Add(uint8(0), `{"amount":-9223372036854775808}`)
	f.Add(uint8(6), `{"action":"approve","case_ids":[]}`)
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		rt := staffRoutes[int(route)%len(staffRoutes)]
		auth := token(t, "staff-1", "admin")
		if rt.target[:8] != "/v1/staf" {
			auth = token(t, "buyer-1")
		}
		h := newHarness(t)
		rec := h.do(request{method: rt.method, target: rt.target, auth: auth, body: body})
		checkAnswer(t, h, rec)
		if rec.Code < 400 && !utf8.ValidString(body) {
			t.Errorf("%s %s accepted a body that is not UTF-8 (%d)", rt.method, rt.target, rec.Code)
		}
	})
}

// FuzzToken signs any header and claims with the test secret, so the fuzzer
// explores what a token may say rather than the signature, and checks that
// an accepted token meets every rule of the API: HS256, no critical
// extension, numeric dates with exp in the future (within leeway) and nbf
// in the past, our issuer and audience, a subject, and only known roles.
func FuzzToken(f *testing.F) {
	exp := now.Add(time.Hour).Unix()
	for _, s := range [][2]string{
		{`{"alg":"HS256","typ":"JWT"}`, `{"iss":"iss","aud":"aud","sub":"buyer-1","exp":` + itoa(exp) + `}`},
		{`{"alg":"HS256","typ":"JWT"}`, `{"iss":"iss","aud":["aud"],"sub":"s","exp":` + itoa(exp) + `,"roles":["reviewer","buyer"]}`},
		{`{"alg":"HS256","typ":"JWT"}`, `{"iss":"iss","aud":"aud","sub":"s","exp":"` + itoa(exp) + `"}`},
		{`{"alg":"HS256","crit":["x-unknown"],"x-unknown":1}`, `{"iss":"iss","aud":"aud","sub":"s","exp":` + itoa(exp) + `}`},
		{`{"alg":"HS256"}`, `{"iss":"iss","aud":"aud","sub":"s","exp":` + itoa(exp) + `,"roles":["god"]}`},
		{`{"alg":"none"}`, `{"iss":"iss","aud":"aud","sub":"s","exp":` + itoa(exp) + `}`},
		{`{"alg":"HS256"}`, `{"iss":"iss","aud":"aud","sub":"s","exp":1e300,"nbf":-1e300}`},
	} {
		f.Add(s[0], s[1])
	}
	a, err := NewAuthenticator(testIssuer, testAudience, testSecret, "", fixedClock(now))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, header, claimsJSON string) {
		enc := base64.RawURLEncoding
		signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claimsJSON))
		mac := hmac.New(sha256.New, []byte(testSecret))
		mac.Write([]byte(signing))
		p, err := a.Authenticate("Bearer " + signing + "." + enc.EncodeToString(mac.Sum(nil)))
		if err != nil {
			if k := aftersales.KindOf(err); k != aftersales.KindUnauthenticated {
				t.Fatalf("a bad token is %v, want Unauthenticated: %v", k, err)
			}
			return
		}
		var hdr map[string]any
		if json.Unmarshal([]byte(header), &hdr) != nil || hdr["alg"] != "HS256" {
			t.Errorf("accepted header %s", header)
		}
		if _, ok := hdr["crit"]; ok {
			t.Errorf("accepted a critical extension: %s", header)
		}
		var c map[string]any
		if err := json.Unmarshal([]byte(claimsJSON), &c); err != nil {
			t.Fatalf("accepted claims that are not a JSON object: %q", claimsJSON)
		}
		leeway := 30 * time.Second
		expAt, ok := c["exp"].(float64)
		if !ok || time.Unix(int64(expAt), 0).Add(leeway).Before(now) {
			t.Errorf("accepted exp %#v (now %v)", c["exp"], now)
		}
		for _, name := range []string{"nbf", "iat"} {
			if v, present := c[name]; present {
				if _, ok := v.(float64); !ok {
					t.Errorf("accepted a non-numeric %s: %#v", name, v)
				}
			}
		}
		if nbf, ok := c["nbf"].(float64); ok && time.Unix(int64(nbf), 0).Add(-leeway).After(now) {
			t.Errorf("accepted a token not valid before %v", nbf)
		}
		if c["iss"] != testIssuer {
			t.Errorf("accepted issuer %#v", c["iss"])
		}
		switch aud := c["aud"].(type) {
		case string:
			if aud != testAudience {
				t.Errorf("accepted audience %q", aud)
			}
		case []any:
			if !slices.Contains(aud, any(testAudience)) {
				t.Errorf("accepted audience %v", aud)
			}
		default:
			t.Errorf("accepted audience %#v", aud)
		}
		if p.ID == "" || p.ID != c["sub"] {
			t.Errorf("principal %q from sub %#v", p.ID, c["sub"])
		}
		for _, r := range p.Roles {
			if r != aftersales.RoleBuyer && r != aftersales.RoleReviewer && r != aftersales.RoleAdmin {
				t.Errorf("unknown role %q reached the principal", r)
			}
		}
	})
}

// FuzzLambdaEvent turns any API Gateway body into a request: a body that is
// not what it claims (bad base64) is refused, never a panic.
func FuzzLambdaEvent(f *testing.F) {
	f.Add("eyJhIjoxfQ==", true)
	f.Add("not base64!", true)
	f.Add(`{"a":1}`, false)
	h := Lambda(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/cases", Body: body, IsBase64Encoded: b64,
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "gw-1",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"}}}
		resp, err := h(t.Context(), ev)
		if err != nil {
			t.Fatalf("the handler failed instead of answering: %v", err)
		}
		_, decodeErr := base64.StdEncoding.DecodeString(body)
		switch {
		case b64 && decodeErr != nil && resp.StatusCode != http.StatusBadRequest:
			t.Errorf("bad base64 answered %d, want 400", resp.StatusCode)
		case b64 && decodeErr != nil && !strings.Contains(resp.Body, `"request_id":"gw-1"`):
			t.Errorf("the 400 does not quote the request id: %s", resp.Body)
		case (!b64 || decodeErr == nil) && resp.StatusCode != http.StatusNoContent:
			t.Errorf("a well-formed event answered %d: %s", resp.StatusCode, resp.Body)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
