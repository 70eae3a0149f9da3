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

// opRole says what an operation of a transaction was for, to turn its
// cancellation reason into the domain's answer.
type opRole struct {
	kind   string // "idem", "line", "case", "event"
	lineID string
}

// CreateCase writes the case, its timeline, the holds on its order lines and
// the idempotency record in one transaction. Operations are listed in the
// order their failures should be reported (see failedCheck): a taken
// idempotency key first, because the service answers it with the answer of
// the request that holds the key, then a held or unknown line, then the
// case itself.
func (s *Store) CreateCase(ctx context.Context, c *aftersales.Case, idem *aftersales.IdempotencyRecord) error {
	const op = "dynamo.create_case"
	ops := make([]types.TransactWriteItem, 0, 2+len(c.Lines)+len(c.Timeline))
	roles := make([]opRole, 0, cap(ops))
	if idem != nil {
		// The answer replaces the request's own claim, even one that has
		// expired while no other request took the key over.
		var n names
		cond := fmt.Sprintf("%s OR %s = %s", s.idemFree(&n), n.name(attrCaseID), n.value(avS(c.ID)))
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{
			TableName: s.table, Item: idemShape.encode(idem), ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
		}})
		roles = append(roles, opRole{kind: "idem"})
	}
	for _, l := range c.Lines {
		var n names
		active := n.name(attrActiveCase)
		ops = append(ops, types.TransactWriteItem{Update: &types.Update{
			TableName:        s.table,
			Key:              s.key(orderPK(c.OrderID), lineSK(l.LineID)),
			UpdateExpression: aws.String("SET " + active + " = " + n.value(avS(c.ID))),
			// A free line has no active_case, or an empty one (see lineFree).
			ConditionExpression: aws.String(fmt.Sprintf("attribute_exists(%s) AND (attribute_not_exists(%s) OR %s = %s)",
				n.name(AttrPK), active, active, n.value(avS(lineFree)))),
			ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
			// The old item tells a held line from one that does not exist.
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
		roles = append(roles, opRole{kind: "line", lineID: l.LineID})
	}
	var n names
	notExists := aws.String("attribute_not_exists(" + n.name(AttrPK) + ")")
	ops = append(ops, types.TransactWriteItem{Put: &types.Put{
		TableName: s.table, Item: caseShape.encode(c), ConditionExpression: notExists, ExpressionAttributeNames: n.names,
	}})
	roles = append(roles, opRole{kind: "case"})
	for _, e := range c.Timeline {
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{
			TableName: s.table, Item: eventItem(c.ID, e), ConditionExpression: notExists, ExpressionAttributeNames: n.names,
		}})
		roles = append(roles, opRole{kind: "event"})
	}
	raised, err := s.outboxPuts(op, c)
	if err != nil {
		return err
	}
	for _, w := range raised {
		ops = append(ops, w)
		roles = append(roles, opRole{kind: "outbox"})
	}
	if len(ops) > maxTransaction {
		return &aftersales.Error{Kind: aftersales.KindInvalid, Op: op,
			Msg: fmt.Sprintf("a case can name at most %d order lines", maxTransaction-(len(ops)-len(c.Lines)))}
	}
	// The SDK gives the transaction a client token once and keeps it across
	// its retries, so a retry of a transaction that did commit succeeds
	// instead of failing its own conditions.
	reasons, err := s.transact(ctx, op, ops)
	if reasons == nil {
		return err
	}
	for i, r := range roles {
		if !failedCheck(reasons, i) {
			continue
		}
		switch r.kind {
		case "idem":
			return aftersales.ErrIdempotencyKeyTaken.For(op)
		case "outbox":
			continue // unconditional: never the cause
		case "line":
			if len(reasons[i].Item) == 0 {
				return aftersales.NotFound(op, fmt.Sprintf("order %s has no line %q", c.OrderID, r.lineID))
			}
			return aftersales.ErrLineHeld.For(op)
		default:
			return &aftersales.Error{Kind: aftersales.KindConflict, Op: op,
				Msg: "a case with this id already exists", Err: err}
		}
	}
	return err
}

