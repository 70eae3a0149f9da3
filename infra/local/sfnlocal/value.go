package sfnlocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// JSON values inside the interpreter are plain Go values: *object (an
// object that keeps its key order, see object.go), []any, string, bool,
// nil, int64 for integral numbers and float64 for the rest. Integers stay
// int64 so that ids and amounts in cents survive a round trip without float
// rounding, and ojg's JSONPath evaluator works on exactly these types.
// Values are treated as immutable once decoded: every transformation builds
// new containers, so branches and iterations can share their input safely.

// decodeJSON parses one JSON document into the interpreter's value model,
// keeping the order of object keys.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	// Anything after the value is trailing garbage.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// decodeValue reads one value from the token stream. The decoder checks
// the syntax (commas, colons, nesting), so only the shape is built here.
func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				// A repeated key keeps its first position and the last
				// value, as encoding/json keeps the last value.
				o.set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case json.Number:
		return numberValue(string(t)), nil
	default:
		return t, nil // string, bool or nil
	}
}

func numberValue(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return f
}

// encodeJSON renders a value compactly, without HTML escaping (Step
// Functions returns "<" and "&" verbatim), objects in key order.
func encodeJSON(v any) string {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		// Values come from decodeJSON or from the interpreter itself, so
		// the only failure is a NaN or Inf produced by arithmetic; render
		// it as null rather than lose the whole document.
		return "null"
	}
	return buf.String()
}

// toFloat reports the numeric value of v if v is a JSON number.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

// toInt reports v as an integer if it is a JSON number with no fraction.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && n >= math.MinInt64 && n <= math.MaxInt64 {
			return int64(n), true
		}
	}
	return 0, false
}

// numEqual compares two numbers exactly when both are integers.
func numCompare(a, b any) (int, bool) {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt {
		switch {
		case ai < bi:
			return -1, true
		case ai > bi:
			return 1, true
		}
		return 0, true
	}
	af, ok1 := toFloat(a)
	bf, ok2 := toFloat(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	}
	return 0, true
}

// jsonEqual reports deep equality of two values, numbers compared by value.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case *object:
		// Key order does not matter for equality, as in JSON.
		y, ok := b.(*object)
		if !ok || x.len() != y.len() {
			return false
		}
		for k, v := range x.vals {
			w, ok := y.vals[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case string, bool, nil:
		return a == b
	}
	if c, ok := numCompare(a, b); ok {
		return c == 0
	}
	return false
}

// typeName names a value's JSON type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case *object:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case int64, float64, int:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}
