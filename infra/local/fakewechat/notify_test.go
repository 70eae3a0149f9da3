package fakewechat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/infra/local/fakewechat"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/wechatpay"
)

// TestSettlingAndNotifications: each refund settles after the delay, is paid
// at most once, and its notification, verified by the adapter, reaches the
// merchant, retried on the clock while the merchant fails.
func TestSettlingAndNotifications(t *testing.T) {
	type step struct {
		advance     time.Duration
		wantPosts   int // posts the receiver saw so far
		wantNotices int // notifications it took so far
	}
	tests := []struct {
		name          string
		inject        fakewechat.Fault
		failFor       int
		retries       []time.Duration
		steps         []step
		wantState     aftersales.RefundState
		wantPayouts   int
		wantAbandoned int
	}{
		{
			name:      "succeeds after the settle delay",
			steps:     []step{{time.Second, 0, 0}, {time.Second, 1, 1}, {24 * time.Hour, 1, 1}},
			wantState: aftersales.StateSucceeded, wantPayouts: 1,
		},
		{
			name: "closed", inject: fakewechat.FaultClose,
			steps:     []step{{2 * time.Second, 1, 1}},
			wantState: aftersales.StateClosed,
		},
		{
			name: "abnormal", inject: fakewechat.FaultAbnormal,
			steps:     []step{{2 * time.Second, 1, 1}},
			wantState: aftersales.StateAbnormal,
		},
		{
			name: "delivered twice", inject: fakewechat.FaultDuplicate,
			steps:     []step{{2 * time.Second, 2, 2}, {24 * time.Hour, 2, 2}},
			wantState: aftersales.StateSucceeded, wantPayouts: 1,
		},
		{
			name: "merchant fails twice, retried on WeChat's schedule", failFor: 2,
			steps: []step{
				{2 * time.Second, 1, 0}, {14 * time.Second, 1, 0}, {time.Second, 2, 0},
				{15 * time.Second, 3, 1}, {24 * time.Hour, 3, 1},
			},
			wantState: aftersales.StateSucceeded, wantPayouts: 1,
		},
		{
			name: "merchant never answers: paid all the same, then given up", failFor: 1000,
			retries:   []time.Duration{time.Minute, time.Hour},
			steps:     []step{{2 * time.Second, 1, 0}, {time.Minute, 2, 0}, {time.Hour, 3, 0}, {24 * time.Hour, 3, 0}},
			wantState: aftersales.StateSucceeded, wantPayouts: 1, wantAbandoned: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fakewechat.Options{NotifyRetries: tt.retries})
			e.recv.failFor = tt.failFor
			req := request("as_30-1", "4200000030")
			e.fake.Inject(req.OutRefundNo, tt.inject)
			if _, err := e.provider.Refund(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				e.clock.Advance(s.advance)
				posts, notices, errs := e.recv.snapshot()
				if len(errs) > 0 {
					t.Fatalf("step %d: notifications did not verify: %v", i, errs)
				}
				if posts != s.wantPosts || len(notices) != s.wantNotices {
					t.Fatalf("step %d (+%s): %d posts, %d notices; want %d, %d", i, s.advance, posts, len(notices), s.wantPosts, s.wantNotices)
				}
			}
			_, notices, _ := e.recv.snapshot()
			for _, n := range notices {
				if n.OutRefundNo != req.OutRefundNo || n.State != tt.wantState || n.NotificationID != notices[0].NotificationID || n.ProviderRefundID == "" {
					t.Errorf("notice %+v, want %s for %s with one id", n, tt.wantState, req.OutRefundNo)
				}
			}
			if got := e.fake.Payouts(req.OutRefundNo); got != tt.wantPayouts {
				t.Errorf("Payouts = %d, want %d", got, tt.wantPayouts)
			}
			if got := e.fake.TotalPaid(); got != int64(tt.wantPayouts)*req.Amount.Amount {
				t.Errorf("TotalPaid = %d", got)
			}
			if st := e.fake.Stats(); st.NotificationsAbandoned != tt.wantAbandoned || st.NotificationsPending != 0 {
				t.Errorf("stats %+v, want %d abandoned and none pending", st, tt.wantAbandoned)
			}
		})
	}
}