// GetCase reads the case item and its timeline with one strongly consistent
// query on the case's partition (callers read to change: a stale read would
// only buy a version conflict).
func (s *Store) GetCase(ctx context.Context, id string) (*aftersales.Case, error) {
	const op = "dynamo.get_case"
	var n names
	// Items that sort after the timeline (MSG#, REFUND#) are not read; any
	// other kind of item in the range is skipped below.
	kc := fmt.Sprintf("%s = %s AND %s BETWEEN %s AND %s", n.name(AttrPK), n.value(avS(casePK(id))),
		n.name(AttrSK), n.value(avS(skCase)), n.value(avS(evtEnd)))
	in := &dynamodb.QueryInput{
		TableName: s.table, KeyConditionExpression: aws.String(kc), ConsistentRead: aws.Bool(true),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	}
	c, events, err := caseAggregate.read(ctx, s, op, in)
	if err != nil {
		return nil, err
	}
	for _, e := range events { // sorted by Seq: the sort key zero-pads it
		c.Timeline = append(c.Timeline, e.TimelineEntry)
	}
	return c, nil
}

// batchGetKeys is the most keys one BatchGetItem takes.
const batchGetKeys = 100

// maxPartitionKeyBytes is the longest partition key value DynamoDB stores:
// an id whose key would be longer names no item, and asking for it would
// fail the whole BatchGetItem.
const maxPartitionKeyBytes = 2048

// CasesExist reads the case items' keys (nothing else) with strongly
// consistent BatchGetItem calls of 100 keys: a case created a moment ago is
// found. Keys DynamoDB leaves unprocessed (throttling) are asked for again
// with backoff, within ctx.
func (s *Store) CasesExist(ctx context.Context, ids []string) (map[string]bool, error) {
	const op = "dynamo.cases_exist"
	found := map[string]bool{}
	keys := make([]item, 0, min(len(ids), batchGetKeys))
	seen := make(map[string]bool, len(ids))
	flush := func() error {
		err := s.batchGetKeys(ctx, op, keys, func(it item) {
			if pk, ok := it[AttrPK].(*types.AttributeValueMemberS); ok {
				found[strings.TrimPrefix(pk.Value, casePK(""))] = true
			}
		})
		keys = keys[:0]
		return err
	}
	for _, id := range ids {
		pk := casePK(id)
		if seen[id] || len(pk) > maxPartitionKeyBytes {
			continue
		}
		seen[id] = true
		if keys = append(keys, s.key(pk, skCase)); len(keys) == batchGetKeys {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if len(keys) > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// batchGetKeys reads the keys of the items at keys (at most 100), calling
// found with each item that exists. Unprocessed keys are read again after a
// backoff that doubles from 20 ms; still unprocessed after 8 tries, they
// are a transient error.
func (s *Store) batchGetKeys(ctx context.Context, op string, keys []item, found func(item)) error {
	var n names
	projection := n.name(AttrPK) + ", " + n.name(AttrSK)
	backoff := 20 * time.Millisecond
	for try := 1; len(keys) > 0; try++ {
		out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			*s.table: {Keys: keys, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String(projection), ExpressionAttributeNames: n.names},
		}})
		if err != nil {
			return classify(op, err)
		}
		for _, it := range out.Responses[*s.table] {
			found(it)
		}
		keys = out.UnprocessedKeys[*s.table].Keys
		if len(keys) == 0 {
			return nil
		}
		if try == 8 {
			return aftersales.E(aftersales.KindTransient, op, fmt.Sprintf("%d keys still unprocessed after %d tries", len(keys), try))
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return classify(op, ctx.Err())
		}
		backoff *= 2
	}
	return nil
}

