package fakekuaidi100_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakekuaidi100"
	"github.com/aftersales/aftersales/shared/kuaidi100"
)

// timers is a hand-driven clock: Run fires every timer due by the time
// given, in order.
type timers struct {
	mu  sync.Mutex
	now time.Time
	q   []timer
}

type timer struct {
	at time.Time
	f  func()
}

func (c *timers) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *timers) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.q = append(c.q, timer{c.now.Add(d), f})
	i := len(c.q) - 1
	return func() bool { c.mu.Lock(); defer c.mu.Unlock(); c.q[i].f = nil; return true }
}

func (c *timers) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.SliceStable(c.q, func(i, j int) bool { return c.q[i].at.Before(c.q[j].at) })
		var next *timer
		for i := range c.q {
			if c.q[i].f != nil && !c.q[i].at.After(end) {
				next = &c.q[i]
				break
			}
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		f := next.f
		next.f = nil
		c.now = next.at
		c.mu.Unlock()
		f()
	}
}

// rig is the stand-in, a client of it and the receiver of its pushes.
type rig struct {
	fake   *fakekuaidi100.Server
	client *kuaidi100.Client
	clock  *timers
	hook   string
	mu     sync.Mutex
	got    []url.Values
}

func newRig(t *testing.T) *rig {
	r := &rig{clock: &timers{now: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		f, _ := url.ParseQuery(string(b))
		r.mu.Lock()
		r.got = append(r.got, f)
		r.mu.Unlock()
		kuaidi100.Answer(w, kuaidi100.Accepted)
	}))
	t.Cleanup(hook.Close)
	r.hook = hook.URL
	r.fake = fakekuaidi100.New(fakekuaidi100.Options{Key: "K", Secret: "S", Now: r.clock.Now, AfterFunc: r.clock.AfterFunc})
	srv := httptest.NewServer(r.fake.Handler())
	t.Cleanup(srv.Close)
	r.client = kuaidi100.New(r.fake.Settings(srv.URL), nil, r.clock.Now)
	return r
}

func (r *rig) pushes() []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]url.Values(nil), r.got...)
}

func TestRecognize(t *testing.T) {
	tests := []struct {
		number string
		want   string
	}{
		{"SF1234567890", "shunfeng"}, {"YT9876543210", "yuantong"}, {"7730123456789", "shentong"},
		{"73012345678901", "zhongtong"}, {"JT0001234567890", "jtexpress"}, {"DPK123456789012", "debangkuaidi"},
		{"ABC", ""}, {"1234", ""},
	}
	r := newRig(t)
	for _, tc := range tests {
		t.Run(tc.number, func(t *testing.T) {
			cs, err := r.client.Recognize(context.Background(), tc.number)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(cs) > 0 {
				got = cs[0].Company
			}
			if got != tc.want {
				t.Errorf("Recognize(%s) = %v, want %s first", tc.number, cs, tc.want)
			}
		})
	}
}

