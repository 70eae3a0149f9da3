package sfnlocal

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

// intrinsic is a parsed intrinsic function call such as
// States.Format('order {}', $.id).
type intrinsic struct {
	name string
	args []iarg
}

// iarg is one argument of an intrinsic call: a literal, a path or a nested
// call.
type iarg struct {
	lit    any
	raw    string // a string literal as written, escapes kept (for Format)
	isStr  bool
	path   *path
	nested *intrinsic
}

// intrinsicSpec describes a supported function: its argument counts and
// the JSON type each argument must have, one letter per argument (the last
// letter repeats for variadic functions): s string, n number, i integer
// (a number, rounded where the service rounds), a array, o object, b
// boolean, * anything. A literal argument of the wrong type is refused when
// the definition is loaded, as the service does; a path's value is checked
// when the function runs.
type intrinsicSpec struct {
	min, max int // max -1: no limit
	kinds    string
}

// intrinsics lists the supported functions. Functions of the language that
// are missing here are refused when the definition is loaded.
var intrinsics = map[string]intrinsicSpec{
	"States.Format":         {1, -1, "s*"},
	"States.StringToJson":   {1, 1, "s"},
	"States.JsonToString":   {1, 1, "*"},
	"States.Array":          {0, -1, "*"},
	"States.ArrayPartition": {2, 2, "ai"},
	"States.ArrayContains":  {2, 2, "a*"},
	"States.ArrayRange":     {3, 3, "iii"},
	"States.ArrayGetItem":   {2, 2, "ai"},
	"States.ArrayLength":    {1, 1, "a"},
	"States.ArrayUnique":    {1, 1, "a"},
	"States.Base64Encode":   {1, 1, "s"},
	"States.Base64Decode":   {1, 1, "s"},
	"States.Hash":           {2, 2, "ss"},
	"States.JsonMerge":      {3, 3, "oob"},
	"States.MathRandom":     {2, 3, "iii"},
	"States.MathAdd":        {2, 2, "nn"},
	"States.StringSplit":    {2, 2, "ss"},
	"States.UUID":           {0, 0, ""},
}

// kindOf returns the type letter an argument must have.
func (sp intrinsicSpec) kindOf(i int) byte {
	if i < len(sp.kinds) {
		return sp.kinds[i]
	}
	if sp.kinds == "" {
		return '*'
	}
	return sp.kinds[len(sp.kinds)-1]
}

// hasKind reports whether v has the JSON type the letter names.
func hasKind(v any, k byte) bool {
	switch k {
	case 's':
		_, ok := v.(string)
		return ok
	case 'n', 'i':
		_, ok := toFloat(v)
		return ok
	case 'a':
		_, ok := v.([]any)
		return ok
	case 'o':
		_, ok := v.(*object)
		return ok
	case 'b':
		_, ok := v.(bool)
		return ok
	}
	return true
}

var kindNames = map[byte]string{'s': "a string", 'n': "a number", 'i': "an integer", 'a': "an array", 'o': "an object", 'b': "a boolean", '*': "any value"}

// maxEncodeInput is the longest string States.Base64Encode,
// States.Base64Decode and States.Hash accept, as the service documents.
const maxEncodeInput = 10000

// maxRangeItems is the most items States.ArrayRange may produce.
const maxRangeItems = 1000

func isIntrinsic(s string) bool { return strings.HasPrefix(s, "States.") }

// parseIntrinsic parses a whole intrinsic expression.
func parseIntrinsic(s string) (*intrinsic, error) {
	p := &iparser{s: s}
	call, err := p.call()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("invalid intrinsic function %q: unexpected %q after the call", s, p.s[p.i:])
	}
	return call, nil
}

type iparser struct {
	s string
	i int
}

func (p *iparser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *iparser) errf(format string, a ...any) error {
	return fmt.Errorf("invalid intrinsic function %q: %s", p.s, fmt.Sprintf(format, a...))
}

