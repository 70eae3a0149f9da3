package notify

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The templates, one file per language (templates/<language>.json). A
// file names, for every status, its word and a one-line hint, and for every
// kind of notice its inbox title and body and, for buyer notices, the
// WeChat subscribe message's data and the SMS text. Every kind uses the
// same WeChat keywords (character_string1, thing2, time3, thing4, amount5):
// the merchant registers ONE subscribe template with them (its id is a
// setting), since a buyer subscribes to a template, not to a kind.
//
//go:embed templates/*.json
var files embed.FS

// Limits WeChat enforces on subscribe message data, by keyword type, in
// characters, and the length of one SMS segment.
const (
	MaxThing           = 20
	MaxPhrase          = 5
	MaxCharacterString = 32
	MaxSMSUnicode      = 70  // one segment in UCS-2 (any Chinese text)
	MaxSMSGSM          = 160 // one segment in the GSM 7-bit alphabet
)

// shanghai is China Standard Time, in which WeChat shows times; fixed, so
// the functions need no time zone database.
var shanghai = time.FixedZone("CST", 8*3600)

type kindFile struct {
	Title  string            `json:"title"`
	Body   string            `json:"body"`
	WeChat map[string]string `json:"wechat"`
	SMS    string            `json:"sms"`
}

type languageFile struct {
	Language string              `json:"language"`
	Statuses map[string]string   `json:"statuses"`
	Hints    map[string]string   `json:"hints"`
	Kinds    map[string]kindFile `json:"kinds"`
}

type kindTemplates struct {
	title, body, sms *template.Template
	wechat           map[string]*template.Template
}

type language struct {
	statuses, hints map[string]string
	kinds           map[string]kindTemplates
}

// Templates are the parsed template files.
type Templates struct {
	langs map[string]language
}

// LoadTemplates parses every language file. A file that does not parse is
// a build defect; the tests load them all.
func LoadTemplates() (*Templates, error) {
	ts := &Templates{langs: map[string]language{}}
	for lang := range aftersales.Languages {
		b, err := files.ReadFile("templates/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		var f languageFile
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("templates/%s.json: %w", lang, err)
		}
		l := language{statuses: f.Statuses, hints: f.Hints, kinds: map[string]kindTemplates{}}
		for kind, k := range f.Kinds {
			parse := func(part, text string) *template.Template {
				if err != nil || text == "" {
					return nil
				}
				var t *template.Template
				t, err = template.New(lang + "/" + kind + "/" + part).Option("missingkey=error").Parse(text)
				return t
			}
			kt := kindTemplates{title: parse("title", k.Title), body: parse("body", k.Body), sms: parse("sms", k.SMS),
				wechat: map[string]*template.Template{}}
			for key, text := range k.WeChat {
				kt.wechat[key] = parse(key, text)
			}
			if err != nil {
				return nil, err
			}
			l.kinds[kind] = kt
		}
		ts.langs[lang] = l
	}
	return ts, nil
}

// MustLoadTemplates is LoadTemplates for wiring: the files are embedded
// and TestEveryTemplateFits loads them, so a failure is a build defect.
func MustLoadTemplates() *Templates {
	ts, err := LoadTemplates()
	if err != nil {
		panic(err)
	}
	return ts
}

// Rendered is one notice in one language.
type Rendered struct {
	Title, Body string
	Fields      map[string]string // WeChat data; nil for staff notices
	SMS         string
}

// data is what a template may say.
type data struct {
	CaseID, Status, Hint, At string
	Due                      string // a reminder's due time (At otherwise)
	Amount                   string // WeChat's amount type: ¥12.30
	AmountText               string // for text: ¥12.30, or CNY 12.30 in English (¥ would make an SMS Unicode, 70 characters)
	// OrderID and Window are an order notice's (claim_window): the order,
	// and the claim window in words ("24 h").
	OrderID, Window string
	Reason          string // the case's reason, labelled in the buyer's language
}

// RenderClaimWindow renders the claim-window reminder of order o in lang:
// claims within window, until due; the amount is what the produce lines
// were paid.
func (ts *Templates) RenderClaimWindow(lang string, o *aftersales.Order, window time.Duration, due time.Time) (Rendered, error) {
	l, k, err := ts.kind(lang, KindClaimWindow)
	if err != nil {
		return Rendered{}, err
	}
	var paid int64
	for _, line := range o.Lines {
		if line.Kind == aftersales.KindProduce {
			paid += line.PaidAmount
		}
	}
	at := due.In(shanghai).Format("2006-01-02 15:04")
	d := data{OrderID: o.ID, CaseID: o.ID, At: at, Due: at, Amount: yuan(paid), AmountText: yuan(paid),
		Window: fmt.Sprint(int64(window / time.Hour)), Status: l.statuses[string(aftersales.StatusSubmitted)]}
	if lang == aftersales.LangEN {
		d.AmountText = "CNY " + strings.TrimPrefix(d.Amount, "¥")
	}
	return k.execute(d)
}

