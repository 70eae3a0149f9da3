package usecase_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// TestNoKnownRoleIsRefusedByEveryUseCase: a principal without a role this
// API knows is refused by every use case a person calls, even on a case
// whose buyer id is its own, not only by the HTTP adapter: defence in
// depth behind the server's 403 (issue 13, defect 7).
func TestNoKnownRoleIsRefusedByEveryUseCase(t *testing.T) {
	principals := []struct {
		name string
		p    aftersales.Principal
	}{
		{"no roles", aftersales.Principal{ID: "b1"}},
		{"only unknown roles", aftersales.Principal{ID: "b1", Roles: []aftersales.Role{"god"}}},
	}
	calls := []struct {
		name string
		call func(svc *usecase.Services, p aftersales.Principal, caseID string) error
	}{
		{"get a case", func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Cases.GetCase(t.Context(), p, id)
			return err
		}},
		{"list cases", func(svc *usecase.Services, p aftersales.Principal, _ string) error {
			_, err := svc.Cases.ListCases(t.Context(), p, aftersales.CaseQuery{BuyerID: p.ID})
			return err
		}},
		{"cancel", func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Cases.Cancel(t.Context(), p, id)
			return err
		}},
		{"uploads before a case", func(svc *usecase.Services, p aftersales.Principal, _ string) error {
			_, err := svc.Cases.RequestUploads(t.Context(), p, "", []aftersales.UploadFile{{ContentType: "image/jpeg", Size: 10}})
			return err
		}},
		{"uploads for a case", func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Cases.RequestUploads(t.Context(), p, id, []aftersales.UploadFile{{ContentType: "image/jpeg", Size: 10}})
			return err
		}},
		{"attach evidence", func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Cases.AttachEvidence(t.Context(), p, id, []string{"ev_1"})
			return err
		}},
		{"open a case", func(svc *usecase.Services, p aftersales.Principal, _ string) error {
			_, err := svc.Cases.CreateCase(t.Context(), p, app("l2"), nil)
			return err
		}},
		{"ship the return", func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Returns.ShipReturn(t.Context(), p, id, aftersales.Shipment{Courier: "SF", TrackingNumber: "SF1234567"}, 0)
			return err
		}},
		{"approve", func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Review.Approve(t.Context(), p, id, aftersales.Approval{})
			return err
		}},
		{"reject", func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Review.Reject(t.Context(), p, id, "no")
			return err
		}},
		{"retry a refund", func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Refunds.RetryRefund(t.Context(), p, id, "")
			return err
		}},
		{"list refunds", func(svc *usecase.Services, p aftersales.Principal, _ string) error {
			_, err := svc.Refunds.ListRefunds(t.Context(), p, aftersales.RefundQuery{})
			return err
		}},
	}
	for _, pr := range principals {
		for _, tc := range calls {
			t.Run(pr.name+"/"+tc.name, func(t *testing.T) {
				svc, _ := newService(t)
				c := inReview(t, svc, "tok-1", "l1")
				if err := tc.call(svc, pr.p, c.ID); aftersales.KindOf(err) != aftersales.KindForbidden {
					t.Fatalf("%v, want Forbidden", err)
				}
				if got, err := svc.Workflow.Cases.GetCase(t.Context(), c.ID); err != nil || got.Version != c.Version {
					t.Errorf("the case changed: version %d, was %d (%v)", got.Version, c.Version, err)
				}
			})
		}
	}
}

// staffBuyer holds the buyer role and a staff role under one subject: the
// buyer b1 of every case newService opens, also a reviewer.
var staffBuyer = aftersales.Principal{ID: "b1", Roles: []aftersales.Role{aftersales.RoleBuyer, aftersales.RoleReviewer}}

// adminBuyer is b1 as an admin.
var adminBuyer = aftersales.Principal{ID: "b1", Roles: []aftersales.Role{aftersales.RoleBuyer, aftersales.RoleAdmin}}

