package dynamo

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Every item type is declared once, in records.go, as a shape: the list of
// its attributes, each naming the attribute, how it is stored and which
// field of the value it holds. One declaration serves both directions, so
// that writing and reading cannot disagree, and the kinds of attribute
// below keep the layout's rules (see item): zero strings, times, binaries,
// lists, maps and sets are left out, integers are always written.

// field is one attribute of an item of type T. Attributes derived from
// other fields (keys, index keys, filter sets) have no read.
type field[T any] struct {
	write func(w writer, v *T)
	read  func(r *reader, v *T)
}

// shape is an item type, or the type of a nested map, as its attributes.
type shape[T any] []field[T]

// encode returns the item that holds v.
func (s shape[T]) encode(v *T) item {
	it := item{}
	for _, f := range s {
		f.write(writer(it), v)
	}
	return it
}

// read sets the fields of v from r's item, leaving r's error memory to the
// caller.
func (s shape[T]) read(r *reader, v *T) {
	for _, f := range s {
		if f.read != nil {
			f.read(r, v)
		}
	}
}

// decode converts an item (from the table, or from an index that projects
// all attributes) back; a malformed attribute is an error that names the
// item by its keys.
func (s shape[T]) decode(it item) (T, error) {
	var v T
	r := reader{it: it}
	s.read(&r, &v)
	if r.err != nil {
		keys := reader{it: it}
		var zero T
		return zero, fmt.Errorf("item %s %s: %w", keys.str(AttrPK), keys.str(AttrSK), r.err)
	}
	return v, nil
}

// text is a string attribute of any string type.
func text[T any, S ~string](name string, at func(*T) *S) field[T] {
	return field[T]{
		write: func(w writer, v *T) { w.str(name, string(*at(v))) },
		read:  func(r *reader, v *T) { *at(v) = S(r.str(name)) },
	}
}

// number is an integer attribute.
func number[T any, I ~int | ~int64](name string, at func(*T) *I) field[T] {
	return field[T]{
		write: func(w writer, v *T) { w.num(name, int64(*at(v))) },
		read:  func(r *reader, v *T) { *at(v) = I(r.num(name)) },
	}
}

// instant is a time attribute.
func instant[T any](name string, at func(*T) *time.Time) field[T] {
	return field[T]{
		write: func(w writer, v *T) { w.time(name, *at(v)) },
		read:  func(r *reader, v *T) { *at(v) = r.time(name) },
	}
}

// blob is a binary attribute.
func blob[T any](name string, at func(*T) *[]byte) field[T] {
	return field[T]{
		write: func(w writer, v *T) { w.bytes(name, *at(v)) },
		read:  func(r *reader, v *T) { *at(v) = r.bytes(name) },
	}
}

// flag is a boolean stored as the number 1 when true and left out when
// false: the fewest bytes, and "true" reads back from nothing else.
func flag[T any](name string, at func(*T) *bool) field[T] {
	return field[T]{
		write: func(w writer, v *T) {
			if *at(v) {
				w.num(name, 1)
			}
		},
		read: func(r *reader, v *T) { *at(v) = r.num(name) == 1 },
	}
}

// textSet is a string set of any string type.
func textSet[T any, S ~string](name string, at func(*T) *[]S) field[T] {
	return field[T]{
		write: func(w writer, v *T) {
			ss := make([]string, len(*at(v)))
			for i, s := range *at(v) {
				ss[i] = string(s)
			}
			w.strSet(name, ss)
		},
		read: func(r *reader, v *T) {
			for _, s := range r.strSet(name) {
				*at(v) = append(*at(v), S(s))
			}
		},
	}
}

// amounts is a map of names to integers (a refund's share of each order
// line). An empty map is left out and reads back as nil.
func amounts[T any](name string, at func(*T) *map[string]int64) field[T] {
	return field[T]{
		write: func(w writer, v *T) {
			m := item{}
			for k, n := range *at(v) {
				m[k] = avN(n)
			}
			w.mapValue(name, m)
		},
		read: func(r *reader, v *T) {
			m, ok := r.mapValue(name)
			if !ok || len(m) == 0 {
				return
			}
			out := make(map[string]int64, len(m))
			r.sub(m, func(sr *reader) {
				for k := range m {
					out[k] = sr.num(k)
				}
			})
			*at(v) = out
		},
	}
}

// expiry writes both forms of an expiry: the exact instant that reads and
// conditions compare (attrExpires), and the TTL attribute, rounded up to a
// whole second so that DynamoDB never deletes an item that is still live.
// It reads the exact instant.
func expiry[T any](at func(*T) *time.Time) field[T] {
	return field[T]{
		write: func(w writer, v *T) {
			t := *at(v)
			w.time(attrExpires, t)
			if t.IsZero() {
				return
			}
			secs := t.Unix()
			if t.Nanosecond() > 0 {
				secs++
			}
			w.num(AttrTTL, secs)
		},
		read: func(r *reader, v *T) { *at(v) = r.time(attrExpires) },
	}
}

// derived is a string attribute computed from the value (a key, an index
// key), written only.
func derived[T any](name string, value func(*T) string) field[T] {
	return field[T]{write: func(w writer, v *T) { w.str(name, value(v)) }}
}

// fixed is an attribute that holds the same string in every item of its
// type (a sort key, the entity), written only.
func fixed[T any](name, value string) field[T] {
	return field[T]{write: func(w writer, _ *T) { w.str(name, value) }}
}

// object is a nested map that holds a struct field.
func object[T, S any](name string, at func(*T) *S, s shape[S]) field[T] {
	return field[T]{
		write: func(w writer, v *T) { w.mapValue(name, s.encode(at(v))) },
		read: func(r *reader, v *T) {
			if m, ok := r.mapValue(name); ok {
				r.sub(m, func(sr *reader) { s.read(sr, at(v)) })
			}
		},
	}
}

// optional is a nested map that holds a pointer field: nil, like a struct
// with no attribute to write, is left out, and a missing map reads as nil.
func optional[T, S any](name string, at func(*T) **S, s shape[S]) field[T] {
	return field[T]{
		write: func(w writer, v *T) {
			if p := *at(v); p != nil {
				w.mapValue(name, s.encode(p))
			}
		},
		read: func(r *reader, v *T) {
			if m, ok := r.mapValue(name); ok {
				p := new(S)
				r.sub(m, func(sr *reader) { s.read(sr, p) })
				*at(v) = p
			}
		},
	}
}

// objects is a list of nested maps that holds a slice field.
func objects[T, S any](name string, at func(*T) *[]S, s shape[S]) field[T] {
	return field[T]{
		write: func(w writer, v *T) {
			es := *at(v)
			l := make([]types.AttributeValue, len(es))
			for i := range es {
				l[i] = &types.AttributeValueMemberM{Value: s.encode(&es[i])}
			}
			w.list(name, l)
		},
		read: func(r *reader, v *T) {
			ms := r.maps(name)
			if len(ms) == 0 {
				return // an empty list reads back as nil, as it is left out
			}
			es := make([]S, len(ms))
			for i, m := range ms {
				r.sub(m, func(sr *reader) { s.read(sr, &es[i]) })
			}
			*at(v) = es
		},
	}
}
