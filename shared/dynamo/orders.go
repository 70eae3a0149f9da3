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

// PutOrder stores the mall's snapshot and brings the ledger items of its
// lines up to date: it creates missing line items and sets the paid amount
// and quantity (what refund conditions compare against), but never writes
// the refunded amount or the hold of a line that exists. The Refunded and
// ActiveCaseID of o's lines are ignored: the ledger is ours, not the mall's.
//
// Line items are written before the snapshot (in transactions of at most a
// hundred writes), so a snapshot is never visible without its line items.
func (s *Store) PutOrder(ctx context.Context, o *aftersales.Order) error {
	const op = "dynamo.put_order"
	ops := make([]types.TransactWriteItem, 0, len(o.Lines)+1)
	for _, l := range o.Lines {
		var n names
		set := []string{
			n.name(attrEntity) + " = " + n.value(avS(entityLine)),
			n.name(attrOrderID) + " = " + n.value(avS(o.ID)),
			n.name(attrLineID) + " = " + n.value(avS(l.LineID)),
			n.name(attrPaidAmount) + " = " + n.value(avN(l.PaidAmount)),
			n.name(attrQuantity) + " = " + n.value(avN(int64(l.Quantity))),
			fmt.Sprintf("%s = if_not_exists(%[1]s, %s)", n.name(attrRefunded), n.value(avN(0))),
		}
		ops = append(ops, types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: s.key(orderPK(o.ID), lineSK(l.LineID)),
			UpdateExpression:         aws.String("SET " + strings.Join(set, ", ")),
			ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
		}})
	}
	ops = append(ops, types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: orderShape.encode(o)}})
	for start := 0; start < len(ops); start += maxTransaction {
		chunk := ops[start:min(start+maxTransaction, len(ops))]
		if _, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: chunk}); err != nil {
			return classify(op, err)
		}
	}
	return nil
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
	return o, nil
}

// GetIdempotency returns the record for scope and key unless it has expired.
func (s *Store) GetIdempotency(ctx context.Context, scope, key string) (aftersales.IdempotencyRecord, error) {
	return getLive(ctx, s, "dynamo.get_idempotency", idemPK(scope, key), skIdem, "no such idempotency key", idemShape,
		func(r aftersales.IdempotencyRecord) time.Time { return r.ExpiresAt })
}
