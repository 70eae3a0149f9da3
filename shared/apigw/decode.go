package apigw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// maxBodyBytes bounds request bodies: the largest legitimate one (an
// application with nine evidence ids and a long description) is a few KB.
const maxBodyBytes = 64 << 10

// maxBatchBodyBytes fits a batch review of MaxBatchReview case ids.
const maxBatchBodyBytes = 1 << 20

const opDecode = "decode"

// decode reads a JSON body into v strictly; see decodeLimit.
func decode(r *http.Request, v any) error { return decodeLimit(r, v, maxBodyBytes) }

// decodeLimit reads a JSON body of at most limit bytes (413 beyond) into v,
// a pointer to a request struct, strictly, before anything is done with it:
//
//   - the body is one JSON value (400 otherwise: it is not JSON at all);
//   - every string is fit free text: UTF-8, checked on the raw bytes because
//     encoding/json would turn bad bytes into U+FFFD unseen, and without
//     control or invisible formatting characters (aftersales.CheckText);
//   - the body has v's shape: no unknown field, no value of the wrong JSON
//     type, no list longer than its field's `max` tag.
//
// Every problem is a 422 naming the field by its JSON path as the client
// wrote it ("lines[0].amount"); field names match exactly, not ignoring
// case as encoding/json would.
func decodeLimit(r *http.Request, v any, limit int64) error {
	body, err := readBody(r, limit)
	if err != nil {
		return err
	}
	tree, err := parseJSON(body)
	if err != nil {
		return err
	}
	if err := checkText(body, tree); err != nil {
		return err
	}
	var val aftersales.Validation
	checkShape(&val, tree, reflect.TypeOf(v).Elem(), "", 0)
	if err := val.Err(opDecode); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		// checkShape accepts only what decodes: reaching this is a bug in
		// it, though still caused by the client's input.
		return &aftersales.Error{Kind: aftersales.KindInvalid, Op: opDecode, Msg: "the body could not be decoded", Err: err}
	}
	return nil
}

// readBody reads a JSON body of at most limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return nil, aftersales.Invalid(opDecode, "Content-Type", "must be application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, &malformedError{msg: "the body could not be read"}
	}
	if int64(len(body)) > limit {
		return nil, &tooLargeError{limit: limit}
	}
	return body, nil
}

// parseJSON reads exactly one JSON value into a generic tree (objects,
// arrays, json.Number, string, bool, nil).
func parseJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // integers stay exact and can be told from 1.5
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, &malformedError{msg: fmt.Sprintf("the body is not valid JSON: %v", err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &malformedError{msg: "the body is not valid JSON: it holds more than one JSON value"}
	}
	return tree, nil
}

// checkText refuses a parsed body any of whose strings is not fit free text:
// first bytes that are not UTF-8 or \u escapes of half a surrogate pair
// (found in the raw body: the parser replaced them with U+FFFD), then
// whatever aftersales.CheckText refuses in any string value, each named by
// its JSON path. Fields keep their own limits (length, one line) for the
// use cases to check.
func checkText(body []byte, tree any) error {
	if at := badTextAt(body); at >= 0 {
		return aftersales.Invalid(opDecode, pathAt(body, at), "must be valid UTF-8 text")
	}
	var v aftersales.Validation
	eachString(tree, "", func(path, s string) {
		aftersales.CheckText(&v, fieldName(path), s, aftersales.MultiLine, 0)
	})
	return v.Err(opDecode)
}

// eachString calls fn with every string value of tree and its path.
func eachString(tree any, path string, fn func(path, s string)) {
	switch n := tree.(type) {
	case string:
		fn(path, n)
	case []any:
		for i, x := range n {
			eachString(x, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case map[string]any:
		for _, k := range sortedKeys(n) {
			eachString(n[k], joinPath(path, k), fn)
		}
	}
}

// badTextAt returns the offset in body of the first byte, inside a JSON
// string, that is not UTF-8 or begins a \u escape of an unpaired surrogate;
// -1 when there is none. Bytes outside strings are the parser's to refuse.
func badTextAt(body []byte) int {
	in := false
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case !in:
			in = c == '"'
			i++
		case c == '"':
			in = false
			i++
		case c == '\\' && i+1 < len(body) && body[i+1] == 'u':
			r := hex4(body[i+2:])
			switch {
			case r < 0 || !utf16.IsSurrogate(rune(r)):
				i += 2 // an ordinary escape (or a malformed one, the parser's)
			case r < 0xdc00 && bytes.HasPrefix(body[i+6:], []byte(`\u`)) && isLowSurrogate(hex4(body[i+8:])):
				i += 12 // a pair: one character
			default:
				return i
			}
		case c == '\\':
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				return i
			}
			i += size
		}
	}
	return -1
}

