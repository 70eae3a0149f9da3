package stack

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/mallhook"
)

var tokenPlaceholder = regexp.MustCompile(`\{\{token:([^:}]+):([^}]+)\}\}`)

// loadEvent reads a fixture from events/ and fills in its placeholders.
func loadEvent(t *testing.T, st *Stack, name, caseID string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for k, v := range ev.Headers {
		if m := tokenPlaceholder.FindStringSubmatch(v); m != nil {
			tok, err := st.Token(m[1], m[2])
			if err != nil {
				t.Fatal(err)
			}
			ev.Headers[k] = strings.Replace(v, m[0], tok, 1)
		}
	}
	ev.RawPath = strings.ReplaceAll(ev.RawPath, "{{case_id}}", caseID)
	ev.RequestContext.HTTP.Path = ev.RawPath
	if ev.Headers["x-mall-signature"] == "{{mall_signature}}" {
		ts, sig := mallhook.Sign(st.Config.MallWebhookSecret, st.Clock.Now(), []byte(ev.Body))
		ev.Headers["x-mall-timestamp"], ev.Headers["x-mall-signature"] = ts, sig
	}
	return ev
}

// TestReplayFixtures sends every fixture of events/ through the functions'
// Lambda handlers as API Gateway would, and checks the answers.
func TestReplayFixtures(t *testing.T) {
	st := startStack(t)
	ctx := context.Background()
	invoke := func(name, caseID string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := loadEvent(t, st, name, caseID)
		h := st.api
		if strings.HasPrefix(ev.RawPath, "/webhooks/") {
			h = st.hooks
		}
		res, err := h(ctx, ev)
		if err != nil {
			t.Fatalf("%s: handler error %v", name, err)
		}
		if res.Headers["X-Request-Id"] != ev.RequestContext.RequestID {
			t.Errorf("%s: X-Request-Id %q, want the API Gateway request id %q", name, res.Headers["X-Request-Id"], ev.RequestContext.RequestID)
		}
		return res
	}

	res := invoke("apigw/create-case.json", "")
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create-case: %d %s", res.StatusCode, res.Body)
	}
	var c struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(res.Body), &c); err != nil {
		t.Fatal(err)
	}
	st.settle(t) // the rules send it to review
	tests := []struct {
		fixture  string
		status   int
		contains string
	}{
		{"apigw/create-case.json", http.StatusCreated, c.ID}, // replayed by its Idempotency-Key
		{"apigw/create-case-invalid.json", http.StatusUnprocessableEntity, `"field":"lines[0].quantity"`},
		{"apigw/get-case.json", http.StatusOK, `"timeline"`},
		{"apigw/list-my-cases.json", http.StatusOK, c.ID},
		{"apigw/request-uploads.json", http.StatusCreated, `"method":"PUT"`},
		{"apigw/list-reasons.json", http.StatusOK, `"size_not_fit"`},
		{"apigw/staff-list-cases.json", http.StatusOK, c.ID},
		{"apigw/staff-get-case.json", http.StatusOK, c.ID},
		{"apigw/no-token.json", http.StatusUnauthorized, "unauthenticated"},
		{"apigw/cancel-case.json", http.StatusOK, `"status":"cancelled"`},
		{"webhooks/mall-order.json", http.StatusNoContent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			res := invoke(tt.fixture, c.ID)
			if res.StatusCode != tt.status || !strings.Contains(res.Body, tt.contains) {
				t.Fatalf("%d %s, want %d containing %q", res.StatusCode, res.Body, tt.status, tt.contains)
			}
		})
	}
	o, err := st.svc.Orders.GetOrder(ctx, "o-2001")
	if err != nil || o.BuyerID != "buyer-1" || len(o.Lines) != 1 || o.Lines[0].PaidAmount != 19800 {
		t.Fatalf("order from the mall fixture: %+v, %v", o, err)
	}

	t.Run("a bad mall signature stores nothing", func(t *testing.T) {
		ev := loadEvent(t, st, "webhooks/mall-order.json", "")
		ev.Body = strings.Replace(ev.Body, "o-2001", "o-2002", 1)
		before := st.itemCount(t)
		res, _ := st.hooks(ctx, ev)
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", res.StatusCode)
		}
		if st.itemCount(t) != before {
			t.Error("a refused webhook wrote items")
		}
	})
}
