package sfnlocal

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// choiceRule is a compiled Choice Rule: a boolean combination (And, Or,
// Not) or a single comparison of the value at Variable.
type choiceRule struct {
	cond   *template // Condition of a JSONata rule
	next   string
	assign *template // Assign of a top-level rule, applied when it matches

	and []*choiceRule
	or  []*choiceRule
	not *choiceRule

	variable  *path
	op        string // the operator as written, e.g. "NumericLessThanPath"
	kind      string // String, Numeric, Boolean, Timestamp, Is, Matches
	cmp       string // Equals, LessThan, GreaterThan, LessThanEquals, GreaterThanEquals, or the Is* test
	value     any
	valuePath *path
	ts        time.Time
}

var comparisonKinds = []string{"String", "Numeric", "Boolean", "Timestamp"}
var comparisonCmps = []string{"Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"}
var typeTests = map[string]bool{"IsNull": true, "IsPresent": true, "IsNumeric": true, "IsString": true, "IsBoolean": true, "IsTimestamp": true}

// parseOperator splits a comparison operator name into its parts.
func parseOperator(op string) (kind, cmp string, isPath, ok bool) {
	if typeTests[op] {
		return "Is", op, false, true
	}
	if op == "StringMatches" {
		return "Matches", "", false, true
	}
	name := op
	if strings.HasSuffix(name, "Path") {
		isPath = true
		name = strings.TrimSuffix(name, "Path")
	}
	for _, k := range comparisonKinds {
		if !strings.HasPrefix(name, k) {
			continue
		}
		rest := strings.TrimPrefix(name, k)
		for _, c := range comparisonCmps {
			if rest == c {
				if k == "Boolean" && c != "Equals" {
					return "", "", false, false
				}
				return k, c, isPath, true
			}
		}
	}
	return "", "", false, false
}

// compileChoiceRule validates and compiles one rule. top is true for the
// rules directly in Choices, which must name Next; nested rules must not.
func compileChoiceRule(v any, top bool, at string) (*choiceRule, error) {
	m, ok := asMap(v)
	if !ok {
		return nil, fmt.Errorf("%s: a choice rule must be an object", at)
	}
	r := &choiceRule{}
	if n, has := m["Next"]; has {
		if !top {
			return nil, fmt.Errorf("%s.Next: a nested choice rule must not have Next", at)
		}
		s, ok := n.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("%s.Next: must be a state name", at)
		}
		r.next = s
	} else if top {
		return nil, fmt.Errorf("%s.Next: a choice rule in Choices must have Next", at)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ops []string
	for _, k := range keys {
		switch k {
		case "Next", "Comment", "Variable":
		case "Assign":
			if !top {
				return nil, fmt.Errorf("%s.Assign: only a rule directly in Choices may assign variables", at)
			}
			a, err := compileAssign(m[k])
			if err != nil {
				return nil, fmt.Errorf("%s.Assign: %v", at, err)
			}
			r.assign = a
		case "And", "Or", "Not":
			ops = append(ops, k)
		default:
			if _, _, _, ok := parseOperator(k); !ok {
				if k == "Condition" || k == "Output" {
					return nil, fmt.Errorf("%s.%s: field %q belongs to JSONata states; set \"QueryLanguage\": \"JSONata\"", at, k, k)
				}
				return nil, fmt.Errorf("%s.%s: unknown field %q in a choice rule", at, k, k)
			}
			ops = append(ops, k)
		}
	}
	if len(ops) != 1 {
		return nil, fmt.Errorf("%s: a choice rule needs exactly one operator (a comparison, And, Or or Not), found %d %v", at, len(ops), ops)
	}
	op := ops[0]
	switch op {
	case "And", "Or":
		if _, has := m["Variable"]; has {
			return nil, fmt.Errorf("%s.Variable: not allowed together with %s", at, op)
		}
		list, ok := m[op].([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("%s.%s: must be a non-empty array of choice rules", at, op)
		}
		for i, sub := range list {
			c, err := compileChoiceRule(sub, false, fmt.Sprintf("%s.%s[%d]", at, op, i))
			if err != nil {
				return nil, err
			}
			if op == "And" {
				r.and = append(r.and, c)
			} else {
				r.or = append(r.or, c)
			}
		}
		return r, nil
	case "Not":
		if _, has := m["Variable"]; has {
			return nil, fmt.Errorf("%s.Variable: not allowed together with Not", at)
		}
		c, err := compileChoiceRule(m["Not"], false, at+".Not")
		if err != nil {
			return nil, err
		}
		r.not = c
		return r, nil
	}
	vs, ok := m["Variable"].(string)
	if !ok {
		return nil, fmt.Errorf("%s.Variable: a comparison needs Variable (a reference path)", at)
	}
	vp, err := compileRefPath(vs)
	if err != nil {
		return nil, fmt.Errorf("%s.Variable: %v", at, err)
	}
	r.variable = vp
	r.op = op
	kind, cmp, isPath, _ := parseOperator(op)
	r.kind, r.cmp = kind, cmp
	val := m[op]
	where := at + "." + op
	if isPath {
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("%s: must be a reference path string", where)
		}
		p, err := compileRefPath(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		r.valuePath = p
		return r, nil
	}
	switch kind {
	case "String", "Matches":
		if _, ok := val.(string); !ok {
			return nil, fmt.Errorf("%s: must be a string", where)
		}
	case "Numeric":
		if _, ok := toFloat(val); !ok {
			return nil, fmt.Errorf("%s: must be a number", where)
		}
	case "Boolean", "Is":
		if _, ok := val.(bool); !ok {
			return nil, fmt.Errorf("%s: must be a boolean", where)
		}
	case "Timestamp":
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("%s: must be a timestamp string", where)
		}
		t, ok := parseTimestamp(s)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not an RFC 3339 timestamp", where, s)
		}
		r.ts = t
	}
	r.value = val
	return r, nil
}

