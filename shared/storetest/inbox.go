package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// InboxStores is one fresh, empty inbox store and send record store.
type InboxStores struct {
	Inbox      aftersales.InboxStore
	Deliveries aftersales.DeliveryStore
}

// inboxItem returns item number i of buyer b's inbox for case c, created i
// seconds after Epoch.
func inboxItem(recipient, caseID string, seq int) *aftersales.InboxItem {
	ev := aftersales.CaseEventID(caseID, seq)
	return &aftersales.InboxItem{ID: aftersales.InboxItemID(recipient, ev), Recipient: recipient, CaseID: caseID, EventID: ev,
		Kind: "status_changed", Title: fmt.Sprintf("title %d", seq), Body: "body", Language: "zh-CN",
		CreatedAt: Epoch.Add(time.Duration(seq) * time.Second)}
}

// RunInbox is the conformance suite of InboxStore and DeliveryStore
// implementations.
func RunInbox(t *testing.T, open func(t *testing.T) InboxStores) {
	alice, bob := aftersales.BuyerRecipient("alice"), aftersales.BuyerRecipient("bob")
	t.Run("an event is written once, however often it is put", func(t *testing.T) {
		s := open(t).Inbox
		n := inboxItem(alice, "as_1", 2)
		for i, want := range []bool{true, false, false} {
			again := *n
			again.Title = fmt.Sprintf("rendered again %d", i) // a redelivery may render differently
			wrote, err := s.PutInboxItem(t.Context(), &again)
			if err != nil || wrote != want {
				t.Fatalf("put %d: wrote %v, %v; want %v", i, wrote, err, want)
			}
		}
		page, err := s.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: alice})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Unread != 1 || page.Items[0].Title != "rendered again 0" {
			t.Fatalf("page %+v, want the first write only, unread 1", page)
		}
		got := page.Items[0]
		if got.ID != n.ID || got.CaseID != "as_1" || got.EventID != "as_1#2" || got.Kind != "status_changed" ||
			got.Language != "zh-CN" || got.Body != "body" || !got.CreatedAt.Equal(n.CreatedAt) || got.Read() {
			t.Fatalf("item %+v, want %+v", got, n)
		}
	})
	t.Run("racing deliveries of one event write once", func(t *testing.T) {
		s := open(t).Inbox
		var wrote atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				ok, err := s.PutInboxItem(t.Context(), inboxItem(alice, "as_1", 3))
				if err != nil {
					t.Error(err)
				}
				if ok {
					wrote.Add(1)
				}
			})
		}
		wg.Wait()
		page, err := s.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: alice})
		if err != nil {
			t.Fatal(err)
		}
		if wrote.Load() != 1 || len(page.Items) != 1 || page.Unread != 1 {
			t.Fatalf("wrote %d times, page %d items, unread %d; want 1, 1, 1", wrote.Load(), len(page.Items), page.Unread)
		}
	})
	t.Run("pages newest first, one recipient only", func(t *testing.T) {
		s := open(t).Inbox
		for seq := 1; seq <= 5; seq++ {
			if _, err := s.PutInboxItem(t.Context(), inboxItem(alice, "as_1", seq)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.PutInboxItem(t.Context(), inboxItem(bob, "as_2", 9)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutInboxItem(t.Context(), inboxItem(aftersales.RecipientStaff, "as_1", 4)); err != nil {
			t.Fatal(err)
		}
		var titles []string
		cursor, pages := "", 0
		for {
			page, err := s.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: alice, Cursor: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if page.Unread != 5 {
				t.Fatalf("unread %d on page %d, want 5 (the whole inbox's)", page.Unread, pages)
			}
			for _, n := range page.Items {
				if n.Recipient != alice {
					t.Fatalf("alice's inbox lists %+v", n)
				}
				titles = append(titles, n.Title)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		want := []string{"title 5", "title 4", "title 3", "title 2", "title 1"}
		if fmt.Sprint(titles) != fmt.Sprint(want) || pages != 3 {
			t.Fatalf("titles %v in %d pages, want %v in 3", titles, pages, want)
		}
		staff, err := s.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: aftersales.RecipientStaff})
		if err != nil || len(staff.Items) != 1 || staff.Items[0].CaseID != "as_1" {
			t.Fatalf("staff inbox %+v, %v", staff, err)
		}
		empty, err := s.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: aftersales.BuyerRecipient("carol")})
		if err != nil || len(empty.Items) != 0 || empty.Unread != 0 || empty.NextCursor != "" {
			t.Fatalf("an empty inbox: %+v, %v", empty, err)
		}
	})
	t.Run("a bad cursor names the field", func(t *testing.T) {
		s := open(t).Inbox
		_, err := s.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: alice, Cursor: "nope"})
		var e *aftersales.Error
		if aftersales.KindOf(err) != aftersales.KindInvalid || !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "cursor" {
			t.Fatalf("got %v, want KindInvalid naming cursor", err)
		}
	})
	t.Run("mark read: once, by its recipient only", func(t *testing.T) {
		s := open(t).Inbox
		a, b := inboxItem(alice, "as_1", 1), inboxItem(alice, "as_1", 2)
		for _, n := range []*aftersales.InboxItem{a, b} {
			if _, err := s.PutInboxItem(t.Context(), n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.MarkInboxRead(t.Context(), bob, a.ID, Epoch); !errors.Is(err, aftersales.ErrNotFound) {
			t.Fatalf("bob marked alice's item: %v, want ErrNotFound", err)
		}
		if _, err := s.MarkInboxRead(t.Context(), alice, "nt_unknown", Epoch); !errors.Is(err, aftersales.ErrNotFound) {
			t.Fatalf("unknown item: %v, want ErrNotFound", err)
		}
		first := Epoch.Add(time.Hour)
		for i, at := range []time.Time{first, first.Add(time.Hour)} {
			got, err := s.MarkInboxRead(t.Context(), alice, a.ID, at)
			if err != nil {
				t.Fatalf("mark %d: %v", i, err)
			}
			if !got.ReadAt.Equal(first) || got.ID != a.ID {
				t.Fatalf("mark %d: %+v, want read at %v (the first mark)", i, got, first)
			}
		}
		page, err := s.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: alice})
		if err != nil {
			t.Fatal(err)
		}
		if page.Unread != 1 || len(page.Items) != 2 || page.Items[1].ID != a.ID || !page.Items[1].Read() || page.Items[0].Read() {
			t.Fatalf("page %+v, want one unread (the newer)", page)
		}
	})
	t.Run("a send is claimed once and finished for good", func(t *testing.T) {
		s := open(t).Deliveries
		ctx, ev := t.Context(), "as_1#2"
		steps := []struct {
			name string
			do   func() error
			want error
		}{
			{"claim", func() error { return s.ClaimDelivery(ctx, ev, aftersales.ChannelWeChat, Epoch, Epoch.Add(time.Minute)) }, nil},
			{"a second claim while the first lives", func() error {
				return s.ClaimDelivery(ctx, ev, aftersales.ChannelWeChat, Epoch.Add(time.Second), Epoch.Add(time.Minute))
			}, aftersales.ErrDeliveryBusy},
			{"another channel is its own", func() error { return s.ClaimDelivery(ctx, ev, aftersales.ChannelSMS, Epoch, Epoch.Add(time.Minute)) }, nil},
			{"release the failed send", func() error { return s.ReleaseDelivery(ctx, ev, aftersales.ChannelWeChat) }, nil},
			{"claim again after the release", func() error {
				return s.ClaimDelivery(ctx, ev, aftersales.ChannelWeChat, Epoch.Add(2*time.Second), Epoch.Add(time.Minute))
			}, nil},
			{"an expired claim is taken over", func() error {
				return s.ClaimDelivery(ctx, ev, aftersales.ChannelWeChat, Epoch.Add(time.Minute), Epoch.Add(2*time.Minute))
			}, nil},
			{"finish", func() error {
				return s.FinishDelivery(ctx, aftersales.Delivery{EventID: ev, Channel: aftersales.ChannelWeChat,
					Status: aftersales.DeliverySent, Detail: "msg-1", At: Epoch.Add(time.Minute)})
			}, nil},
			{"a finished send is never claimed again", func() error {
				return s.ClaimDelivery(ctx, ev, aftersales.ChannelWeChat, Epoch.Add(time.Hour), Epoch.Add(2*time.Hour))
			}, aftersales.ErrDelivered},
			{"a release leaves a finished send", func() error { return s.ReleaseDelivery(ctx, ev, aftersales.ChannelWeChat) }, nil},
			{"still finished", func() error {
				return s.ClaimDelivery(ctx, ev, aftersales.ChannelWeChat, Epoch.Add(time.Hour), Epoch.Add(2*time.Hour))
			}, aftersales.ErrDelivered},
		}
		for _, st := range steps {
			err := st.do()
			if (st.want == nil && err != nil) || (st.want != nil && !errors.Is(err, st.want)) {
				t.Fatalf("%s: %v, want %v", st.name, err, st.want)
			}
		}
		d, err := s.GetDelivery(ctx, ev, aftersales.ChannelWeChat)
		if err != nil || d.Status != aftersales.DeliverySent || d.Detail != "msg-1" || !d.At.Equal(Epoch.Add(time.Minute)) {
			t.Fatalf("record %+v, %v", d, err)
		}
		if _, err := s.GetDelivery(ctx, "as_9#1", aftersales.ChannelWeChat); !errors.Is(err, aftersales.ErrNotFound) {
			t.Fatalf("unknown record: %v", err)
		}
	})
	t.Run("racing claims: one wins", func(t *testing.T) {
		s := open(t).Deliveries
		var won atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				err := s.ClaimDelivery(t.Context(), "as_1#5", aftersales.ChannelSMS, Epoch, Epoch.Add(time.Minute))
				switch {
				case err == nil:
					won.Add(1)
				case !errors.Is(err, aftersales.ErrDeliveryBusy):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d claims won, want 1", won.Load())
		}
	})
}
