package usecase_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase"
)

// couriers is a hand-written courier aggregator: SF numbers are
// shunfeng's; recognition or subscription fail when told to.
type couriers struct {
	recognizeErr, trackErr error
	tracked                []string
}

func (c *couriers) Recognize(_ context.Context, number string) ([]string, error) {
	if c.recognizeErr != nil {
		return nil, c.recognizeErr
	}
	if len(number) > 2 && number[:2] == "SF" {
		return []string{"shunfeng"}, nil
	}
	return nil, nil
}

func (c *couriers) Track(_ context.Context, caseID string, sh aftersales.Shipment, _ string) error {
	if c.trackErr != nil {
		return c.trackErr
	}
	c.tracked = append(c.tracked, caseID+" "+sh.Courier+" "+sh.TrackingNumber)
	return nil
}

func (c *couriers) Book(_ context.Context, caseID string, r aftersales.PickupRequest, _, _ string) (aftersales.Pickup, error) {
	return aftersales.Pickup{OrderID: "KD1", Courier: r.Courier, Address: r.Address, WindowStart: r.WindowStart, WindowEnd: r.WindowEnd,
		Status: aftersales.PickupBooked}, nil
}

// inTransit approves a return, records its wait and ships it: the case is
// in return_in_transit, waiting on token "tok-transit".
func inTransit(t *testing.T, svc *usecase.Services) *aftersales.Case {
	t.Helper()
	c := inReview(t, svc, "tok-review", "l1")
	if _, err := svc.Review.Approve(t.Context(), reviewer, c.ID, aftersales.Approval{}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Workflow.BeginWait(t.Context(), c.ID, "tok-return", 7*24*3600); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Returns.ShipReturn(t.Context(), buyer, c.ID, aftersales.Shipment{Courier: "sf", TrackingNumber: "SF1234567890"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Workflow.BeginWait(t.Context(), c.ID, "tok-transit", 3*24*3600); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestShipReturnChecksAndTracks(t *testing.T) {
	tests := []struct {
		name        string
		courier     string
		number      string
		fake        couriers
		wantErr     string // the field named
		wantTracked bool
	}{
		{"the courier's number: tracked", "sf", "SF1234567890", couriers{}, "", true},
		{"another courier's number: refused", "yuantong", "SF1234567890", couriers{}, "tracking_number", false},
		{"no courier issues it: refused", "shunfeng", "AB1234567890", couriers{}, "tracking_number", false},
		{"recognition down: kept untracked", "shunfeng", "SF1234567890", couriers{recognizeErr: errors.New("down")}, "", false},
		{"subscription refused: kept untracked", "shunfeng", "SF1234567890", couriers{trackErr: errors.New("701")}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := tc.fake
			svc, _ := newServiceChanged(t, func(p *usecase.Ports) { p.Couriers = &fake })
			c := inReview(t, svc, "tok-review", "l1")
			if _, err := svc.Review.Approve(t.Context(), reviewer, c.ID, aftersales.Approval{}); err != nil {
				t.Fatal(err)
			}
			if err := svc.Workflow.BeginWait(t.Context(), c.ID, "tok-return", 7*24*3600); err != nil {
				t.Fatal(err)
			}
			got, err := svc.Returns.ShipReturn(t.Context(), buyer, c.ID, aftersales.Shipment{Courier: tc.courier, TrackingNumber: tc.number}, 0)
			if tc.wantErr != "" {
				var e *aftersales.Error
				if !errors.As(err, &e) || e.Kind != aftersales.KindInvalid || len(e.Fields) == 0 || e.Fields[0].Field != tc.wantErr {
					t.Fatalf("err %v, want Invalid naming %s", err, tc.wantErr)
				}
				if len(fake.tracked) != 0 {
					t.Errorf("subscribed %v for a refused waybill", fake.tracked)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != aftersales.StatusReturnInTransit || got.Return.Tracked != tc.wantTracked || got.Return.Courier != "shunfeng" {
				t.Errorf("case %s, return %+v", got.Status, got.Return)
			}
		})
	}
}

func TestParcelScans(t *testing.T) {
	at := storetest.Epoch.Add(time.Hour)
	scan := func(phase aftersales.ParcelPhase, at time.Time) aftersales.ParcelNotice {
		return aftersales.ParcelNotice{ID: string(phase) + at.String(), Kind: aftersales.ParcelTracking, Courier: "shunfeng",
			Number: "SF1234567890", Phase: phase, At: at}
	}
	tests := []struct {
		name       string
		scans      []aftersales.ParcelNotice
		wantStatus aftersales.Status
		wantLast   aftersales.Action // the newest timeline entry's action
		resumed    bool              // the transit wait was completed to begin again
	}{
		{"collected", []aftersales.ParcelNotice{scan(aftersales.ParcelCollected, at)},
			aftersales.StatusReturnInTransit, aftersales.ActReturnCollected, true},
		{"collected then moving", []aftersales.ParcelNotice{scan(aftersales.ParcelCollected, at), scan(aftersales.ParcelInTransit, at.Add(time.Hour))},
			aftersales.StatusReturnInTransit, aftersales.ActParcelUpdate, true},
		{"signed for: awaiting receipt", []aftersales.ParcelNotice{scan(aftersales.ParcelCollected, at), scan(aftersales.ParcelSigned, at.Add(time.Hour))},
			aftersales.StatusAwaitingReceipt, aftersales.ActReturnDelivered, true},
		{"signed in the same second as collected", []aftersales.ParcelNotice{scan(aftersales.ParcelCollected, at), scan(aftersales.ParcelSigned, at)},
			aftersales.StatusAwaitingReceipt, aftersales.ActReturnDelivered, true},
		{"an older scan after a newer one changes nothing", []aftersales.ParcelNotice{scan(aftersales.ParcelInTransit, at.Add(time.Hour)), scan(aftersales.ParcelCollected, at)},
			aftersales.StatusReturnInTransit, aftersales.ActReturnCollected, true},
		{"refused by the recipient: told", []aftersales.ParcelNotice{scan(aftersales.ParcelRejected, at)},
			aftersales.StatusReturnInTransit, aftersales.ActParcelProblem, true},
		{"a scan of another parcel changes nothing", []aftersales.ParcelNotice{{ID: "x", Kind: aftersales.ParcelTracking, Number: "SF0000000000",
			Phase: aftersales.ParcelSigned, At: at}}, aftersales.StatusReturnInTransit, aftersales.ActAwait, false},
		{"a scan with no phase changes nothing", []aftersales.ParcelNotice{scan("", at)}, aftersales.StatusReturnInTransit, aftersales.ActAwait, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, waits := newServiceChanged(t, func(p *usecase.Ports) { p.Couriers = &couriers{} })
			c := inTransit(t, svc)
			if !c.Return.Tracked {
				t.Fatal("not tracked")
			}
			for _, n := range tc.scans {
				n.CaseID = c.ID
				if err := svc.Returns.ParcelNotified(t.Context(), n); err != nil {
					t.Fatal(err)
				}
			}
			got, err := svc.Workflow.Cases.GetCase(t.Context(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			last := got.Timeline[len(got.Timeline)-1]
			if got.Status != tc.wantStatus || last.Action != tc.wantLast {
				t.Errorf("%s after %s, want %s after %s", got.Status, last.Action, tc.wantStatus, tc.wantLast)
			}
			if _, ok := waits.completed["tok-transit"]; ok != tc.resumed {
				t.Errorf("transit wait completed %v, want %v", ok, tc.resumed)
			}
		})
	}
}
