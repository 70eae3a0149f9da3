package aftersales

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The buyer's inbox and the sends that tell them (F6). These are OUR
// notifications to people; the provider (payment webhook) notifications
// are NotificationStore's and have nothing to do with them.

// The languages notifications are written in.
const (
	LangZhCN = "zh-CN" // Simplified Chinese, the default
	LangEN   = "en"
)

// Languages are the languages an order may name.
var Languages = map[string]bool{LangZhCN: true, LangEN: true}

// LanguageOf returns the language to tell the buyer of o in: the order's,
// or LangZhCN when it names none (or o is nil).
func LanguageOf(o *Order) string {
	if o == nil || !Languages[o.Language] {
		return LangZhCN
	}
	return o.Language
}

// RecipientStaff is the one inbox every staff member reads: merchant-side
// events (a new dispute, an escalation) land there.
const RecipientStaff = "staff"

// RecipientPlatform is the inbox the platform's arbitrators read:
// escalated disputes, and messages in their threads.
const RecipientPlatform = "platform"

// BuyerRecipient is the inbox of buyer id. Buyers are "buyer:<id>", as on
// the timeline, so that no buyer id can name the staff inbox.
func BuyerRecipient(buyerID string) string { return "buyer:" + buyerID }

// CaseEventID names the change of a case that produced timeline entry seq:
// "<case id>#<seq>". It is the idempotency key of everything a change
// notifies, so a redelivered message writes and sends nothing twice.
func CaseEventID(caseID string, seq int) string { return caseID + "#" + strconv.Itoa(seq) }

// InboxItem is one notification in a recipient's in-app inbox.
type InboxItem struct {
	ID        string // InboxItemID(Recipient, EventID)
	Recipient string // BuyerRecipient(id) or RecipientStaff
	CaseID    string
	EventID   string // what happened, e.g. CaseEventID(case, seq)
	Kind      string // the template's name, e.g. "status_changed"
	Title     string
	Body      string
	Language  string // the language it was rendered in (zh-CN, en)
	CreatedAt time.Time
	ReadAt    time.Time // zero while unread
}

// Read reports whether the recipient has read the item.
func (n *InboxItem) Read() bool { return !n.ReadAt.IsZero() }

// InboxItemID is the id of the item that event puts in recipient's inbox.
// It is derived, not drawn, so that every delivery of one event names the
// same item and a store's put-if-absent makes the second a no-op. For a
// case change (CaseEventID) it is a hash of recipient and case followed by
// the zero-padded seq, so that the changes of one case made at the same
// instant (a frozen test clock, one write of several entries) list in
// their order; any other event id is hashed whole.
func InboxItemID(recipient, eventID string) string {
	if i := strings.LastIndexByte(eventID, '#'); i > 0 {
		if seq, err := strconv.Atoi(eventID[i+1:]); err == nil && seq > 0 && seq < 1e10 {
			h := sha256.Sum256([]byte(recipient + "\x00" + eventID[:i]))
			return fmt.Sprintf("nt_%s%010d", hex.EncodeToString(h[:12]), seq)
		}
	}
	h := sha256.Sum256([]byte(recipient + "\x00" + eventID))
	return "nt_" + hex.EncodeToString(h[:16])
}

// InboxPosition is the sort key of n in its inbox: created at, then id, in
// the format of case lists, so that inbox cursors are list cursors.
func InboxPosition(n *InboxItem) string {
	return n.CreatedAt.UTC().Format(listTimeLayout) + "#" + n.ID
}

// InboxQuery selects one page of a recipient's inbox, newest first.
type InboxQuery struct {
	Recipient string
	Cursor    string
	Limit     int
}

// Window returns the page q asks for, as CaseQuery.Window does.
func (q InboxQuery) Window(op string) (ListWindow, error) {
	return window(op, time.Time{}, time.Time{}, q.Cursor, q.Limit)
}

// InboxPage is one page of an inbox with the recipient's unread count (of
// the whole inbox, not of the page).
type InboxPage struct {
	Items      []InboxItem
	NextCursor string
	Unread     int
}

// InboxStore keeps in-app inboxes.
type InboxStore interface {
	// PutInboxItem writes n unless the item of its recipient and event
	// exists (n.ID is InboxItemID of both): it reports whether it wrote.
	// Of deliveries of one event racing each other exactly one writes, and
	// the unread count rises once.
	PutInboxItem(ctx context.Context, n *InboxItem) (bool, error)
	// ListInbox returns a page of q.Recipient's inbox, newest first, and
	// the count of their unread items.
	ListInbox(ctx context.Context, q InboxQuery) (InboxPage, error)
	// MarkInboxRead marks recipient's item id read at, once: marking a read
	// item again changes nothing. An item of another recipient is
	// ErrNotFound, as is an unknown one, so no one learns others' ids.
	MarkInboxRead(ctx context.Context, recipient, id string, at time.Time) (*InboxItem, error)
}

