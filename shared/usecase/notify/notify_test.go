package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/notify"
)

// fakeSender is a channel whose failures the test sets: fail makes every
// send fail with that error.
type fakeSender struct {
	ch   aftersales.Channel
	mu   sync.Mutex
	fail error
	sent []aftersales.Outbound
}

func (f *fakeSender) Channel() aftersales.Channel { return f.ch }

func (f *fakeSender) Send(_ context.Context, m aftersales.Outbound) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	f.sent = append(f.sent, m)
	return fmt.Sprintf("msg-%d", len(f.sent)), nil
}

func (f *fakeSender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

type fixture struct {
	store       *memstore.Store
	inbox       *memstore.Inbox
	wechat, sms *fakeSender
	svc         *notify.Service
	clock       *storetest.FakeClock
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newFixture(t *testing.T, order func(*aftersales.Order)) *fixture {
	t.Helper()
	clock := storetest.NewFakeClock(storetest.Epoch)
	f := &fixture{store: memstore.New(clock), inbox: memstore.NewInbox(), clock: clock,
		wechat: &fakeSender{ch: aftersales.ChannelWeChat}, sms: &fakeSender{ch: aftersales.ChannelSMS}}
	o := &aftersales.Order{ID: "o-1", Version: 1, EventID: "e1", BuyerID: "b1", BuyerPhone: "13800000000", BuyerOpenID: "oid-b1",
		Status: aftersales.OrderDelivered, Currency: "CNY", Payment: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, Amount: 1000},
		Lines: []aftersales.OrderLine{{LineID: "l1", Kind: aftersales.KindPhysical, Quantity: 1, PaidAmount: 1000}}}
	if order != nil {
		order(o)
	}
	if err := f.store.PutOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	f.svc = &notify.Service{Cases: f.store, Orders: f.store, Inbox: f.inbox, Deliveries: f.inbox,
		Senders: []aftersales.Sender{f.wechat, f.sms}, Templates: notify.MustLoadTemplates(), Clock: clock, Logger: quiet}
	return f
}

// caseWith stores a case of o-1 that went through actions and returns it.
func (f *fixture) caseWith(t *testing.T, actions ...aftersales.Action) *aftersales.Case {
	t.Helper()
	c := &aftersales.Case{ID: "as_1", OrderID: "o-1", BuyerID: "b1", Type: aftersales.RefundOnly, Currency: "CNY", Requested: 1000,
		Lines: []aftersales.CaseLine{{LineID: "l1", Quantity: 1, Amount: 1000}}, CreatedAt: storetest.Epoch}
	if err := c.Apply(aftersales.Change{Action: aftersales.ActSubmit, Actor: "buyer:b1", At: storetest.Epoch}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateCase(t.Context(), c, nil); err != nil {
		t.Fatal(err)
	}
	for i, a := range actions {
		prev := c.Version
		if err := c.Apply(aftersales.Change{Action: a, Actor: "system", At: storetest.Epoch.Add(time.Duration(i+1) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := f.store.UpdateCase(t.Context(), c, prev); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (f *fixture) inboxOf(t *testing.T, recipient string) aftersales.InboxPage {
	t.Helper()
	page, err := f.inbox.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: recipient})
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func TestNotifyOnceHoweverOftenDelivered(t *testing.T) {
	f := newFixture(t, func(o *aftersales.Order) { o.Language = aftersales.LangEN })
	c := f.caseWith(t, aftersales.ActReject)
	a := aftersales.Announcement{CaseID: c.ID, Seq: 2}
	for i := range 3 {
		if err := f.svc.Notify(t.Context(), a); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	page := f.inboxOf(t, aftersales.BuyerRecipient("b1"))
	if len(page.Items) != 1 || page.Unread != 1 {
		t.Fatalf("inbox %+v, want one item", page)
	}
	if n := page.Items[0]; n.Title != "After-sales: Rejected" || n.EventID != "as_1#2" || n.Language != aftersales.LangEN {
		t.Fatalf("item %+v", n)
	}
	if f.wechat.count() != 1 || f.sms.count() != 1 {
		t.Fatalf("sent %d on WeChat and %d by SMS, want 1 and 1", f.wechat.count(), f.sms.count())
	}
	m := f.wechat.sent[0]
	if m.To != "oid-b1" || m.Fields["thing2"] != "Rejected" || m.Page != notify.MiniProgramPage+"as_1" || f.sms.sent[0].To != "13800000000" {
		t.Fatalf("sent %+v and %+v", m, f.sms.sent[0])
	}
	if len(f.inboxOf(t, aftersales.RecipientStaff).Items) != 0 {
		t.Fatal("a rejection told staff")
	}
}

func TestSenderDownLosesNothingSendsNothingTwice(t *testing.T) {
	f := newFixture(t, nil)
	c := f.caseWith(t, aftersales.ActReject)
	a := aftersales.Announcement{CaseID: c.ID, Seq: 2}
	f.wechat.fail = aftersales.E(aftersales.KindTransient, "wechat", "system busy")
	for i := range 3 {
		if err := f.svc.Notify(t.Context(), a); err == nil {
			t.Fatalf("delivery %d succeeded while WeChat is down; the queue would not retry", i)
		}
		// The inbox has it from the first try; SMS went once.
		if page := f.inboxOf(t, aftersales.BuyerRecipient("b1")); len(page.Items) != 1 || f.sms.count() != 1 {
			t.Fatalf("try %d: inbox %d items, %d SMS", i, len(page.Items), f.sms.count())
		}
	}
	f.wechat.fail = nil
	for range 2 {
		if err := f.svc.Notify(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	if f.wechat.count() != 1 || f.sms.count() != 1 || len(f.inboxOf(t, aftersales.BuyerRecipient("b1")).Items) != 1 {
		t.Fatalf("after recovery: %d WeChat, %d SMS; want 1 and 1", f.wechat.count(), f.sms.count())
	}
	d, err := f.inbox.GetDelivery(t.Context(), "as_1#2", aftersales.ChannelWeChat)
	if err != nil || d.Status != aftersales.DeliverySent || d.Detail != "msg-1" {
		t.Fatalf("record %+v, %v", d, err)
	}
}

func TestSkippedSends(t *testing.T) {
	tests := []struct {
		name       string
		order      func(*aftersales.Order)
		wechatFail error
		wantWeChat aftersales.DeliveryStatus
		wantSMS    aftersales.DeliveryStatus
	}{
		{"not subscribed (43101): skipped, not retried", nil,
			fmt.Errorf("wechat: 43101 user refuse to accept the msg: %w", aftersales.ErrNotReachable), aftersales.DeliverySkipped, aftersales.DeliverySent},
		{"the buyer agreed to WeChat only", func(o *aftersales.Order) { o.NotifyChannels = []aftersales.Channel{aftersales.ChannelWeChat} },
			nil, aftersales.DeliverySent, aftersales.DeliverySkipped},
		{"no openid", func(o *aftersales.Order) { o.BuyerOpenID = "" }, nil, aftersales.DeliverySkipped, aftersales.DeliverySent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.order)
			c := f.caseWith(t, aftersales.ActReject)
			f.wechat.fail = tc.wechatFail
			for range 2 {
				if err := f.svc.Notify(t.Context(), aftersales.Announcement{CaseID: c.ID, Seq: 2}); err != nil {
					t.Fatal(err)
				}
			}
			for ch, want := range map[aftersales.Channel]aftersales.DeliveryStatus{aftersales.ChannelWeChat: tc.wantWeChat, aftersales.ChannelSMS: tc.wantSMS} {
				d, err := f.inbox.GetDelivery(t.Context(), "as_1#2", ch)
				if err != nil || d.Status != want {
					t.Errorf("%s: %+v, %v; want %s", ch, d, err, want)
				}
			}
			wantSMS := 0
			if tc.wantSMS == aftersales.DeliverySent {
				wantSMS = 1
			}
			if f.sms.count() != wantSMS || len(f.inboxOf(t, aftersales.BuyerRecipient("b1")).Items) != 1 {
				t.Fatalf("%d SMS, want %d; the inbox must have it either way", f.sms.count(), wantSMS)
			}
		})
	}
}

func TestWhoIsTold(t *testing.T) {
	tests := []struct {
		name      string
		entry     aftersales.TimelineEntry
		wantKinds []notify.Notice
	}{
		{"a status change tells the buyer", aftersales.TimelineEntry{Action: aftersales.ActApprove, From: aftersales.StatusSubmitted, To: aftersales.StatusRefunding},
			[]notify.Notice{{To: notify.ToBuyer, Kind: notify.KindStatusChanged}}},
		{"a wait tells no one", aftersales.TimelineEntry{Action: aftersales.ActAwait, From: aftersales.StatusPendingReview, To: aftersales.StatusPendingReview}, nil},
		{"evidence added in place tells no one", aftersales.TimelineEntry{Action: aftersales.ActAttachEvidence, From: aftersales.StatusSubmitted, To: aftersales.StatusSubmitted}, nil},
		{"refund started", aftersales.TimelineEntry{Action: aftersales.ActRefundStarted, From: aftersales.StatusRefunding, To: aftersales.StatusRefunding},
			[]notify.Notice{{To: notify.ToBuyer, Kind: "refund_started"}}},
		{"a dispute tells the buyer and staff", aftersales.TimelineEntry{Action: aftersales.ActOpenDispute, From: aftersales.StatusRejected, To: aftersales.StatusDisputed},
			[]notify.Notice{{To: notify.ToBuyer, Kind: notify.KindStatusChanged}, {To: notify.ToStaff, Kind: "dispute_opened"}}},
		{"an escalation tells the arbitrators too", aftersales.TimelineEntry{Action: aftersales.ActEscalate, From: aftersales.StatusDisputed, To: aftersales.StatusEscalated},
			[]notify.Notice{{To: notify.ToBuyer, Kind: notify.KindStatusChanged}, {To: notify.ToStaff, Kind: "dispute_escalated"},
				{To: notify.ToPlatform, Kind: "dispute_escalated"}}},
		{"the buyer's message tells staff", aftersales.TimelineEntry{Action: aftersales.ActMessage, Actor: "buyer:b1", From: aftersales.StatusDisputed, To: aftersales.StatusDisputed},
			[]notify.Notice{{To: notify.ToStaff, Kind: "staff_message_received"}}},
		{"staff's message tells the buyer", aftersales.TimelineEntry{Action: aftersales.ActMessage, Actor: "staff:s1", From: aftersales.StatusDisputed, To: aftersales.StatusDisputed},
			[]notify.Notice{{To: notify.ToBuyer, Kind: "message_received"}}},
		{"the buyer's message once escalated tells the arbitrators too", aftersales.TimelineEntry{Action: aftersales.ActMessage, Actor: "buyer:b1",
			From: aftersales.StatusEscalated, To: aftersales.StatusEscalated},
			[]notify.Notice{{To: notify.ToStaff, Kind: "staff_message_received"}, {To: notify.ToPlatform, Kind: "staff_message_received"}}},
		{"an arbitrator's message tells both sides", aftersales.TimelineEntry{Action: aftersales.ActMessage, Actor: "arbitrator:a1", From: aftersales.StatusEscalated, To: aftersales.StatusEscalated},
			[]notify.Notice{{To: notify.ToBuyer, Kind: "message_received"}, {To: notify.ToStaff, Kind: "staff_message_received"}}},
		{"the merchant's proposal tells the buyer", aftersales.TimelineEntry{Action: aftersales.ActPropose, Actor: "staff:s1", From: aftersales.StatusDisputed, To: aftersales.StatusDisputed},
			[]notify.Notice{{To: notify.ToBuyer, Kind: "proposal_received"}}},
		{"the buyer's proposal tells staff", aftersales.TimelineEntry{Action: aftersales.ActPropose, Actor: "buyer:b1", From: aftersales.StatusDisputed, To: aftersales.StatusDisputed},
			[]notify.Notice{{To: notify.ToStaff, Kind: "staff_proposal_received"}}},
		{"an agreement tells both", aftersales.TimelineEntry{Action: aftersales.ActAgree, Actor: "buyer:b1", From: aftersales.StatusDisputed, To: aftersales.StatusRefunding},
			[]notify.Notice{{To: notify.ToBuyer, Kind: notify.KindStatusChanged}, {To: notify.ToStaff, Kind: "staff_dispute_resolved"}}},
		{"a missed deadline tells staff only", aftersales.TimelineEntry{Action: aftersales.ActRemind, From: aftersales.StatusRefunding, To: aftersales.StatusRefunding},
			[]notify.Notice{{To: notify.ToStaff, Kind: "deadline_missed"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := notify.NoticesFor(tc.entry); fmt.Sprint(got) != fmt.Sprint(tc.wantKinds) {
				t.Fatalf("got %v, want %v", got, tc.wantKinds)
			}
		})
	}
	t.Run("staff notices reach the staff inbox and no channel", func(t *testing.T) {
		f := newFixture(t, nil)
		c := f.caseWith(t, aftersales.ActReject, aftersales.ActOpenDispute)
		if err := f.svc.Notify(t.Context(), aftersales.Announcement{CaseID: c.ID, Seq: 3}); err != nil {
			t.Fatal(err)
		}
		staff := f.inboxOf(t, aftersales.RecipientStaff)
		if len(staff.Items) != 1 || staff.Items[0].Kind != "dispute_opened" || staff.Items[0].Title != "买家发起协商" {
			t.Fatalf("staff inbox %+v", staff)
		}
		if f.wechat.count() != 1 || f.sms.count() != 1 {
			t.Fatalf("sent %d WeChat, %d SMS: the buyer's notice only", f.wechat.count(), f.sms.count())
		}
	})
}

// fakeAnnouncer records announcements, or fails with err.
type fakeAnnouncer struct {
	mu  sync.Mutex
	got []aftersales.Announcement
	err error
}

func (f *fakeAnnouncer) Announce(_ context.Context, as []aftersales.Announcement) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.got = append(f.got, as...)
	return nil
}

func TestAnnouncing(t *testing.T) {
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.New(clock)
	ann := &fakeAnnouncer{}
	cases := &notify.Announcing{CaseStore: store, Announcer: ann, Logger: quiet}
	c := &aftersales.Case{ID: "as_1", OrderID: "o-1", BuyerID: "b1", Type: aftersales.RefundOnly, CreatedAt: storetest.Epoch}
	apply := func(a aftersales.Action) int {
		prev := c.Version
		if err := c.Apply(aftersales.Change{Action: a, Actor: "system", At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		return prev
	}
	apply(aftersales.ActSubmit)
	if err := cases.CreateCase(t.Context(), c, nil); err != nil {
		t.Fatal(err)
	}
	// Two entries in one write: only the status change is told.
	prev := apply(aftersales.ActSendToReview)
	apply(aftersales.ActAwait)
	if err := cases.UpdateCase(t.Context(), c, prev); err != nil {
		t.Fatal(err)
	}
	if want := "[{as_1 1 } {as_1 2 }]"; fmt.Sprint(ann.got) != want {
		t.Fatalf("announced %v, want %v", ann.got, want)
	}
	t.Run("a refused write announces nothing", func(t *testing.T) {
		stale := *c
		stale.Timeline = append([]aftersales.TimelineEntry(nil), c.Timeline...)
		if err := stale.Apply(aftersales.Change{Action: aftersales.ActReject, Actor: "system", At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := cases.UpdateCase(t.Context(), &stale, 1); !errors.Is(err, aftersales.ErrVersionConflict) {
			t.Fatalf("got %v", err)
		}
		if len(ann.got) != 2 {
			t.Fatalf("announced %v after a refused write", ann.got)
		}
	})
	t.Run("a queue outage never fails the change", func(t *testing.T) {
		ann.err = aftersales.E(aftersales.KindTransient, "sqs", "down")
		prev := apply(aftersales.ActReject)
		if err := cases.UpdateCase(t.Context(), c, prev); err != nil {
			t.Fatalf("the change failed with the queue: %v", err)
		}
		got, err := store.GetCase(t.Context(), "as_1")
		if err != nil || got.Status != aftersales.StatusRejected {
			t.Fatalf("stored %+v, %v", got, err)
		}
	})
}

func TestInboxUseCase(t *testing.T) {
	clock := storetest.NewFakeClock(storetest.Epoch)
	store := memstore.NewInbox()
	uc := &notify.Inbox{Store: store, Clock: clock}
	buyer := aftersales.Principal{ID: "b1", Roles: []aftersales.Role{aftersales.RoleBuyer}}
	other := aftersales.Principal{ID: "b2", Roles: []aftersales.Role{aftersales.RoleBuyer}}
	staff := aftersales.Principal{ID: "s1", Roles: []aftersales.Role{aftersales.RoleReviewer}}
	for _, n := range []aftersales.InboxItem{
		{Recipient: aftersales.BuyerRecipient("b1"), EventID: "as_1#2", Title: "mine"},
		{Recipient: aftersales.RecipientStaff, EventID: "as_1#3", Title: "staff"},
	} {
		n.ID, n.CreatedAt = aftersales.InboxItemID(n.Recipient, n.EventID), clock.Now()
		if _, err := store.PutInboxItem(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		who       aftersales.Principal
		wantTitle string
	}{
		{"a buyer sees their own", buyer, "mine"},
		{"another buyer sees nothing", other, ""},
		{"staff see the staff inbox", staff, "staff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := uc.List(t.Context(), tc.who, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			var titles string
			for _, n := range page.Items {
				titles += n.Title
			}
			if titles != tc.wantTitle {
				t.Fatalf("titles %q, want %q", titles, tc.wantTitle)
			}
		})
	}
	mine := aftersales.InboxItemID(aftersales.BuyerRecipient("b1"), "as_1#2")
	if _, err := uc.MarkRead(t.Context(), other, mine); !errors.Is(err, aftersales.ErrNotFound) {
		t.Fatalf("another buyer marked it: %v", err)
	}
	if _, err := uc.MarkRead(t.Context(), staff, mine); !errors.Is(err, aftersales.ErrNotFound) {
		t.Fatalf("staff marked a buyer's item: %v", err)
	}
	n, err := uc.MarkRead(t.Context(), buyer, mine)
	if err != nil || !n.ReadAt.Equal(storetest.Epoch) {
		t.Fatalf("%+v, %v", n, err)
	}
	if _, err := uc.List(t.Context(), aftersales.Principal{ID: "x"}, "", 0); aftersales.KindOf(err) != aftersales.KindForbidden {
		t.Fatalf("no role: %v", err)
	}
	if _, err := uc.List(t.Context(), buyer, "", 101); aftersales.KindOf(err) != aftersales.KindInvalid {
		t.Fatalf("limit 101: %v", err)
	}
}

// TestDuplicateDeliveryWaitsForTheHolder: a second delivery of the same
// announcement while the first is sending waits for its outcome and sends
// nothing itself.
func TestDuplicateDeliveryWaitsForTheHolder(t *testing.T) {
	f := newFixture(t, nil)
	c := f.caseWith(t, aftersales.ActReject)
	// The first delivery holds the WeChat claim.
	now := f.clock.Now()
	if err := f.inbox.ClaimDelivery(t.Context(), "as_1#2", aftersales.ChannelWeChat, now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.svc.Notify(t.Context(), aftersales.Announcement{CaseID: c.ID, Seq: 2}) }()
	// The holder finishes while the duplicate waits.
	if err := f.inbox.FinishDelivery(t.Context(), aftersales.Delivery{EventID: "as_1#2", Channel: aftersales.ChannelWeChat,
		Status: aftersales.DeliverySent, At: now}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the duplicate failed: %v", err)
	}
	if f.wechat.count() != 0 {
		t.Fatalf("the duplicate sent %d WeChat messages; the holder had sent it", f.wechat.count())
	}
}
