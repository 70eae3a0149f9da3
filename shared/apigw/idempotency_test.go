package apigw

import (
	"net/http"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// TestCreateCaseRefusals: the refusals of an application that a client
// must tell apart. A key still in progress is a 409 of its own type with
// Retry-After (retry the same request), unlike the business conflict of a
// line held by another case (change the request) and the key sent with
// another body (use a new key).
func TestCreateCaseRefusals(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		typ        string
		detail     string
		retryAfter string
	}{
		{"a key still in progress", aftersales.ErrIdempotencyKeyInProgress.For("case.create"), http.StatusConflict,
			"urn:aftersales:problem:idempotency-key-in-progress", aftersales.ErrIdempotencyKeyInProgress.Msg, "1"},
		{"a line held by another case",
			&aftersales.Error{Kind: aftersales.KindConflict, Op: "case.create", Msg: aftersales.ErrLineHeld.Msg, Err: aftersales.ErrLineHeld},
			http.StatusConflict, "urn:aftersales:problem:conflict", aftersales.ErrLineHeld.Msg, ""},
		{"a key used with another body", aftersales.Invalid("case.create", "Idempotency-Key", "was already used with a different request body"),
			http.StatusUnprocessableEntity, "urn:aftersales:problem:invalid", "the request has invalid fields", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.err = tt.err
			rec := h.do(request{method: "POST", target: "/v1/cases", auth: token(t, "buyer-1"),
				body:    `{"order_id":"o-1","type":"refund_only","reason":"damaged","lines":[{"line_id":"l1","quantity":1}]}`,
				headers: map[string]string{"Idempotency-Key": "k"}})
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			p := problemOf(t, rec)
			if p.Type != tt.typ || p.Detail != tt.detail || p.RequestID != "req-1" {
				t.Errorf("problem %+v, want type %s and detail %q", p, tt.typ, tt.detail)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
		})
	}
}
