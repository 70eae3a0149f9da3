package sfnlocal

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// path is a compiled ASL Path or Reference Path. A path starting with "$$"
// addresses the context object instead of the state's input.
type path struct {
	src     string
	context bool
	// variable names the workflow variable a path such as "$order.id"
	// starts from (empty: the input or, with context, "$$").
	variable string
	expr     jp.Expr
	// segs holds the steps of a definite path (one that can only select a
	// single node: child names and non-negative indexes); nil otherwise.
	segs     []any
	definite bool
}

// variableRef matches the variable name at the start of a path such as
// "$order.lines[0]": a letter or underscore, then letters, digits and
// underscores.
var variableRef = regexp.MustCompile(`^\$[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*`)

var lengthScript = regexp.MustCompile(`\[\(\s*@\.length\s*-\s*(\d+)\s*\)\]`)

// env is what a path or intrinsic function is evaluated against: the value
// "$" refers to and a lazily built context object for "$$".
type env struct {
	input   any
	context func() any
	// vars looks a workflow variable up; nil when none are visible.
	vars func(name string) (any, bool)
	// allVars lists every visible variable, for JSONata.
	allVars func() map[string]any
	// result and errOutput are $states.result and $states.errorOutput of
	// a JSONata state, where the service provides them.
	result, errOutput       any
	hasResult, hasErrOutput bool
}

// compilePath compiles a Path as the spec defines it: any JSONPath the
// service accepts, including wildcards, descent, slices and filters.
func compilePath(s string) (*path, error) {
	p := &path{src: s}
	rest := s
	if strings.HasPrefix(s, "$$") {
		p.context = true
		rest = s[1:]
	}
	if !strings.HasPrefix(rest, "$") {
		return nil, fmt.Errorf("path %q must start with \"$\"", s)
	}
	if !p.context {
		if m := variableRef.FindString(rest); m != "" {
			// "$name..." reads the workflow variable name; the rest is a
			// path into its value.
			p.variable = m[1:]
			rest = "$" + rest[len(m):]
		}
	}
	// Jayway's script index [(@.length-N)] (the Nth item from the end) is
	// a negative index for ojg, which has no script engine.
	rest = lengthScript.ReplaceAllString(rest, "[-$1]")
	x, err := jp.ParseString(quoteDottedNames(rest))
	if err != nil {
		return nil, fmt.Errorf("invalid JSONPath %q: %v", s, err)
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("invalid JSONPath %q", s)
	}
	if _, ok := x[0].(jp.Root); !ok {
		return nil, fmt.Errorf("path %q must start with \"$\"", s)
	}
	p.expr = x
	p.definite = true
	p.segs = []any{}
	for _, f := range x[1:] {
		switch v := f.(type) {
		case jp.Child:
			p.segs = append(p.segs, string(v))
		case jp.Nth:
			if v < 0 {
				p.definite = false
			}
			p.segs = append(p.segs, int(v))
		case jp.Bracket:
			// Marks bracket notation only; selects nothing by itself.
		default:
			p.definite = false
		}
	}
	if !p.definite {
		p.segs = nil
	}
	return p, nil
}

// compileRefPath compiles a Reference Path: a path that identifies exactly
// one node, as required for ResultPath, Choice variables and the *Path
// fields.
func compileRefPath(s string) (*path, error) {
	p, err := compilePath(s)
	if err != nil {
		return nil, err
	}
	if !p.definite {
		return nil, fmt.Errorf("%q is not a reference path: only child names and non-negative array indexes are allowed", s)
	}
	return p, nil
}