func TestSubscriptionJourneys(t *testing.T) {
	tests := []struct {
		name    string
		journey string
		after   time.Duration
		want    []kuaidi100.Phase
	}{
		{"standard: collected, moving, delivering, signed", fakekuaidi100.JourneyStandard, 49 * time.Hour,
			[]kuaidi100.Phase{kuaidi100.PhaseCollected, kuaidi100.PhaseInTransit, kuaidi100.PhaseDelivering, kuaidi100.PhaseSigned}},
		{"never collected: silence", fakekuaidi100.JourneyNeverCollected, 30 * 24 * time.Hour, nil},
		{"stuck: collected, then silence", fakekuaidi100.JourneyStuck, 30 * 24 * time.Hour, []kuaidi100.Phase{kuaidi100.PhaseCollected}},
		{"returned", fakekuaidi100.JourneyReturned, 31 * time.Hour,
			[]kuaidi100.Phase{kuaidi100.PhaseCollected, kuaidi100.PhaseInTransit, kuaidi100.PhaseReturned}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if err := r.fake.SetJourney("SF1234567890", tc.journey); err != nil {
				t.Fatal(err)
			}
			err := r.client.Subscribe(context.Background(), kuaidi100.Subscription{Company: "shunfeng", Number: "SF1234567890",
				CallbackURL: r.hook + "/webhooks/kuaidi100?case=as_1", Salt: "salt-1"})
			if err != nil {
				t.Fatal(err)
			}
			r.clock.Advance(tc.after)
			var got []kuaidi100.Phase
			for _, f := range r.pushes() {
				if !kuaidi100.Verify(f.Get("param"), "salt-1", f.Get("sign")) {
					t.Errorf("push not signed with the subscription's salt: %v", f)
				}
				p, err := kuaidi100.ParsePush(f.Get("param"))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.Phase())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("phases %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("phases %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestSubscribeRefusals(t *testing.T) {
	r := newRig(t)
	sub := kuaidi100.Subscription{Company: "yuantong", Number: "SF1234567890", CallbackURL: r.hook, Salt: "s"}
	var e *kuaidi100.Error
	if err := r.client.Subscribe(context.Background(), sub); !errors.As(err, &e) || e.ReturnCode != "701" {
		t.Errorf("a number of another courier: %v", err)
	}
	sub.Company = "shunfeng"
	if err := r.client.Subscribe(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	if err := r.client.Subscribe(context.Background(), sub); err != nil {
		t.Errorf("the same subscription again is a success (501 duplicate): %v", err)
	}
	if err := r.fake.Move("SF1234567890", "signed"); err != nil {
		t.Fatal(err)
	}
	if err := r.fake.Move("SF0000000000", "signed"); err == nil {
		t.Error("moved a parcel never subscribed")
	}
	if n := len(r.pushes()); n != 1 {
		t.Errorf("%d pushes after one move", n)
	}
}

func TestPickupAndInterception(t *testing.T) {
	r := newRig(t)
	b, err := r.client.Book(context.Background(), kuaidi100.PickupOrder{Company: "debangkuaidi", SenderName: "王", SenderMobile: "13800000000",
		SenderAddress: "上海市1号", RecipientName: "仓库", RecipientMobile: "02100000000", RecipientAddress: "杭州市2号", Cargo: "家电",
		CallbackURL: r.hook + "/order", Salt: "s-order", PollCallbackURL: r.hook + "/poll",
		WindowStart: r.clock.Now().Add(24 * time.Hour), WindowEnd: r.clock.Now().Add(26 * time.Hour)})
	if err != nil || b.OrderID == "" {
		t.Fatalf("Book = %+v, %v", b, err)
	}
	r.clock.Advance(3 * time.Hour)
	ps := r.pushes()
	if len(ps) != 2 {
		t.Fatalf("%d callbacks, want accepted and collected", len(ps))
	}
	cb, err := kuaidi100.ParseOrderCallback(ps[1].Get("param"))
	if err != nil || cb.OrderStatus() != kuaidi100.OrderCollected || cb.Number == "" || cb.Data.OrderID != b.OrderID ||
		!kuaidi100.Verify(ps[1].Get("param"), "s-order", ps[1].Get("sign")) || ps[1].Get("taskId") != b.TaskID {
		t.Fatalf("collected callback %+v %v", cb, err)
	}
	// The waybill's tracking is subscribed with the order's salt.
	r.clock.Advance(48 * time.Hour)
	last := r.pushes()[len(r.pushes())-1]
	p, err := kuaidi100.ParsePush(last.Get("param"))
	if err != nil || p.LastResult.Number != cb.Number || p.Phase() != kuaidi100.PhaseSigned || !kuaidi100.Verify(last.Get("param"), "s-order", last.Get("sign")) {
		t.Fatalf("tracking of the pickup %+v %v", p, err)
	}

	for _, outcome := range []string{kuaidi100.InterceptSucceeded, kuaidi100.InterceptFailed} {
		t.Run(outcome, func(t *testing.T) {
			r := newRig(t)
			number := "SF1234567890"
			if err := r.fake.SetInterceptOutcome(number, outcome); err != nil {
				t.Fatal(err)
			}
			if _, err := r.client.Intercept(context.Background(), kuaidi100.Interception{Company: "shunfeng", Number: number, OrderID: "as_1",
				CallbackURL: r.hook, Salt: "s-int"}); err != nil {
				t.Fatal(err)
			}
			r.clock.Advance(time.Hour)
			ps := r.pushes()
			if len(ps) != 1 {
				t.Fatalf("%d callbacks", len(ps))
			}
			cb, err := kuaidi100.ParseInterceptCallback(ps[0].Get("param"))
			if err != nil || cb.Status != outcome || cb.OrderID != "as_1" || !kuaidi100.Verify(ps[0].Get("param"), "s-int", ps[0].Get("sign")) {
				t.Errorf("callback %+v %v", cb, err)
			}
		})
	}
}