// Channel is a way of telling a recipient outside the app.
type Channel string

// The channels.
const (
	ChannelWeChat Channel = "wechat" // WeChat mini-program subscribe message
	ChannelSMS    Channel = "sms"    // text message to the order's phone
)

// DeliveryStatus is what became of a send on one channel.
type DeliveryStatus string

// The delivery statuses.
const (
	// DeliveryClaimed: a notifier is sending right now (until the claim's
	// expiry, after which another may try).
	DeliveryClaimed DeliveryStatus = "claimed"
	// DeliverySent: the channel accepted it.
	DeliverySent DeliveryStatus = "sent"
	// DeliverySkipped: the channel refused it for good (the buyer did not
	// subscribe, no phone); the inbox entry tells them.
	DeliverySkipped DeliveryStatus = "skipped"
)

// Delivery is the record of one event's send on one channel.
type Delivery struct {
	EventID string
	Channel Channel
	Status  DeliveryStatus
	Detail  string    // why it was skipped, the provider's message id
	Until   time.Time // a claim's expiry
	At      time.Time
}

// Delivery outcomes that the notifier acts on.
var (
	// ErrDelivered: the send of this event on this channel is done (sent or
	// skipped); sending again would notify twice.
	ErrDelivered = E(KindConflict, "", "this event was already delivered on this channel")
	// ErrDeliveryBusy: another notifier holds a live claim on the send; the
	// message is retried after the claim has run out.
	ErrDeliveryBusy = E(KindTransient, "", "another notifier is sending this event on this channel")
)

// DeliveryClaimTTL is how long a claim on a send holds: longer than a send
// can take (the notifier function stops at 30 s), so a live send is never
// repeated, and short enough that a crashed one is retried.
const DeliveryClaimTTL = 2 * time.Minute

// DeliveryStore records sends, so that each event is sent at most once on
// each channel whatever the queue redelivers.
type DeliveryStore interface {
	// ClaimDelivery claims the send of eventID on channel until until, at
	// now: ErrDelivered when it is done, ErrDeliveryBusy when another live
	// claim holds it; an expired claim is taken over.
	ClaimDelivery(ctx context.Context, eventID string, channel Channel, now, until time.Time) error
	// FinishDelivery records the claimed send's outcome (DeliverySent or
	// DeliverySkipped), for good.
	FinishDelivery(ctx context.Context, d Delivery) error
	// ReleaseDelivery drops the claim of a send that failed, so that the
	// retry may claim it at once. A finished record is left as it is.
	ReleaseDelivery(ctx context.Context, eventID string, channel Channel) error
	// GetDelivery returns the record, or ErrNotFound.
	GetDelivery(ctx context.Context, eventID string, channel Channel) (Delivery, error)
}

// Announcement names one case change that may have to be told: the
// timeline entry Seq of case CaseID. It carries nothing else, so that the
// notifier renders from the stored case and never from a stale copy.
type Announcement struct {
	CaseID string
	Seq    int
	// OrderID, instead of a case change, names an order delivered with
	// produce on it: its buyer is reminded of the claim window (F16).
	OrderID string
}

// EventID is the change's event id (CaseEventID), or the order's
// claim-window reminder's (ClaimWindowEventID).
func (a Announcement) EventID() string {
	if a.OrderID != "" {
		return ClaimWindowEventID(a.OrderID)
	}
	return CaseEventID(a.CaseID, a.Seq)
}

// Announcer queues announcements for the notifier.
type Announcer interface {
	Announce(ctx context.Context, as []Announcement) error
}

// Outbound is one message to send on one channel.
type Outbound struct {
	EventID string
	Channel Channel
	// To is the addressee: the mini-program openid (ChannelWeChat) or the
	// phone number (ChannelSMS).
	To string
	// Kind names the template it was rendered from.
	Kind     string
	Language string
	// Fields are the WeChat subscribe message's data, keyword -> value
	// (thing1, phrase2, ...), each within its type's limits.
	Fields map[string]string
	// Text is the SMS body.
	Text string
	// Page is the mini-program page the message opens.
	Page string
}

// ErrNotReachable: the channel refused the message for good (WeChat 43101:
// the buyer did not subscribe; an opted-out phone). The notifier records
// the send skipped and does not retry; the inbox entry tells the buyer.
var ErrNotReachable = E(KindPreconditionFailed, "", "the recipient cannot be reached on this channel")

// Sender sends messages on one channel. Errors: ErrNotReachable (or an
// error wrapping it) for a refusal no retry changes; anything else is
// retried by the queue.
type Sender interface {
	Channel() Channel
	// Send sends m and returns the provider's message id ("" when it has none).
	Send(ctx context.Context, m Outbound) (string, error)
}
