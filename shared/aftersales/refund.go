package aftersales

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RefundStatus is where one refund stands (F11).
type RefundStatus string

// The refund statuses. Requested, processing and manual are open; the
// others are final.
const (
	// RefundRequested: written with its ledger booking; the provider may not
	// have received it yet (a crash between the two is repaired by sending
	// the same OutRefundNo again).
	RefundRequested RefundStatus = "requested"
	// RefundProcessing: the provider accepted it; money is on its way.
	RefundProcessing RefundStatus = "processing"
	// RefundSucceeded: the money arrived.
	RefundSucceeded RefundStatus = "succeeded"
	// RefundClosed: the provider refused or gave up; no money left the
	// merchant, so the ledger booking is given back and staff may retry.
	RefundClosed RefundStatus = "closed"
	// RefundAbnormal: the provider took the money but could not deliver it
	// (e.g. the buyer's bank card was cancelled). The booking stays: staff
	// settle it in the provider's console.
	RefundAbnormal RefundStatus = "abnormal"
	// RefundManual: no payment route can pay it (a bank-card order, or a
	// provider the merchant has not configured), so finance pays it by hand
	// and then marks it paid, which makes it succeeded. It is booked on the
	// order ledger like any refund, so it counts against what was paid.
	RefundManual RefundStatus = "manual"
)

// Final reports whether the refund can no longer change.
func (s RefundStatus) Final() bool {
	return s == RefundSucceeded || s == RefundClosed || s == RefundAbnormal
}

// Refund is one payment back to a buyer for a case, and its row in the
// refund ledger (F13).
type Refund struct {
	OutRefundNo string // caseID-seq: deterministic, so the provider deduplicates a retry
	CaseID      string
	Seq         int
	OrderID     string
	BuyerID     string
	BuyerPhone  string
	Amount      Money
	// Shares is the amount per order line, booked on the order ledger with
	// the refund; they add up to Amount.
	Shares      map[string]int64
	Channel     PaymentChannel // the route the money takes: the order's channel, or balance
	Destination RefundDestination
	// TransactionID and OrderTotal are the original payment, which providers
	// refund against.
	TransactionID string
	OrderTotal    int64
	Reason        string

	Status RefundStatus
	// ProviderRefundID is the provider's id of the refund; for a manual
	// refund, the payment reference finance gave when marking it paid.
	ProviderRefundID string
	Account          string // where the provider says the money went, when it says
	Queries          int    // status queries made so far (the poll back-off)
	ApprovedBy       string
	ApprovedAt       time.Time
	// PaidBy is the staff member who marked a manual refund paid
	// ("staff:<id>"); empty for refunds a payment route paid.
	PaidBy    string
	CreatedAt time.Time
	UpdatedAt time.Time
	ArrivedAt time.Time // zero until it succeeded
	// Sandbox marks a refund whose answer a sandbox route made up
	// (provider mode sandbox): no money moved, whatever its status says.
	Sandbox bool
}

// ID is the refund's id in the API ("rf_" + OutRefundNo).
func (r *Refund) ID() string { return "rf_" + r.OutRefundNo }

// OutRefundNo is the deterministic number of a case's n-th refund: a retried
// step sends the same number and the provider deduplicates. Case ids are
// ULIDs prefixed "as_", so the number stays within WeChat's 64 and Alipay's
// 64 characters and uses only letters, digits, '_' and '-'.
func OutRefundNo(caseID string, n int) string { return fmt.Sprintf("%s-%d", caseID, n) }

