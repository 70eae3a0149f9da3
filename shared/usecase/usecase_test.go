package usecase_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// fakeWaits records completed waits; a token in gone answers ErrWaitGone.
type fakeWaits struct {
	mu        sync.Mutex
	completed map[string]aftersales.StepResult
	gone      map[string]bool
}

func (f *fakeWaits) CompleteWait(_ context.Context, token string, r aftersales.StepResult) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone[token] {
		return &aftersales.Error{Kind: aftersales.KindConflict, Err: aftersales.ErrWaitGone}
	}
	f.completed[token] = r
	return nil
}

type noBlobs struct{}

func (noBlobs) PresignPut(context.Context, string, string, int64, time.Duration) (aftersales.PresignedUpload, error) {
	return aftersales.PresignedUpload{}, errors.New("not used")
}
func (noBlobs) Stat(context.Context, string) (aftersales.BlobInfo, error) {
	return aftersales.BlobInfo{}, aftersales.ErrNotFound
}
func (noBlobs) Copy(context.Context, string, string) error { return aftersales.ErrNotFound }
func (noBlobs) PresignGet(context.Context, string, time.Duration) (string, error) {
	return "", errors.New("not used")
}
func (noBlobs) Put(context.Context, string, string, []byte) error { return errors.New("not used") }
func (noBlobs) Get(context.Context, string, int64) ([]byte, aftersales.BlobInfo, error) {
	return nil, aftersales.BlobInfo{}, aftersales.ErrNotFound
}

// noReviews takes batch review items and drops them.
type noReviews struct{}

func (noReviews) EnqueueReviews(context.Context, []aftersales.ReviewItem) error { return nil }

var (
	buyer    = aftersales.Principal{ID: "b1", Roles: []aftersales.Role{aftersales.RoleBuyer}}
	reviewer = aftersales.Principal{ID: "s1", Roles: []aftersales.Role{aftersales.RoleReviewer}}
)

func newService(t *testing.T) (*usecase.Services, *fakeWaits) {
	t.Helper()
	return newServiceChanged(t, nil)
}

// newServiceChanged is newService with its ports changed by change (when
// not nil) before the use cases are built on them.
func newServiceChanged(t *testing.T, change func(*usecase.Ports)) (*usecase.Services, *fakeWaits) {
	t.Helper()
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.New(clock)
	var changes []func(*usecase.Ports)
	if change != nil {
		changes = append(changes, change)
	}
	return newServiceWith(t, usecase.Ports{Cases: store, Orders: store, Idempotency: store, Refunds: store}, noBlobs{}, clock, changes...)
}

// newServiceWith is newService on the given store ports (Cases, Orders,
// Idempotency, Refunds), object storage and clock, changed by each of
// change before the use cases are built on them.
func newServiceWith(t *testing.T, p usecase.Ports, blobs aftersales.EvidenceStore, clock aftersales.Clock, change ...func(*usecase.Ports)) (*usecase.Services, *fakeWaits) {
	t.Helper()
	waits := &fakeWaits{completed: map[string]aftersales.StepResult{}, gone: map[string]bool{}}
	p.Evidence, p.Clock, p.IDs, p.Rules, p.Waits, p.Jobs, p.Reviews = blobs, clock, &storetest.SeqIDs{}, memstore.NewRuleSets(), waits, memstore.NewJobs(), noReviews{}
	for _, c := range change {
		c(&p)
	}
	svc := usecase.New(p)
	o := &aftersales.Order{ID: "o1", Version: 1, EventID: "ev-o1-1", BuyerID: "b1", Status: aftersales.OrderDelivered, Currency: aftersales.CNY,
		ShippedAt: storetest.Epoch.Add(-48 * time.Hour), DeliveredAt: storetest.Epoch.Add(-24 * time.Hour),
		Payment: aftersales.Payment{Channel: aftersales.ChannelAlipay, Amount: 30000},
		Lines: []aftersales.OrderLine{
			{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 2, UnitPrice: 10000, PaidAmount: 20000},
			{LineID: "l2", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 10000, PaidAmount: 10000}}}
	if _, err := svc.Orders.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return svc, waits
}

func app(lines ...string) aftersales.Application {
	a := aftersales.Application{OrderID: "o1", Type: aftersales.ReturnRefund, Reason: "size_not_fit"}
	for _, l := range lines {
		a.Lines = append(a.Lines, aftersales.LineRequest{LineID: l, Quantity: 1})
	}
	return a
}