// quoteDottedNames rewrites dotted names that ojg's parser rejects (such as
// "$.order-id") into bracket notation, since the service accepts them.
func quoteDottedNames(s string) string {
	var b strings.Builder
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && i+1 < len(s) {
				b.WriteByte(c)
				i++
				b.WriteByte(s[i])
				continue
			}
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			if depth > 0 {
				quote = c
			}
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			depth--
		case c == '.' && depth == 0 && i+1 < len(s) && s[i+1] != '.' && s[i+1] != '[':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			name := s[i+1 : j]
			if needsQuoting(name) {
				b.WriteString("['")
				b.WriteString(strings.ReplaceAll(name, "'", "\\'"))
				b.WriteString("']")
				i = j - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func needsQuoting(name string) bool {
	if name == "*" || name == "" {
		return false
	}
	for _, r := range name {
		if r == '-' || r == ':' || r == '#' || r == '/' || r == '+' {
			return true
		}
	}
	return false
}

// get evaluates the path. A definite path yields its single node (ok false
// when it does not exist); any other path yields the array of all matches,
// which may be empty, as the service does for wildcards and filters.
func (p *path) get(e env) (any, bool) {
	root := e.input
	switch {
	case p.context:
		root = e.context()
	case p.variable != "":
		if e.vars == nil {
			return nil, false
		}
		v, ok := e.vars(p.variable)
		if !ok {
			return nil, false
		}
		root = v
	}
	if p.definite {
		return lookup(root, p.segs)
	}
	res := getOrdered(p.expr, root)
	if res == nil {
		res = []any{}
	}
	return res, true
}

// getOrdered evaluates an indefinite path in document order. ojg walks
// objects in key order (*object is a jp.Keyed), but its deep scan lists a
// node's own match after its children's. Step Functions evaluates with
// Jayway JsonPath, whose deep scan visits a node before its children
// (pre-order), so each ".." is expanded here: the nodes reached by the part
// before it, each followed by its descendants in pre-order, then the part
// after it applied to every one of them in turn.
func getOrdered(x jp.Expr, root any) []any {
	for i, f := range x {
		if _, ok := f.(jp.Descent); !ok {
			continue
		}
		nodes := []any{root}
		if i > 1 {
			nodes = x[:i].Get(root)
		}
		rest := append(jp.Expr{jp.Root('$')}, x[i+1:]...)
		out := []any{}
		for _, n := range nodes {
			for _, d := range preorder(n, nil) {
				if len(rest) == 1 {
					out = append(out, d)
					continue
				}
				out = append(out, getOrdered(rest, d)...)
			}
		}
		return out
	}
	return x.Get(root)
}

// preorder appends v and every object or array below it, parents first,
// children in document order.
func preorder(v any, out []any) []any {
	switch t := v.(type) {
	case *object:
		out = append(out, v)
		for _, k := range t.keys {
			out = preorder(t.vals[k], out)
		}
	case []any:
		out = append(out, v)
		for _, e := range t {
			out = preorder(e, out)
		}
	}
	return out
}

func lookup(v any, segs []any) (any, bool) {
	for _, s := range segs {
		switch k := s.(type) {
		case string:
			o, ok := v.(*object)
			if !ok {
				return nil, false
			}
			v, ok = o.get(k)
			if !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || k < 0 || k >= len(a) {
				return nil, false
			}
			v = a[k]
		}
	}
	return v, true
}

// set returns a copy of root with value placed at the path, creating
// missing objects on the way, as ResultPath requires. Containers along the
// path are copied, never modified, because root may be shared.
func (p *path) set(root, value any) (any, error) {
	return setAt(root, p.segs, value, p.src)
}

func setAt(v any, segs []any, value any, src string) (any, error) {
	if len(segs) == 0 {
		return value, nil
	}
	switch k := segs[0].(type) {
	case string:
		// A new key goes at the end and an existing one keeps its place,
		// as the service orders the output.
		var m *object
		switch t := v.(type) {
		case *object:
			m = t.clone(1)
		case nil:
			m = newObject(1)
		default:
			return nil, fmt.Errorf("unable to apply ResultPath %q: the value at %q is a %s, not an object", src, k, typeName(v))
		}
		old, _ := m.get(k)
		child, err := setAt(old, segs[1:], value, src)
		if err != nil {
			return nil, err
		}
		m.set(k, child)
		return m, nil
	case int:
		a, ok := v.([]any)
		if !ok || k >= len(a) {
			return nil, fmt.Errorf("unable to apply ResultPath %q: index %d does not exist", src, k)
		}
		c := append([]any(nil), a...)
		child, err := setAt(c[k], segs[1:], value, src)
		if err != nil {
			return nil, err
		}
		c[k] = child
		return c, nil
	}
	return nil, fmt.Errorf("unable to apply ResultPath %q", src)
}