func (p *iparser) call() (*intrinsic, error) {
	p.space()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '(' {
		p.i++
	}
	if p.i >= len(p.s) {
		return nil, p.errf("missing \"(\"")
	}
	name := strings.TrimSpace(p.s[start:p.i])
	spec, ok := intrinsics[name]
	if !ok {
		if strings.HasPrefix(name, "States.") {
			return nil, p.errf("function %s is not supported", name)
		}
		return nil, p.errf("unknown function %q", name)
	}
	p.i++ // (
	call := &intrinsic{name: name}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ')' {
		p.i++
	} else {
		for {
			a, err := p.arg()
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, a)
			p.space()
			if p.i >= len(p.s) {
				return nil, p.errf("missing \")\"")
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ')' {
				p.i++
				break
			}
			return nil, p.errf("unexpected %q", p.s[p.i:])
		}
	}
	switch n := len(call.args); {
	case spec.max == -1 && n < spec.min:
		return nil, p.errf("%s needs at least %d argument(s), got %d", name, spec.min, n)
	case spec.max >= 0 && (n < spec.min || n > spec.max) && spec.min == spec.max:
		return nil, p.errf("%s takes %d argument(s), got %d", name, spec.min, n)
	case spec.max >= 0 && (n < spec.min || n > spec.max):
		return nil, p.errf("%s takes %d to %d arguments, got %d", name, spec.min, spec.max, n)
	}
	for i, a := range call.args {
		if a.path != nil || a.nested != nil {
			continue
		}
		if k := spec.kindOf(i); !hasKind(a.lit, k) {
			return nil, p.errf("argument %d of %s must be %s, got %s", i+1, name, kindNames[k], typeName(a.lit))
		}
	}
	if name == "States.Format" {
		if a := call.args[0]; a.isStr {
			if n := countPlaceholders(a.raw); n != len(call.args)-1 {
				return nil, p.errf("the template has %d placeholder(s) but %d value(s) follow", n, len(call.args)-1)
			}
		}
	}
	return call, nil
}

func (p *iparser) arg() (iarg, error) {
	p.space()
	if p.i >= len(p.s) {
		return iarg{}, p.errf("missing argument")
	}
	c := p.s[p.i]
	switch {
	case c == '\'':
		p.i++
		var raw, val strings.Builder
		for p.i < len(p.s) && p.s[p.i] != '\'' {
			if p.s[p.i] == '\\' && p.i+1 < len(p.s) {
				raw.WriteByte('\\')
				raw.WriteByte(p.s[p.i+1])
				val.WriteByte(p.s[p.i+1])
				p.i += 2
				continue
			}
			raw.WriteByte(p.s[p.i])
			val.WriteByte(p.s[p.i])
			p.i++
		}
		if p.i >= len(p.s) {
			return iarg{}, p.errf("unterminated string")
		}
		p.i++
		return iarg{lit: val.String(), raw: raw.String(), isStr: true}, nil
	case c == '$':
		start := p.i
		depth := 0
		var quote byte
		for p.i < len(p.s) {
			ch := p.s[p.i]
			if quote != 0 {
				if ch == quote {
					quote = 0
				}
				p.i++
				continue
			}
			if ch == '\'' || ch == '"' {
				quote = ch
			} else if ch == '[' || ch == '(' {
				depth++
			} else if (ch == ']' || ch == ')') && depth > 0 {
				depth--
			} else if (ch == ',' || ch == ')') && depth == 0 {
				break
			}
			p.i++
		}
		src := strings.TrimSpace(p.s[start:p.i])
		pth, err := compilePath(src)
		if err != nil {
			return iarg{}, p.errf("%v", err)
		}
		return iarg{path: pth}, nil
	case strings.HasPrefix(p.s[p.i:], "States."):
		n, err := p.call()
		if err != nil {
			return iarg{}, err
		}
		return iarg{nested: n}, nil
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != ')' {
		p.i++
	}
	tok := strings.TrimSpace(p.s[start:p.i])
	switch tok {
	case "true":
		return iarg{lit: true}, nil
	case "false":
		return iarg{lit: false}, nil
	case "null":
		return iarg{lit: nil}, nil
	}
	if n := numberValue(tok); n != nil {
		if _, isStr := n.(string); !isStr {
			return iarg{lit: n}, nil
		}
	}
	return iarg{}, p.errf("invalid argument %q", tok)
}

// countPlaceholders counts the "{}" of a Format template written with
// escapes kept.
func countPlaceholders(raw string) int {
	n := 0
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' {
			i++
			continue
		}
		if raw[i] == '{' && i+1 < len(raw) && raw[i+1] == '}' {
			n++
			i++
		}
	}
	return n
}

