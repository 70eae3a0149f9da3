package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The refund ports this package implements.
var (
	_ aftersales.RefundStore       = (*Store)(nil)
	_ aftersales.NotificationStore = (*Store)(nil)
)

// bookAttempts bounds BeginRefund's retries when an order line's paid
// amount changes between the read and the transaction (a new snapshot from
// the mall): the condition pins the amount read, so it must be read again.
const bookAttempts = 3

// BeginRefund stores r and books its shares on the order's line items in
// one transaction. The refund item goes first, on condition that it does
// not exist, so that a retried step meets ErrRefundExists (and carries on
// with the stored refund) before anything else. Every line update adds the
// share to refunded on condition that
//
//	paid_amount = :paid AND paid_amount >= :share AND
//	(attribute_not_exists(refunded) OR refunded <= :paid - :share)
//
// with :paid the paid amount read just before. Condition expressions cannot
// add, so the bound is computed here, and pinning the paid amount it was
// computed from makes the database, not this code, refuse a refund that
// would take the line past what was paid: two refunds racing for the same
// line are serialised by the item, and the loser's condition sees the
// winner's booking. A line that does not exist fails the condition too.
// When a line failed only because its paid amount changed meanwhile, the
// whole booking is read and tried again. A refund NewBookings refuses (a
// non-positive amount, shares that do not add up to it) never reaches the
// table.
func (s *Store) BeginRefund(ctx context.Context, r *aftersales.Refund) error {
	const op = "dynamo.begin_refund"
	shares, err := r.NewBookings(op, maxTransaction-1)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		var paid map[string]int64
		if len(shares) > 0 {
			if paid, err = s.paidAmounts(ctx, op, r.OrderID); err != nil {
				return err
			}
		}
		err = s.book(ctx, op, r, shares, paid)
		if !errors.Is(err, errPaidChanged) {
			return err
		}
		if attempt == bookAttempts {
			return aftersales.Wrap(aftersales.KindTransient, op,
				fmt.Errorf("order %s: paid amounts kept changing while the refund was booked", r.OrderID))
		}
	}
}

// errPaidChanged says a line's condition failed because its paid amount is
// no longer the one read, not because the refund does not fit.
var errPaidChanged = errors.New("paid amount changed")

// paidAmounts reads the paid amount of every line item of an order with one
// strongly consistent query. A line without an item is absent.
func (s *Store) paidAmounts(ctx context.Context, op, orderID string) (map[string]int64, error) {
	var n names
	in := &dynamodb.QueryInput{
		TableName: s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String(fmt.Sprintf("%s = %s AND begins_with(%s, %s)",
			n.name(AttrPK), n.value(avS(orderPK(orderID))), n.name(AttrSK), n.value(avS(linePfx)))),
		ProjectionExpression:     aws.String(strings.Join([]string{n.name(AttrSK), n.name(attrLineID), n.name(attrPaidAmount)}, ", ")),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	}
	paid := map[string]int64{}
	err := s.queryItems(ctx, op, in, func(_ string, it item) (bool, error) {
		l, err := decode(lineShape, it)
		paid[l.lineID] = l.paid
		return true, err
	})
	if err != nil {
		return nil, err
	}
	return paid, nil
}

