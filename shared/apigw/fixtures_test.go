package apigw

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"

	fixtures "github.com/aftersales/aftersales/events"
)

// The ids the fixtures' {{case_id}} and {{job_id}} stand for.
const (
	fixtureCase = "as_01JDQ3W7Z8K9M2N4P6R8T0V2X4"
	fixtureJob  = "job_01JDQ3W7Z8K9M2N4P6R8T0V2X5"
)

// loadAPIEvent reads an API Gateway fixture with its placeholders filled.
func loadAPIEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	fixtures.Load(t, name, func(key string) (string, bool) {
		switch key {
		case "case_id":
			return fixtureCase, true
		case "job_id":
			return fixtureJob, true
		}
		if sub, role, ok := strings.Cut(strings.TrimPrefix(key, "token:"), ":"); ok && strings.HasPrefix(key, "token:") {
			return strings.TrimPrefix(token(t, sub, role), "Bearer "), true
		}
		return "", false
	}, &ev)
	return ev
}

// TestReplayFixtures sends every fixture of events/apigw through the Lambda
// handler as API Gateway would, and checks the call the use cases saw and
// the answer. A fixture without a case here fails the test.
func TestReplayFixtures(t *testing.T) {
	invalidQuantity := &aftersales.Error{Kind: aftersales.KindInvalid, Op: "case.create", Msg: "the request has invalid fields",
		Fields: []aftersales.FieldError{{Field: "lines[0].quantity", Message: "must be at most 2, the quantity ordered"}}}
	staff := reviewer
	type replay struct {
		err    error // the use case's answer
		status int
		want   *call
		body   string
	}
	tests := map[string]replay{
		"apigw/create-case.json": {status: http.StatusCreated,
			want: &call{"CreateCase", buyer, []any{aftersales.Application{OrderID: "o-1002", Type: aftersales.ReturnRefund, Reason: "size_not_fit",
				Description: "the shoes are half a size too small", Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 1}}},
				"7f1c9a52-6a1e-4c55-9d0e-3b0f2f7f1a01"}},
			body: `"id":"as_new"`},
		"apigw/create-case-invalid.json": {err: invalidQuantity, status: http.StatusUnprocessableEntity,
			want: &call{"CreateCase", buyer, []any{aftersales.Application{OrderID: "o-1001", Type: aftersales.RefundOnly, Reason: "damaged",
				Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 3}}}, "7f1c9a52-6a1e-4c55-9d0e-3b0f2f7f1a02"}},
			body: `"field":"lines[0].quantity"`},
		"apigw/get-case.json": {status: http.StatusOK, want: &call{"GetCase", buyer, []any{fixtureCase}}, body: `"id":"` + fixtureCase},
		"apigw/list-my-cases.json": {status: http.StatusOK,
			want: &call{"ListCases", buyer, []any{aftersales.CaseQuery{BuyerID: "buyer-1", Status: aftersales.StatusPendingReview, Limit: 10}}},
			body: `"items":[`},
		"apigw/list-reasons.json": {status: http.StatusOK, body: `"code":"size_not_fit"`},
		"apigw/no-token.json":     {status: http.StatusUnauthorized, body: `"type":"urn:aftersales:problem:unauthenticated"`},
		"apigw/request-uploads.json": {status: http.StatusCreated,
			want: &call{"RequestUploads", buyer, []any{fixtureCase, []aftersales.UploadFile{{ContentType: "image/jpeg", Size: 183220},
				{ContentType: "video/mp4", Size: 5242880}}}},
			body: `"method":"PUT"`},
		"apigw/cancel-case.json":    {status: http.StatusOK, want: &call{"Cancel", buyer, []any{fixtureCase}}, body: `"id":"` + fixtureCase},
		"apigw/staff-get-case.json": {status: http.StatusOK, want: &call{"GetCase", staff, []any{fixtureCase}}, body: `"id":"` + fixtureCase},
		"apigw/staff-list-cases.json": {status: http.StatusOK,
			want: &call{"ListCases", staff, []any{aftersales.CaseQuery{Status: aftersales.StatusPendingReview, Type: aftersales.ReturnRefund,
				Kind: aftersales.KindPhysical, MinAmount: 100}}},
			body: `"items":[`},
		"apigw/return-shipment.json": {status: http.StatusOK,
			want: &call{"ShipReturn", buyer, []any{fixtureCase, aftersales.Shipment{Courier: "SF Express", TrackingNumber: "SF1234567890"}}}},
		"apigw/staff-approve.json": {status: http.StatusOK,
			want: &call{"Approve", staff, []any{fixtureCase, aftersales.Approval{Amount: ptr[int64](9900), Note: "photos show the damage"}}}},
		"apigw/staff-batch-review.json": {status: http.StatusAccepted,
			want: &call{"StartBatchReview", staff, []any{aftersales.BatchReview{Decision: "approve", Reason: "courier confirmed the loss",
				Filter: &aftersales.CaseQuery{Status: aftersales.StatusPendingReview, Type: aftersales.RefundOnly, Reason: "not_received", MaxAmount: 5000}}}},
			body: `"id":"job_1"`},
		"apigw/staff-get-batch-review.json": {status: http.StatusOK, want: &call{"GetReviewJob", staff, []any{fixtureJob}}, body: `"id":"` + fixtureJob},
		"apigw/staff-list-refunds.json": {status: http.StatusOK,
			want: &call{"ListRefunds", staff, []any{aftersales.RefundQuery{From: at("2026-11-01T00:00:00Z"), To: at("2026-12-01T00:00:00Z"), Limit: 50}}},
			body: `"out_refund_no":"as_1-1"`},
		"apigw/staff-export-refunds.json": {status: http.StatusOK,
			want: &call{"ListRefunds", admin, []any{aftersales.RefundQuery{From: at("2026-11-01T00:00:00Z"), To: at("2026-12-01T00:00:00Z"),
				Limit: aftersales.MaxPageSize}}},
			body: "refund_id,out_refund_no"},
		"apigw/staff-put-ruleset.json": {status: http.StatusOK, want: &call{"PutRuleSet", admin, []any{fixtureRuleSet()}}, body: `"version":4`},
	}
	fixtures.Each(t, "apigw", tests, func(t *testing.T, name string, tt replay) {
		ev := loadAPIEvent(t, name)
		h := newHarness(t)
		h.fake.err = tt.err
		res, err := Lambda(h.srv)(context.Background(), ev)
		if err != nil {
			t.Fatalf("handler error %v", err)
		}
		if res.StatusCode != tt.status || !strings.Contains(res.Body, tt.body) {
			t.Fatalf("%d %s, want %d holding %s", res.StatusCode, res.Body, tt.status, tt.body)
		}
		if res.Headers["X-Request-Id"] != ev.RequestContext.RequestID {
			t.Errorf("X-Request-Id %q, want API Gateway's %q", res.Headers["X-Request-Id"], ev.RequestContext.RequestID)
		}
		h.fake.wantCall(t, tt.want)
	})
}

// fixtureRuleSet is the rule set of staff-put-ruleset.json, decoded.
func fixtureRuleSet() *aftersales.RuleSet {
	rs := aftersales.DefaultRuleSet()
	rs.Version, rs.AdminApprovalAbove = 3, 80000
	rs.Rules = []aftersales.Rule{
		{ID: "small-refund", When: aftersales.Condition{CaseTypes: []aftersales.CaseType{aftersales.RefundOnly}, AmountAtMost: ptr[int64](5000)},
			Then: aftersales.Outcome{Decision: aftersales.OutcomeApprove, Reason: "small amount"}},
		{ID: "default", Then: aftersales.Outcome{Decision: aftersales.OutcomeManual, Level: aftersales.RoleReviewer}},
	}
	return rs
}
