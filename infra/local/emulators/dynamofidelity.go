package emulators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// AccountID is the account every local ARN names: the local DynamoDB's
// table ARNs here, the local Step Functions' and SQS's ARNs alike, so that a
// policy or a lookup written for one ARN matches another service's.
const AccountID = "123456789012"

// maxListTables is ListTables' largest page, as in DynamoDB.
const maxListTables = 100

// dynamoFidelity answers as DynamoDB does where minidyn does not, so that
// the AWS CLI's common commands and the SDK's waiters work against the
// local DynamoDB:
//
//   - ListTables, DescribeTimeToLive and UpdateTimeToLive, which minidyn
//     does not know, are answered here from what it was asked to create;
//   - CreateTable, DescribeTable and DeleteTable answers get TableStatus
//     (ACTIVE; DELETING for a deleted table), TableArn, TableId and
//     CreationDateTime, without which `aws dynamodb wait table-exists`
//     waits forever;
//   - Scan and Query with Select COUNT answer the count without the items,
//     and every Scan and Query answer carries ScannedCount.
//
// TTL is recorded and reported, not enforced: items never expire here
// (minidyn has no TTL), and the adapters check expiry themselves.
type dynamoFidelity struct {
	next http.Handler
	now  func() time.Time

	mu     sync.Mutex
	tables map[string]*tableMeta
}

// tableMeta is what DynamoDB reports of a table that minidyn does not keep.
type tableMeta struct {
	id      string
	created time.Time
	ttlAttr string // "" while TTL is disabled
}

func newDynamoFidelity(next http.Handler, now func() time.Time) *dynamoFidelity {
	return &dynamoFidelity{next: next, now: now, tables: map[string]*tableMeta{}}
}

func (f *dynamoFidelity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndexByte(target, '.')+1:]
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeDynamoError(w, "SerializationException", "cannot read the request body")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeDynamoError(w, "SerializationException", "the request body is not JSON")
			return
		}
	}
	switch op {
	case "ListTables":
		f.listTables(w, in)
	case "DescribeTimeToLive":
		f.describeTTL(w, in)
	case "UpdateTimeToLive":
		f.updateTTL(w, in)
	case "CreateTable", "DescribeTable", "DeleteTable", "Scan", "Query":
		f.patch(w, r, op, in)
	default:
		f.next.ServeHTTP(w, r)
	}
}

// patch passes the request to minidyn and completes a successful answer.
func (f *dynamoFidelity) patch(w http.ResponseWriter, r *http.Request, op string, in map[string]any) {
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, r)
	var out map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		copyAnswer(w, rec, rec.Body.Bytes())
		return
	}
	name, _ := in["TableName"].(string)
	switch op {
	case "CreateTable":
		f.mu.Lock()
		f.tables[name] = &tableMeta{id: tableID(name, f.now()), created: f.now()}
		f.mu.Unlock()
		f.describe(out, "TableDescription", name, "ACTIVE")
	case "DescribeTable":
		f.describe(out, "Table", name, "ACTIVE")
	case "DeleteTable":
		f.describe(out, "TableDescription", name, "DELETING")
		f.mu.Lock()
		delete(f.tables, name)
		f.mu.Unlock()
	case "Scan", "Query":
		if in["Select"] == "COUNT" {
			delete(out, "Items")
		}
		if _, ok := out["ScannedCount"]; !ok {
			// minidyn does not say how many items it read before a
			// FilterExpression: without one, that is the count.
			out["ScannedCount"] = out["Count"]
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeDynamoError(w, "InternalServerError", err.Error())
		return
	}
	copyAnswer(w, rec, b)
}

// describe completes a table description (under key of out) with what
// minidyn leaves out.
func (f *dynamoFidelity) describe(out map[string]any, key, name, status string) {
	d, ok := out[key].(map[string]any)
	if !ok {
		return
	}
	f.mu.Lock()
	m := f.tables[name]
	f.mu.Unlock()
	if m == nil { // created before this layer existed: not possible, but harmless
		m = &tableMeta{id: tableID(name, time.Time{}), created: f.now()}
	}
	d["TableStatus"] = status
	d["TableArn"] = tableARN(name)
	d["TableId"] = m.id
	d["CreationDateTime"] = float64(m.created.UnixMilli()) / 1000
}