// book is one attempt of BeginRefund with the paid amounts read.
func (s *Store) book(ctx context.Context, op string, r *aftersales.Refund, shares []aftersales.LineShare, paid map[string]int64) error {
	var n names
	ops := make([]types.TransactWriteItem, 0, 1+len(shares))
	ops = append(ops, types.TransactWriteItem{Put: &types.Put{
		TableName: s.table, Item: refundShape.encode(r),
		ConditionExpression: aws.String("attribute_not_exists(" + n.name(AttrPK) + ")"), ExpressionAttributeNames: n.names,
	}})
	for _, sh := range shares {
		// A line without an item is pinned at paid 0: its condition fails
		// on the missing paid_amount, and were the line created meanwhile
		// with nothing paid, on the bound.
		p := paid[sh.LineID]
		var ln names
		paidAttr, refunded := ln.name(attrPaidAmount), ln.name(attrRefunded)
		cond := fmt.Sprintf("%s = %s AND %s >= %s AND (attribute_not_exists(%s) OR %s <= %s)",
			paidAttr, ln.value(avN(p)), paidAttr, ln.value(avN(sh.Amount)), refunded, refunded, ln.value(avN(p-sh.Amount)))
		ops = append(ops, types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: s.key(orderPK(r.OrderID), lineSK(sh.LineID)),
			UpdateExpression:         aws.String("ADD " + refunded + " " + ln.value(avN(sh.Amount))),
			ConditionExpression:      aws.String(cond),
			ExpressionAttributeNames: ln.names, ExpressionAttributeValues: ln.values,
			// The old item tells a changed paid amount from a full line.
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	reasons, err := s.transact(ctx, op, ops)
	if reasons == nil {
		return err
	}
	if failedCheck(reasons, 0) {
		return aftersales.ErrRefundExists.For(op)
	}
	for i, sh := range shares {
		if !failedCheck(reasons, 1+i) {
			continue
		}
		if old := reasons[1+i].Item; len(old) > 0 {
			if now, err := decode(lineShape, old); err == nil && now.paid != paid[sh.LineID] {
				return errPaidChanged
			}
		}
		return aftersales.ErrOverRefund.For(op)
	}
	return err
}

// GetRefund reads a case's refund by number, consistently (callers read to
// change it on condition of its status).
func (s *Store) GetRefund(ctx context.Context, caseID, outRefundNo string) (*aftersales.Refund, error) {
	return getRecord(ctx, s, "dynamo.get_refund", casePK(caseID), refundSK(outRefundNo), "no such refund", refundShape)
}

// UpdateRefund replaces the refund item on condition that its status is
// still prev. When r closes a refund that was open, the same transaction
// gives its shares back to the order's line items (refunded minus share),
// each on condition that the line holds at least that much, so the ledger
// never goes negative. The shares given back are r's, which must be the
// shares the refund was begun with (the service never changes them).
func (s *Store) UpdateRefund(ctx context.Context, r *aftersales.Refund, prev aftersales.RefundStatus) error {
	const op = "dynamo.update_refund"
	giveBack, err := r.GiveBack(op, prev, maxTransaction-1)
	if err != nil {
		return err
	}
	var n names
	ops := make([]types.TransactWriteItem, 0, 1+len(giveBack))
	ops = append(ops, types.TransactWriteItem{Put: &types.Put{
		TableName: s.table, Item: refundShape.encode(r),
		ConditionExpression:      aws.String(n.name(attrStatus) + " = " + n.value(avS(string(prev)))),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
	for _, sh := range giveBack {
		var ln names
		refunded := ln.name(attrRefunded)
		ops = append(ops, types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: s.key(orderPK(r.OrderID), lineSK(sh.LineID)),
			UpdateExpression: aws.String("ADD " + refunded + " " + ln.value(avN(-sh.Amount))),
			ConditionExpression: aws.String(fmt.Sprintf("attribute_exists(%s) AND %s >= %s",
				ln.name(AttrPK), refunded, ln.value(avN(sh.Amount)))),
			ExpressionAttributeNames: ln.names, ExpressionAttributeValues: ln.values,
		}})
	}
	reasons, err := s.transact(ctx, op, ops)
	if reasons == nil {
		return err
	}
	switch {
	case failedCheck(reasons, 0):
		return s.changedOrMissing(ctx, op, reasons[0], casePK(r.CaseID), refundSK(r.OutRefundNo), aftersales.ErrRefundChanged, "no such refund")
	case anyFailed(reasons, 1, len(ops)):
		return aftersales.Wrap(aftersales.KindInternal, op,
			fmt.Errorf("refund %s closed but its order lines do not hold its booking", r.OutRefundNo))
	}
	return err
}

// ListRefunds returns a page of the refund ledger, newest first by creation
// time, then number. An order's refunds read one partition of GSI1, a
// phone's one of GSI2 (the other filter, if any, is a filter expression),
// and the whole ledger the StatusShards partitions of GSI3, merged. The
// creation-time range is in the key condition. Cursors are list keys, as
// for cases (see ListCases).
func (s *Store) ListRefunds(ctx context.Context, q aftersales.RefundQuery) (aftersales.RefundPage, error) {
	const op = "dynamo.list_refunds"
	w, err := q.Window(op)
	if err != nil {
		return aftersales.RefundPage{}, err
	}
	lq := listQuery{window: w}
	switch {
	case q.OrderID != "":
		lq.index, lq.pkAttr, lq.pks = IndexBuyer, AttrGSI1PK, []string{refundsByOrderPK(q.OrderID)}
		if q.Phone != "" {
			lq.filters = func(n *names) []string {
				return []string{n.name(attrBuyerPhone) + " = " + n.value(avS(q.Phone))}
			}
		}
	case q.Phone != "":
		lq.index, lq.pkAttr, lq.pks = IndexStatus, AttrGSI2PK, []string{refundsByPhonePK(q.Phone)}
	default:
		lq.index, lq.pkAttr, lq.pks = IndexAllCases, AttrGSI3PK, shards(allRefundsPK)
	}
	items, next, err := readList(ctx, s, lq, decoder(refundShape))
	if err != nil {
		return aftersales.RefundPage{}, classify(op, err)
	}
	return aftersales.RefundPage{Items: items, NextCursor: next}, nil
}

// NotificationSeen reports whether a live receipt of the notification is
// stored; an expired one that TTL has not deleted yet does not count.
func (s *Store) NotificationSeen(ctx context.Context, provider, id string) (bool, error) {
	const op = "dynamo.notification_seen"
	it, err := s.get(ctx, hookPK(provider, id), skHook)
	if err != nil {
		return false, classify(op, err)
	}
	if it == nil {
		return false, nil
	}
	rec, err := decode(receiptShape, it)
	if err != nil {
		return false, aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	return s.clock.Now().Before(rec.expires), nil
}

// RecordNotification writes the receipt of a provider's notification on
// condition that none is stored, or that the stored one has expired (TTL
// deletes late, minidyn never): true when it wrote, false when a live
// receipt was there.
func (s *Store) RecordNotification(ctx context.Context, provider, id string, at time.Time) (bool, error) {
	const op = "dynamo.record_notification"
	var n names
	cond := fmt.Sprintf("attribute_not_exists(%s) OR %s <= %s",
		n.name(AttrPK), n.name(attrExpires), n.value(avS(formatTime(s.clock.Now()))))
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table, Item: hookItem(provider, id, at), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return false, nil
	case err != nil:
		return false, classify(op, err)
	}
	return true, nil
}