// hex4 reads four hex digits, or is -1.
func hex4(b []byte) int {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil {
		return -1
	}
	return int(n)
}

func isLowSurrogate(r int) bool { return 0xdc00 <= r && r <= 0xdfff }

// pathAt names the key or value of valid JSON body that holds the byte at
// offset, by its JSON path ("body" for the top level).
func pathAt(body []byte, offset int) string {
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []*frame
	path := func() string {
		p := ""
		for _, f := range stack {
			if f.object {
				p = joinPath(p, shortKey(f.key))
			} else {
				p += fmt.Sprintf("[%d]", f.index)
			}
		}
		return fieldName(p)
	}
	// value and done bracket every value, so that array indexes count and
	// objects expect a key again.
	value := func() {
		if n := len(stack); n > 0 && !stack[n-1].object {
			stack[n-1].index++
		}
	}
	done := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "body"
		}
		end := int(dec.InputOffset())
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				value()
				stack = append(stack, &frame{object: t == '{', wantKey: t == '{', index: -1})
				continue
			}
			stack = stack[:len(stack)-1]
			done()
			continue
		case string:
			if n := len(stack); n > 0 && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				if end > offset {
					return path()
				}
				continue
			}
		}
		value()
		if end > offset {
			return path()
		}
		done()
	}
}

var timeType = reflect.TypeFor[time.Time]()

// checkShape walks a parsed body alongside the request type t and records,
// by JSON path, every field t does not have, every value of the wrong JSON
// type, and every list longer than maxItems (its field's `max` tag), whose
// items are then not looked at. null is accepted anywhere and means
// "absent".
func checkShape(v *aftersales.Validation, node any, t reflect.Type, path string, maxItems int) {
	if node == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	field := fieldName(path)
	if t == timeType {
		s, ok := node.(string)
		v.Check(ok && new(time.Time).UnmarshalText([]byte(s)) == nil, field, "must be an RFC 3339 time such as 2026-11-11T00:00:00Z")
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := node.(map[string]any)
		if !v.Check(ok, field, "must be an object") {
			return
		}
		fields := requestFields(t)
		for _, k := range sortedKeys(obj) {
			f, known := fields[k]
			if !v.Check(known, joinPath(path, shortKey(k)), "is not a field of this request") {
				continue
			}
			checkShape(v, obj[k], f.typ, joinPath(path, k), f.maxItems)
		}
	case reflect.Slice:
		arr, ok := node.([]any)
		if !v.Check(ok, field, "must be a list") {
			return
		}
		if maxItems > 0 && len(arr) > maxItems {
			v.Add(field, "must list at most %d items; %d were sent", maxItems, len(arr))
			return
		}
		for i, x := range arr {
			checkShape(v, x, t.Elem(), fmt.Sprintf("%s[%d]", path, i), 0)
		}
	case reflect.String:
		_, ok := node.(string)
		v.Check(ok, field, "must be a string")
	case reflect.Bool:
		_, ok := node.(bool)
		v.Check(ok, field, "must be true or false")
	case reflect.Int, reflect.Int64:
		n, ok := node.(json.Number)
		if ok {
			_, err := strconv.ParseInt(n.String(), 10, t.Bits())
			ok = err == nil
		}
		v.Check(ok, field, "must be a whole number")
	default:
		// A request field of a kind this walk does not know would be
		// accepted unchecked; TestRequestTypesAreChecked walks every
		// request type to catch it.
		v.Add(field, "has a type the decoder cannot check (%s)", t)
	}
}

// requestField is one field of a request type: its type and, for lists,
// the most items it takes (0: no bound of its own, only the body's size).
type requestField struct {
	typ      reflect.Type
	maxItems int
}

// requestFields maps the JSON names of a request type's fields to them.
func requestFields(t reflect.Type) map[string]requestField {
	out := make(map[string]requestField, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		maxItems, _ := strconv.Atoi(f.Tag.Get("max"))
		out[name] = requestField{typ: f.Type, maxItems: maxItems}
	}
	return out
}

// sortedKeys orders what is checked, so that the same request always
// lists its errors in the same order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldName is how a path is named in a problem: the top level is "body".
func fieldName(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// maxKeyBytes bounds an unknown field's name as a problem repeats it.
const maxKeyBytes = 64

// shortKey cuts an unknown field's name that is too long to repeat whole.
func shortKey(k string) string {
	if len(k) <= maxKeyBytes {
		return k
	}
	cut := maxKeyBytes
	for cut > 0 && !utf8.RuneStart(k[cut]) {
		cut--
	}
	return k[:cut] + "…"
}
