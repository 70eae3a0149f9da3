package stack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	lambdamsg "github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/mallhook"
	"github.com/aftersales/aftersales/shared/messages"
	"github.com/aftersales/aftersales/shared/wire"
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
		{"webhooks/mall-customs.json", http.StatusOK, `"case_id"`}, // F17: o-1006's customs failure opens its auto refund
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			res := invoke(tt.fixture, c.ID)
			if res.StatusCode != tt.status || !strings.Contains(res.Body, tt.contains) {
				t.Fatalf("%d %s, want %d containing %q", res.StatusCode, res.Body, tt.status, tt.contains)
			}
		})
	}
	o, err := st.store.GetOrder(ctx, "o-2001")
	if err != nil || o.BuyerID != "buyer-1" || len(o.Lines) != 1 || o.Lines[0].PaidAmount != 19800 {
		t.Fatalf("order from the mall fixture: %+v, %v", o, err)
	}

	t.Run("a bad mall signature stores nothing", func(t *testing.T) {
		ev := loadEvent(t, st, "webhooks/mall-order.json", "")
		ev.Body = strings.Replace(ev.Body, "o-2001", "o-2002", 1)
		st.settle(t) // the notifier writes the inbox of the changes above; let it finish before counting items
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

// loadJSON reads a fixture of events/ with its placeholders filled in.
func loadJSON(t *testing.T, name string, vars map[string]string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for k, val := range vars {
		s = strings.ReplaceAll(s, "{{"+k+"}}", val)
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestReplayQueueAndTaskFixtures sends the SQS and task fixtures to the
// intake, reviews and tasks handlers as Lambda would.
func TestReplayQueueAndTaskFixtures(t *testing.T) {
	st := startStack(t)
	ctx := context.Background()
	c := st.apply(t, st.as(t, "buyer-1", "buyer"), app("o-1002", "return_refund", "size_not_fit", "l1", 1))
	wantStatus(t, c, "pending_review")
	vars := map[string]string{"case_id": c.ID}

	intake, err := wire.Intake(ctx, st.Config, st.deps)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	loadJSON(t, "sqs/intake.json", vars, &ev)
	resp, err := intake.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		// The case's execution exists already: starting it again is done,
		// and a message that is not an intake message is dropped, not retried.
		t.Fatalf("intake: %+v %v", resp, err)
	}

	tasks, err := wire.Tasks(ctx, st.Config, st.deps)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		fixture string
		status  string // "" for tasks that return no status
		errName string
	}{
		{"tasks/review.json", "pending_review", ""},      // idempotent: the case was reviewed already
		{"tasks/deadline.json", "awaiting_return", ""},   // the review deadline: approved by default
		{"tasks/wait.json", "", ""},                      // records the return wait
		{"tasks/fail.json", "", ""},                      // records a workflow failure on the timeline
		{"tasks/unknown.json", "", "AfterSales.Invalid"}, // never retried
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			var in messages.Task
			loadJSON(t, tt.fixture, vars, &in)
			out, err := tasks.Handle(ctx, in)
			var ie lambdamsg.InvokeResponse_Error
			switch {
			case tt.errName != "":
				if !errors.As(err, &ie) || ie.Type != tt.errName {
					t.Fatalf("error %v, want %s", err, tt.errName)
				}
			case err != nil:
				t.Fatalf("task: %v", err)
			case tt.status != "" && out.Status != tt.status:
				t.Fatalf("status %s, want %s", out.Status, tt.status)
			}
		})
	}
	got := st.get(t, st.as(t, "buyer-1", "buyer"), c.ID)
	if !contains(actions(got), "workflow_failed") || got.Status != "awaiting_return" {
		t.Errorf("after the task fixtures: %s %v", got.Status, actions(got))
	}

	reviews, err := wire.Reviews(ctx, st.Config, st.deps)
	if err != nil {
		t.Fatal(err)
	}
	job := &aftersales.ReviewJob{ID: "job_fixture", Decision: "approve", By: aftersales.Principal{ID: "s1", Roles: []aftersales.Role{aftersales.RoleReviewer}}, Total: 1}
	if err := st.store.CreateReviewJob(ctx, job); err != nil {
		t.Fatal(err)
	}
	loadJSON(t, "sqs/reviews.json", map[string]string{"case_id": c.ID, "job_id": job.ID}, &ev)
	if resp, err := reviews.Handle(ctx, ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("reviews: %+v %v", resp, err)
	}
	if j, err := st.store.GetReviewJob(ctx, job.ID); err != nil || j.Failed != 1 || !j.Done() {
		t.Fatalf("job %+v %v (the case is no longer in review: a recorded failure)", j, err)
	}
}
