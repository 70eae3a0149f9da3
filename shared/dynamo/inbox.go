package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var (
	_ aftersales.InboxStore    = (*Store)(nil)
	_ aftersales.DeliveryStore = (*Store)(nil)
)

// Inboxes (F6):
//
//	item             pk                          sk            notes
//	inbox item       INBOX#<recipient>           NOTE#<id>     id derived from (recipient, event id); gsi1pk INBOX#<recipient>
//	unread count     INBOX#<recipient>           UNREAD        unread, a number kept with every put and mark
//	send record      SEND#<event id>#<channel>   SEND          claimed, sent or skipped; TTL 30 days
//
// An inbox lists on GSI1 under INBOX#<recipient> (a prefix no case or
// refund partition has) with the list key created_at#id, so its cursors
// are list cursors. The item id is a hash of recipient and event id, so a
// redelivered event names the same key and attribute_not_exists makes the
// second put a no-op; the put and the unread count's ADD are one
// transaction, so the count never drifts from the items.
const (
	attrRecipient = "recipient"
	attrTitle     = "title"
	attrBody      = "body"
	attrLanguage  = "language"
	attrReadAt    = "read_at"
	attrUnread    = "unread"
	attrDetail    = "detail"
	// An order's notification settings (F6).
	attrOpenID         = "buyer_openid"
	attrNotifyChannels = "notify_channels" // string set

	entityInbox       = "inbox_item"
	entityInboxCount  = "inbox_count"
	entityDelivery    = "delivery"
	skUnread          = "UNREAD"
	skSend            = "SEND"
	inboxItemPfx      = "NOTE#"
	deliveryRetention = 30 * 24 * time.Hour // beyond SQS's longest retention (14 days), so no redelivery outlives its record
)

func inboxPK(recipient string) string { return "INBOX#" + recipient }

func sendPK(eventID string, ch aftersales.Channel) string {
	// The channel is last and has no '#', so the split is unambiguous.
	return "SEND#" + eventID + "#" + string(ch)
}

var inboxShape = shape[aftersales.InboxItem]{
	derived(AttrPK, func(n *aftersales.InboxItem) string { return inboxPK(n.Recipient) }),
	derived(AttrSK, func(n *aftersales.InboxItem) string { return inboxItemPfx + n.ID }),
	fixed[*aftersales.InboxItem](attrEntity, entityInbox),
	derived(AttrGSI1PK, func(n *aftersales.InboxItem) string { return inboxPK(n.Recipient) }),
	derived(AttrGSISK, aftersales.InboxPosition),
	text(attrID, func(n *aftersales.InboxItem) *string { return &n.ID }),
	text(attrRecipient, func(n *aftersales.InboxItem) *string { return &n.Recipient }),
	text(attrCaseID, func(n *aftersales.InboxItem) *string { return &n.CaseID }),
	text(attrEventID, func(n *aftersales.InboxItem) *string { return &n.EventID }),
	text(attrKind, func(n *aftersales.InboxItem) *string { return &n.Kind }),
	text(attrTitle, func(n *aftersales.InboxItem) *string { return &n.Title }),
	text(attrBody, func(n *aftersales.InboxItem) *string { return &n.Body }),
	text(attrLanguage, func(n *aftersales.InboxItem) *string { return &n.Language }),
	instant(attrCreatedAt, func(n *aftersales.InboxItem) *time.Time { return &n.CreatedAt }),
	instant(attrReadAt, func(n *aftersales.InboxItem) *time.Time { return &n.ReadAt }),
}

var deliveryShape = shape[aftersales.Delivery]{
	derived(AttrPK, func(d *aftersales.Delivery) string { return sendPK(d.EventID, d.Channel) }),
	fixed[*aftersales.Delivery](AttrSK, skSend),
	fixed[*aftersales.Delivery](attrEntity, entityDelivery),
	text(attrEventID, func(d *aftersales.Delivery) *string { return &d.EventID }),
	text(attrChannel, func(d *aftersales.Delivery) *aftersales.Channel { return &d.Channel }),
	text(attrStatus, func(d *aftersales.Delivery) *aftersales.DeliveryStatus { return &d.Status }),
	text(attrDetail, func(d *aftersales.Delivery) *string { return &d.Detail }),
	instant(attrAt, func(d *aftersales.Delivery) *time.Time { return &d.At }),
	// A claim's expiry is the exact expires attribute the claim condition
	// compares; TTL (expires_at) is a month on, when DynamoDB may drop it.
	instant(attrExpires, func(d *aftersales.Delivery) *time.Time { return &d.Until }),
	{write: func(w writer, d *aftersales.Delivery) { w.num(AttrTTL, d.At.Add(deliveryRetention).Unix()) }},
}

// PutInboxItem writes n and counts it unread in one transaction, on
// condition that its key is free.
func (s *Store) PutInboxItem(ctx context.Context, n *aftersales.InboxItem) (bool, error) {
	const op = "dynamo.put_inbox_item"
	var pn, un names
	reasons, err := s.transact(ctx, op, []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: inboxShape.encode(n),
			ConditionExpression: aws.String("attribute_not_exists(" + pn.name(AttrPK) + ")"), ExpressionAttributeNames: pn.names}},
		s.unreadAdd(&un, n.Recipient, 1),
	})
	switch {
	case err == nil:
		return true, nil
	case failedCheck(reasons, 0):
		return false, nil
	}
	return false, err
}

