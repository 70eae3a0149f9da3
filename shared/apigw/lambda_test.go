package apigw

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// TestLambdaBodies: API Gateway's base64 bodies are decoded before the
// routes see them, and one that is not base64 is a 400, not a crash.
func TestLambdaBodies(t *testing.T) {
	body := `{"evidence_ids":["ev_a"]}`
	tests := []struct {
		name   string
		body   string
		b64    bool
		status int
		calls  int
	}{
		{"text", body, false, http.StatusOK, 1},
		{"base64", base64.StdEncoding.EncodeToString([]byte(body)), true, http.StatusOK, 1},
		{"not base64", "%%%", true, http.StatusBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/cases/as_1/evidence", Body: tt.body, IsBase64Encoded: tt.b64,
				Headers: map[string]string{"authorization": token(t, "buyer-1"), "content-type": "application/json"},
				RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "gw-1",
					HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"}}}
			res, err := Lambda(h.srv)(context.Background(), ev)
			if err != nil || res.StatusCode != tt.status || len(h.fake.calls) != tt.calls {
				t.Fatalf("%d %s %v; calls %+v", res.StatusCode, res.Body, err, h.fake.calls)
			}
			if tt.status == http.StatusBadRequest && !strings.Contains(res.Body, "body is not valid base64") {
				t.Errorf("the 400 does not say why: %s", res.Body)
			}
		})
	}
}

// TestLocalRoundTrip is the local stack's path: a real HTTP request made an
// event, served by Lambda, and written back as HTTP, headers and query
// string included.
func TestLocalRoundTrip(t *testing.T) {
	h := newHarness(t)
	req := httptest.NewRequest("POST", "/v1/cases", strings.NewReader(`{"order_id":"o-1","lines":[{"line_id":"l1","quantity":1}]}`))
	req.Header.Set("Authorization", token(t, "buyer-1"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k-9")
	ev, err := EventFromRequest(req, "gw-2")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Lambda(h.srv)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := WriteResponse(rec, res); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/v1/cases/as_new" || rec.Header().Get("X-Request-Id") != "gw-2" {
		t.Errorf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if calls := h.fake.callsOf("CreateCase"); len(calls) != 1 || calls[0].args[1] != "k-9" {
		t.Errorf("CreateCase calls %+v", calls)
	}

	// The query string makes the round trip too.
	req = httptest.NewRequest("GET", "/v1/cases?status=pending_review&limit=5", nil)
	req.Header.Set("Authorization", token(t, "buyer-1"))
	if ev, err = EventFromRequest(req, "gw-3"); err != nil {
		t.Fatal(err)
	}
	if res, err = Lambda(h.srv)(context.Background(), ev); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("list: %+v %v", res, err)
	}
	calls := h.fake.callsOf("ListCases")
	if len(calls) != 1 || calls[0].args[0] != (aftersales.CaseQuery{BuyerID: "buyer-1", Status: aftersales.StatusPendingReview, Limit: 5}) {
		t.Errorf("ListCases calls %+v", calls)
	}
}