// inReview creates a case, runs the rules and records the review wait.
func inReview(t *testing.T, svc *usecase.Services, token string, lines ...string) *aftersales.Case {
	t.Helper()
	res, err := svc.Cases.CreateCase(t.Context(), buyer, app(lines...), nil)
	if err != nil {
		t.Fatal(err)
	}
	step, err := svc.Workflow.Review(t.Context(), res.Case.ID)
	if err != nil || step.Status != aftersales.StatusPendingReview || step.WaitSeconds != 5*24*3600 {
		t.Fatalf("review: %+v %v", step, err)
	}
	if err := svc.Workflow.BeginWait(t.Context(), res.Case.ID, token, step.WaitSeconds); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Workflow.Cases.GetCase(t.Context(), res.Case.ID)
	if err != nil || c.TaskToken != token || c.WaitingFor != aftersales.WaitReview {
		t.Fatalf("after BeginWait: %+v %v", c, err)
	}
	return c
}

func TestDecisionsCompleteTheWaitOnce(t *testing.T) {
	svc, waits := newService(t)
	c := inReview(t, svc, "tok-1", "l1")
	got, err := svc.Review.Approve(t.Context(), reviewer, c.ID, aftersales.Approval{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != aftersales.StatusAwaitingReturn || got.Approved != 10000 || got.Decision.By != "staff:s1" {
		t.Fatalf("approved case %+v", got)
	}
	if r := waits.completed["tok-1"]; r.Status != aftersales.StatusAwaitingReturn || r.WaitSeconds != 7*24*3600 {
		t.Fatalf("wait completed with %+v", r)
	}
	_, err = svc.Review.Reject(t.Context(), reviewer, c.ID, "too late")
	if aftersales.KindOf(err) != aftersales.KindConflict {
		t.Fatalf("a second decision: %v, want Conflict", err)
	}
}

func TestDecisionBeforeTheWaitIsRecorded(t *testing.T) {
	svc, waits := newService(t)
	res, err := svc.Cases.CreateCase(t.Context(), buyer, app("l1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Workflow.Review(t.Context(), res.Case.ID); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Review.Approve(t.Context(), reviewer, res.Case.ID, aftersales.Approval{})
	if aftersales.KindOf(err) != aftersales.KindConflict {
		t.Fatalf("approve before the token is stored: %v, want Conflict (retry)", err)
	}
	// The buyer cancels in that window; the wait that begins later ends at once.
	if _, err := svc.Cases.Cancel(t.Context(), buyer, res.Case.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Workflow.BeginWait(t.Context(), res.Case.ID, "late", 100); err != nil {
		t.Fatal(err)
	}
	if r, ok := waits.completed["late"]; !ok || r.Status != aftersales.StatusCancelled {
		t.Fatalf("late wait completed with %+v (%v)", r, ok)
	}
}

func TestPartialApprovalNeedsANoteAndAdminAboveThreshold(t *testing.T) {
	svc, _ := newService(t)
	c := inReview(t, svc, "tok", "l1")
	five := int64(5000)
	tests := []struct {
		name  string
		p     aftersales.Principal
		a     aftersales.Approval
		kind  aftersales.Kind
		field string
	}{
		{"above requested", reviewer, aftersales.Approval{Amount: ptr(10001)}, aftersales.KindInvalid, "amount"},
		{"zero", reviewer, aftersales.Approval{Amount: ptr(0)}, aftersales.KindInvalid, "amount"},
		{"partial without a note", reviewer, aftersales.Approval{Amount: &five}, aftersales.KindInvalid, "note"},
		{"a buyer", buyer, aftersales.Approval{}, aftersales.KindForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Review.Approve(t.Context(), tt.p, c.ID, tt.a)
			if aftersales.KindOf(err) != tt.kind {
				t.Fatalf("err %v, want %v", err, tt.kind)
			}
			if tt.field != "" && (len(aftersales.FieldsOf(err)) != 1 || aftersales.FieldsOf(err)[0].Field != tt.field) {
				t.Errorf("fields %+v, want %s", aftersales.FieldsOf(err), tt.field)
			}
		})
	}
	got, err := svc.Review.Approve(t.Context(), reviewer, c.ID, aftersales.Approval{Amount: &five, Note: "half"})
	if err != nil || got.Approved != 5000 {
		t.Fatalf("partial approval: %+v %v", got, err)
	}

	// Above the admin threshold (500 CNY) a reviewer may not approve.
	rs := aftersales.DefaultRuleSet()
	rs.AdminApprovalAbove = 5000
	if _, err := svc.RuleSets.PutRuleSet(t.Context(), aftersales.Principal{ID: "boss", Roles: []aftersales.Role{aftersales.RoleAdmin}}, rs); err != nil {
		t.Fatal(err)
	}
	c2 := inReview(t, svc, "tok-2", "l2")
	if _, err := svc.Review.Approve(t.Context(), reviewer, c2.ID, aftersales.Approval{}); aftersales.KindOf(err) != aftersales.KindForbidden {
		t.Fatalf("reviewer above the threshold: %v", err)
	}
}

func TestBatchItemRedeliveredAfterItsDecisionCountsOnce(t *testing.T) {
	svc, _ := newService(t)
	c := inReview(t, svc, "tok", "l1")
	job := &aftersales.ReviewJob{ID: "job_1", Decision: "approve", By: reviewer, Total: 1}
	if err := svc.Review.Jobs.CreateReviewJob(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	// The decision was applied, then the consumer died before recording it.
	if _, err := svc.Review.Approve(t.Context(), reviewer, c.ID, aftersales.Approval{}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the redelivery, and a duplicate of it
		if err := svc.Review.ReviewOne(t.Context(), aftersales.ReviewItem{JobID: "job_1", CaseID: c.ID}); err != nil {
			t.Fatal(err)
		}
	}
	j, err := svc.Review.Jobs.GetReviewJob(t.Context(), "job_1")
	if err != nil || j.Succeeded != 1 || j.Failed != 0 {
		t.Fatalf("job %+v %v", j, err)
	}
}

func TestDeadlineAfterADecisionKeepsTheDecision(t *testing.T) {
	svc, waits := newService(t)
	c := inReview(t, svc, "tok", "l1")
	waits.gone["tok"] = true // the review wait timed out just as staff decided
	if _, err := svc.Review.Reject(t.Context(), reviewer, c.ID, "worn"); err != nil {
		t.Fatalf("a decision racing the deadline: %v", err)
	}
	step, err := svc.Workflow.Deadline(t.Context(), c.ID, aftersales.StatusPendingReview)
	if err != nil || step.Status != aftersales.StatusRejected {
		t.Fatalf("the deadline path then routes on %+v %v, want rejected", step, err)
	}
}

func ptr(v int64) *int64 { return &v }

func TestClaimAmountComputedFromDetails(t *testing.T) {
	svc, _ := newService(t)
	claim := func(cd *aftersales.ClaimDetails, amount *int64) (*aftersales.Case, error) {
		a := aftersales.Application{OrderID: "o1", Type: aftersales.Claim, Reason: "produce_spoiled",
			Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 2}}, Claim: cd, Amount: amount}
		res, err := svc.Cases.CreateCase(t.Context(), buyer, a, nil)
		return res.Case, err
	}
	tests := []struct {
		name  string
		cd    *aftersales.ClaimDetails
		want  int64
		field string
	}{
		{"one of two spoiled", &aftersales.ClaimDetails{SpoiledQuantity: 1}, 10000, ""},
		{"1 jin of 5 by weight", &aftersales.ClaimDetails{SpoiledWeight: 500, TotalWeight: 2500}, 4000, ""},
		{"more spoiled than claimed", &aftersales.ClaimDetails{SpoiledQuantity: 3}, 0, "claim.spoiled_quantity"},
		{"weight without total", &aftersales.ClaimDetails{SpoiledWeight: 500}, 0, "claim.total_weight"},
		{"nothing said", &aftersales.ClaimDetails{}, 0, "claim"},
		// Issue 13: these weights wrapped 10000 * 10^15 around to a claim of
		// -84.46 CNY, which was approved and sent to WeChat Pay.
		{"weights of 10^15", &aftersales.ClaimDetails{SpoiledWeight: 1e15, TotalWeight: 1e15}, 0, "claim.total_weight"},
		{"a share worth nothing", &aftersales.ClaimDetails{SpoiledWeight: 1, TotalWeight: 3_000_000}, 0, "claim.spoiled_weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := claim(tt.cd, nil)
			if tt.field != "" {
				if f := aftersales.FieldsOf(err); len(f) == 0 || f[0].Field != tt.field {
					t.Fatalf("err %v, want a field error on %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Requested != tt.want || c.Timeline[0].Note == "" {
				t.Fatalf("requested %d (note %q), want %d", c.Requested, c.Timeline[0].Note, tt.want)
			}
			if _, err := svc.Cases.Cancel(t.Context(), buyer, c.ID); err != nil { // free the line for the next case
				t.Fatal(err)
			}
		})
	}
	if _, err := claim(&aftersales.ClaimDetails{SpoiledQuantity: 1}, ptr(100)); aftersales.KindOf(err) != aftersales.KindInvalid {
		t.Errorf("claim details with an amount: %v", err)
	}
}
