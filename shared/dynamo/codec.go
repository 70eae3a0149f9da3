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

// The descriptors are generic in P, a pointer to the value: all pointers
// share one GC shape, so each descriptor kind compiles once rather than
// once per item type, whose instantiations are named after the whole
// struct. And they are not inlined, or every one of the ~130 call sites
// in the shapes' initialisation gets its own copy of the two closures.
// Together the two keep the codec ~330 KB smaller in every bootstrap
// (the api's: 10.88 MB rather than 11.21 MB).

// field is one attribute of an item held by a P (a pointer to the value).
// Attributes derived from other fields (keys, index keys, filter sets) have
// no read.
type field[P any] struct {
	write func(w writer, v P)
	read  func(r *reader, v P)
}

// fields are the attributes of an item, or of a nested map, held by a P.
type fields[P any] []field[P]

// shape is an item type T, or the type of a nested map, as its attributes.
type shape[T any] = fields[*T]

// encode returns the item that holds v.
func (s fields[P]) encode(v P) item {
	it := item{}
	for _, f := range s {
		f.write(writer(it), v)
	}
	return it
}

// read sets the fields of v from r's item, leaving r's error memory to the
// caller.
func (s fields[P]) read(r *reader, v P) {
	for _, f := range s {
		if f.read != nil {
			f.read(r, v)
		}
	}
}

// decode converts an item (from the table, or from an index that projects
// all attributes) back; a malformed attribute is an error that names the
// item by its keys.
func decode[T any](s shape[T], it item) (T, error) {
	var v T
	if err := s.decodeInto(it, &v); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// decoder is decode for s as a function value.
func decoder[T any](s shape[T]) func(item) (T, error) {
	return func(it item) (T, error) { return decode(s, it) }
}

// decodeInto is decode's work, on one instantiation for every item type.
func (s fields[P]) decodeInto(it item, v P) error {
	r := reader{it: it}
	s.read(&r, v)
	if r.err != nil {
		keys := reader{it: it}
		return fmt.Errorf("item %s %s: %w", keys.str(AttrPK), keys.str(AttrSK), r.err)
	}
	return nil
}

// text is a string attribute of any string type.
//
//go:noinline
func text[P any, S ~string](name string, at func(P) *S) field[P] {
	return field[P]{
		write: func(w writer, v P) { w.str(name, string(*at(v))) },
		read:  func(r *reader, v P) { *at(v) = S(r.str(name)) },
	}
}

// number is an integer attribute.
//
//go:noinline
func number[P any, I ~int | ~int64](name string, at func(P) *I) field[P] {
	return field[P]{
		write: func(w writer, v P) { w.num(name, int64(*at(v))) },
		read:  func(r *reader, v P) { *at(v) = I(r.num(name)) },
	}
}

// instant is a time attribute.
//
//go:noinline
func instant[P any](name string, at func(P) *time.Time) field[P] {
	return field[P]{
		write: func(w writer, v P) { w.time(name, *at(v)) },
		read:  func(r *reader, v P) { *at(v) = r.time(name) },
	}
}

// blob is a binary attribute.
//
//go:noinline
func blob[P any](name string, at func(P) *[]byte) field[P] {
	return field[P]{
		write: func(w writer, v P) { w.bytes(name, *at(v)) },
		read:  func(r *reader, v P) { *at(v) = r.bytes(name) },
	}
}

// flag is a boolean stored as the number 1 when true and left out when
// false: the fewest bytes, and "true" reads back from nothing else.
//
//go:noinline
func flag[P any](name string, at func(P) *bool) field[P] {
	return field[P]{
		write: func(w writer, v P) {
			if *at(v) {
				w.num(name, 1)
			}
		},
		read: func(r *reader, v P) { *at(v) = r.num(name) == 1 },
	}
}

// textSet is a string set of any string type.
//
//go:noinline
func textSet[P any, S ~string](name string, at func(P) *[]S) field[P] {
	return field[P]{
		write: func(w writer, v P) {
			ss := make([]string, len(*at(v)))
			for i, s := range *at(v) {
				ss[i] = string(s)
			}
			w.strSet(name, ss)
		},
		read: func(r *reader, v P) {
			for _, s := range r.strSet(name) {
				*at(v) = append(*at(v), S(s))
			}
		},
	}
}

// textList is an ordered list of strings (a string set would lose the
// order). An empty list is left out and reads back as nil.
//
//go:noinline
func textList[P any](name string, at func(P) *[]string) field[P] {
	return field[P]{
		write: func(w writer, v P) {
			ss := *at(v)
			l := make([]types.AttributeValue, len(ss))
			for i, s := range ss {
				l[i] = &types.AttributeValueMemberS{Value: s}
			}
			w.list(name, l)
		},
		read: func(r *reader, v P) { *at(v) = r.strs(name) },
	}
}

// amounts is a map of names to integers (a refund's share of each order
// line). An empty map is left out and reads back as nil.
//
//go:noinline
func amounts[P any](name string, at func(P) *map[string]int64) field[P] {
	return field[P]{
		write: func(w writer, v P) {
			m := item{}
			for k, n := range *at(v) {
				m[k] = avN(n)
			}
			w.mapValue(name, m)
		},
		read: func(r *reader, v P) {
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
//
//go:noinline
func expiry[P any](at func(P) *time.Time) field[P] {
	return field[P]{
		write: func(w writer, v P) {
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
		read: func(r *reader, v P) { *at(v) = r.time(attrExpires) },
	}
}

// derived is a string attribute computed from the value (a key, an index
// key), written only.
//
//go:noinline
func derived[P any](name string, value func(P) string) field[P] {
	return field[P]{write: func(w writer, v P) { w.str(name, value(v)) }}
}

// fixed is an attribute that holds the same string in every item of its
// type (a sort key, the entity), written only.
//
//go:noinline
func fixed[P any](name, value string) field[P] {
	return field[P]{write: func(w writer, _ P) { w.str(name, value) }}
}

// object is a nested map that holds a struct field.
//
//go:noinline
func object[P, Q any](name string, at func(P) Q, s fields[Q]) field[P] {
	return field[P]{
		write: func(w writer, v P) { w.mapValue(name, s.encode(at(v))) },
		read: func(r *reader, v P) {
			if m, ok := r.mapValue(name); ok {
				r.sub(m, func(sr *reader) { s.read(sr, at(v)) })
			}
		},
	}
}

// optional is a nested map that holds a pointer field: nil, like a struct
// with no attribute to write, is left out, and a missing map reads as nil.
//
//go:noinline
func optional[P, S any](name string, at func(P) **S, s shape[S]) field[P] {
	return field[P]{
		write: func(w writer, v P) {
			if p := *at(v); p != nil {
				w.mapValue(name, s.encode(p))
			}
		},
		read: func(r *reader, v P) {
			if m, ok := r.mapValue(name); ok {
				p := new(S)
				r.sub(m, func(sr *reader) { s.read(sr, p) })
				*at(v) = p
			}
		},
	}
}

// objects is a list of nested maps that holds a slice field.
//
//go:noinline
func objects[P, S any](name string, at func(P) *[]S, s shape[S]) field[P] {
	return field[P]{
		write: func(w writer, v P) {
			es := *at(v)
			l := make([]types.AttributeValue, len(es))
			for i := range es {
				l[i] = &types.AttributeValueMemberM{Value: s.encode(&es[i])}
			}
			w.list(name, l)
		},
		read: func(r *reader, v P) {
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