// kind finds kind's templates in lang (LangZhCN when lang has no file).
func (ts *Templates) kind(lang, kind string) (language, kindTemplates, error) {
	l, ok := ts.langs[lang]
	if !ok {
		l = ts.langs[aftersales.LangZhCN]
	}
	k, ok := l.kinds[kind]
	if !ok {
		return l, k, fmt.Errorf("notify: no template %q in %s", kind, lang)
	}
	return l, k, nil
}

// Render renders kind in lang (LangZhCN when lang has no file) for the
// change e of case c, every WeChat field fitted to its type's limit.
func (ts *Templates) Render(lang, kind string, c *aftersales.Case, e aftersales.TimelineEntry) (Rendered, error) {
	l, k, err := ts.kind(lang, kind)
	if err != nil {
		return Rendered{}, err
	}
	amount := c.Approved
	if amount <= 0 {
		amount = c.Requested
	}
	d := data{CaseID: c.ID, Status: l.statuses[string(e.To)], Hint: l.hints[string(e.To)],
		At: e.At.In(shanghai).Format("2006-01-02 15:04"), Amount: yuan(amount), AmountText: yuan(amount),
		Reason: aftersales.ReasonLabel(c.Type, c.Reason, lang)}
	d.Due = d.At
	if due := c.RemindedFor; e.Action == aftersales.ActDeadlineSoon && !due.IsZero() {
		d.Due = due.In(shanghai).Format("2006-01-02 15:04")
	}
	if lang == aftersales.LangEN {
		d.AmountText = "CNY " + strings.TrimPrefix(d.Amount, "¥")
	}
	return k.execute(d)
}

// execute renders k with d, every WeChat field fitted to its type's limit.
func (k kindTemplates) execute(d data) (Rendered, error) {
	var r Rendered
	var err error
	exec := func(t *template.Template) string {
		if t == nil || err != nil {
			return ""
		}
		var b strings.Builder
		err = t.Execute(&b, d)
		return b.String()
	}
	r.Title, r.Body, r.SMS = exec(k.title), exec(k.body), exec(k.sms)
	if len(k.wechat) > 0 {
		r.Fields = map[string]string{}
		for key, t := range k.wechat {
			if v, ok := fit(key, exec(t)); ok {
				r.Fields[key] = v
			}
		}
	}
	return r, err
}

// yuan renders minor units of CNY as WeChat's amount type wants them: a
// currency sign and the number, two decimals.
func yuan(minor int64) string {
	return fmt.Sprintf("¥%d.%02d", minor/100, minor%100)
}

var (
	amountRe = regexp.MustCompile(`^[¥$]?\d{1,10}(\.\d{1,2})?元?$`)
	timeRe   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$`)
	// character_string takes digits, letters and symbols.
	charStringRe = regexp.MustCompile(`^[\x21-\x7e]*$`)
)

// fit returns v fitted to the limits of keyword key's type (thing: cut to
// 20 characters; character_string: cut to 32), or ok false when v cannot
// be said in that type at all (an amount of more than 10 digits), so that
// the field is left out rather than refused with the whole message.
func fit(key, v string) (string, bool) {
	switch {
	case strings.HasPrefix(key, "thing"):
		return cut(v, MaxThing), true
	case strings.HasPrefix(key, "phrase"):
		return v, utf8.RuneCountInString(v) <= MaxPhrase
	case strings.HasPrefix(key, "character_string"):
		return cut(v, MaxCharacterString), charStringRe.MatchString(v)
	case strings.HasPrefix(key, "amount"):
		return v, amountRe.MatchString(v) && digits(v) <= 10
	case strings.HasPrefix(key, "time"):
		return v, timeRe.MatchString(v)
	}
	return v, true
}

// CheckField reports whether v is a valid value of WeChat keyword key.
func CheckField(key, v string) error {
	if got, ok := fit(key, v); !ok || got != v {
		return fmt.Errorf("%s %q is not within its type's limits", key, v)
	}
	return nil
}

// CheckSMS reports whether text fits one SMS segment.
func CheckSMS(text string) error {
	limit := MaxSMSGSM
	for _, r := range text {
		if r > 0x7e {
			limit = MaxSMSUnicode
			break
		}
	}
	if n := utf8.RuneCountInString(text); n > limit {
		return fmt.Errorf("SMS of %d characters is over one segment (%d)", n, limit)
	}
	return nil
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// cut shortens s to at most n characters, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
