package meter

import (
	"context"
	"math"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table is the DynamoDB table a meter computes request units for.
type Table struct {
	name    string
	client  *dynamodb.Client // without the meter: sizing reads are not counted
	keys    []string         // the table's key attributes
	indexes [][]string       // each global secondary index's key attributes
}

// NewTable describes a table from its schema; client must not carry the
// meter's middleware (it reads items to size them). Indexes are taken to
// project all attributes, as the project's do: any change of an item in an
// index writes its index entry.
func NewTable(client *dynamodb.Client, schema *dynamodb.CreateTableInput) *Table {
	t := &Table{name: aws.ToString(schema.TableName), client: client}
	for _, k := range schema.KeySchema {
		t.keys = append(t.keys, aws.ToString(k.AttributeName))
	}
	for _, g := range schema.GlobalSecondaryIndexes {
		var keys []string
		for _, k := range g.KeySchema {
			keys = append(keys, aws.ToString(k.AttributeName))
		}
		t.indexes = append(t.indexes, keys)
	}
	return t
}

// write is one item a request writes, with its image before the request.
type write struct {
	key            map[string]types.AttributeValue
	transactional  bool
	conditionCheck bool // a transaction's ConditionCheck: read, not written
	before         map[string]types.AttributeValue
}

// writesOf lists the items of this table that params write, and reads each
// one's current image.
func (t *Table) writesOf(ctx context.Context, params any) []write {
	var ws []write
	add := func(table *string, key map[string]types.AttributeValue, tx, check bool) {
		if aws.ToString(table) == t.name {
			ws = append(ws, write{key: t.keyOf(key), transactional: tx, conditionCheck: check})
		}
	}
	switch p := params.(type) {
	case *dynamodb.PutItemInput:
		add(p.TableName, p.Item, false, false)
	case *dynamodb.UpdateItemInput:
		add(p.TableName, p.Key, false, false)
	case *dynamodb.DeleteItemInput:
		add(p.TableName, p.Key, false, false)
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range p.TransactItems {
			switch {
			case it.Put != nil:
				add(it.Put.TableName, it.Put.Item, true, false)
			case it.Update != nil:
				add(it.Update.TableName, it.Update.Key, true, false)
			case it.Delete != nil:
				add(it.Delete.TableName, it.Delete.Key, true, false)
			case it.ConditionCheck != nil:
				add(it.ConditionCheck.TableName, it.ConditionCheck.Key, true, true)
			}
		}
	case *dynamodb.BatchWriteItemInput:
		for _, r := range p.RequestItems[t.name] {
			switch {
			case r.PutRequest != nil:
				add(aws.String(t.name), r.PutRequest.Item, false, false)
			case r.DeleteRequest != nil:
				add(aws.String(t.name), r.DeleteRequest.Key, false, false)
			}
		}
	}
	for i := range ws {
		ws[i].before = t.get(ctx, ws[i].key)
	}
	return ws
}

func (t *Table) keyOf(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	key := make(map[string]types.AttributeValue, len(t.keys))
	for _, k := range t.keys {
		key[k] = item[k]
	}
	return key
}

// get reads an item strongly consistently; nil when absent or unreadable.
func (t *Table) get(ctx context.Context, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	out, err := t.client.GetItem(context.WithoutCancel(ctx), &dynamodb.GetItemInput{TableName: aws.String(t.name), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil
	}
	return out.Item
}

// writeUnits computes the write request units of a finished request from
// the items' images before and after it, by DynamoDB's rules: one unit per
// KB (rounded up) of the larger image, twice that in a transaction, and
// for every global secondary index the item is in before or after, one
// write of the index entry (a delete and a put when its key changed). A
// refused request (failed condition, cancelled transaction) is charged one
// unit per item, twice in a transaction.
func (t *Table) writeUnits(ctx context.Context, ws []write, err error) float64 {
	var units float64
	for _, w := range ws {
		factor := 1.0
		if w.transactional {
			factor = 2
		}
		if err != nil {
			units += factor * kb(ItemSize(w.before), 1024)
			continue
		}
		if w.conditionCheck {
			// Assumption: a ConditionCheck is charged as a transactional
			// write of the item checked (an upper bound).
			units += factor * kb(ItemSize(w.before), 1024)
			continue
		}
		after := t.get(ctx, w.key)
		units += factor * kb(max(ItemSize(w.before), ItemSize(after)), 1024)
		if reflect.DeepEqual(w.before, after) {
			continue // unchanged: nothing to write to the indexes
		}
		for _, idx := range t.indexes {
			inBefore, inAfter := indexed(w.before, idx), indexed(after, idx)
			switch {
			case inBefore && inAfter && sameKey(w.before, after, idx):
				units += kb(ItemSize(after), 1024)
			case inBefore && inAfter:
				units += kb(ItemSize(w.before), 1024) + kb(ItemSize(after), 1024)
			case inBefore:
				units += kb(ItemSize(w.before), 1024)
			case inAfter:
				units += kb(ItemSize(after), 1024)
			}
		}
	}
	return units
}

// indexed reports whether item has every key attribute of an index.
func indexed(item map[string]types.AttributeValue, keys []string) bool {
	if item == nil {
		return false
	}
	for _, k := range keys {
		if _, ok := item[k]; !ok {
			return false
		}
	}
	return true
}

func sameKey(a, b map[string]types.AttributeValue, keys []string) bool {
	for _, k := range keys {
		if !reflect.DeepEqual(a[k], b[k]) {
			return false
		}
	}
	return true
}

// readUnits computes the read request units of a finished request from the
// items it returned: 4 KB units (rounded up per item for single-item reads,
// per page for queries and scans), half for eventually consistent reads,
// twice for transactional reads. Queries with a projection are charged here
// on the projected items (DynamoDB charges the whole items): a lower bound.
func readUnits(params, result any, err error) float64 {
	if err != nil {
		return 0
	}
	half := func(consistent *bool) float64 {
		if aws.ToBool(consistent) {
			return 1
		}
		return 0.5
	}
	switch r := result.(type) {
	case *dynamodb.GetItemOutput:
		return half(params.(*dynamodb.GetItemInput).ConsistentRead) * kb(ItemSize(r.Item), 4096)
	case *dynamodb.QueryOutput:
		p := params.(*dynamodb.QueryInput)
		return half(p.ConsistentRead) * kb(itemsSize(r.Items), 4096)
	case *dynamodb.ScanOutput:
		return half(params.(*dynamodb.ScanInput).ConsistentRead) * kb(itemsSize(r.Items), 4096)
	case *dynamodb.BatchGetItemOutput:
		var u float64
		for table, items := range r.Responses {
			f := half(params.(*dynamodb.BatchGetItemInput).RequestItems[table].ConsistentRead)
			for _, it := range items {
				u += f * kb(ItemSize(it), 4096)
			}
		}
		return u
	case *dynamodb.TransactGetItemsOutput:
		var u float64
		for _, it := range r.Responses {
			u += 2 * kb(ItemSize(it.Item), 4096)
		}
		return u
	}
	return 0
}

func itemsSize(items []map[string]types.AttributeValue) int {
	n := 0
	for _, it := range items {
		n += ItemSize(it)
	}
	return n
}

// kb is size in units of unit bytes, rounded up, at least one.
func kb(size, unit int) float64 {
	return max(1, math.Ceil(float64(size)/float64(unit)))
}

// ItemSize is an item's size as DynamoDB counts it: the UTF-8 lengths of
// attribute names plus the sizes of their values.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

// valueSize follows "Item sizes and formats" of the DynamoDB developer
// guide: strings and binaries by length, numbers by significant digits
// (about one byte per two digits, plus one), booleans and null one byte,
// lists and maps 3 bytes plus their elements plus one byte per element.
func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize is the stored size of a number: its significant digits (no
// sign, point, exponent, leading or trailing zeros) halved, rounded up,
// plus one byte.
func numberSize(s string) int {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimLeft(strings.NewReplacer("-", "", "+", "", ".", "").Replace(s), "0")
	s = strings.TrimRight(s, "0")
	return (len(s)+1)/2 + 1
}
