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
	"strconv"
	"strings"
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

// intrinsicArity lists the supported functions with their argument counts
// (-1: at least one). Functions of the spec that are missing here are
// refused when the definition is loaded.
var intrinsicArity = map[string]int{
	"States.Format":        -1,
	"States.StringToJson":  1,
	"States.JsonToString":  1,
	"States.Array":         -2,
	"States.ArrayLength":   1,
	"States.ArrayContains": 2,
	"States.ArrayGetItem":  2,
	"States.MathAdd":       2,
	"States.UUID":          0,
	"States.Hash":          2,
	"States.Base64Encode":  1,
	"States.Base64Decode":  1,
	"States.JsonMerge":     3,
}

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
	arity, ok := intrinsicArity[name]
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
	switch {
	case arity == -1 && len(call.args) < 1:
		return nil, p.errf("%s needs at least one argument", name)
	case arity >= 0 && len(call.args) != arity:
		return nil, p.errf("%s takes %d argument(s), got %d", name, arity, len(call.args))
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
		x, ok1 := toInt(vals[0])
		y, ok2 := toInt(vals[1])
		if !ok1 || !ok2 {
			return fail("both arguments must be integers")
		}
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
		data, ok := vals[0].(string)
		if !ok {
			data = encodeJSON(vals[0])
		}
		h.Write([]byte(data))
		return hex.EncodeToString(h.Sum(nil)), nil
	case "States.Base64Encode":
		s, ok := vals[0].(string)
		if !ok {
			return fail("the argument must be a string, got %s", typeName(vals[0]))
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "States.Base64Decode":
		s, ok := vals[0].(string)
		if !ok {
			return fail("the argument must be a string, got %s", typeName(vals[0]))
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
	}
	return fail("unsupported function")
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