// unreadAdd is the update of recipient's unread count by delta.
func (s *Store) unreadAdd(n *names, recipient string, delta int64) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{TableName: s.table, Key: s.key(inboxPK(recipient), skUnread),
		UpdateExpression: aws.String(fmt.Sprintf("SET %s = %s ADD %s %s",
			n.name(attrEntity), n.value(avS(entityInboxCount)), n.name(attrUnread), n.value(avN(delta)))),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values}}
}

// ListInbox reads a page from GSI1 and the unread count.
func (s *Store) ListInbox(ctx context.Context, q aftersales.InboxQuery) (aftersales.InboxPage, error) {
	const op = "dynamo.list_inbox"
	w, err := q.Window(op)
	if err != nil {
		return aftersales.InboxPage{}, err
	}
	lq := listQuery{window: w, index: IndexBuyer, pkAttr: AttrGSI1PK, pks: []string{inboxPK(q.Recipient)}}
	items, next, err := readList(ctx, s, lq, decoder(inboxShape))
	if err != nil {
		return aftersales.InboxPage{}, classify(op, err)
	}
	count, err := s.get(ctx, inboxPK(q.Recipient), skUnread)
	if err != nil {
		return aftersales.InboxPage{}, classify(op, err)
	}
	r := reader{it: count}
	unread := r.num(attrUnread)
	if r.err != nil {
		return aftersales.InboxPage{}, aftersales.Wrap(aftersales.KindInternal, op, r.err)
	}
	return aftersales.InboxPage{Items: items, NextCursor: next, Unread: int(max(unread, 0))}, nil
}

// MarkInboxRead sets read_at and takes one off the unread count in one
// transaction, on condition that the item is the recipient's and unread;
// when the condition fails, a read of the item tells an item read before
// (answered as it is) from one that is not there.
func (s *Store) MarkInboxRead(ctx context.Context, recipient, id string, at time.Time) (*aftersales.InboxItem, error) {
	const op = "dynamo.mark_inbox_read"
	var mn, un names
	_, err := s.transact(ctx, op, []types.TransactWriteItem{
		{Update: &types.Update{TableName: s.table, Key: s.key(inboxPK(recipient), inboxItemPfx+id),
			UpdateExpression: aws.String("SET " + mn.name(attrReadAt) + " = " + mn.value(avS(formatTime(at)))),
			ConditionExpression: aws.String(fmt.Sprintf("attribute_exists(%s) AND attribute_not_exists(%s)",
				mn.name(AttrPK), mn.name(attrReadAt))),
			ExpressionAttributeNames: mn.names, ExpressionAttributeValues: mn.values}},
		s.unreadAdd(&un, recipient, -1),
	})
	if err != nil && aftersales.KindOf(err) == aftersales.KindTransient {
		return nil, err
	}
	// Whether it was marked now or before, or failed for another reason,
	// the stored item is the answer.
	n, gerr := getRecord(ctx, s, op, inboxPK(recipient), inboxItemPfx+id, "no such notification", inboxShape)
	if gerr != nil {
		return nil, gerr
	}
	if !n.Read() {
		if err == nil {
			err = aftersales.E(aftersales.KindInternal, op, "the item was marked read but reads unread")
		}
		return nil, err // not marked, and not for a failed condition
	}
	return n, nil
}

// ClaimDelivery puts the claim on condition that the send has no record or
// only an expired claim; a failed condition reads the record to tell a
// finished send from a live claim.
func (s *Store) ClaimDelivery(ctx context.Context, eventID string, ch aftersales.Channel, now, until time.Time) error {
	const op = "dynamo.claim_delivery"
	d := aftersales.Delivery{EventID: eventID, Channel: ch, Status: aftersales.DeliveryClaimed, At: now, Until: until}
	var n names
	cond := fmt.Sprintf("attribute_not_exists(%s) OR (%s = %s AND %s <= %s)", n.name(AttrPK),
		n.name(attrStatus), n.value(avS(string(aftersales.DeliveryClaimed))), n.name(attrExpires), n.value(avS(formatTime(now))))
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: deliveryShape.encode(&d),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values})
	var failed *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &failed):
		return classify(op, err)
	}
	got, err := s.GetDelivery(ctx, eventID, ch)
	switch {
	case errors.Is(err, aftersales.ErrNotFound):
		// Released between the put and the read: the retry claims it.
		return aftersales.ErrDeliveryBusy.For(op)
	case err != nil:
		return err
	case got.Status == aftersales.DeliveryClaimed:
		return aftersales.ErrDeliveryBusy.For(op)
	}
	return aftersales.ErrDelivered.For(op)
}

// FinishDelivery writes the outcome over the claim.
func (s *Store) FinishDelivery(ctx context.Context, d aftersales.Delivery) error {
	d.Until = time.Time{}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: deliveryShape.encode(&d)}); err != nil {
		return classify("dynamo.finish_delivery", err)
	}
	return nil
}

// ReleaseDelivery deletes the record on condition that it is a claim.
func (s *Store) ReleaseDelivery(ctx context.Context, eventID string, ch aftersales.Channel) error {
	var n names
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.table, Key: s.key(sendPK(eventID, ch), skSend),
		ConditionExpression:      aws.String(n.name(attrStatus) + " = " + n.value(avS(string(aftersales.DeliveryClaimed)))),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return classify("dynamo.release_delivery", err)
	}
	return nil
}

// GetDelivery reads a send's record.
func (s *Store) GetDelivery(ctx context.Context, eventID string, ch aftersales.Channel) (aftersales.Delivery, error) {
	d, err := getRecord(ctx, s, "dynamo.get_delivery", sendPK(eventID, ch), skSend, "no such delivery", deliveryShape)
	if err != nil {
		return aftersales.Delivery{}, err
	}
	return *d, nil
}
