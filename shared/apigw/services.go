package apigw

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/cases"
	"github.com/aftersales/aftersales/shared/usecase/policies"
)

// The API's needs, declared here where they are consumed and grouped by the
// use case that serves them, so the server depends on no implementation and
// its tests use small fakes.

// Cases serves the buyer's applications: opening, reading, listing,
// evidence and cancelling.
type Cases interface {
	CreateCase(ctx context.Context, p aftersales.Principal, app aftersales.Application, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error)
	GetCase(ctx context.Context, p aftersales.Principal, id string) (*aftersales.Case, error)
	// EvidenceLinks signs short-lived links to look at the evidence of a
	// case p has read (issue 16).
	EvidenceLinks(ctx context.Context, p aftersales.Principal, c *aftersales.Case) (map[string]cases.EvidenceLink, error)
	ListCases(ctx context.Context, p aftersales.Principal, q aftersales.CaseQuery) (aftersales.CasePage, error)
	RequestUploads(ctx context.Context, p aftersales.Principal, caseID string, files []aftersales.UploadFile) ([]aftersales.PresignedUpload, error)
	AttachEvidence(ctx context.Context, p aftersales.Principal, caseID string, ids []string) (*aftersales.Case, error)
	Cancel(ctx context.Context, p aftersales.Principal, caseID string) (*aftersales.Case, error)
	Goodwill(ctx context.Context, p aftersales.Principal, r aftersales.GoodwillRequest, idem *aftersales.IdempotentRequest) (aftersales.CreateResult, error)
}

// Reviews serves staff decisions, one case at a time or in batch jobs.
type Reviews interface {
	Approve(ctx context.Context, p aftersales.Principal, caseID string, a aftersales.Approval) (*aftersales.Case, error)
	Reject(ctx context.Context, p aftersales.Principal, caseID, reason string) (*aftersales.Case, error)
	RequestEvidence(ctx context.Context, p aftersales.Principal, caseID, note string) (*aftersales.Case, error)
	StartBatchReview(ctx context.Context, p aftersales.Principal, req aftersales.BatchReview) (*aftersales.ReviewJob, error)
	GetReviewJob(ctx context.Context, p aftersales.Principal, id string) (*aftersales.ReviewJob, error)
}

// Returns serves the goods' way back and the replacement's way out.
type Returns interface {
	ShipReturn(ctx context.Context, p aftersales.Principal, caseID string, sh aftersales.Shipment, postage int64) (*aftersales.Case, error)
	ConfirmReceipt(ctx context.Context, p aftersales.Principal, caseID, condition, note string) (*aftersales.Case, error)
	Reship(ctx context.Context, p aftersales.Principal, caseID string, sh aftersales.Shipment) (*aftersales.Case, error)
}

// Refunds serves the refund ledger, the staff's retry of a failed refund,
// and finance's word that a manual refund was paid by hand.
type Refunds interface {
	ListRefunds(ctx context.Context, p aftersales.Principal, q aftersales.RefundQuery) (aftersales.RefundPage, error)
	RetryRefund(ctx context.Context, p aftersales.Principal, caseID string, to aftersales.RefundDestination) (*aftersales.Case, error)
	MarkRefundPaid(ctx context.Context, p aftersales.Principal, caseID, reference string) (*aftersales.Case, error)
}

// RuleSets serves the merchant's rule set.
type RuleSets interface {
	CurrentRuleSet(ctx context.Context) (*aftersales.RuleSet, error)
	PutRuleSet(ctx context.Context, p aftersales.Principal, rs *aftersales.RuleSet) (*aftersales.RuleSet, error)
}

// Policies serves what a buyer reads before applying (F14): the rules in
// force in words, and what would happen to an application.
type Policies interface {
	Policies(ctx context.Context, p aftersales.Principal, q policies.Query) (policies.Policy, error)
	Preview(ctx context.Context, p aftersales.Principal, app aftersales.Application, lang string) (policies.Preview, error)
}

// Services are the use cases the routes call.
type Services struct {
	Cases    Cases
	Reviews  Reviews
	Returns  Returns
	Refunds  Refunds
	RuleSets RuleSets
	Disputes Disputes
	Policies Policies
	Inbox    Inbox
	Pickups  Pickups // courier pickups (issue 15); nil: none booked here
}
