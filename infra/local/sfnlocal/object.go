package sfnlocal

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// object is a JSON object of the interpreter's value model that remembers
// the order of its keys. Step Functions keeps document order: a wildcard,
// filter or deep scan over an object ($.o.*, $..v, $.o[?(@.x>0)]) returns
// its matches in the order the keys were written, and outputs keep the
// order of their input. A Go map cannot, so every object the interpreter
// decodes or builds is an *object. It implements ojg's jp.Keyed, whose
// evaluator walks Keys() in order.
//
// Like every value of the model, an object is immutable once built: the
// mutating methods exist for jp.Keyed and are used only while building.
type object struct {
	keys []string
	vals map[string]any
}

// newObject returns an empty object with room for n keys.
func newObject(n int) *object {
	return &object{keys: make([]string, 0, n), vals: make(map[string]any, n)}
}

// objectOf builds an object from alternating keys and values, in order. It
// keeps the interpreter's own objects (error outputs, the context object)
// readable.
func objectOf(kv ...any) *object {
	o := newObject(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

// set adds the key at the end, or replaces its value in place.
func (o *object) set(k string, v any) {
	if _, has := o.vals[k]; !has {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// get returns the value at k.
func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// len is the number of keys.
func (o *object) len() int { return len(o.keys) }

// clone returns a shallow copy with room for extra keys.
func (o *object) clone(extra int) *object {
	c := &object{keys: make([]string, len(o.keys), len(o.keys)+extra), vals: make(map[string]any, len(o.keys)+extra)}
	copy(c.keys, o.keys)
	for k, v := range o.vals {
		c.vals[k] = v
	}
	return c
}

// ValueForKey implements jp.Keyed.
func (o *object) ValueForKey(key string) (any, bool) { return o.get(key) }

// SetValueForKey implements jp.Keyed.
func (o *object) SetValueForKey(key string, value any) { o.set(key, value) }

// RemoveValueForKey implements jp.Keyed.
func (o *object) RemoveValueForKey(key string) {
	if _, has := o.vals[key]; !has {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// Keys implements jp.Keyed, in document order.
func (o *object) Keys() []string { return o.keys }

// MarshalJSON renders the object in key order, so that encoding/json users
// (tests, the API layer) see what the interpreter sees.
func (o *object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, o); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// asMap returns the key/value map of an object value: the definition
// loader looks fields up by name and does not care about their order.
func asMap(v any) (map[string]any, bool) {
	if o, ok := v.(*object); ok {
		return o.vals, true
	}
	return nil, false
}

// errNotFinite reports a NaN or infinite number, which JSON cannot hold.
type errNotFinite struct{}

func (errNotFinite) Error() string { return "a number is NaN or infinite" }

// writeJSON renders a value of the model compactly, objects in key order,
// strings without HTML escaping (Step Functions returns "<" and "&"
// verbatim) and numbers as encoding/json would.
func writeJSON(b *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case string:
		writeString(b, t)
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteString(strconv.Itoa(t))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return errNotFinite{}
		}
		out, err := json.Marshal(t)
		if err != nil {
			return err
		}
		b.Write(out)
	case *object:
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := writeJSON(b, t.vals[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		// Not a value of the model (a caller's own type): let
		// encoding/json render it, without HTML escaping.
		var tmp bytes.Buffer
		enc := json.NewEncoder(&tmp)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		b.Write(bytes.TrimRight(tmp.Bytes(), "\n"))
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// writeString quotes s as encoding/json does with HTML escaping off:
// control characters, quote, backslash, invalid UTF-8 and U+2028/U+2029
// are escaped.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