// compileJSONataChoiceRule compiles a rule of a JSONata Choice state:
// Condition (an expression or a boolean), Next, and optionally Assign.
func compileJSONataChoiceRule(v any, top bool, at string) (*choiceRule, error) {
	m, ok := asMap(v)
	if !ok {
		return nil, fmt.Errorf("%s: a choice rule must be an object", at)
	}
	r := &choiceRule{}
	for _, k := range sortedKeys(m) {
		switch k {
		case "Comment":
		case "Next":
			s, ok := m[k].(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("%s.Next: must be a state name", at)
			}
			r.next = s
		case "Condition":
			c := m[k]
			if s, ok := c.(string); ok && !isJSONataExpr(s) {
				return nil, fmt.Errorf("%s.Condition: must be a JSONata expression \"{%% ... %%}\" or a boolean", at)
			} else if _, isBool := c.(bool); !ok && !isBool {
				return nil, fmt.Errorf("%s.Condition: must be a JSONata expression \"{%% ... %%}\" or a boolean", at)
			}
			t, err := compileJSONataTemplate(c, "Condition")
			if err != nil {
				return nil, fmt.Errorf("%s.Condition: %v", at, err)
			}
			r.cond = t
		case "Assign":
			a, err := compileAssignFor(m[k], true)
			if err != nil {
				return nil, fmt.Errorf("%s.Assign: %v", at, err)
			}
			r.assign = a
		default:
			return nil, fmt.Errorf("%s.%s: field %q is not allowed in a JSONata choice rule (it takes Condition, Next and Assign)", at, k, k)
		}
	}
	if r.cond == nil {
		return nil, fmt.Errorf("%s.Condition: a JSONata choice rule needs Condition", at)
	}
	if r.next == "" {
		return nil, fmt.Errorf("%s.Next: a choice rule in Choices must have Next", at)
	}
	return r, nil
}

