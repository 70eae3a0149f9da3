package quota

import (
	"encoding/json"
	"math"
)

// DynamoRequest estimates what a DynamoDB JSON request costs before it
// runs: the partitions it touches (the values of the key attribute pk) and
// its write and read units. The estimate is by request size, which the
// throttle must know before the emulator answers: a written item counts
// one write unit per started KB of its JSON (a little more than DynamoDB's
// size, so the model errs on the throttled side), an UpdateItem the size of
// the whole request, a transaction twice; a read counts one unit per key or
// query. Index writes are not charged (docs/PERFORMANCE.md says so).
func DynamoRequest(op string, body []byte) (partitions []string, writeUnits, readUnits float64) {
	var req map[string]json.RawMessage
	if json.Unmarshal(body, &req) != nil {
		return nil, 0, 0
	}
	units := func(raw json.RawMessage) float64 { return math.Max(1, math.Ceil(float64(len(raw))/1024)) }
	write := func(raw json.RawMessage, factor float64) {
		partitions = append(partitions, partitionOf(raw))
		writeUnits += factor * units(raw)
	}
	switch op {
	case "PutItem":
		write(req["Item"], 1)
	case "UpdateItem":
		partitions = append(partitions, partitionOf(req["Key"]))
		writeUnits += units(body)
	case "DeleteItem":
		write(req["Key"], 1)
	case "TransactWriteItems":
		var items []map[string]struct {
			Item json.RawMessage
			Key  json.RawMessage
		}
		_ = json.Unmarshal(req["TransactItems"], &items)
		for _, it := range items {
			for kind, x := range it {
				switch {
				case kind == "Put":
					write(x.Item, 2)
				case kind == "Update": // the new size is unknown: 1 KB
					partitions = append(partitions, partitionOf(x.Key))
					writeUnits += 2
				default: // Delete, ConditionCheck
					write(x.Key, 2)
				}
			}
		}
	case "BatchWriteItem":
		var tables map[string][]struct {
			PutRequest    *struct{ Item json.RawMessage }
			DeleteRequest *struct{ Key json.RawMessage }
		}
		_ = json.Unmarshal(req["RequestItems"], &tables)
		for _, reqs := range tables {
			for _, r := range reqs {
				if r.PutRequest != nil {
					write(r.PutRequest.Item, 1)
				} else if r.DeleteRequest != nil {
					write(r.DeleteRequest.Key, 1)
				}
			}
		}
	case "GetItem":
		partitions, readUnits = []string{partitionOf(req["Key"])}, 1
	case "BatchGetItem":
		var tables map[string]struct{ Keys []json.RawMessage }
		_ = json.Unmarshal(req["RequestItems"], &tables)
		for _, t := range tables {
			for _, k := range t.Keys {
				partitions = append(partitions, partitionOf(k))
				readUnits++
			}
		}
	case "Query":
		// The partition is named by the key condition's value, which sits
		// among the expression's values: the first string stands for it.
		var values map[string]map[string]any
		_ = json.Unmarshal(req["ExpressionAttributeValues"], &values)
		p := "query"
		for _, v := range values {
			if s, ok := v["S"].(string); ok {
				p = s
				break
			}
		}
		partitions, readUnits = []string{p}, 1
	}
	return partitions, writeUnits, readUnits
}

// partitionOf is the pk value of an item or key in DynamoDB JSON.
func partitionOf(raw json.RawMessage) string {
	var item map[string]struct{ S string }
	if json.Unmarshal(raw, &item) != nil {
		return ""
	}
	return item["pk"].S
}