// UpdateCase replaces the case item on condition that its version is still
// prev, adds the timeline entries after prev, releases the case's order
// lines when this change ended it, and opens the ledger accounts the change
// opens (Case.Opened) — all in one transaction.
func (s *Store) UpdateCase(ctx context.Context, c *aftersales.Case, prev int) error {
	const op = "dynamo.update_case"
	var n names
	ops := make([]types.TransactWriteItem, 0, 1+len(c.Timeline)+len(c.Lines))
	ops = append(ops, types.TransactWriteItem{Put: &types.Put{
		TableName: s.table, Item: caseShape.encode(c),
		ConditionExpression:      aws.String(n.name(attrVersion) + " = " + n.value(avN(int64(prev)))),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
	var en names
	notExists := aws.String("attribute_not_exists(" + en.name(AttrPK) + ")")
	events := 0
	for _, e := range c.Timeline {
		if e.Seq <= prev {
			continue // already stored, and immutable
		}
		events++
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{
			TableName: s.table, Item: eventItem(c.ID, e), ConditionExpression: notExists, ExpressionAttributeNames: en.names,
		}})
	}
	firstLine := len(ops)
	if c.EndedSince(prev) {
		// The case releases its lines in the same transaction. It books
		// nothing on them: BeginRefund booked each refund when it was made,
		// under the condition that keeps refunds within what was paid.
		for _, l := range c.Lines {
			var ln names
			active := ln.name(attrActiveCase)
			ops = append(ops, types.TransactWriteItem{Update: &types.Update{
				TableName: s.table, Key: s.key(orderPK(c.OrderID), lineSK(l.LineID)),
				UpdateExpression:         aws.String("SET " + active + " = " + ln.value(avS(lineFree))),
				ConditionExpression:      aws.String(active + " = " + ln.value(avS(c.ID))),
				ExpressionAttributeNames: ln.names, ExpressionAttributeValues: ln.values,
			}})
		}
	}
	firstAccount := len(ops)
	ops = append(ops, s.openAccounts(c)...)
	// The events the change raised come last: unconditional, they never
	// cancel the transaction, and the indexes above stay as they are.
	raised, err := s.outboxPuts(op, c)
	if err != nil {
		return err
	}
	ops = append(ops, raised...)
	if len(ops) > maxTransaction {
		return aftersales.Wrap(aftersales.KindInternal, op,
			fmt.Errorf("case %s: %d writes exceed one transaction", c.ID, len(ops)))
	}
	reasons, err := s.transact(ctx, op, ops)
	if reasons == nil {
		return err
	}
	switch {
	case failedCheck(reasons, 0):
		return s.changedOrMissing(ctx, op, reasons[0], casePK(c.ID), skCase, aftersales.ErrVersionConflict, "no such case")
	case anyFailed(reasons, 1, 1+events):
		return aftersales.ErrVersionConflict.For(op)
	case anyFailed(reasons, firstAccount, firstAccount+len(c.Opened)):
		return aftersales.E(aftersales.KindConflict, op, fmt.Sprintf("case %s: a ledger account it opens has bookings and another amount", c.ID))
	case anyFailed(reasons, firstLine, firstAccount):
		return aftersales.Wrap(aftersales.KindInternal, op,
			fmt.Errorf("case %s ended but does not hold all its order lines", c.ID))
	}
	return err
}

func anyFailed(reasons []types.CancellationReason, from, to int) bool {
	for i := from; i < to; i++ {
		if failedCheck(reasons, i) {
			return true
		}
	}
	return false
}

// changedOrMissing answers a Put whose condition on the stored item pk/sk
// failed (reason): changed when the item exists, not found (missing says
// what) when it does not. DynamoDB returns the old item with a failed
// check when there is one; minidyn never does for a Put, so look.
func (s *Store) changedOrMissing(ctx context.Context, op string, reason types.CancellationReason, pk, sk string, changed *aftersales.Error, missing string) error {
	if len(reason.Item) > 0 {
		return changed.For(op)
	}
	var n names
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: s.table, Key: s.key(pk, sk), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String(n.name(AttrPK)), ExpressionAttributeNames: n.names,
	})
	switch {
	case err != nil:
		return classify(op, err)
	case len(out.Item) == 0:
		return aftersales.NotFound(op, missing)
	}
	return changed.For(op)
}

