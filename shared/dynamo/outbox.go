package dynamo

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.OutboxStore = (*Store)(nil)

// The transactional outbox (issue 15): every event a case change raises is
// an item OUTBOX#<shard> / <at>#<event id>, put in the transaction that
// writes the change, so the event exists if and only if the change does.
// DynamoDB Streams hands each new outbox item (an INSERT whose entity is
// outbox: OutboxStreamFilter) to the publisher function, which puts it on
// the bus and deletes it. The shards (StatusShards, by the event id) spread
// a burst of events as the list indexes spread cases; the sort key orders a
// shard oldest first, so PendingEvents (the local poller, the redrive) is a
// query per shard, never a scan. Outbox items have no TTL: an event is only
// ever removed by being published.

// EntityOutbox is the entity attribute of outbox items.
const EntityOutbox = "outbox"

const (
	attrEventType    = "event_type"
	attrEventVersion = "event_version"
	outboxPfx        = "OUTBOX#"
)

// OutboxStreamFilter is the filter pattern of the publisher's event source
// mapping: new outbox items only (not their deletion, not other items).
func OutboxStreamFilter() string {
	return fmt.Sprintf(`{"eventName":["INSERT"],"dynamodb":{"NewImage":{%q:{"S":[%q]}}}}`, attrEntity, EntityOutbox)
}

func outboxPK(eventID string) string { return outboxPfx + strconv.Itoa(shardOf(eventID)) }

func outboxSK(e aftersales.DomainEvent) string { return formatTime(e.At) + "#" + e.ID }

// OutboxImage is the item that holds e in the outbox: what the table
// stores, and what a stream record's NewImage carries.
func OutboxImage(e aftersales.DomainEvent) (map[string]types.AttributeValue, error) {
	detail := []byte("{}")
	if e.Detail != nil {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return nil, fmt.Errorf("event %s: detail: %w", e.ID, err)
		}
		detail = b
	}
	it := item{}
	w := writer(it)
	w.str(AttrPK, outboxPK(e.ID))
	w.str(AttrSK, outboxSK(e))
	w.str(attrEntity, EntityOutbox)
	w.str(attrEventID, e.ID)
	w.str(attrEventType, e.Type)
	w.num(attrEventVersion, int64(e.EventVersion()))
	w.time(attrAt, e.At)
	w.str(attrCaseID, e.CaseID)
	w.str(attrOrderID, e.OrderID)
	w.str(attrBuyerID, e.BuyerID)
	w.str(attrDetail, string(detail))
	return it, nil
}

// OutboxEvent reads an outbox item (a stream record's NewImage) back into
// its event; ok is false for any other item.
func OutboxEvent(image map[string]types.AttributeValue) (e aftersales.DomainEvent, ok bool, err error) {
	r := &reader{it: image}
	if ent, _ := image[attrEntity].(*types.AttributeValueMemberS); ent == nil || ent.Value != EntityOutbox {
		return e, false, nil
	}
	e = aftersales.DomainEvent{ID: r.str(attrEventID), Type: r.str(attrEventType), Version: int(r.num(attrEventVersion)),
		At: r.time(attrAt), CaseID: r.str(attrCaseID), OrderID: r.str(attrOrderID), BuyerID: r.str(attrBuyerID)}
	detail := r.str(attrDetail)
	if r.err != nil {
		return e, true, fmt.Errorf("outbox item %s: %w", r.str(AttrSK), r.err)
	}
	if e.ID == "" || e.Type == "" {
		return e, true, fmt.Errorf("outbox item %s: no event id or type", r.str(AttrSK))
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(detail)))
	dec.UseNumber() // amounts stay exact integers
	if err := dec.Decode(&e.Detail); err != nil {
		return e, true, fmt.Errorf("outbox item %s: detail: %w", r.str(AttrSK), err)
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	return e, true, nil
}

// outboxPuts are the writes of the events c raised, for the transaction
// of its change. They are unconditional: an event of the same id still
// pending is the same fact, written again.
func (s *Store) outboxPuts(op string, c *aftersales.Case) ([]types.TransactWriteItem, error) {
	if len(c.Raised) > aftersales.MaxRaisedPerChange {
		return nil, aftersales.Wrap(aftersales.KindInternal, op,
			fmt.Errorf("case %s: %d events raised by one change", c.ID, len(c.Raised)))
	}
	ops := make([]types.TransactWriteItem, 0, len(c.Raised))
	seen := map[string]bool{}
	for _, e := range c.Raised {
		if seen[e.ID] {
			// One transaction may not write an item twice.
			return nil, aftersales.Wrap(aftersales.KindInternal, op, fmt.Errorf("case %s: event %s raised twice", c.ID, e.ID))
		}
		seen[e.ID] = true
		it, err := OutboxImage(e)
		if err != nil {
			return nil, aftersales.Wrap(aftersales.KindInternal, op, err)
		}
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: it}})
	}
	return ops, nil
}

// PendingEvents queries each outbox shard for events before before, oldest
// first, and merges them.
func (s *Store) PendingEvents(ctx context.Context, before time.Time, limit int) ([]aftersales.DomainEvent, error) {
	const op = "dynamo.pending_events"
	var out []aftersales.DomainEvent
	for shard := range StatusShards {
		var n names
		in := &dynamodb.QueryInput{TableName: s.table, ConsistentRead: aws.Bool(true),
			KeyConditionExpression: aws.String(n.name(AttrPK) + " = " + n.value(avS(outboxPfx+strconv.Itoa(shard))) +
				" AND " + n.name(AttrSK) + " < " + n.value(avS(formatTime(before)))),
			ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
		}
		if limit > 0 {
			in.Limit = aws.Int32(int32(limit))
		}
		got := 0
		err := s.queryItems(ctx, op, in, func(_ string, it item) (bool, error) {
			e, _, err := OutboxEvent(it)
			if err != nil {
				return false, err
			}
			out = append(out, e)
			got++
			return limit <= 0 || got < limit, nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b aftersales.DomainEvent) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// MarkPublished deletes e's outbox item; deleting one that is gone is a
// success in DynamoDB too.
func (s *Store) MarkPublished(ctx context.Context, e aftersales.DomainEvent) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.table, Key: s.key(outboxPK(e.ID), outboxSK(e))})
	if err != nil {
		return classify("dynamo.mark_published", err)
	}
	return nil
}
