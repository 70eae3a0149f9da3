package stack

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakekuaidi100"
	"github.com/aftersales/aftersales/shared/kuaidi100"
)

// returnAwaitingWaybill opens a return on the shipped order o-1002 and has
// staff approve it: the case waits for the buyer's waybill.
func returnAwaitingWaybill(t *testing.T, st *Stack) (buyer, staff *client, c caseBody) {
	t.Helper()
	buyer, staff = st.as(t, "buyer-1", "buyer"), st.as(t, "staff-1", "reviewer")
	c = st.apply(t, buyer, app("o-1002", "return_refund", "size_not_fit", "l1", 1))
	act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, http.StatusOK)
	st.settle(t)
	return buyer, staff, st.get(t, buyer, c.ID)
}

// devPost posts a /dev control and wants 204.
func devPost(t *testing.T, st *Stack, path string, body any) {
	t.Helper()
	if res := st.as(t, "").do("POST", path, body); res.status != http.StatusNoContent {
		t.Fatalf("POST %s: %d %s", path, res.status, res.body)
	}
}

// move has the courier scan a parcel (over /dev/kuaidi100/move), then lets
// the push be applied.
func move(t *testing.T, st *Stack, number, to string) {
	t.Helper()
	devPost(t, st, "/dev/kuaidi100/move", map[string]any{"number": number, "to": to})
	st.settle(t)
}

// shipReturn posts the buyer's waybill of a parcel on journey.
func shipReturn(t *testing.T, st *Stack, buyer *client, c caseBody, courier, number, journey string) caseBody {
	t.Helper()
	devPost(t, st, "/dev/kuaidi100/journey", map[string]any{"number": number, "journey": journey})
	got := act(t, buyer, "/v1/cases/"+c.ID+"/return-shipment", map[string]any{"courier": courier, "tracking_number": number}, http.StatusOK)
	st.settle(t)
	return got
}

func TestReturnFollowedByTheCourier(t *testing.T) {
	st := startStack(t)
	buyer, staff, c := returnAwaitingWaybill(t, st)
	wantStatus(t, c, "awaiting_return")

	t.Run("a number of another courier is refused", func(t *testing.T) {
		res := buyer.do("POST", "/v1/cases/"+c.ID+"/return-shipment", map[string]any{"courier": "yuantong", "tracking_number": "SF1234567890"})
		if p := res.problem(t, http.StatusUnprocessableEntity); !p.names("tracking_number") || !strings.Contains(string(res.body), "shunfeng") {
			t.Errorf("problem %s", res.body)
		}
		if got := st.get(t, buyer, c.ID); got.Status != "awaiting_return" || got.Version != c.Version {
			t.Errorf("a refused waybill changed the case: %s v%d", got.Status, got.Version)
		}
	})

	// "sf" is the buyer's word for shunfeng; the parcel is subscribed.
	shipReturn(t, st, buyer, c, "sf", "SF1234567890", fakekuaidi100.JourneyManual)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "return_in_transit")
	snap := st.Kuaidi100.Snapshot()
	if len(snap.Parcels) != 1 || snap.Parcels[0].Company != "shunfeng" || !strings.Contains(snap.Parcels[0].CallbackURL, "/webhooks/kuaidi100?case="+c.ID) {
		t.Fatalf("subscriptions %+v", snap.Parcels)
	}

	move(t, st, "SF1234567890", "collected")
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "return_in_transit")
	if !contains(actions(c), "return_collected") {
		t.Errorf("no return_collected in %v", actions(c))
	}
	if !st.inboxHas(t, buyer, "return_collected") {
		t.Error("the buyer was not told the return was collected")
	}

	// Days on the road: the receipt deadline has not started, so nothing
	// is treated as received while the parcel moves.
	st.advance(t, 2*24*time.Hour)
	move(t, st, "SF1234567890", "in_transit")
	st.advance(t, 2*24*time.Hour)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "return_in_transit")

	move(t, st, "SF1234567890", "signed")
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "awaiting_receipt")
	receiptDue := st.Clock.Now().Add(10 * 24 * time.Hour)
	if c.Next == nil || c.Next.Deadline == nil || c.Next.Deadline.Sub(receiptDue).Abs() > time.Minute {
		t.Errorf("next %+v, want the receipt deadline 10 days from delivery (%s)", c.Next, receiptDue)
	}

	c = act(t, staff, "/v1/staff/cases/"+c.ID+"/receipt", map[string]any{"condition": "sellable"}, http.StatusOK)
	wantStatus(t, c, "refunding")
	st.settle(t)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "completed")
	if c.RefundedAmount != 49900 {
		t.Errorf("refunded %d, want 49900", c.RefundedAmount)
	}
}

