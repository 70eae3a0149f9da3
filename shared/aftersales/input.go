package aftersales

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// What clients send is checked on its own (counts, sizes, text) before
// anything is looked up for it: a request of 5,000 ids costs the server no
// more than a request of ten.

// MaxIDBytes bounds an id a client sends (a case, evidence, order or line
// id): the service's own ids are under 40 bytes and the mall's well under
// this, so a longer id names nothing and is refused, or not found, before
// any lookup (a store may not even accept it as a key).
const MaxIDBytes = 128

// CheckIDs records in v what is wrong with a list of ids a client sent,
// before any is looked up: fewer than least or more than most (then
// nothing else is checked), an empty or overlong id, an id given twice.
// It reports whether the list may be looked up.
func CheckIDs(v *Validation, field string, ids []string, least, most int) bool {
	switch {
	case len(ids) > most:
		v.Add(field, "must list at most %d ids; %d were sent", most, len(ids))
		return false
	case len(ids) < least:
		v.Add(field, "must list at least %d id(s)", least)
		return false
	}
	ok := true
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case id == "" || len(id) > MaxIDBytes:
			v.Add(f, "must be an id of 1 to %d bytes", MaxIDBytes)
		case seen[id]:
			v.Add(f, "names %s twice", id)
		default:
			seen[id] = true
			continue
		}
		ok = false
	}
	return ok
}

// Free text (a buyer's description, a reviewer's note or reason, a rule's
// description) is stored and then shown to someone else: the buyer's words
// in the merchant console, the merchant's reason in the buyer's app. Text
// that renders as something other than what it is can deceive that reader:
// a right-to-left override shows "gnp.exe" as "exe.png", invisible
// characters hide words from a reviewer (or smuggle instructions to a
// language model reading the case), control characters move a terminal's
// cursor. Such text is refused with the field and the character named,
// never cleaned: what is stored is what was sent, and the sender learns
// why it was not.

// TextKind says whether a free-text field may span lines.
type TextKind uint8

// The kinds of free text.
const (
	// OneLine text (a reason, a courier, a category) holds no line break
	// and no tab.
	OneLine TextKind = iota
	// MultiLine text (a description, a note) may hold line feeds (\n) and
	// tabs. A carriage return is refused like any other control character:
	// browsers and mini-programs give text areas' values with \n alone.
	MultiLine
)

// CheckText records in v, under field, why s is not fit to store and show as
// free text of its kind, and reports whether it is fit. maxRunes > 0 bounds
// its length in characters (runes); 0 leaves the length to the caller.
//
// Refused: bytes that are not UTF-8; control characters (C0, DEL, C1) but
// the line feed and tab of MultiLine text; bidirectional controls
// (Unicode's Bidi_Control: U+061C, U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069); every other format character (category Cf: zero-width
// spaces, word joiners, soft hyphens, byte order marks, tag characters)
// except the zero-width non-joiner and joiner (U+200C, U+200D), which
// Persian and Indic scripts and emoji sequences need; line and paragraph
// separators (U+2028, U+2029); and the Hangul fillers, letters that render
// as nothing.
func CheckText(v *Validation, field, s string, kind TextKind, maxRunes int) bool {
	if !utf8.ValidString(s) {
		v.Add(field, "must be valid UTF-8 text")
		return false
	}
	n := 0
	for _, r := range s {
		n++
		if what := unfit(r, kind); what != "" {
			v.Add(field, "must not hold %s (U+%04X at character %d)", what, r, n)
			return false
		}
	}
	if maxRunes > 0 && n > maxRunes {
		v.Add(field, "must be at most %d characters", maxRunes)
		return false
	}
	return true
}

// unfit names what makes r unfit for free text of kind, or is "".
func unfit(r rune, kind TextKind) string {
	switch {
	case r == '\n' || r == '\t':
		if kind == MultiLine {
			return ""
		}
		return "a line break or tab"
	case unicode.IsControl(r):
		return "a control character"
	case unicode.Is(unicode.Bidi_Control, r):
		return "a bidirectional control character"
	case r == '\u200c' || r == '\u200d':
		return ""
	case unicode.Is(unicode.Cf, r):
		return "an invisible formatting character"
	case r == '\u2028' || r == '\u2029':
		return "a line or paragraph separator"
	case r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0':
		return "an invisible filler character"
	}
	return ""
}