// eval runs the call. Failures are States.IntrinsicFailure, except paths
// that select nothing, which the service reports as States.Runtime.
func (f *intrinsic) eval(e env) (any, *stateError) {
	vals := make([]any, len(f.args))
	for i, a := range f.args {
		switch {
		case a.path != nil:
			v, ok := a.path.get(e)
			if !ok {
				return nil, runtimeErr("The JsonPath argument %q of intrinsic function %s could not be found in the input", a.path.src, f.name)
			}
			vals[i] = v
		case a.nested != nil:
			v, err := a.nested.eval(e)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		default:
			vals[i] = a.lit
		}
	}
	fail := func(format string, args ...any) (any, *stateError) {
		return nil, &stateError{Name: ErrIntrinsicFailure, Cause: fmt.Sprintf("Invalid arguments in %s: ", f.name) + fmt.Sprintf(format, args...)}
	}
	spec := intrinsics[f.name]
	for i, v := range vals {
		if k := spec.kindOf(i); !hasKind(v, k) {
			return fail("argument %d must be %s, got %s", i+1, kindNames[k], typeName(v))
		}
	}
	switch f.name {
	case "States.Format":
		tmpl, ok := vals[0].(string)
		if !ok {
			return fail("the template must be a string")
		}
		raw := tmpl
		if f.args[0].isStr {
			raw = f.args[0].raw
		} else {
			raw = strings.ReplaceAll(raw, "\\", "\\\\")
		}
		if n := countPlaceholders(raw); n != len(vals)-1 {
			return fail("the template has %d placeholder(s) but %d value(s) follow", n, len(vals)-1)
		}
		var b strings.Builder
		next := 1
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			if c == '\\' && i+1 < len(raw) {
				i++
				b.WriteByte(raw[i])
				continue
			}
			if c == '{' && i+1 < len(raw) && raw[i+1] == '}' {
				s, ok := formatArg(vals[next])
				if !ok {
					return fail("the value for placeholder %d is a %s; only strings, numbers, booleans and null can be formatted", next, typeName(vals[next]))
				}
				b.WriteString(s)
				next++
				i++
				continue
			}
			b.WriteByte(c)
		}
		return b.String(), nil
	case "States.StringToJson":
		s, ok := vals[0].(string)
		if !ok {
			return fail("the argument must be a string, got %s", typeName(vals[0]))
		}
		if strings.TrimSpace(s) == "" {
			return fail("the string is empty")
		}
		v, err := decodeJSON([]byte(s))
		if err != nil {
			return fail("the string is not valid JSON: %v", err)
		}
		return v, nil
	case "States.JsonToString":
		return encodeJSON(vals[0]), nil
	case "States.Array":
		return vals, nil
	case "States.ArrayLength":
		a, ok := vals[0].([]any)
		if !ok {
			return fail("the argument must be an array, got %s", typeName(vals[0]))
		}
		return int64(len(a)), nil
	case "States.ArrayContains":
		a, ok := vals[0].([]any)
		if !ok {
			return fail("the first argument must be an array, got %s", typeName(vals[0]))
		}
		for _, v := range a {
			if jsonEqual(v, vals[1]) {
				return true, nil
			}
		}
		return false, nil
	case "States.ArrayGetItem":
		a, ok := vals[0].([]any)
		if !ok {
			return fail("the first argument must be an array, got %s", typeName(vals[0]))
		}
		idx, ok := toInt(vals[1])
		if !ok || idx < 0 || idx >= int64(len(a)) {
			return fail("index %v is out of bounds for an array of %d item(s)", vals[1], len(a))
		}
		return a[idx], nil
	case "States.MathAdd":
		// The service rounds non-integer arguments to the nearest integer.
		x, y := roundInt(vals[0]), roundInt(vals[1])
		if x > math.MaxInt32 || x < math.MinInt32 || y > math.MaxInt32 || y < math.MinInt32 {
			return fail("the arguments must be within the 32-bit integer range")
		}
		return x + y, nil
	case "States.UUID":
		return newUUID(), nil
	case "States.Hash":
		algo, ok := vals[1].(string)
		if !ok {
			return fail("the algorithm must be a string")
		}
		var h hash.Hash
		switch algo {
		case "MD5":
			h = md5.New()
		case "SHA-1":
			h = sha1.New()
		case "SHA-256":
			h = sha256.New()
		case "SHA-384":
			h = sha512.New384()
		case "SHA-512":
			h = sha512.New()
		default:
			return fail("unsupported algorithm %q (MD5, SHA-1, SHA-256, SHA-384 or SHA-512)", algo)
		}
		data := vals[0].(string)
		if n := utf8.RuneCountInString(data); n > maxEncodeInput {
			return fail("the input has %d characters; at most %d can be hashed", n, maxEncodeInput)
		}
		h.Write([]byte(data))
		return hex.EncodeToString(h.Sum(nil)), nil
	case "States.Base64Encode":
		s := vals[0].(string)
		if n := utf8.RuneCountInString(s); n > maxEncodeInput {
			return fail("the input has %d characters; at most %d can be encoded", n, maxEncodeInput)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "States.Base64Decode":
		s := vals[0].(string)
		if n := utf8.RuneCountInString(s); n > maxEncodeInput {
			return fail("the input has %d characters; at most %d can be decoded", n, maxEncodeInput)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fail("the argument is not valid base64: %v", err)
		}
		return string(b), nil
	case "States.JsonMerge":
		a, ok1 := vals[0].(*object)
		b, ok2 := vals[1].(*object)
		if !ok1 || !ok2 {
			return fail("the first two arguments must be objects")
		}
		deep, ok := vals[2].(bool)
		if !ok {
			return fail("the third argument must be a boolean")
		}
		if deep {
			return fail("only shallow merging (false) is supported, as in the service")
		}
		// The second object's values win; its new keys follow the first's.
		out := a.clone(b.len())
		for _, k := range b.keys {
			out.set(k, b.vals[k])
		}
		return out, nil
	case "States.ArrayPartition":
		a := vals[0].([]any)
		size := roundInt(vals[1])
		if size <= 0 {
			return fail("the chunk size must be a positive integer, got %v", vals[1])
		}
		out := make([]any, 0, (int64(len(a))+size-1)/size)
		for i := int64(0); i < int64(len(a)); i += size {
			end := min(i+size, int64(len(a)))
			out = append(out, append([]any(nil), a[i:end]...))
		}
		return out, nil
	case "States.ArrayRange":
		start, end, step := roundInt(vals[0]), roundInt(vals[1]), roundInt(vals[2])
		if step == 0 {
			return fail("the step must not be zero")
		}
		if (end-start)/step < 0 {
			return []any{}, nil
		}
		n := (end-start)/step + 1
		if n > maxRangeItems {
			return fail("the range would have %d items; at most %d are allowed", n, maxRangeItems)
		}
		out := make([]any, 0, n)
		for i := int64(0); i < n; i++ {
			out = append(out, start+i*step)
		}
		return out, nil
	case "States.ArrayUnique":
		a := vals[0].([]any)
		out := make([]any, 0, len(a))
	next:
		for _, v := range a {
			for _, u := range out {
				if jsonEqual(u, v) {
					continue next
				}
			}
			out = append(out, v)
		}
		return out, nil
	case "States.MathRandom":
		// A random integer from start (inclusive) to end (exclusive); with
		// a seed, the same one every time.
		lo, hi := roundInt(vals[0]), roundInt(vals[1])
		if hi <= lo {
			return fail("the end (%d) must be greater than the start (%d)", hi, lo)
		}
		span := uint64(hi - lo)
		if len(vals) == 3 {
			seed := uint64(roundInt(vals[2]))
			return lo + int64(mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)).Uint64N(span)), nil
		}
		return lo + int64(mrand.Uint64N(span)), nil
	case "States.StringSplit":
		// Every character of the second argument is a delimiter, and empty
		// pieces are dropped: "a.b+c" split on ".+" is ["a","b","c"].
		s, delims := vals[0].(string), vals[1].(string)
		parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	}
	return fail("unsupported function")
}

// roundInt rounds a number to the nearest integer, halves up, as the
// service does for the integer arguments of intrinsic functions.
func roundInt(v any) int64 {
	if n, ok := v.(int64); ok {
		return n
	}
	f, _ := toFloat(v)
	return int64(math.Floor(f + 0.5))
}

func formatArg(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case nil:
		return "null", true
	case bool:
		return strconv.FormatBool(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	}
	return "", false
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
