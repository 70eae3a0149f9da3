package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// PutOrder stores the mall's snapshot if it supersedes the stored one
// (aftersales.Order.Supersedes), and brings the ledger items of its lines
// up to date: it creates missing line items and sets the paid amount and
// quantity (what refund conditions compare against), but never writes the
// refunded amount or the hold of a line that exists. The Refunded and
// ActiveCaseID of o's lines are ignored: the ledger is ours, not the mall's.
//
// The database decides what is newer, so racing deliveries cannot let an
// older snapshot win. The snapshot is put on condition that none is
// stored, or that the stored one has a lower version (none counts as 0)
// and another event id; each line item records the version that last
// wrote it (order_version) and is updated only if that is not higher.
// Line items are written before the snapshot, in transactions of at most a
// hundred writes, so a snapshot is never visible without its line items;
// every transaction carries the snapshot's condition (a ConditionCheck, or
// the Put itself in the last), so a snapshot that is not newer fails in
// the first and writes nothing (ErrOrderNotNewer). An order of more than
// 99 lines takes several transactions: a newer snapshot written between
// them fails the older one's next transaction, and the line items it
// wrote first are kept by their own condition.
func (s *Store) PutOrder(ctx context.Context, o *aftersales.Order) error {
	const op = "dynamo.put_order"
	ledger := o.LedgerLines() // the lines, then the fees (F17)
	lines := make([]types.TransactWriteItem, 0, len(ledger))
	for _, l := range ledger {
		var n names
		version, v := n.name(attrOrderVersion), n.value(avN(o.Version))
		set := []string{
			n.name(attrEntity) + " = " + n.value(avS(entityLine)),
			n.name(attrOrderID) + " = " + n.value(avS(o.ID)),
			n.name(attrLineID) + " = " + n.value(avS(l.LineID)),
			n.name(attrPaidAmount) + " = " + n.value(avN(l.PaidAmount)),
			n.name(attrQuantity) + " = " + n.value(avN(int64(l.Quantity))),
			version + " = " + v,
			fmt.Sprintf("%s = if_not_exists(%[1]s, %s)", n.name(attrRefunded), n.value(avN(0))),
		}
		lines = append(lines, types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: s.key(orderPK(o.ID), lineSK(l.LineID)),
			UpdateExpression: aws.String("SET " + strings.Join(set, ", ")),
			// Not "<": a retry of this snapshot rewrites what it wrote.
			ConditionExpression:      aws.String(fmt.Sprintf("attribute_not_exists(%s) OR %[1]s <= %s", version, v)),
			ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
		}})
	}
	for start := 0; ; start += maxTransaction - 1 {
		end := min(start+maxTransaction-1, len(lines))
		ops := append(make([]types.TransactWriteItem, 0, end-start+1), lines[start:end]...)
		var n names
		cond := aws.String(newerSnapshot(&n, o))
		if end < len(lines) {
			ops = append(ops, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: s.table, Key: s.key(orderPK(o.ID), skOrder),
				ConditionExpression: cond, ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values}})
		} else {
			ops = append(ops, types.TransactWriteItem{Put: &types.Put{
				TableName: s.table, Item: orderShape.encode(o),
				ConditionExpression: cond, ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values}})
		}
		reasons, err := s.transact(ctx, op, ops)
		if anyFailed(reasons, 0, len(ops)) {
			return aftersales.ErrOrderNotNewer.For(op)
		}
		if err != nil || end == len(lines) {
			return err
		}
	}
}

// newerSnapshot is the condition under which o may replace the stored
// snapshot item, aftersales.Order.Supersedes as an expression.
func newerSnapshot(n *names, o *aftersales.Order) string {
	version := n.name(attrVersion)
	cond := fmt.Sprintf("(attribute_not_exists(%s) OR %[1]s < %s)", version, n.value(avN(o.Version)))
	if o.EventID != "" {
		event := n.name(attrEventID)
		cond += fmt.Sprintf(" AND (attribute_not_exists(%s) OR %[1]s <> %s)", event, n.value(avS(o.EventID)))
	}
	return fmt.Sprintf("attribute_not_exists(%s) OR (%s)", n.name(AttrPK), cond)
}

// GetOrder reads the snapshot and its line items with one strongly
// consistent query on the order's partition.
func (s *Store) GetOrder(ctx context.Context, id string) (*aftersales.Order, error) {
	const op = "dynamo.get_order"
	var n names
	in := &dynamodb.QueryInput{
		TableName:                s.table,
		KeyConditionExpression:   aws.String(n.name(AttrPK) + " = " + n.value(avS(orderPK(id)))),
		ConsistentRead:           aws.Bool(true),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	}
	o, lines, err := orderAggregate.read(ctx, s, op, in)
	if err != nil {
		return nil, err
	}
	ledgers := make(map[string]lineLedger, len(lines))
	for _, l := range lines {
		ledgers[l.lineID] = l
	}
	for i := range o.Lines {
		l := ledgers[o.Lines[i].LineID]
		o.Lines[i].Refunded, o.Lines[i].ActiveCaseID = l.refunded, l.activeCase
	}
	o.FeeLedger = o.FeeLines()
	for i := range o.FeeLedger {
		l := ledgers[o.FeeLedger[i].LineID]
		o.FeeLedger[i].Refunded, o.FeeLedger[i].ActiveCaseID = l.refunded, l.activeCase
	}
	return o, nil
}

// GetIdempotency returns the record for scope and key unless it has expired.
func (s *Store) GetIdempotency(ctx context.Context, scope, key string) (aftersales.IdempotencyRecord, error) {
	return getLive(ctx, s, "dynamo.get_idempotency", idemPK(scope, key), skIdem, "no such idempotency key", idemShape,
		func(r aftersales.IdempotencyRecord) time.Time { return r.ExpiresAt })
}
