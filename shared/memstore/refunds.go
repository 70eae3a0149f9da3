package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// maxRefundLines is the most order lines one refund may touch: the DynamoDB
// adapter books a refund in one transaction of at most 100 writes, one of
// which is the refund itself.
const maxRefundLines = 99

// BeginRefund stores r and adds its shares to the refunded amount of its
// order lines, or changes nothing: ErrRefundExists when the number is taken
// (reported first, as the DynamoDB adapter does), ErrOverRefund when a line
// is unknown or its refunds would pass what was paid for it.
func (s *Store) BeginRefund(_ context.Context, r *aftersales.Refund) error {
	const op = "memstore.begin_refund"
	shares, err := r.Bookings(op, maxRefundLines)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := refundRef{r.CaseID, r.OutRefundNo}
	if _, ok := s.refunds[ref]; ok {
		return outcome(op, aftersales.ErrRefundExists)
	}
	for _, sh := range shares {
		led, ok := s.ledgers[lineRef{r.OrderID, sh.LineID}]
		if !ok || sh.Amount > led.paid || led.refunded > led.paid-sh.Amount {
			return outcome(op, aftersales.ErrOverRefund)
		}
	}
	for _, sh := range shares {
		lr := lineRef{r.OrderID, sh.LineID}
		led := s.ledgers[lr]
		led.refunded += sh.Amount
		s.ledgers[lr] = led
	}
	s.refunds[ref] = cloneRefund(r)
	return nil
}

// GetRefund returns a copy of a case's refund.
func (s *Store) GetRefund(_ context.Context, caseID, outRefundNo string) (*aftersales.Refund, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refunds[refundRef{caseID, outRefundNo}]
	if !ok {
		return nil, notFound("memstore.get_refund", "no such refund")
	}
	return cloneRefund(r), nil
}

func openRefund(st aftersales.RefundStatus) bool {
	return st == aftersales.RefundRequested || st == aftersales.RefundProcessing
}

// UpdateRefund replaces the refund if its status is still prev, giving the
// shares back to the ledger when it closes an open refund. A closed refund
// never changes status again: its booking was given back.
func (s *Store) UpdateRefund(_ context.Context, r *aftersales.Refund, prev aftersales.RefundStatus) error {
	const op = "memstore.update_refund"
	if prev == aftersales.RefundClosed && r.Status != prev {
		return aftersales.E(aftersales.KindConflict, op, "a closed refund cannot change status: its booking was given back")
	}
	var giveBack []aftersales.LineShare
	if r.Status == aftersales.RefundClosed && openRefund(prev) {
		var err error
		if giveBack, err = r.Bookings(op, maxRefundLines); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := refundRef{r.CaseID, r.OutRefundNo}
	old, ok := s.refunds[ref]
	switch {
	case !ok:
		return notFound(op, "no such refund")
	case old.Status != prev:
		return outcome(op, aftersales.ErrRefundChanged)
	}
	for _, sh := range giveBack {
		if led, ok := s.ledgers[lineRef{r.OrderID, sh.LineID}]; !ok || led.refunded < sh.Amount {
			return aftersales.Wrap(aftersales.KindInternal, op,
				fmt.Errorf("refund %s closed but its order lines do not hold its booking", r.OutRefundNo))
		}
	}
	for _, sh := range giveBack {
		lr := lineRef{r.OrderID, sh.LineID}
		led := s.ledgers[lr]
		led.refunded -= sh.Amount
		s.ledgers[lr] = led
	}
	s.refunds[ref] = cloneRefund(r)
	return nil
}

// refundPosition is a refund's place in the ledger list, in the layout of
// case positions (and of the DynamoDB adapter's list key): creation time,
// then number.
func refundPosition(r *aftersales.Refund) string {
	return aftersales.ListPosition(&aftersales.Case{ID: r.OutRefundNo, CreatedAt: r.CreatedAt})
}

// ListRefunds returns a page of the ledger newest first, with the cursors
// of the DynamoDB adapter.
func (s *Store) ListRefunds(_ context.Context, q aftersales.RefundQuery) (aftersales.RefundPage, error) {
	const op = "memstore.list_refunds"
	var after string
	if q.Cursor != "" {
		var err error
		if after, err = aftersales.DecodeCursor(op, q.Cursor); err != nil {
			return aftersales.RefundPage{}, err
		}
	}
	limit := pageSize(q.Limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	type keyed struct {
		key string
		r   *aftersales.Refund
	}
	var all []keyed
	for _, r := range s.refunds {
		k := refundPosition(r)
		if (q.OrderID == "" || r.OrderID == q.OrderID) && (q.Phone == "" || r.BuyerPhone == q.Phone) &&
			(q.From.IsZero() || !r.CreatedAt.Before(q.From)) && (q.To.IsZero() || r.CreatedAt.Before(q.To)) &&
			(after == "" || k < after) {
			all = append(all, keyed{k, r})
		}
	}
	slices.SortFunc(all, func(a, b keyed) int { return cmp.Compare(b.key, a.key) })
	var page aftersales.RefundPage
	for i, k := range all {
		if i == limit {
			page.NextCursor = aftersales.EncodeCursor(all[i-1].key)
			break
		}
		page.Items = append(page.Items, *cloneRefund(k.r))
	}
	return page, nil
}

// NotificationSeen reports whether a live receipt of the notification is
// stored.
func (s *Store) NotificationSeen(_ context.Context, provider, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	expires, ok := s.hooks[hookRef{provider, id}]
	return ok && s.live(expires), nil
}

// RecordNotification stores the receipt unless a live one exists; an
// expired receipt is replaced, as the DynamoDB adapter overwrites one that
// TTL has not deleted yet.
func (s *Store) RecordNotification(_ context.Context, provider, id string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := hookRef{provider, id}
	if expires, ok := s.hooks[ref]; ok && s.live(expires) {
		return false, nil
	}
	s.hooks[ref] = at.Add(aftersales.NotificationTTL)
	return true, nil
}

func cloneRefund(r *aftersales.Refund) *aftersales.Refund {
	out := *r
	out.Shares = nil
	if len(r.Shares) > 0 {
		out.Shares = maps.Clone(r.Shares)
	}
	out.ApprovedAt, out.CreatedAt, out.UpdatedAt, out.ArrivedAt = utc(r.ApprovedAt), utc(r.CreatedAt), utc(r.UpdatedAt), utc(r.ArrivedAt)
	return &out
}
