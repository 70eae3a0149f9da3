package memstore

import (
	"context"
	"fmt"
	"maps"
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
// is unknown or its refunds would pass what was paid for it, KindInvalid
// for a refund NewBookings refuses.
func (s *Store) BeginRefund(_ context.Context, r *aftersales.Refund) error {
	const op = "memstore.begin_refund"
	shares, err := r.NewBookings(op, maxRefundLines)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := refundRef{r.CaseID, r.OutRefundNo}
	if _, ok := s.refunds[ref]; ok {
		return aftersales.ErrRefundExists.For(op)
	}
	for _, sh := range shares {
		led, ok := s.ledgers[lineRef{r.OrderID, sh.LineID}]
		if !ok || sh.Amount > led.paid || led.refunded > led.paid-sh.Amount {
			return aftersales.ErrOverRefund.For(op)
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
		return nil, aftersales.NotFound("memstore.get_refund", "no such refund")
	}
	return cloneRefund(r), nil
}

// UpdateRefund replaces the refund if its status is still prev, giving the
// shares back to the ledger when it closes an open refund. A closed refund
// never changes status again: its booking was given back.
func (s *Store) UpdateRefund(_ context.Context, r *aftersales.Refund, prev aftersales.RefundStatus) error {
	const op = "memstore.update_refund"
	giveBack, err := r.GiveBack(op, prev, maxRefundLines)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := refundRef{r.CaseID, r.OutRefundNo}
	old, ok := s.refunds[ref]
	switch {
	case !ok:
		return aftersales.NotFound(op, "no such refund")
	case old.Status != prev:
		return aftersales.ErrRefundChanged.For(op)
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

// ListRefunds returns a page of the ledger newest first, with the cursors
// of the DynamoDB adapter.
func (s *Store) ListRefunds(_ context.Context, q aftersales.RefundQuery) (aftersales.RefundPage, error) {
	items, next, err := list(s, "memstore.list_refunds", q.Window, maps.Values(s.refunds), q.Matches, aftersales.RefundListPosition,
		func(r *aftersales.Refund) aftersales.Refund { return *cloneRefund(r) })
	return aftersales.RefundPage{Items: items, NextCursor: next}, err
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