// PutUploads records declared uploads, all or none, so that the presigned
// URLs handed out always have their records.
func (s *Store) PutUploads(ctx context.Context, ups []aftersales.Upload) error {
	const op = "dynamo.put_uploads"
	for start := 0; start < len(ups); start += maxTransaction {
		chunk := ups[start:min(start+maxTransaction, len(ups))]
		ops := make([]types.TransactWriteItem, len(chunk))
		for i, u := range chunk {
			ops[i] = types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: uploadShape.encode(&u)}}
		}
		if _, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: ops}); err != nil {
			return classify(op, err)
		}
	}
	return nil
}

// GetUpload returns a declared upload that has not expired.
func (s *Store) GetUpload(ctx context.Context, id string) (aftersales.Upload, error) {
	return getLive(ctx, s, "dynamo.get_upload", uploadPK(id), skUpload, "no such upload", uploadShape,
		func(u aftersales.Upload) time.Time { return u.ExpiresAt })
}

// getLive reads an item that expires (DynamoDB's TTL deletes lazily, minidyn
// never): a missing or expired item is not found.
func getLive[T any](ctx context.Context, s *Store, op, pk, sk, missing string, sh shape[T], expires func(T) time.Time) (T, error) {
	v, err := getRecord(ctx, s, op, pk, sk, missing, sh)
	if err == nil && !s.clock.Now().Before(expires(*v)) {
		err = aftersales.NotFound(op, missing)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return *v, nil
}

// getRecord reads one item consistently and decodes it: a missing item is
// not found (missing says what), a malformed one an internal error.
func getRecord[T any](ctx context.Context, s *Store, op, pk, sk, missing string, sh shape[T]) (*T, error) {
	it, err := s.get(ctx, pk, sk)
	if err != nil {
		return nil, classify(op, err)
	}
	if it == nil {
		return nil, aftersales.NotFound(op, missing)
	}
	v, err := decode(sh, it)
	if err != nil {
		return nil, aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	return &v, nil
}

// get reads one item consistently; nil when there is none.
func (s *Store) get(ctx context.Context, pk, sk string) (item, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: s.table, Key: s.key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// openAccounts are the writes that open the ledger accounts of c.Opened on
// its order (F29): line items like the order's own, with the paid amount
// the change gives them, on condition that none exists, that it has that
// amount (a retry of the change rewrites what it wrote), or that nothing is
// booked on it (a new waybill's postage replaces the old); the refunded
// amount is never touched. The paid amount bounds what refunds book on the
// item, as for any line (BeginRefund).
func (s *Store) openAccounts(c *aftersales.Case) []types.TransactWriteItem {
	out := make([]types.TransactWriteItem, 0, len(c.Opened))
	for _, a := range c.Opened {
		var n names
		paid := n.name(attrPaidAmount)
		set := []string{
			n.name(attrEntity) + " = " + n.value(avS(entityLine)),
			n.name(attrOrderID) + " = " + n.value(avS(c.OrderID)),
			n.name(attrLineID) + " = " + n.value(avS(a.LineID)),
			paid + " = " + n.value(avN(a.PaidAmount)),
			n.name(attrQuantity) + " = " + n.value(avN(int64(a.Quantity))),
			fmt.Sprintf("%s = if_not_exists(%[1]s, %s)", n.name(attrRefunded), n.value(avN(0))),
		}
		out = append(out, types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: s.key(orderPK(c.OrderID), lineSK(a.LineID)),
			UpdateExpression: aws.String("SET " + strings.Join(set, ", ")),
			ConditionExpression: aws.String(fmt.Sprintf("attribute_not_exists(%s) OR %s = %s OR %s = %s",
				n.name(AttrPK), paid, n.value(avN(a.PaidAmount)), n.name(attrRefunded), n.value(avN(0)))),
			ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
		}})
	}
	return out
}