func (f *dynamoFidelity) listTables(w http.ResponseWriter, in map[string]any) {
	limit := maxListTables
	if l, ok := in["Limit"].(float64); ok {
		if l < 1 || l > maxListTables {
			writeDynamoError(w, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%v' at 'limit' failed to satisfy constraint: Member must have value less than or equal to %d and greater than or equal to 1", l, maxListTables))
			return
		}
		limit = int(l)
	}
	start, _ := in["ExclusiveStartTableName"].(string)
	f.mu.Lock()
	names := make([]string, 0, len(f.tables))
	for n := range f.tables {
		if n > start {
			names = append(names, n)
		}
	}
	f.mu.Unlock()
	slices.Sort(names)
	out := map[string]any{"TableNames": names}
	if len(names) > limit {
		out["TableNames"] = names[:limit]
		out["LastEvaluatedTableName"] = names[limit-1]
	}
	writeDynamoJSON(w, out)
}

func (f *dynamoFidelity) describeTTL(w http.ResponseWriter, in map[string]any) {
	m := f.table(w, in)
	if m == nil {
		return
	}
	f.mu.Lock()
	attr := m.ttlAttr
	f.mu.Unlock()
	d := map[string]any{"TimeToLiveStatus": "DISABLED"}
	if attr != "" {
		d = map[string]any{"TimeToLiveStatus": "ENABLED", "AttributeName": attr}
	}
	writeDynamoJSON(w, map[string]any{"TimeToLiveDescription": d})
}

func (f *dynamoFidelity) updateTTL(w http.ResponseWriter, in map[string]any) {
	m := f.table(w, in)
	if m == nil {
		return
	}
	spec, _ := in["TimeToLiveSpecification"].(map[string]any)
	attr, _ := spec["AttributeName"].(string)
	enabled, ok := spec["Enabled"].(bool)
	if attr == "" || !ok {
		writeDynamoError(w, "ValidationException", "TimeToLiveSpecification needs AttributeName and Enabled")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case enabled && m.ttlAttr != "":
		writeDynamoError(w, "ValidationException", "TimeToLive is already enabled")
		return
	case !enabled && m.ttlAttr == "":
		writeDynamoError(w, "ValidationException", "TimeToLive is already disabled")
		return
	case !enabled && m.ttlAttr != attr:
		writeDynamoError(w, "ValidationException", "TimeToLive is enabled on attribute "+m.ttlAttr)
		return
	case enabled:
		m.ttlAttr = attr
	default:
		m.ttlAttr = ""
	}
	writeDynamoJSON(w, map[string]any{"TimeToLiveSpecification": spec})
}

// table is the table the request names, or nil after answering that there
// is no such table.
func (f *dynamoFidelity) table(w http.ResponseWriter, in map[string]any) *tableMeta {
	name, _ := in["TableName"].(string)
	f.mu.Lock()
	m := f.tables[name]
	f.mu.Unlock()
	if m == nil {
		writeDynamoError(w, "ResourceNotFoundException", "Requested resource not found: Table: "+name+" not found")
	}
	return m
}

func tableARN(name string) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", DynamoRegion, AccountID, name)
}

// tableID is a stable id in DynamoDB's format (a UUID) for a table created
// at t; recreating a table gives it a new one.
func tableID(name string, t time.Time) string {
	var h uint64 = 14695981039346656037 // FNV-1a over the name and time
	for _, b := range []byte(name + t.Format(time.RFC3339Nano)) {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(h>>4)&0xfff, h&0xffffffffffff)
}

func copyAnswer(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

func writeDynamoJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(v)
}

// writeDynamoError answers a client error in DynamoDB's JSON protocol.
func writeDynamoError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.dynamodb.v20120810#" + code, "message": msg})
}