// TestReorderedNotification: with Reorder the merchant receives the result
// before the answer to its request, which still says PROCESSING.
func TestReorderedNotification(t *testing.T) {
	e := newEnv(t, fakewechat.Options{})
	req := request("as_31-1", "4200000031")
	e.fake.Inject(req.OutRefundNo, fakewechat.FaultReorder)
	got, err := e.provider.Refund(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	_, notices, errs := e.recv.snapshot()
	if len(errs) > 0 || len(notices) != 1 || notices[0].State != aftersales.StateSucceeded {
		t.Fatalf("when Refund returned the receiver had %+v (errors %v), want one success", notices, errs)
	}
	if got.State != aftersales.StateProcessing || got.ProviderRefundID != notices[0].ProviderRefundID {
		t.Fatalf("Refund = %+v, want processing %s", got, notices[0].ProviderRefundID)
	}
	e.clock.Advance(time.Hour)
	if posts, _, _ := e.recv.snapshot(); posts != 1 || e.fake.Payouts(req.OutRefundNo) != 1 {
		t.Fatalf("after an hour: %d posts, %d payouts; want 1, 1", posts, e.fake.Payouts(req.OutRefundNo))
	}
}

// TestClosedRefundFreesTheAmount: a closed refund paid nothing, so the
// whole order can be refunded again under a new number.
func TestClosedRefundFreesTheAmount(t *testing.T) {
	e := newEnv(t, fakewechat.Options{})
	ctx := context.Background()
	first := request("as_32-1", "4200000032")
	first.Amount.Amount = first.OrderTotal.Amount
	e.fake.Inject(first.OutRefundNo, fakewechat.FaultClose)
	if _, err := e.provider.Refund(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := first
	second.OutRefundNo = "as_32-2"
	if _, err := e.provider.Refund(ctx, second); aftersales.KindOf(err) != aftersales.KindInvalid {
		t.Fatalf("a second full refund while the first is processing: %v, want refused", err)
	}
	e.clock.Advance(fakewechat.DefaultSettleDelay)
	if _, err := e.provider.Refund(ctx, second); err != nil {
		t.Fatalf("a full refund after the first closed: %v", err)
	}
	e.clock.Advance(fakewechat.DefaultSettleDelay)
	if e.fake.Payouts(first.OutRefundNo) != 0 || e.fake.Payouts(second.OutRefundNo) != 1 || e.fake.TotalPaid() != first.OrderTotal.Amount {
		t.Fatalf("payouts %d, %d, total %d", e.fake.Payouts(first.OutRefundNo), e.fake.Payouts(second.OutRefundNo), e.fake.TotalPaid())
	}
}

// TestCloseStopsEverything: after Close nothing settles or posts.
func TestCloseStopsEverything(t *testing.T) {
	e := newEnv(t, fakewechat.Options{})
	req := request("as_33-1", "4200000033")
	if _, err := e.provider.Refund(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	e.fake.Close()
	if n := e.clock.Pending(); n != 0 {
		t.Errorf("%d timers still pending", n)
	}
	e.clock.Advance(time.Hour)
	r, ok := e.fake.Refund(req.OutRefundNo)
	if posts, _, _ := e.recv.snapshot(); !ok || *r.Status != "PROCESSING" || posts != 0 || e.fake.TotalPaid() != 0 {
		t.Fatalf("after Close: %v %v, %d posts, paid %d", ok, r.Status, posts, e.fake.TotalPaid())
	}
}

// TestChaos runs many refunds concurrently with every fault switched on,
// the merchant retrying whatever is transient and its webhook failing now
// and then, and checks the invariants: no refund paid twice, payouts match
// the final statuses, and every final status reached the merchant under one
// notification id.
func TestChaos(t *testing.T) {
	const refunds, workers = 300, 16
	e := newEnv(t, fakewechat.Options{Faults: fakewechat.Faults{
		Delay: 30 * time.Second, Duplicate: 0.1, Reorder: 0.1, Close: 0.1, Abnormal: 0.05, Timeout: 0.1, Fail: 0.1, Seed: 42,
	}})
	e.recv.failRate = 0.2
	ctx := context.Background()
	reqs := make(chan aftersales.RefundRequest)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for range workers {
		wg.Go(func() {
			for r := range reqs {
				var err error
				for attempt := 0; attempt < 20; attempt++ {
					if _, err = e.provider.Refund(ctx, r); aftersales.KindOf(err) != aftersales.KindTransient {
						break
					}
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, fmt.Errorf("%s: %w", r.OutRefundNo, err))
					mu.Unlock()
				}
			}
		})
	}
	for i := range refunds {
		// Three refunds of 60.00 per 198.00 payment: never over the total.
		reqs <- request(fmt.Sprintf("as_chaos%03d-%d", i/3, i%3+1), fmt.Sprintf("42000%05d", i/3))
	}
	close(reqs)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d refunds never accepted, e.g. %v", len(failed), failed[0])
	}
	e.clock.Advance(48 * time.Hour) // every settle and every retry falls due

	_, notices, errs := e.recv.snapshot()
	if len(errs) > 0 {
		t.Fatalf("%d notifications did not verify, e.g. %v", len(errs), errs[0])
	}
	byNo := map[string][]aftersales.RefundNotice{}
	for _, n := range notices {
		byNo[n.OutRefundNo] = append(byNo[n.OutRefundNo], n)
	}
	var paid int64
	states := map[aftersales.RefundState]int{}
	for i := range refunds {
		no := fmt.Sprintf("as_chaos%03d-%d", i/3, i%3+1)
		r, ok := e.fake.Refund(no)
		if !ok {
			t.Fatalf("%s: not recorded", no)
		}
		payouts := e.fake.Payouts(no)
		switch {
		case payouts > 1:
			t.Errorf("%s paid %d times", no, payouts)
		case (payouts == 1) != (*r.Status == "SUCCESS"):
			t.Errorf("%s: status %s with %d payouts", no, *r.Status, payouts)
		}
		paid += int64(payouts) * *r.Amount.Refund
		ns := byNo[no]
		if len(ns) == 0 {
			t.Errorf("%s (%s): no notification taken", no, *r.Status)
			continue
		}
		states[ns[0].State]++
		for _, n := range ns {
			if n.NotificationID != ns[0].NotificationID || string(n.State) != map[string]string{"SUCCESS": "succeeded", "CLOSED": "closed", "ABNORMAL": "abnormal"}[string(*r.Status)] {
				t.Errorf("%s (%s): notices %+v", no, *r.Status, ns)
				break
			}
		}
	}
	if got := e.fake.TotalPaid(); got != paid {
		t.Errorf("TotalPaid %d, sum of payouts %d", got, paid)
	}
	st := e.fake.Stats()
	t.Logf("stats %+v; states taken %v; %d notices for %d refunds", st, states, len(notices), refunds)
	if st.Refunds != refunds || st.Processing != 0 || st.NotificationsPending != 0 || st.NotificationsAbandoned != 0 {
		t.Errorf("stats %+v", st)
	}
	if st.CreateCalls <= refunds || len(notices) <= refunds || states[aftersales.StateClosed] == 0 || states[aftersales.StateAbnormal] == 0 {
		t.Errorf("the faults did not all fire: %d create calls, %d notices, states %v", st.CreateCalls, len(notices), states)
	}
}

// TestFillFixture: the notification fixture in events/webhooks, completed
// with the fake's keys, is accepted by the adapter.
func TestFillFixture(t *testing.T) {
	k, _ := testKeys(t)
	at := time.Date(2026, 11, 27, 10, 35, 0, 0, time.UTC) // the fixture's time
	clock := vclock.New(at)
	fake, err := fakewechat.New(fakewechat.Options{Keys: &k, Now: clock.Now, AfterFunc: clock.AfterFunc})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	dir := filepath.Join("..", "..", "..", "events", "webhooks")
	raw, err := os.ReadFile(filepath.Join(dir, "wechatpay-refund-success.json"))
	if err != nil {
		t.Fatal(err)
	}
	resource, err := os.ReadFile(filepath.Join(dir, "wechatpay-refund-success.resource.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	body, err := fake.FillFixture(ev.Headers, ev.Body, resource)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for k, v := range ev.Headers {
		h.Set(k, v)
	}
	n, err := wechatpay.NewNotifications(fake.Settings("", ""), clock)
	if err != nil {
		t.Fatal(err)
	}
	got, err := n.Parse(context.Background(), h, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := aftersales.RefundNotice{
		Channel:        aftersales.ChannelWeChatPay,
		NotificationID: "EV-2026112710350000000001",
		OutRefundNo:    "as_01JDQ3W7Z8K9M2N4P6R8T0V2X4-1",
		RefundResult: aftersales.RefundResult{
			State:            aftersales.StateSucceeded,
			ProviderRefundID: "50300000000000000000000000001",
			Account:          "支付用户零钱",
			ArrivedAt:        time.Date(2026, 11, 27, 10, 34, 58, 0, time.UTC),
		},
	}
	if got != want {
		t.Fatalf("Parse = %+v,\nwant    %+v", got, want)
	}
}
