// Package ruleset is the JSON form of the merchant's rule set (F7, F25, F26):
// what `GET/PUT /v1/staff/ruleset` speak and what a store may keep. The
// domain types (aftersales.RuleSet) carry no tags; this package owns the
// names, and docs/RULES.md describes them.
//
// Decoding is strict, because a rule set decides where money goes: an
// unknown or misspelt field is refused, not ignored, and every mistake is
// named by its JSON path at once ("rules[2].when.amount_above").
// Durations are Go duration strings ("48h", "10m"): readable and explicit
// about their unit, unlike a bare number of seconds.
package ruleset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aftersales/aftersales/shared/aftersales"
)

const opDecode = "ruleset.decode"

// Decode reads and validates a rule set: a client's PUT body, or what Encode
// wrote to a store. It is the inverse of Encode. version, updated_at and
// updated_by come back as sent: on a PUT the service treats version as the
// version the client edited (a lost-update check) and stamps the other two
// itself. Fields left out take their defaults: admin_approval_above 50000,
// and each missing deadline the default deadline. Every error is an
// *aftersales.Error of KindInvalid naming the fields.
func Decode(b []byte) (*aftersales.RuleSet, error) {
	rs, err := decode(b)
	if err != nil {
		return nil, err
	}
	if err := rs.Validate(); err != nil {
		return nil, err
	}
	return rs, nil
}

// Encode writes rs as compact JSON with every field, defaults included, so
// that what a merchant downloads is the whole policy in force. It does not
// validate: a stored set can always be shown, even one a newer version of
// the rules would refuse.
func Encode(rs *aftersales.RuleSet) ([]byte, error) {
	if rs == nil {
		return nil, aftersales.E(aftersales.KindInternal, "ruleset.encode", "no rule set to encode")
	}
	return json.Marshal(fromDomain(rs))
}

// decode parses b in two passes: first into a generic tree that is checked
// against the record types (unknown fields, wrong JSON types, each named by
// its path), then into the records, which cannot fail after the check.
func decode(b []byte) (*aftersales.RuleSet, error) {
	tree, err := parse(b)
	if err != nil {
		return nil, err
	}
	var v aftersales.Validation
	checkShape(tree, recordType, "", &v)
	if err := v.Err(opDecode); err != nil {
		return nil, err
	}
	var rec ruleSetJSON
	if err := json.Unmarshal(b, &rec); err != nil {
		// checkShape accepts exactly what the records decode; reaching this
		// is a bug in it, but still the client's input that caused it.
		return nil, aftersales.Wrap(aftersales.KindInvalid, opDecode, err)
	}
	return rec.toDomain(), nil
}

// parse reads exactly one JSON object.
func parse(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, aftersales.E(aftersales.KindInvalid, opDecode, "the rule set is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // integers stay exact and can be told from 1.5
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, syntaxError(b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, aftersales.E(aftersales.KindInvalid, opDecode, "the body holds more than one JSON value; send one rule set object")
	}
	if _, ok := tree.(map[string]any); !ok {
		return nil, aftersales.E(aftersales.KindInvalid, opDecode, "a rule set is a JSON object")
	}
	return tree, nil
}

// syntaxError says where the JSON broke, as a line and column an editor shows.
func syntaxError(b []byte, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Offset counts the offending byte itself; editors point at it.
		line, col := position(b, se.Offset-1)
		return aftersales.E(aftersales.KindInvalid, opDecode, fmt.Sprintf("the rule set is not valid JSON: %s (line %d, column %d)", se.Error(), line, col))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return aftersales.E(aftersales.KindInvalid, opDecode, "the rule set is not valid JSON: it ends in the middle of a value")
	}
	return aftersales.E(aftersales.KindInvalid, opDecode, "the rule set is not valid JSON: "+err.Error())
}

func position(b []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for _, c := range b[:max(0, min(int(offset), len(b)))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
