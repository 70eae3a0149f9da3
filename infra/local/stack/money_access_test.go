package stack

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestClaimWeightsCannotOverflow replays issue 13's claim over HTTP: 5 jin
// of strawberries (100.00 CNY) with weights of 10^15 g was computed as
// -84.46 CNY, approved and sent to WeChat Pay. Such weights, and weights
// making the claim worth nothing, are now 422 naming the field, and no case
// is written.
func TestClaimWeightsCannotOverflow(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	tests := []struct {
		name    string
		spoiled int64
		total   int64
		fields  []string
	}{
		{"weights of 10^15", 1e15, 1e15, []string{"claim.total_weight", "claim.spoiled_weight"}},
		{"a share worth nothing", 1, 100_000_000, []string{"claim.spoiled_weight"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := st.itemCount(t)
			body := app("o-1003", "claim", "produce_spoiled", "l1", 5)
			body["claim"] = map[string]any{"spoiled_weight": tt.spoiled, "total_weight": tt.total}
			p := buyer.do("POST", "/v1/cases", body, "Idempotency-Key", randomHex(8)).problem(t, http.StatusUnprocessableEntity)
			for _, f := range tt.fields {
				if !p.names(f) {
					t.Errorf("errors %+v do not name %s", p.Errors, f)
				}
			}
			if after := st.itemCount(t); after != before {
				t.Errorf("%d items written by a refused claim", after-before)
			}
		})
	}
}

// TestLenientTokensAreRefused sends issue 13's tokens over HTTP: a string
// exp and a crit header are 401; a roles claim naming no known role is 403
// on every kind of route (it read GET /v1/cases before); no roles claim is
// the mall's buyer.
func TestLenientTokensAreRefused(t *testing.T) {
	st := startStack(t)
	sign := func(header map[string]any, claims jwt.MapClaims) *client {
		c := jwt.MapClaims{"iss": JWTIssuer, "aud": JWTAudience, "sub": "buyer-1", "exp": st.Clock.Now().Add(time.Hour).Unix()}
		for k, v := range claims {
			c[k] = v
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
		for k, v := range header {
			tok.Header[k] = v
		}
		s, err := tok.SignedString([]byte(st.Config.JWT.HS256Secret))
		if err != nil {
			t.Fatal(err)
		}
		return &client{t: t, st: st, token: s}
	}
	exp := st.Clock.Now().Add(time.Hour).Unix()
	tests := []struct {
		name   string
		c      *client
		status int
		detail string
	}{
		{"exp as a string", sign(nil, jwt.MapClaims{"exp": fmt.Sprint(exp)}), http.StatusUnauthorized, "exp"},
		{"a crit header", sign(map[string]any{"crit": []string{"exp"}}, nil), http.StatusUnauthorized, "crit"},
		{"only unknown roles", sign(nil, jwt.MapClaims{"roles": []string{"god"}}), http.StatusForbidden, "no role"},
		{"no roles claim", sign(nil, nil), http.StatusOK, ""},
	}
	routes := []struct{ method, path string }{
		{"GET", "/v1/cases"}, {"GET", "/v1/cases/as_01NOSUCHCASE0000000000000"}, {"GET", "/v1/reasons"},
		{"GET", "/v1/staff/cases"}, {"POST", "/v1/cases/as_01NOSUCHCASE0000000000000/cancel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, rt := range routes[:map[bool]int{true: len(routes), false: 1}[tt.status != http.StatusOK]] {
				res := tt.c.do(rt.method, rt.path, nil)
				if tt.status == http.StatusOK {
					if res.status != http.StatusOK {
						t.Fatalf("%s %s: %d %s", rt.method, rt.path, res.status, res.body)
					}
					continue
				}
				if p := res.problem(t, tt.status); !strings.Contains(p.Detail, tt.detail) {
					t.Errorf("%s %s: detail %q does not mention %q", rt.method, rt.path, p.Detail, tt.detail)
				}
			}
		})
	}
}

// TestStaffCannotDecideTheirOwnCase: a token with the buyer and reviewer
// roles approved its own case in issue 13. Now the approval is 403 saying
// why, a batch decision fails that item with the same reason, and another
// reviewer decides the case.
func TestStaffCannotDecideTheirOwnCase(t *testing.T) {
	st := startStack(t)
	self := st.as(t, "buyer-1", "buyer", "reviewer")
	c := st.apply(t, self, app("o-1002", "return_refund", "size_not_fit", "l1", 1))
	wantStatus(t, c, "pending_review")

	p := self.do("POST", "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}).problem(t, http.StatusForbidden)
	if !strings.Contains(p.Detail, "separation of duties") {
		t.Errorf("detail %q", p.Detail)
	}
	res := self.do("POST", "/v1/staff/reviews", map[string]any{"case_ids": []string{c.ID}, "decision": "approve", "reason": "backlog"})
	if res.status != http.StatusAccepted {
		t.Fatalf("batch: %d %s", res.status, res.body)
	}
	var j jobBody
	res.decode(t, &j)
	st.settle(t)
	j = st.job(t, self, j.ID)
	if j.Status != "done" || j.Failed != 1 || len(j.Failures) != 1 || !strings.HasPrefix(j.Failures[0].Error, "Forbidden") ||
		!strings.Contains(j.Failures[0].Error, "separation of duties") {
		t.Fatalf("job %+v", j)
	}
	wantStatus(t, st.get(t, self, c.ID), "pending_review")
	got := act(t, st.as(t, "staff-1", "reviewer"), "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, http.StatusOK)
	wantStatus(t, got, "awaiting_return")
}
