package apigw

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/usecase/policies"
)

// TestPoliciesOnTheRealUseCase serves GET /v1/policies and the language
// check of POST /v1/cases/preview with the real policies use case on an
// in-memory rule set: the parameters' refusals name them, Chinese is the
// default, and the answer's shape is the documented one.
func TestPoliciesOnTheRealUseCase(t *testing.T) {
	h := newHarness(t)
	h.srv = NewServer(Services{Policies: &policies.Service{Rules: memstore.NewRuleSets(), Clock: fixedClock(now)}},
		h.srv.auth, slog.New(slog.NewJSONHandler(h.log, nil)))
	buyerTok := token(t, "buyer-1")
	tests := []struct {
		name   string
		req    request
		status int
		field  string // the parameter a refusal names
		want   []string
	}{
		{name: "Chinese by default", req: request{method: "GET", target: "/v1/policies", auth: buyerTok}, status: http.StatusOK,
			want: []string{`"lang":"zh-CN"`, `"ruleset_version":1`, `"topic":"rules","title":"审核规则"`, `"rule_id":"virtual-redeemed","tags":["virtual_goods"]`,
				`"topic":"time_limits"`, "商家在订单未发货时 48 小时内"}},
		{name: "English, a claim page for a diamond member", req: request{method: "GET", target: "/v1/policies?lang=en&kind=claim&tier=diamond", auth: token(t, "staff-1", "reviewer")},
			status: http.StatusOK, want: []string{`"lang":"en"`, `"kind":"claim"`, `"tier":"diamond"`, "Members of tier “diamond” are promised a review within 1 hour."}},
		{name: "an unknown language", req: request{method: "GET", target: "/v1/policies?lang=fr", auth: buyerTok}, status: http.StatusUnprocessableEntity, field: "lang"},
		{name: "an unknown kind", req: request{method: "GET", target: "/v1/policies?kind=gift", auth: buyerTok}, status: http.StatusUnprocessableEntity, field: "kind"},
		{name: "a preview in an unknown language", req: request{method: "POST", target: "/v1/cases/preview?lang=de", auth: buyerTok, body: `{}`},
			status: http.StatusUnprocessableEntity, field: "lang"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.do(tt.req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.field != "" {
				var p problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || len(p.Errors) != 1 || p.Errors[0].Field != tt.field {
					t.Fatalf("problem %s, want it to name %s", rec.Body, tt.field)
				}
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body lacks %s:\n%s", w, rec.Body)
				}
			}
		})
	}
}