// ParseOutRefundNo splits a refund number into its case id and sequence.
func ParseOutRefundNo(no string) (caseID string, seq int, ok bool) {
	i := strings.LastIndexByte(no, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(no[i+1:])
	if err != nil || n < 1 {
		return "", 0, false
	}
	return no[:i], n, true
}

// RefundRequest is what a payment provider needs to pay a refund back.
type RefundRequest struct {
	OutRefundNo   string
	CaseID        string
	OrderID       string
	BuyerID       string
	Amount        Money // what to pay back now
	OrderTotal    Money // what the buyer paid for the whole order (WeChat Pay asks for it)
	TransactionID string
	Reason        string
}

// RefundState is what a provider says of a refund.
type RefundState string

// The refund states providers report (WeChat Pay's SUCCESS, CLOSED,
// PROCESSING, ABNORMAL; Alipay's answers map onto them).
const (
	StateProcessing RefundState = "processing"
	StateSucceeded  RefundState = "succeeded"
	StateClosed     RefundState = "closed"
	StateAbnormal   RefundState = "abnormal"
)

// RefundResult is a provider's answer about one refund.
type RefundResult struct {
	State            RefundState
	ProviderRefundID string
	Account          string    // where the money went, e.g. "支付用户零钱"
	ArrivedAt        time.Time // set with StateSucceeded
	// Sandbox says the route made the answer up without calling anybody
	// (provider mode sandbox): the refund is marked so in the ledger.
	Sandbox bool
}

// RefundProvider is one payment route's refund API: WeChat Pay, Alipay or
// the store balance. Adapters convert money and statuses at their edge and
// report network failures and provider 5xx as KindTransient, and requests
// the provider refuses (bad amount, unknown transaction) as KindInvalid.
type RefundProvider interface {
	// Refund asks the provider to pay r back. Asking again with the same
	// OutRefundNo returns the first refund's result and never pays twice.
	Refund(ctx context.Context, r RefundRequest) (RefundResult, error)
	// Query returns what the provider knows of r now; ErrNotFound when it
	// never received it.
	Query(ctx context.Context, r RefundRequest) (RefundResult, error)
}

// RefundNotice is a provider's notification about a refund, verified by
// the webhook that received it.
type RefundNotice struct {
	Channel        PaymentChannel
	NotificationID string // the provider's id of this notification (deduplication)
	OutRefundNo    string
	RefundResult
}

// RefundQuery selects rows of the refund ledger. Zero values mean "any".
type RefundQuery struct {
	From, To time.Time // created at in [From, To)
	OrderID  string
	Phone    string // the buyer's phone on the order
	Cursor   string
	Limit    int
}

// RefundPage is one page of the ledger, newest first.
type RefundPage struct {
	Items      []Refund
	NextCursor string
}

// Refund store outcomes.
var (
	// ErrOverRefund: the refund would take a line's refunds past what was
	// paid for it. The database refuses it, not only this code.
	ErrOverRefund = E(KindConflict, "", "the refund would exceed what was paid for the order lines")
	// ErrRefundExists: a refund with this number is already stored.
	ErrRefundExists = E(KindConflict, "", "a refund with this number already exists")
	// ErrRefundChanged: the refund's status changed since it was read.
	ErrRefundChanged = E(KindConflict, "", "the refund changed since it was read")
)

// RefundStore keeps refunds and books them on the order ledger.
type RefundStore interface {
	// BeginRefund stores r (status requested) and adds its Shares to the
	// refunded amount of its order lines, in one transaction whose condition
	// keeps every line's refunded amount within what was paid for it
	// (ErrOverRefund otherwise; ErrRefundExists when the number is taken).
	// A refund NewBookings refuses (nothing or less to pay, shares that do
	// not add up to the amount) is KindInvalid and stores nothing.
	BeginRefund(ctx context.Context, r *Refund) error
	// GetRefund returns a case's refund by number, or ErrNotFound.
	GetRefund(ctx context.Context, caseID, outRefundNo string) (*Refund, error)
	// UpdateRefund stores r if its stored status is still prev
	// (ErrRefundChanged otherwise). A refund moving to closed gives its
	// Shares back to the order ledger in the same transaction.
	UpdateRefund(ctx context.Context, r *Refund, prev RefundStatus) error
	// ListRefunds returns a page of the ledger, newest first.
	ListRefunds(ctx context.Context, q RefundQuery) (RefundPage, error)
}

// NotificationStore remembers the provider notifications already taken, so
// a replayed notification changes nothing (kept 30 days).
type NotificationStore interface {
	// NotificationSeen reports whether a live receipt of the provider's
	// notification id is stored. Webhooks look before they enqueue and
	// record after, so a failed enqueue is retried by the provider, not lost.
	NotificationSeen(ctx context.Context, provider, id string) (bool, error)
	// RecordNotification stores the receipt of a notification; it reports
	// false when the same provider and id were recorded before.
	RecordNotification(ctx context.Context, provider, id string, at time.Time) (bool, error)
}

// NoticeQueue carries verified notifications from the webhooks to the
// inbound consumer (SQS), so webhooks answer the provider fast.
type NoticeQueue interface {
	EnqueueNotice(ctx context.Context, n RefundNotice) error
}

// NotificationTTL is how long notification receipts are kept: providers
// retry for a day, so a month is ample.
const NotificationTTL = 30 * 24 * time.Hour

// LineShare is the part of a refund booked on one order line.
type LineShare struct {
	LineID string
	Amount int64
}

// NewBookings is Bookings for a refund about to be begun, which must also
// pay a positive amount, at most MaxAmount, that its shares add up to
// exactly: then the ledger's bound on what was paid covers every minor unit
// the refund pays, and a refund of nothing or less, which no provider
// should ever be asked for, cannot be stored.
func (r *Refund) NewBookings(op string, maxLines int) ([]LineShare, error) {
	if r.Amount.Amount < 1 || r.Amount.Amount > MaxAmount {
		return nil, Invalid(op, "amount", "must be between 1 and %d (minor units), not %d", MaxAmount, r.Amount.Amount)
	}
	shares, err := r.Bookings(op, maxLines)
	if err != nil {
		return nil, err
	}
	var sum int64
	for _, sh := range shares {
		sum = min(sum+min(sh.Amount, MaxAmount+1), MaxAmount+1) // capped: no number of shares can wrap it
	}
	if sum != r.Amount.Amount {
		return nil, Invalid(op, "shares", "add up to %d, not to the amount %d", sum, r.Amount.Amount)
	}
	return shares, nil
}

// Bookings returns the shares of r that touch the ledger, in line order (so
// that stores write them in a stable order). A zero share books nothing and
// is left out; a negative one would take money off the ledger and is
// refused, as is a refund touching more than maxLines lines (what one store
// transaction holds).
func (r *Refund) Bookings(op string, maxLines int) ([]LineShare, error) {
	var out []LineShare
	var v Validation
	for line, amount := range r.Shares {
		switch {
		case amount < 0:
			v.Add("shares."+line, "must not be negative")
		case amount > 0:
			out = append(out, LineShare{line, amount})
		}
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	if len(out) > maxLines {
		return nil, &Error{Kind: KindInvalid, Op: op, Msg: fmt.Sprintf("a refund can touch at most %d order lines", maxLines)}
	}
	slices.SortFunc(out, func(a, b LineShare) int { return strings.Compare(a.LineID, b.LineID) })
	return out, nil
}
