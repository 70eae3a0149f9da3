package dynamo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// item is one DynamoDB item. Records are converted by the shapes of
// records.go rather than by the SDK's attributevalue package: the table
// layout is part of the contract with the CDK stack and the local stack, so
// each attribute is named once, there, and a zero value is left out
// explicitly (minidyn, the local stand-in, mangles empty lists and maps,
// and DynamoDB rejects empty sets).
type item = map[string]types.AttributeValue

// timeLayout renders every stored time: UTC with a fixed number of fraction
// digits, so that the strings sort as the instants do (sort keys, the expiry
// condition on idempotency records) and a time round-trips to the nanosecond.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

func avS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func avN(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// writer fills an item, leaving out optional attributes that hold zero values.
type writer item

func (w writer) str(name, v string) {
	if v != "" {
		w[name] = avS(v)
	}
}

// num always writes: amounts and versions are compared in expressions, where
// a missing attribute would make "requested <= :max" false for a zero amount.
func (w writer) num(name string, v int64) { w[name] = avN(v) }

func (w writer) time(name string, t time.Time) {
	if !t.IsZero() {
		w[name] = avS(formatTime(t))
	}
}

func (w writer) bytes(name string, b []byte) {
	if len(b) > 0 {
		w[name] = &types.AttributeValueMemberB{Value: b}
	}
}

func (w writer) list(name string, l []types.AttributeValue) {
	if len(l) > 0 {
		w[name] = &types.AttributeValueMemberL{Value: l}
	}
}

func (w writer) strSet(name string, ss []string) {
	if len(ss) > 0 {
		w[name] = &types.AttributeValueMemberSS{Value: ss}
	}
}

func (w writer) mapValue(name string, m item) {
	if len(m) > 0 {
		w[name] = &types.AttributeValueMemberM{Value: m}
	}
}

// reader reads attributes of an item, remembering the first malformed one so
// that a converter can read every field and check once at the end. A missing
// attribute reads as the zero value: writers leave zero values out.
type reader struct {
	it  item
	err error
}

func (r *reader) fail(name, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("attribute %q is not %s", name, want)
	}
}

// attrOf returns the attribute name as the member type V; ok is false when
// the item lacks it, and when it is of another type, which also fails the
// reader: it was not want.
func attrOf[V types.AttributeValue](r *reader, name, want string) (v V, ok bool) {
	av, present := r.it[name]
	if !present {
		return v, false
	}
	if v, ok = av.(V); !ok {
		r.fail(name, want)
	}
	return v, ok
}

func (r *reader) str(name string) string {
	if s, ok := attrOf[*types.AttributeValueMemberS](r, name, "a string"); ok {
		return s.Value
	}
	return ""
}

func (r *reader) num(name string) int64 {
	n, ok := attrOf[*types.AttributeValueMemberN](r, name, "a number")
	if !ok {
		return 0
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		r.fail(name, "an integer")
	}
	return i
}

func (r *reader) time(name string) time.Time {
	s := r.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := parseTime(s)
	if err != nil {
		r.fail(name, "a time")
	}
	return t
}

func (r *reader) bytes(name string) []byte {
	if b, ok := attrOf[*types.AttributeValueMemberB](r, name, "binary"); ok {
		return b.Value
	}
	return nil
}

func (r *reader) strSet(name string) []string {
	if ss, ok := attrOf[*types.AttributeValueMemberSS](r, name, "a string set"); ok {
		return ss.Value
	}
	return nil
}

// strs reads a list of strings.
func (r *reader) strs(name string) []string {
	l, ok := attrOf[*types.AttributeValueMemberL](r, name, "a list")
	if !ok {
		return nil
	}
	out := make([]string, len(l.Value))
	for i, e := range l.Value {
		s, ok := e.(*types.AttributeValueMemberS)
		if !ok {
			r.fail(name, "a list of strings")
			return nil
		}
		out[i] = s.Value
	}
	return out
}

// maps reads a list of maps, the shape of every nested record.
func (r *reader) maps(name string) []item {
	l, ok := attrOf[*types.AttributeValueMemberL](r, name, "a list")
	if !ok {
		return nil
	}
	out := make([]item, len(l.Value))
	for i, e := range l.Value {
		m, ok := e.(*types.AttributeValueMemberM)
		if !ok {
			r.fail(name, "a list of maps")
			return nil
		}
		out[i] = m.Value
	}
	return out
}

func (r *reader) mapValue(name string) (item, bool) {
	if m, ok := attrOf[*types.AttributeValueMemberM](r, name, "a map"); ok {
		return m.Value, true
	}
	return nil, false
}

// sub reads a nested map with the same error memory as its parent.
func (r *reader) sub(it item, read func(*reader)) {
	s := reader{it: it}
	read(&s)
	if r.err == nil {
		r.err = s.err
	}
}
