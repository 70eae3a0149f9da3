package sfnlocal

import (
	"fmt"
	"strings"
)

// template is a compiled payload template (Parameters, ResultSelector,
// ItemSelector): a JSON value in which every object key ending in ".$" takes
// its value from a path, a context path or an intrinsic function.
type template struct {
	root tnode
}

type tnode interface {
	eval(e env) (any, *stateError)
}

type tlit struct{ v any }

func (t tlit) eval(env) (any, *stateError) { return t.v, nil }

type tarr []tnode

func (t tarr) eval(e env) (any, *stateError) {
	out := make([]any, len(t))
	for i, n := range t {
		v, err := n.eval(e)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

type tfield struct {
	key   string // without ".$"
	src   string // the key as written, for messages
	node  tnode  // static or nested value
	path  *path
	intr  *intrinsic
	field string
}

type tobj []tfield

func (t tobj) eval(e env) (any, *stateError) {
	out := newObject(len(t))
	for _, f := range t {
		switch {
		case f.path != nil:
			v, ok := f.path.get(e)
			if !ok {
				return nil, runtimeErr("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", f.path.src, f.src, encodeJSON(e.input))
			}
			out.set(f.key, v)
		case f.intr != nil:
			v, err := f.intr.eval(e)
			if err != nil {
				return nil, err
			}
			out.set(f.key, v)
		default:
			v, err := f.node.eval(e)
			if err != nil {
				return nil, err
			}
			out.set(f.key, v)
		}
	}
	return out, nil
}

func (t *template) eval(e env) (any, *stateError) { return t.root.eval(e) }

// usesTaskToken reports whether the template reads $$.Task.Token anywhere,
// which a .waitForTaskToken task needs to hand its token out.
func (t *template) usesTaskToken() bool { return nodeUsesToken(t.root) }

func nodeUsesToken(n tnode) bool {
	switch t := n.(type) {
	case tjsonata:
		return strings.Contains(t.src, "$states.context.Task.Token")
	case tobj:
		for _, f := range t {
			if f.path != nil && f.path.context && strings.HasPrefix(f.path.src, "$$.Task.Token") {
				return true
			}
			if f.intr != nil && intrinsicUsesToken(f.intr) {
				return true
			}
			if f.node != nil && nodeUsesToken(f.node) {
				return true
			}
		}
	case tarr:
		for _, c := range t {
			if nodeUsesToken(c) {
				return true
			}
		}
	}
	return false
}

func intrinsicUsesToken(f *intrinsic) bool {
	for _, a := range f.args {
		if a.path != nil && a.path.context && strings.HasPrefix(a.path.src, "$$.Task.Token") {
			return true
		}
		if a.nested != nil && intrinsicUsesToken(a.nested) {
			return true
		}
	}
	return false
}

// compileTemplate compiles a payload template. where names the field
// ("Parameters", "ResultSelector", ...) for error messages.
func compileTemplate(v any, where string) (*template, error) {
	n, err := compileNode(v, where)
	if err != nil {
		return nil, err
	}
	return &template{root: n}, nil
}

func compileNode(v any, where string) (tnode, error) {
	switch t := v.(type) {
	case *object:
		// Fields are evaluated and output in the order they are written,
		// as the service does.
		seen := map[string]string{}
		out := make(tobj, 0, t.len())
		for _, k := range t.keys {
			f := tfield{key: k, src: k, field: where + "." + k}
			if strings.HasSuffix(k, ".$") {
				f.key = strings.TrimSuffix(k, ".$")
				s, ok := t.vals[k].(string)
				if !ok {
					return nil, fmt.Errorf("%s: the value of %q must be a string holding a path or an intrinsic function", where, k)
				}
				switch {
				case isIntrinsic(s):
					in, err := parseIntrinsic(s)
					if err != nil {
						return nil, fmt.Errorf("%s: %q: %v", where, k, err)
					}
					f.intr = in
				case strings.HasPrefix(s, "$"):
					p, err := compilePath(s)
					if err != nil {
						return nil, fmt.Errorf("%s: %q: %v", where, k, err)
					}
					f.path = p
				default:
					return nil, fmt.Errorf("%s: the value of %q must be a path (starting with \"$\") or an intrinsic function (starting with \"States.\"), got %q", where, k, s)
				}
			} else {
				n, err := compileNode(t.vals[k], where+"."+k)
				if err != nil {
					return nil, err
				}
				f.node = n
			}
			if prev, dup := seen[f.key]; dup {
				return nil, fmt.Errorf("%s: fields %q and %q both produce %q", where, prev, k, f.key)
			}
			seen[f.key] = k
			out = append(out, f)
		}
		return out, nil
	case []any:
		out := make(tarr, len(t))
		for i, e := range t {
			n, err := compileNode(e, fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	return tlit{v: v}, nil
}
