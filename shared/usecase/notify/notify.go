// Package notify tells buyers and staff what happened to a case (F6). A
// case change is announced on the notifications queue (Announcing); the
// notifier (Service.Notify) renders each notice in the buyer's language,
// writes the inbox entry FIRST, then sends it on every channel the
// merchant enables and the buyer agreed to, each send once per (event id,
// channel). A failed send fails the message so the queue retries it (and
// after its receives, dead-letters it); the inbox entry and the sends
// already done are not repeated.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// MiniProgramPage is the page a subscribe message opens: the case.
const MiniProgramPage = "pages/aftersales/detail?id="

// Service is the notifier.
type Service struct {
	Cases      aftersales.CaseStore // read only
	Orders     aftersales.OrderStore
	Inbox      aftersales.InboxStore
	Deliveries aftersales.DeliveryStore
	// Senders are the channels the merchant enables (a sender not wired is
	// a channel turned off).
	Senders   []aftersales.Sender
	Templates *Templates
	// Rules is read for the produce claim window a delivery reminder
	// promises (nil: the default rule set).
	Rules  aftersales.RuleSetStore
	Clock  aftersales.Clock
	Logger *slog.Logger
}

// Notify tells everything announcement a says. Its error means: retry the
// whole announcement later; what was done is not done again.
func (s *Service) Notify(ctx context.Context, a aftersales.Announcement) error {
	const op = "notify.notify"
	if a.OrderID != "" {
		return s.remindClaimWindow(ctx, a)
	}
	c, err := s.Cases.GetCase(ctx, a.CaseID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(c.Timeline, func(e aftersales.TimelineEntry) bool { return e.Seq == a.Seq })
	if i < 0 {
		// Entries are written with their version; a missing one is not
		// going to appear.
		return aftersales.NotFound(op, fmt.Sprintf("case %s has no timeline entry %d", a.CaseID, a.Seq))
	}
	e := c.Timeline[i]
	o, err := s.Orders.GetOrder(ctx, c.OrderID)
	if err != nil && !errors.Is(err, aftersales.ErrNotFound) {
		return err
	}
	var errs []error
	for _, n := range NoticesFor(e) {
		if err := s.tell(ctx, c, o, e, a.EventID(), n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tell renders one notice, writes it to the inbox, and sends it.
func (s *Service) tell(ctx context.Context, c *aftersales.Case, o *aftersales.Order, e aftersales.TimelineEntry, eventID string, n Notice) error {
	recipient, lang := aftersales.RecipientStaff, aftersales.LangZhCN
	switch n.To {
	case ToBuyer:
		recipient, lang = aftersales.BuyerRecipient(c.BuyerID), aftersales.LanguageOf(o)
	case ToPlatform:
		recipient = aftersales.RecipientPlatform
	}
	r, err := s.Templates.Render(lang, n.Kind, c, e)
	if err != nil {
		return aftersales.Wrap(aftersales.KindInternal, "notify.render", err)
	}
	item := &aftersales.InboxItem{ID: aftersales.InboxItemID(recipient, eventID), Recipient: recipient, CaseID: c.ID,
		EventID: eventID, Kind: n.Kind, Title: r.Title, Body: r.Body, Language: lang, CreatedAt: e.At}
	if _, err := s.Inbox.PutInboxItem(ctx, item); err != nil {
		return err // nothing is sent before the inbox has it
	}
	if n.To != ToBuyer {
		return nil
	}
	var errs []error
	for _, sender := range s.Senders {
		m := aftersales.Outbound{EventID: eventID, Channel: sender.Channel(), Kind: n.Kind, Language: lang,
			Fields: r.Fields, Text: r.SMS, Page: MiniProgramPage + c.ID}
		if err := s.send(ctx, sender, m, o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// send sends m once: it claims the send, and records it sent, or skipped
// when the channel refuses it for good; any other failure releases the
// claim for the queue's retry.
func (s *Service) send(ctx context.Context, sender aftersales.Sender, m aftersales.Outbound, o *aftersales.Order) error {
	err := s.claim(ctx, m)
	switch {
	case errors.Is(err, aftersales.ErrDelivered):
		return nil
	case err != nil:
		return err
	}
	done := aftersales.Delivery{EventID: m.EventID, Channel: m.Channel, Status: aftersales.DeliverySkipped}
	m.To = address(o, m.Channel)
	switch {
	case m.To == "":
		done.Detail = "no address: the order has no " + string(m.Channel) + " contact"
	case o != nil && o.NotifyChannels != nil && !slices.Contains(o.NotifyChannels, m.Channel):
		done.Detail = "the buyer did not agree to " + string(m.Channel)
	default:
		id, err := sender.Send(ctx, m)
		switch {
		case errors.Is(err, aftersales.ErrNotReachable):
			done.Detail = err.Error()
		case err != nil:
			if rerr := s.Deliveries.ReleaseDelivery(context.WithoutCancel(ctx), m.EventID, m.Channel); rerr != nil {
				// The claim runs out by itself; the retry waits for it.
				s.Logger.WarnContext(ctx, "release of a failed send failed", "event_id", m.EventID, "err", rerr.Error())
			}
			return fmt.Errorf("send %s on %s: %w", m.EventID, m.Channel, err)
		default:
			done.Status, done.Detail = aftersales.DeliverySent, id
		}
	}
	done.At = s.Clock.Now()
	if err := s.Deliveries.FinishDelivery(context.WithoutCancel(ctx), done); err != nil {
		// Sent but not recorded: the claim runs out and a retry would send
		// again. Report it; it is the one duplicate this design allows.
		return fmt.Errorf("record %s on %s: %w", m.EventID, m.Channel, err)
	}
	s.Logger.InfoContext(ctx, "notification "+string(done.Status), "event_id", m.EventID, "channel", m.Channel,
		"kind", m.Kind, "detail", done.Detail)
	return nil
}

// How long a duplicate delivery waits for the one holding the claim: a
// send takes well under a second, and SQS hands a message to two pollers
// at once (at-least-once delivery), so the second waits for the first's
// outcome rather than failing into a retry after the visibility timeout.
var (
	busyWait  = 50 * time.Millisecond
	busyTries = 40
)

// claim claims m's send, waiting up to busyTries*busyWait while another
// notifier holds it: it ends in nil (ours to send), ErrDelivered (the
// other sent it) or, still held, ErrDeliveryBusy (the queue retries).
func (s *Service) claim(ctx context.Context, m aftersales.Outbound) error {
	for try := 0; ; try++ {
		now := s.Clock.Now()
		err := s.Deliveries.ClaimDelivery(ctx, m.EventID, m.Channel, now, now.Add(aftersales.DeliveryClaimTTL))
		if !errors.Is(err, aftersales.ErrDeliveryBusy) || try == busyTries {
			return err
		}
		t := time.NewTimer(busyWait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// address is o's addressee on ch: the openid or the phone.
func address(o *aftersales.Order, ch aftersales.Channel) string {
	if o == nil {
		return ""
	}
	switch ch {
	case aftersales.ChannelWeChat:
		return o.BuyerOpenID
	case aftersales.ChannelSMS:
		return o.BuyerPhone
	}
	return ""
}
