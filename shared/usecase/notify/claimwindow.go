package notify

import (
	"context"
	"errors"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// KindClaimWindow is the reminder at delivery of produce (F16): "you may
// claim spoiled items within 24 h".
const KindClaimWindow = "claim_window"

// OrderPage is the mini-program page a notice about an order opens.
const OrderPage = "pages/order/detail?id="

// remindClaimWindow tells the buyer of a delivered order with produce on it
// until when spoiled items may be claimed: the window the rule set keeps
// (aftersales.ProduceClaimWindow), counted from delivery. Nothing is said
// when no rule limits produce claims, when the order is not (or no longer)
// a delivered produce order, or when the window has already passed (a
// late delivery event). Like every notice, the inbox has it first, and
// each channel sends it once per order.
func (s *Service) remindClaimWindow(ctx context.Context, a aftersales.Announcement) error {
	o, err := s.Orders.GetOrder(ctx, a.OrderID)
	if err != nil {
		return err // not found is final for the queue consumer
	}
	if !aftersales.NeedsClaimReminder(o) {
		return nil
	}
	rs := aftersales.DefaultRuleSet()
	if s.Rules != nil {
		switch stored, err := s.Rules.GetRuleSet(ctx); {
		case err == nil:
			rs = stored
		case !errors.Is(err, aftersales.ErrNotFound):
			return err
		}
	}
	window, ok := aftersales.ProduceClaimWindow(rs)
	if !ok {
		return nil
	}
	due := o.DeliveredAt.Add(window)
	if !s.Clock.Now().Before(due) {
		return nil
	}
	lang := aftersales.LanguageOf(o)
	r, err := s.Templates.RenderClaimWindow(lang, o, window, due)
	if err != nil {
		return aftersales.Wrap(aftersales.KindInternal, "notify.render", err)
	}
	recipient, eventID := aftersales.BuyerRecipient(o.BuyerID), a.EventID()
	item := &aftersales.InboxItem{ID: aftersales.InboxItemID(recipient, eventID), Recipient: recipient,
		EventID: eventID, Kind: KindClaimWindow, Title: r.Title, Body: r.Body, Language: lang, CreatedAt: s.Clock.Now().UTC()}
	if _, err := s.Inbox.PutInboxItem(ctx, item); err != nil {
		return err // nothing is sent before the inbox has it
	}
	var errs []error
	for _, sender := range s.Senders {
		m := aftersales.Outbound{EventID: eventID, Channel: sender.Channel(), Kind: KindClaimWindow, Language: lang,
			Fields: r.Fields, Text: r.SMS, Page: OrderPage + o.ID}
		if err := s.send(ctx, sender, m, o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