// postPush posts a push to the webhook as the provider would.
func postPush(t *testing.T, st *Stack, target, param, sign string) (int, string) {
	t.Helper()
	res, err := http.PostForm(target, url.Values{"param": {param}, "sign": {sign}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	st.settle(t)
	return res.StatusCode, string(b)
}

func TestForgedTamperedAndReplayedPushesChangeNothing(t *testing.T) {
	st := startStack(t)
	buyer, _, c := returnAwaitingWaybill(t, st)
	shipReturn(t, st, buyer, c, "shunfeng", "SF1234567890", fakekuaidi100.JourneyManual)
	move(t, st, "SF1234567890", "collected")
	before := st.get(t, buyer, c.ID)
	wantStatus(t, before, "return_in_transit")
	snap := st.Kuaidi100.Snapshot()
	last := snap.Pushes[len(snap.Pushes)-1]
	if last.Answer != string(kuaidi100.Accepted) {
		t.Fatalf("the genuine push was answered %q", last.Answer)
	}
	signed := strings.Replace(last.Param, `"state":"103"`, `"state":"301"`, 1)
	tests := []struct {
		name        string
		target      string
		param, sign string
		status      int
		accepted    bool
	}{
		{"forged: signed with a guessed salt", last.URL, signed, kuaidi100.Sign(signed, "guess"), http.StatusUnauthorized, false},
		{"tampered: signed for collected, says signed", last.URL, signed, last.Sign, http.StatusUnauthorized, false},
		{"replayed to another case", strings.Replace(last.URL, c.ID, "as_other", 1), last.Param, last.Sign, http.StatusUnauthorized, false},
		{"replayed as it was: taken, applied once", last.URL, last.Param, last.Sign, http.StatusOK, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postPush(t, st, tc.target, tc.param, tc.sign)
			if status != tc.status || (body == string(kuaidi100.Accepted)) != tc.accepted {
				t.Errorf("answer %d %s", status, body)
			}
			if !tc.accepted && !strings.Contains(body, `"result":false`) {
				t.Errorf("a refusal without result false: %s", body)
			}
			after := st.get(t, buyer, c.ID)
			if after.Status != before.Status || after.Version != before.Version {
				t.Errorf("case moved from %s v%d to %s v%d", before.Status, before.Version, after.Status, after.Version)
			}
		})
	}
}

func TestCourierDeadlines(t *testing.T) {
	tests := []struct {
		name    string
		journey string
		advance time.Duration
		status  string
		action  string
	}{
		{"never collected in 3 days: back to the buyer", fakekuaidi100.JourneyNeverCollected, 3*24*time.Hour + time.Minute, "awaiting_return", "waybill_not_collected"},
		{"collected, then silent for 3 days: staff and buyer told", fakekuaidi100.JourneyStuck, 4*time.Hour + 3*24*time.Hour + time.Minute, "return_in_transit", "parcel_problem"},
		{"returned to the sender: staff and buyer told", fakekuaidi100.JourneyReturned, 31 * time.Hour, "return_in_transit", "parcel_problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := startStack(t)
			buyer, _, c := returnAwaitingWaybill(t, st)
			shipReturn(t, st, buyer, c, "shunfeng", "SF1234567890", tc.journey)
			st.advance(t, tc.advance)
			c = st.get(t, buyer, c.ID)
			wantStatus(t, c, tc.status)
			if !contains(actions(c), tc.action) {
				t.Fatalf("no %s in %v", tc.action, actions(c))
			}
			if tc.action == "parcel_problem" && (!st.inboxHas(t, st.as(t, "staff-1", "reviewer"), "staff_parcel_problem") || !st.inboxHas(t, buyer, "parcel_problem")) {
				t.Error("staff or buyer were not told")
			}
			if tc.status == "awaiting_return" {
				// The waybill is cleared and the return deadline begins again.
				due := st.Clock.Now().Add(7 * 24 * time.Hour)
				if c.Next == nil || c.Next.Deadline == nil || c.Next.Deadline.Sub(due).Abs() > time.Minute {
					t.Errorf("next %+v, want a fresh 7-day return deadline", c.Next)
				}
				// The buyer corrects it and the return goes on.
				shipReturn(t, st, buyer, c, "shunfeng", "SF1234567891", fakekuaidi100.JourneyStandard)
				st.advance(t, 49*time.Hour)
				wantStatus(t, st.get(t, buyer, c.ID), "awaiting_receipt")
				if !st.inboxHas(t, buyer, "waybill_not_collected") {
					t.Error("the buyer was not asked to correct the waybill")
				}
			}
		})
	}
}

// inboxHas reports whether c's inbox holds a notice of kind.
func (st *Stack) inboxHas(t *testing.T, c *client, kind string) bool {
	t.Helper()
	var page inboxPage
	c.do("GET", "/v1/notifications?limit=100", nil).decode(t, &page)
	for _, n := range page.Items {
		if n.Kind == kind {
			return true
		}
	}
	return false
}