// waiting stores a case of b1 on line l1 of o1, moved through actions and
// waiting on token tok in the wait of the status they lead to.
func waiting(t *testing.T, svc *usecase.Services, typ aftersales.CaseType, actions ...aftersales.Action) *aftersales.Case {
	t.Helper()
	c := &aftersales.Case{ID: "as_own", OrderID: "o1", BuyerID: "b1", Type: typ, Reason: "size_not_fit", Currency: aftersales.CNY,
		Requested: 10000, Approved: 10000, RefundTo: aftersales.RefundOriginal,
		Lines: []aftersales.CaseLine{{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, Amount: 10000}}}
	if typ == aftersales.Exchange {
		c.Requested, c.Approved = 0, 0
	}
	for _, a := range actions {
		if err := c.Apply(aftersales.Change{Action: a, Actor: "test", At: storetest.Epoch}); err != nil {
			t.Fatal(err)
		}
	}
	wait, ok := aftersales.WaitOf(c.Status)
	if !ok {
		t.Fatalf("%s waits for nothing", c.Status)
	}
	c.WaitingFor, c.TaskToken, c.Deadline = wait, "tok", storetest.Epoch.Add(time.Hour)
	if err := svc.Workflow.Cases.CreateCase(t.Context(), c, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStaffCannotActOnTheirOwnCase: separation of duties (issue 13, defect
// 7: a token with the buyer and reviewer roles approved its own case).
// Every staff action on a case is refused with 403 to the case's buyer,
// whatever staff role they also hold, and changes nothing; in a batch the
// item fails with that reason. Another member of staff may act.
func TestStaffCannotActOnTheirOwnCase(t *testing.T) {
	review := []aftersales.Action{aftersales.ActSubmit, aftersales.ActSendToReview}
	receipt := []aftersales.Action{aftersales.ActSubmit, aftersales.ActSendToReview, aftersales.ActApprove,
		aftersales.ActShipReturn, aftersales.ActReturnDelivered}
	reship := []aftersales.Action{aftersales.ActSubmit, aftersales.ActApprove, aftersales.ActShipReturn,
		aftersales.ActReturnDelivered, aftersales.ActConfirmReceipt}
	tests := []struct {
		name    string
		typ     aftersales.CaseType
		actions []aftersales.Action
		act     func(svc *usecase.Services, p aftersales.Principal, id string) error
	}{
		{"approve", aftersales.ReturnRefund, review, func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Review.Approve(t.Context(), p, id, aftersales.Approval{})
			return err
		}},
		{"approve a part", aftersales.ReturnRefund, review, func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Review.Approve(t.Context(), p, id, aftersales.Approval{Amount: ptr(100), Note: "a scratch"})
			return err
		}},
		{"reject", aftersales.ReturnRefund, review, func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Review.Reject(t.Context(), p, id, "worn")
			return err
		}},
		{"request evidence", aftersales.ReturnRefund, review, func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Review.RequestEvidence(t.Context(), p, id, "a photo")
			return err
		}},
		{"batch approve", aftersales.ReturnRefund, review, func(svc *usecase.Services, p aftersales.Principal, id string) error {
			return batchItem(t, svc, p, "approve", id)
		}},
		{"batch reject", aftersales.ReturnRefund, review, func(svc *usecase.Services, p aftersales.Principal, id string) error {
			return batchItem(t, svc, p, "reject", id)
		}},
		{"confirm receipt", aftersales.ReturnRefund, receipt, func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Returns.ConfirmReceipt(t.Context(), p, id, aftersales.ConditionSellable, "")
			return err
		}},
		{"reship", aftersales.Exchange, reship, func(svc *usecase.Services, p aftersales.Principal, id string) error {
			_, err := svc.Returns.Reship(t.Context(), p, id, aftersales.Shipment{Courier: "SF", TrackingNumber: "SF1234567"})
			return err
		}},
	}
	for _, tt := range tests {
		for _, p := range []aftersales.Principal{staffBuyer, adminBuyer} {
			t.Run(tt.name+"/"+string(p.Roles[1]), func(t *testing.T) {
				svc, _ := newService(t)
				c := waiting(t, svc, tt.typ, tt.actions...)
				err := tt.act(svc, p, c.ID)
				if aftersales.KindOf(err) != aftersales.KindForbidden || !strings.Contains(aftersales.MessageOf(err), "separation of duties") {
					t.Fatalf("%v, want Forbidden for separation of duties", err)
				}
				if got := caseOf(t, svc, c.ID); got.Version != c.Version {
					t.Fatalf("the case changed: %+v", got.Timeline[len(got.Timeline)-1])
				}
				if err := tt.act(svc, reviewer, c.ID); err != nil {
					t.Fatalf("another reviewer: %v", err)
				}
			})
		}
	}
}

// TestStaffCannotRetryTheirOwnRefund: the staff retry of a failed refund
// is refused to the case's buyer too.
func TestStaffCannotRetryTheirOwnRefund(t *testing.T) {
	f := newRefundService(t)
	f.wechat.refuse = true
	c := f.refunding(t, "l1")
	if err := f.svc.Refunds.RequestRefund(t.Context(), c.ID, "tok-1", 60); err != nil {
		t.Fatal(err)
	}
	failed := f.caseOf(t, c.ID)
	if !failed.RefundFailed {
		t.Fatalf("the refund did not fail: %+v", failed)
	}
	for _, p := range []aftersales.Principal{staffBuyer, adminBuyer} {
		_, err := f.svc.Refunds.RetryRefund(t.Context(), p, c.ID, aftersales.RefundBalance)
		if aftersales.KindOf(err) != aftersales.KindForbidden || !strings.Contains(aftersales.MessageOf(err), "separation of duties") {
			t.Fatalf("%v retrying their own refund: %v, want Forbidden", p.Roles, err)
		}
	}
	if got := f.caseOf(t, c.ID); got.Version != failed.Version || got.RefundTo != aftersales.RefundOriginal {
		t.Fatalf("the case changed: %+v", got.Timeline[len(got.Timeline)-1])
	}
	if _, err := f.svc.Refunds.RetryRefund(t.Context(), reviewer, c.ID, aftersales.RefundBalance); err != nil {
		t.Fatalf("another reviewer: %v", err)
	}
}

// batchItem runs one item of a batch decision by p on case id, as the
// review consumer does, and returns the item's failure as an error.
func batchItem(t *testing.T, svc *usecase.Services, p aftersales.Principal, decision, id string) error {
	t.Helper()
	job := &aftersales.ReviewJob{ID: "job_" + p.ID + "_" + string(p.Roles[len(p.Roles)-1]), Decision: decision, Reason: "batch", By: p, Total: 1}
	if err := svc.Review.Jobs.CreateReviewJob(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	if err := svc.Review.ReviewOne(t.Context(), aftersales.ReviewItem{JobID: job.ID, CaseID: id}); err != nil {
		t.Fatal(err)
	}
	j, err := svc.Review.Jobs.GetReviewJob(t.Context(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Failed == 0 {
		return nil
	}
	if len(j.Failures) != 1 || !strings.HasPrefix(j.Failures[0].Error, "Forbidden: ") {
		t.Fatalf("job %+v", j)
	}
	return aftersales.E(aftersales.KindForbidden, "batch", strings.TrimPrefix(j.Failures[0].Error, "Forbidden: "))
}

func caseOf(t *testing.T, svc *usecase.Services, id string) *aftersales.Case {
	t.Helper()
	c, err := svc.Workflow.Cases.GetCase(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