// parseTimestamp accepts the RFC 3339 profile the language requires: an
// uppercase T between date and time and an uppercase Z or a numeric offset.
func parseTimestamp(s string) (time.Time, bool) {
	if !strings.Contains(s, "T") || strings.HasSuffix(s, "z") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// eval evaluates the rule against the Choice state's effective input.
func (r *choiceRule) eval(e env) (bool, *stateError) {
	switch {
	case r.cond != nil:
		v, err := r.cond.eval(e)
		if err != nil {
			return false, err
		}
		b, ok := v.(bool)
		if !ok {
			return false, &stateError{Name: ErrQueryEvaluation, Cause: fmt.Sprintf("The Condition of a choice rule must evaluate to a boolean, got %s", typeName(v))}
		}
		return b, nil
	case r.and != nil:
		for _, c := range r.and {
			ok, err := c.eval(e)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, c := range r.or {
			ok, err := c.eval(e)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.eval(e)
		return !ok && err == nil, err
	}
	v, present := r.variable.get(e)
	if r.op == "IsPresent" {
		return present == r.value.(bool), nil
	}
	if !present {
		return false, runtimeErr("Invalid path '%s': The choice state's condition path references an invalid value.", r.variable.src)
	}
	if r.kind == "Is" {
		want := r.value.(bool)
		var is bool
		switch r.op {
		case "IsNull":
			is = v == nil
		case "IsNumeric":
			_, is = toFloat(v)
		case "IsString":
			_, is = v.(string)
		case "IsBoolean":
			_, is = v.(bool)
		case "IsTimestamp":
			if s, ok := v.(string); ok {
				_, is = parseTimestamp(s)
			}
		}
		return is == want, nil
	}
	want := r.value
	wantTS := r.ts
	if r.valuePath != nil {
		w, ok := r.valuePath.get(e)
		if !ok {
			return false, runtimeErr("Invalid path '%s': The choice state's condition path references an invalid value.", r.valuePath.src)
		}
		want = w
		if r.kind == "Timestamp" {
			s, ok := w.(string)
			if !ok {
				return false, nil
			}
			if wantTS, ok = parseTimestamp(s); !ok {
				return false, nil
			}
		}
	}
	var c int
	switch r.kind {
	case "Matches":
		s, ok := v.(string)
		p, ok2 := want.(string)
		return ok && ok2 && globMatch(p, s), nil
	case "String":
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		c = compareUTF16(a, b)
	case "Numeric":
		if _, ok := toFloat(v); !ok {
			return false, nil
		}
		var ok bool
		if c, ok = numCompare(v, want); !ok {
			return false, nil
		}
	case "Boolean":
		a, ok1 := v.(bool)
		b, ok2 := want.(bool)
		return ok1 && ok2 && a == b, nil
	case "Timestamp":
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		t, ok := parseTimestamp(s)
		if !ok {
			return false, nil
		}
		c = t.Compare(wantTS)
	}
	switch r.cmp {
	case "Equals":
		return c == 0, nil
	case "LessThan":
		return c < 0, nil
	case "GreaterThan":
		return c > 0, nil
	case "LessThanEquals":
		return c <= 0, nil
	case "GreaterThanEquals":
		return c >= 0, nil
	}
	return false, nil
}

// compareUTF16 orders strings as Java's String.compareTo does, which the
// service documents for string comparisons: by UTF-16 code units. It
// differs from byte order only between characters above U+FFFF and those
// from U+E000 to U+FFFF.
func compareUTF16(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(ua) < len(ub):
		return -1
	case len(ua) > len(ub):
		return 1
	}
	return 0
}

// globMatch implements StringMatches: "*" matches any run of characters,
// "\*" a literal star and "\\" a literal backslash.
func globMatch(pattern, s string) bool {
	type tok struct {
		r    rune
		star bool
	}
	var toks []tok
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		if r == '\\' && i+n < len(pattern) {
			r2, n2 := utf8.DecodeRuneInString(pattern[i+n:])
			toks = append(toks, tok{r: r2})
			i += n + n2
			continue
		}
		toks = append(toks, tok{r: r, star: r == '*'})
		i += n
	}
	rs := []rune(s)
	// Classic greedy match with backtracking to the last star.
	ti, si := 0, 0
	starTok, starS := -1, 0
	for si < len(rs) {
		switch {
		case ti < len(toks) && !toks[ti].star && toks[ti].r == rs[si]:
			ti++
			si++
		case ti < len(toks) && toks[ti].star:
			starTok, starS = ti, si
			ti++
		case starTok >= 0:
			ti = starTok + 1
			starS++
			si = starS
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks)
}
