package usecase_test

import (
	"context"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// interceptor is a hand-written interception port: it records what it
// was asked.
type interceptor struct{ asked []string }

func (i *interceptor) Intercept(_ context.Context, caseID string, sh aftersales.Shipment, _ string) (string, error) {
	i.asked = append(i.asked, caseID+" "+sh.Courier+" "+sh.TrackingNumber)
	return "IT1", nil
}

// intercepting approves a refund-only of a shipped order o2 (with its
// outbound waybill) under refundAt and runs the refund step: the case is
// intercepting, waiting on "tok-int".
func intercepting(t *testing.T, refundAt string) (*usecase.Services, *storetest.FakeClock, *interceptor, *couriers, *aftersales.Case) {
	t.Helper()
	var clock *storetest.FakeClock
	ic, cs := &interceptor{}, &couriers{}
	svc, waits := newServiceChanged(t, func(p *usecase.Ports) {
		clock, p.Interceptor, p.Couriers = p.Clock.(*storetest.FakeClock), ic, cs
		rs := aftersales.DefaultRuleSet()
		rs.Version, rs.Interception.RefundAt = 1, refundAt
		if err := p.Rules.PutRuleSet(t.Context(), rs); err != nil {
			t.Fatal(err)
		}
	})
	o := &aftersales.Order{ID: "o2", Version: 1, EventID: "ev-o2-1", BuyerID: "b1", Status: aftersales.OrderShipped, Currency: aftersales.CNY,
		ShippedAt: storetest.Epoch.Add(-24 * time.Hour), Payment: aftersales.Payment{Channel: aftersales.ChannelAlipay, Amount: 9900},
		Lines:    []aftersales.OrderLine{{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, UnitPrice: 9900, PaidAmount: 9900}},
		Outbound: &aftersales.Shipment{Courier: "zhongtong", TrackingNumber: "731400001014"}}
	if _, err := svc.Orders.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Cases.CreateCase(t.Context(), buyer, aftersales.Application{OrderID: "o2", Type: aftersales.RefundOnly, Reason: "wrong_item",
		Lines: []aftersales.LineRequest{{LineID: "l1", Quantity: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Case.ID
	step, err := svc.Workflow.Review(t.Context(), id)
	if err != nil || step.Status != aftersales.StatusPendingReview {
		t.Fatalf("review: %+v %v", step, err)
	}
	if err := svc.Workflow.BeginWait(t.Context(), id, "tok-review", step.WaitSeconds); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Review.Approve(t.Context(), reviewer, id, aftersales.Approval{}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refunds.RequestRefund(t.Context(), id, "tok-refund", 600); err != nil {
		t.Fatal(err)
	}
	if got := waits.completed["tok-refund"]; got.Status != aftersales.StatusIntercepting {
		t.Fatalf("the refund wait was completed with %+v, want intercepting", got)
	}
	if err := svc.Workflow.BeginWait(t.Context(), id, "tok-int", 5*24*3600); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Workflow.Cases.GetCase(t.Context(), id)
	if err != nil || c.Status != aftersales.StatusIntercepting || c.WaitingFor != aftersales.WaitInterception || len(ic.asked) != 1 {
		t.Fatalf("case %+v, asked %v: %v", c, ic.asked, err)
	}
	return svc, clock, ic, cs, c
}

// TestInterceptionCallbacks: only the courier's answer about the case's
// parcel moves it; at arrival, only the signature after a confirmed
// interception refunds.
func TestInterceptionCallbacks(t *testing.T) {
	const number = "731400001014"
	answer := func(ok bool, num string) aftersales.ParcelNotice {
		n := aftersales.ParcelNotice{ID: "cb-" + num, Kind: aftersales.ParcelInterception, Courier: "zhongtong", Number: num, Intercepted: ok,
			Phase: aftersales.ParcelSigned, Scan: "已签收"}
		if ok {
			n.Phase, n.Scan = aftersales.ParcelReturned, "拦截成功"
		}
		return n
	}
	signed := aftersales.ParcelNotice{ID: "scan", Kind: aftersales.ParcelTracking, Courier: "zhongtong", Number: number,
		Phase: aftersales.ParcelSigned, At: storetest.Epoch.Add(time.Hour), Scan: "已签收"}
	processing := aftersales.ParcelNotice{ID: "p", Kind: aftersales.ParcelInterception, Courier: "zhongtong", Number: number}
	tests := []struct {
		name       string
		refundAt   string
		notices    []aftersales.ParcelNotice
		wantStatus aftersales.Status
		wantType   aftersales.CaseType
		tracked    int
	}{
		{"success refunds", aftersales.RefundAtSuccess, []aftersales.ParcelNotice{answer(true, number)}, aftersales.StatusRefunding, aftersales.RefundOnly, 0},
		{"still processing changes nothing", aftersales.RefundAtSuccess, []aftersales.ParcelNotice{processing}, aftersales.StatusIntercepting, aftersales.RefundOnly, 0},
		{"an answer about another parcel changes nothing", aftersales.RefundAtSuccess, []aftersales.ParcelNotice{answer(true, "731400009999")},
			aftersales.StatusIntercepting, aftersales.RefundOnly, 0},
		{"failure makes a return", aftersales.RefundAtSuccess, []aftersales.ParcelNotice{answer(false, number)}, aftersales.StatusAwaitingReturn, aftersales.ReturnRefund, 0},
		{"arrival: a signature before the answer is the buyer's", aftersales.RefundAtArrival, []aftersales.ParcelNotice{signed},
			aftersales.StatusIntercepting, aftersales.RefundOnly, 1},
		{"arrival: success waits for the parcel", aftersales.RefundAtArrival, []aftersales.ParcelNotice{answer(true, number)},
			aftersales.StatusIntercepting, aftersales.RefundOnly, 1},
		{"arrival: signed back after success refunds", aftersales.RefundAtArrival, []aftersales.ParcelNotice{answer(true, number), signed},
			aftersales.StatusRefunding, aftersales.RefundOnly, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, _, _, cs, c := intercepting(t, tc.refundAt)
			for _, n := range tc.notices {
				n.CaseID = c.ID
				if err := svc.Returns.ParcelNotified(t.Context(), n); err != nil {
					t.Fatal(err)
				}
			}
			got, err := svc.Workflow.Cases.GetCase(t.Context(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.wantStatus || got.Type != tc.wantType || len(cs.tracked) != tc.tracked {
				t.Errorf("status %s type %s tracked %v; want %s %s %d", got.Status, got.Type, cs.tracked, tc.wantStatus, tc.wantType, tc.tracked)
			}
		})
	}
}

// TestInterceptionDeadline: with no answer by deadlines.interception the
// case is refunded as approved (staff are told); before it, nothing.
func TestInterceptionDeadline(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		want  aftersales.Status
	}{
		{"before the deadline", 4 * 24 * time.Hour, aftersales.StatusIntercepting},
		{"after the deadline", 5*24*time.Hour + time.Minute, aftersales.StatusRefunding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, clock, _, _, c := intercepting(t, aftersales.RefundAtSuccess)
			clock.Advance(tc.after)
			step, err := svc.Workflow.Deadline(t.Context(), c.ID, aftersales.StatusIntercepting)
			if err != nil || step.Status != tc.want {
				t.Fatalf("deadline: %+v %v, want %s", step, err, tc.want)
			}
			got, _ := svc.Workflow.Cases.GetCase(t.Context(), c.ID)
			last := got.Timeline[len(got.Timeline)-1].Action
			if tc.want == aftersales.StatusRefunding && (last != aftersales.ActInterceptionLapsed || got.Interception.Status != aftersales.InterceptionLapsed) {
				t.Errorf("last %s, interception %+v", last, got.Interception)
			}
		})
	}
}
