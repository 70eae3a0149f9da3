package ruleset

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var (
	durationType = reflect.TypeFor[duration]()
	timeType     = reflect.TypeFor[time.Time]()
)

// checkShape walks a generic JSON tree (objects, arrays, json.Number, string,
// bool, nil) alongside the record type t and records, by JSON path, every
// field the records do not have and every value of the wrong JSON type. The
// records are the schema, so the check cannot drift from what is decoded.
// null is accepted anywhere and means "absent".
func checkShape(node any, t reflect.Type, path string, v *aftersales.Validation) {
	if node == nil {
		return
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case durationType:
		s, ok := node.(string)
		if ok {
			_, err := time.ParseDuration(s)
			ok = err == nil
		}
		v.Check(ok, path, "must be a duration such as \"48h\", \"90m\" or \"30s\"")
		return
	case timeType:
		s, ok := node.(string)
		if ok {
			_, err := time.Parse(time.RFC3339, s)
			ok = err == nil
		}
		v.Check(ok, path, "must be an RFC 3339 time such as \"2026-11-20T12:00:00Z\"")
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := node.(map[string]any)
		if !v.Check(ok, path, "must be an object") {
			return
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys) // the same input always lists its errors in the same order
		for _, k := range keys {
			f, known := fields[k]
			if !v.Check(known, join(path, k), "is not a field of %s", where(path)) {
				continue
			}
			checkShape(obj[k], f, join(path, k), v)
		}
	case reflect.Map:
		obj, ok := node.(map[string]any)
		if !v.Check(ok, path, "must be an object") {
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			checkShape(obj[k], t.Elem(), join(path, k), v)
		}
	case reflect.Slice:
		arr, ok := node.([]any)
		if !v.Check(ok, path, "must be an array") {
			return
		}
		for i, x := range arr {
			checkShape(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i), v)
		}
	case reflect.String:
		_, ok := node.(string)
		v.Check(ok, path, "must be a string")
	case reflect.Bool:
		_, ok := node.(bool)
		v.Check(ok, path, "must be true or false")
	case reflect.Int, reflect.Int64:
		n, ok := node.(json.Number)
		if ok {
			_, err := strconv.ParseInt(n.String(), 10, t.Bits())
			ok = err == nil
		}
		v.Check(ok, path, "must be a whole number")
	default:
		// A record field of a kind this walk does not know would be accepted
		// unchecked; the package's tests walk every record type to catch it.
		v.Add(path, "has a type the rule set codec cannot check (%s)", t)
	}
}

// jsonFields maps the JSON names of a record's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = f.Type
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// where names the object a field was found in, for "is not a field of ...".
func where(path string) string {
	if path == "" {
		return "a rule set"
	}
	return path
}
