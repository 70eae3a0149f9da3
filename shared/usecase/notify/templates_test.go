package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// TestEveryTemplateFits renders every kind the tables name, for every
// status, in every language, with the longest values a case can hold, and
// checks each WeChat field against its type's limit and the SMS against
// one segment.
func TestEveryTemplateFits(t *testing.T) {
	ts, err := LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	statuses := []aftersales.Status{}
	for _, tr := range aftersales.Transitions {
		statuses = append(statuses, tr.To)
	}
	cases := []struct {
		name   string
		amount int64
	}{
		{"a small amount", 1},
		{"the largest amount WeChat can show", 99_999_999_99},
	}
	for lang := range aftersales.Languages {
		for _, n := range kinds() {
			for _, st := range statuses {
				for _, tc := range cases {
					c := &aftersales.Case{ID: "as_01JC0000000000000000000000", Requested: tc.amount, Approved: tc.amount}
					e := aftersales.TimelineEntry{Seq: 9, At: time.Date(2026, 11, 11, 23, 59, 0, 0, time.UTC), To: st}
					r, err := ts.Render(lang, n.Kind, c, e)
					if err != nil {
						t.Fatalf("%s %s %s: %v", lang, n.Kind, st, err)
					}
					if r.Title == "" || r.Body == "" || strings.Contains(r.Body+r.Title+r.SMS, "<no value>") {
						t.Errorf("%s %s %s: title %q body %q", lang, n.Kind, st, r.Title, r.Body)
					}
					if n.To != ToBuyer {
						continue // inbox only
					}
					if len(r.Fields) != 5 {
						t.Errorf("%s %s %s %s: fields %v, want all five keywords", lang, n.Kind, st, tc.name, r.Fields)
					}
					for k, v := range r.Fields {
						if err := CheckField(k, v); err != nil || v == "" || strings.HasSuffix(v, "…") {
							t.Errorf("%s %s %s: %v (%q)", lang, n.Kind, st, err, v)
						}
					}
					if err := CheckSMS(r.SMS); err != nil || r.SMS == "" {
						t.Errorf("%s %s %s: %q: %v", lang, n.Kind, st, r.SMS, err)
					}
				}
			}
		}
	}
}

// TestEveryKindHasTemplates: a row added to the tables without its
// template in each language fails here, not at the first buyer.
func TestEveryKindHasTemplates(t *testing.T) {
	ts, err := LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for lang, l := range ts.langs {
		for _, n := range kinds() {
			k, ok := l.kinds[n.Kind]
			if !ok {
				t.Errorf("%s has no template %q", lang, n.Kind)
				continue
			}
			if n.To == ToBuyer && (k.sms == nil || len(k.wechat) == 0) {
				t.Errorf("%s %q: a buyer notice needs wechat and sms", lang, n.Kind)
			}
		}
		for _, tr := range aftersales.Transitions {
			if l.statuses[string(tr.To)] == "" || l.hints[string(tr.To)] == "" {
				t.Errorf("%s has no word or hint for status %s", lang, tr.To)
			}
		}
	}
}

func TestFieldLimits(t *testing.T) {
	tests := []struct {
		name, key, value string
		ok               bool
	}{
		{"thing of 20", "thing2", strings.Repeat("退", 20), true},
		{"thing of 21", "thing2", strings.Repeat("退", 21), false},
		{"phrase of 5", "phrase3", "待补充凭证", true},
		{"phrase of 6", "phrase3", "待补充凭证了", false},
		{"character_string of 32", "character_string1", strings.Repeat("a", 32), true},
		{"character_string of 33", "character_string1", strings.Repeat("a", 33), false},
		{"character_string with Chinese", "character_string1", "单号", false},
		{"amount", "amount5", "¥12.30", true},
		{"amount of 11 digits", "amount5", "¥123456789.01", false},
		{"amount in words", "amount5", "twelve", false},
		{"time", "time3", "2026-11-11 08:00", true},
		{"time in words", "time3", "tomorrow", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckField(tc.key, tc.value); (err == nil) != tc.ok {
				t.Fatalf("CheckField(%s, %q) = %v, want ok %v", tc.key, tc.value, err, tc.ok)
			}
		})
	}
	t.Run("an amount WeChat cannot show is left out, the rest is sent", func(t *testing.T) {
		ts, err := LoadTemplates()
		if err != nil {
			t.Fatal(err)
		}
		r, err := ts.Render(aftersales.LangZhCN, KindStatusChanged, &aftersales.Case{ID: "as_1", Requested: aftersales.MaxAmount},
			aftersales.TimelineEntry{To: aftersales.StatusRefunding})
		if _, ok := r.Fields["amount5"]; err != nil || ok || r.Fields["thing2"] != "退款中" {
			t.Fatalf("fields %v, %v", r.Fields, err)
		}
	})
	t.Run("SMS segments", func(t *testing.T) {
		for _, tc := range []struct {
			text string
			ok   bool
		}{{strings.Repeat("a", 160), true}, {strings.Repeat("a", 161), false}, {strings.Repeat("退", 70), true}, {strings.Repeat("a", 70) + "退", false}} {
			if err := CheckSMS(tc.text); (err == nil) != tc.ok {
				t.Errorf("CheckSMS of %d characters: %v, want ok %v", len([]rune(tc.text)), err, tc.ok)
			}
		}
	})
}

func TestLanguageFallsBack(t *testing.T) {
	ts, err := LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	c := &aftersales.Case{ID: "as_1"}
	e := aftersales.TimelineEntry{To: aftersales.StatusCompleted}
	tests := []struct {
		name, lang, want string
	}{
		{"Chinese", aftersales.LangZhCN, "售后进度：已完成"},
		{"English", aftersales.LangEN, "After-sales: Completed"},
		{"unknown: Chinese", "fr", "售后进度：已完成"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ts.Render(tc.lang, KindStatusChanged, c, e)
			if err != nil || r.Title != tc.want {
				t.Fatalf("title %q, %v; want %q", r.Title, err, tc.want)
			}
		})
	}
}