func TestAppliancePickupGetsItsWaybillByCallback(t *testing.T) {
	st := startStack(t)
	buyer, staff := st.as(t, "buyer-2", "buyer"), st.as(t, "staff-1", "admin")
	c := st.apply(t, buyer, app("o-1005", "return_refund", "size_not_fit", "l1", 1))
	if c.Status == "pending_review" {
		act(t, staff, "/v1/staff/cases/"+c.ID+"/approve", map[string]any{}, http.StatusOK)
		st.settle(t)
	}
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "awaiting_return")
	if c.Next == nil || c.Next.Action != "book_pickup" {
		t.Fatalf("next %+v, want book_pickup: a refrigerator defaults to a pickup", c.Next)
	}

	now := st.Clock.Now()
	res := buyer.do("POST", "/v1/cases/"+c.ID+"/pickup", map[string]any{"address": "上海市浦东新区世纪大道1号",
		"window_start": now.Add(-time.Hour), "window_end": now.Add(time.Hour)})
	if p := res.problem(t, http.StatusUnprocessableEntity); !p.names("window_start") {
		t.Errorf("a window in the past: %s", res.body)
	}
	c = act(t, buyer, "/v1/cases/"+c.ID+"/pickup", map[string]any{"address": "上海市浦东新区世纪大道1号",
		"window_start": now.Add(24 * time.Hour), "window_end": now.Add(26 * time.Hour)}, http.StatusOK)
	var booked struct {
		Pickup struct {
			OrderID         string `json:"order_id"`
			Courier, Status string
		} `json:"pickup"`
		Return *struct {
			Courier        string
			TrackingNumber string `json:"tracking_number"`
			Tracked        bool
			Phase          string
		} `json:"return"`
	}
	buyer.do("GET", "/v1/cases/"+c.ID, nil).decode(t, &booked)
	if booked.Pickup.OrderID == "" || booked.Pickup.Courier != "debangkuaidi" || booked.Pickup.Status != "booked" || !contains(actions(c), "book_pickup") {
		t.Fatalf("pickup %+v, timeline %v", booked.Pickup, actions(c))
	}

	// The courier accepts, then collects: the waybill arrives by the
	// order's signed callback and the return is in transit, tracked.
	st.advance(t, 3*time.Hour)
	c = st.get(t, buyer, c.ID)
	wantStatus(t, c, "return_in_transit")
	buyer.do("GET", "/v1/cases/"+c.ID, nil).decode(t, &booked)
	if booked.Return == nil || !strings.HasPrefix(booked.Return.TrackingNumber, "DPK") || booked.Return.Courier != "debangkuaidi" ||
		booked.Pickup.Status != "collected" {
		t.Fatalf("return %+v, pickup %+v", booked.Return, booked.Pickup)
	}
	// Its tracking was subscribed with the order: signed for at the
	// warehouse two days on, the receipt deadline starts.
	st.advance(t, 48*time.Hour)
	wantStatus(t, st.get(t, buyer, c.ID), "awaiting_receipt")
	for _, p := range st.Kuaidi100.Snapshot().Pushes {
		if p.Answer != string(kuaidi100.Accepted) {
			t.Errorf("a %s push answered %d %s", p.Kind, p.Status, p.Answer)
		}
	}
}

// TestDevParcelControls: the stand-in's controls refuse what they cannot
// do with a problem naming the field, and change nothing.
func TestDevParcelControls(t *testing.T) {
	st := startStack(t)
	tests := []struct {
		name  string
		path  string
		body  any
		field string
	}{
		{"journey without a number", "/dev/kuaidi100/journey", map[string]any{"journey": "manual"}, "number"},
		{"unknown journey", "/dev/kuaidi100/journey", map[string]any{"number": "SF1", "journey": "teleport"}, "journey"},
		{"journey not a string", "/dev/kuaidi100/journey", map[string]any{"number": "SF1", "journey": 3}, "journey"},
		{"interception outcome unknown", "/dev/kuaidi100/intercept", map[string]any{"number": "ZT1", "outcome": "MAYBE"}, "outcome"},
		{"interception without a number", "/dev/kuaidi100/intercept", map[string]any{"outcome": "FAIL"}, "number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := st.as(t, "").do("POST", tc.path, tc.body)
			if res.status != http.StatusBadRequest && res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d %s, want a client error", res.status, res.body)
			}
			if !strings.Contains(string(res.body), `"field":"`+tc.field+`"`) {
				t.Errorf("%s names no field %q", res.body, tc.field)
			}
		})
	}
	devPost(t, st, "/dev/kuaidi100/intercept", map[string]any{"number": "ZT1", "outcome": "FAIL"})
	devPost(t, st, "/dev/kuaidi100/journey", map[string]any{"number": "SF1", "journey": "manual"})
}
