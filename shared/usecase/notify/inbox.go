package notify

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Inbox is the use case of GET /v1/notifications and POST
// /v1/notifications/{id}/read: a buyer reads their own inbox, staff read
// the one staff inbox, arbitrators the platform's.
type Inbox struct {
	Store aftersales.InboxStore
	Clock aftersales.Clock
}

// recipientOf is p's inbox.
func recipientOf(op string, p aftersales.Principal) (string, error) {
	switch {
	case p.IsStaff():
		return aftersales.RecipientStaff, nil
	case p.Has(aftersales.RoleArbitrator):
		return aftersales.RecipientPlatform, nil
	case p.Has(aftersales.RoleBuyer) && p.ID != "":
		return aftersales.BuyerRecipient(p.ID), nil
	}
	return "", aftersales.E(aftersales.KindForbidden, op, "the caller has no role this API knows (buyer, reviewer, admin or arbitrator)")
}

// List returns a page of p's inbox, newest first, with the unread count.
func (s *Inbox) List(ctx context.Context, p aftersales.Principal, cursor string, limit int) (aftersales.InboxPage, error) {
	const op = "notify.list"
	r, err := recipientOf(op, p)
	if err != nil {
		return aftersales.InboxPage{}, err
	}
	if limit < 0 || limit > aftersales.MaxPageSize {
		return aftersales.InboxPage{}, aftersales.Invalid(op, "limit", "must be between 1 and %d", aftersales.MaxPageSize)
	}
	return s.Store.ListInbox(ctx, aftersales.InboxQuery{Recipient: r, Cursor: cursor, Limit: limit})
}

// MarkRead marks p's item id read; another's item is not found.
func (s *Inbox) MarkRead(ctx context.Context, p aftersales.Principal, id string) (*aftersales.InboxItem, error) {
	r, err := recipientOf("notify.mark_read", p)
	if err != nil {
		return nil, err
	}
	return s.Store.MarkInboxRead(ctx, r, id, s.Clock.Now())
}
