package aftersales

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		kind     TextKind
		maxRunes int
		want     string // a substring of the message; "" means fit
	}{
		{"empty", "", OneLine, 10, ""},
		{"Chinese at the limit", strings.Repeat("退", 10), OneLine, 10, ""},
		{"one character over", strings.Repeat("退", 11), OneLine, 10, "at most 10 characters"},
		{"no limit", strings.Repeat("x", 10000), MultiLine, 0, ""},
		{"lines and tabs in long text", "a\nb\tc", MultiLine, 0, ""},
		{"a line break in one line", "a\nb", OneLine, 0, "a line break or tab (U+000A at character 2)"},
		{"a tab in one line", "a\tb", OneLine, 0, "U+0009"},
		{"a carriage return", "a\r\nb", MultiLine, 0, "a control character (U+000D at character 2)"},
		{"NUL", "\x00", MultiLine, 0, "U+0000"},
		{"DEL", "a\x7f", MultiLine, 0, "U+007F"},
		{"a C1 control", "a\u0085", MultiLine, 0, "U+0085"},
		{"invalid UTF-8", "caf\xe9", MultiLine, 0, "valid UTF-8"},
		{"an encoded surrogate", "\xed\xa0\x80", MultiLine, 0, "valid UTF-8"},
		{"right-to-left override", "invoice_\u202eexe.pdf", MultiLine, 0, "a bidirectional control character (U+202E at character 9)"},
		{"left-to-right embedding", "\u202aa", OneLine, 0, "U+202A"},
		{"pop directional isolate", "a\u2069", OneLine, 0, "U+2069"},
		{"right-to-left mark", "a\u200f", OneLine, 0, "U+200F"},
		{"Arabic letter mark", "a\u061c", OneLine, 0, "U+061C"},
		{"zero-width space", "a\u200bb", MultiLine, 0, "an invisible formatting character (U+200B"},
		{"word joiner", "a\u2060b", MultiLine, 0, "U+2060"},
		{"byte order mark", "\ufeffa", MultiLine, 0, "U+FEFF"},
		{"soft hyphen", "re\u00adfund", MultiLine, 0, "U+00AD"},
		{"tag characters", "a\U000E0049\U000E0047", MultiLine, 0, "U+E0049"},
		{"line separator", "a\u2028b", MultiLine, 0, "a line or paragraph separator"},
		{"Hangul filler", "\u3164", OneLine, 0, "an invisible filler character"},
		{"zero-width joiner in an emoji", "👩\u200d💻", OneLine, 0, ""},
		{"zero-width non-joiner in Persian", "می\u200cخواهم", OneLine, 0, ""},
		{"Arabic text", "مرحبا", OneLine, 0, ""},
		{"emoji with a variation selector", "❤\ufe0f", OneLine, 0, ""},
		{"the replacement character as sent", "\ufffd", OneLine, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Validation
			ok := CheckText(&v, "description", tt.text, tt.kind, tt.maxRunes)
			err := v.Err("op")
			if tt.want == "" {
				if !ok || err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			f := FieldsOf(err)
			if ok || len(f) != 1 || f[0].Field != "description" || !strings.Contains(f[0].Message, tt.want) {
				t.Fatalf("ok %v, fields %+v; want one error on description holding %q", ok, f, tt.want)
			}
		})
	}
}

func TestCheckIDs(t *testing.T) {
	many := make([]string, 10)
	for i := range many {
		many[i] = fmt.Sprintf("ev_%d", i)
	}
	tests := []struct {
		name        string
		ids         []string
		least, most int
		want        []FieldError
	}{
		{"fine", []string{"ev_1", "ev_2"}, 1, 9, nil},
		{"none allowed", nil, 0, 9, nil},
		{"too few", nil, 1, 9, []FieldError{{"evidence_ids", "must list at least 1 id(s)"}}},
		{"too many: nothing else is looked at", append(many, "", "ev_1"), 0, 9,
			[]FieldError{{"evidence_ids", "must list at most 9 ids; 12 were sent"}}},
		{"empty, overlong and repeated ids", []string{"ev_1", "", strings.Repeat("x", MaxIDBytes+1), "ev_1"}, 0, 9, []FieldError{
			{"evidence_ids[1]", "must be an id of 1 to 128 bytes"},
			{"evidence_ids[2]", "must be an id of 1 to 128 bytes"},
			{"evidence_ids[3]", "names ev_1 twice"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Validation
			ok := CheckIDs(&v, "evidence_ids", tt.ids, tt.least, tt.most)
			got := FieldsOf(v.Err("op"))
			if ok != (tt.want == nil) || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ok %v, fields %v; want %v", ok, got, tt.want)
			}
		})
	}
}

// TestValidationIsCapped: past MaxFieldErrors errors are counted, not kept
// (nor formatted).
func TestValidationIsCapped(t *testing.T) {
	tests := []struct {
		name          string
		add           int
		listed, extra int
	}{
		{"none", 0, 0, 0},
		{"at the cap", MaxFieldErrors, MaxFieldErrors, 0},
		{"5,000", 5000, MaxFieldErrors, 5000 - MaxFieldErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Validation
			for i := range tt.add {
				v.Add(fmt.Sprintf("ids[%d]", i), "is unknown")
			}
			err := v.Err("op")
			if got := len(FieldsOf(err)); got != tt.listed || OmittedOf(err) != tt.extra || v.Valid() != (tt.add == 0) {
				t.Fatalf("listed %d, omitted %d, valid %v; want %d, %d", got, OmittedOf(err), v.Valid(), tt.listed, tt.extra)
			}
			if tt.extra > 0 && !strings.HasSuffix(err.Error(), fmt.Sprintf("; and %d more", tt.extra)) {
				t.Errorf("log text %q does not count the rest", err.Error())
			}
		})
	}
}

func TestUploadQuotas(t *testing.T) {
	at := time.Date(2026, 11, 11, 10, 20, 30, 0, time.FixedZone("CST", 8*3600)) // 02:20:30 UTC
	hourEnd := time.Date(2026, 11, 11, 3, 0, 0, 0, time.UTC)
	buyerHour := Quota{Key: "uploads/buyer/b_1/2026-11-11T02", Limit: MaxUploadsPerBuyerHour, ExpiresAt: hourEnd, ResetAt: hourEnd}
	tests := []struct {
		name   string
		caseID string
		want   []Quota
	}{
		{"before the case exists", "", []Quota{buyerHour}},
		{"for a case: the case's first", "as_1", []Quota{
			{Key: "uploads/case/as_1", Limit: MaxUploadsPerCase, ExpiresAt: at.Add(caseQuotaTTL)}, buyerHour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UploadQuotas("b_1", tt.caseID, at)
			if len(got) != len(tt.want) {
				t.Fatalf("quotas %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].Key != tt.want[i].Key || got[i].Limit != tt.want[i].Limit || !got[i].ExpiresAt.Equal(tt.want[i].ExpiresAt) ||
					!got[i].ResetAt.Equal(tt.want[i].ResetAt) {
					t.Errorf("quota %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	if time.Duration(PendingUploadDays)*24*time.Hour <= UploadRecordTTL+UploadURLLifetime {
		t.Errorf("pending uploads are kept %d days, not longer than an upload can be attached (%v)", PendingUploadDays, UploadRecordTTL)
	}
}

// TestDefaultRuleSetTextIsFit: the rule set a merchant starts from passes
// the checks of a stored one.
func TestDefaultRuleSetTextIsFit(t *testing.T) {
	if err := DefaultRuleSet().ValidateText(); err != nil {
		t.Fatal(err)
	}
	rs := DefaultRuleSet()
	rs.Rules[1].When.Categories = []string{"生鲜", "fruit\u202e"}
	f := FieldsOf(rs.ValidateText())
	if len(f) != 1 || f[0].Field != "rules[1].when.categories[1]" {
		t.Errorf("fields %+v, want rules[1].when.categories[1]", f)
	}
}

// TestMallTextIsFit: the words of the mall settings, which reach the
// mall's services in events, pass the same checks, each named by its path.
func TestMallTextIsFit(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *MallSettings)
		want   string
	}{
		{"a coupon code with a line break", func(m *MallSettings) { m.Coupons = []CouponRule{{ID: "c", Coupon: "SAVE\n10"}} }, "mall.coupons[0].coupon"},
		{"a coupon condition's tier reversed", func(m *MallSettings) {
			m.Coupons = []CouponRule{{ID: "c", Coupon: "SAVE10", When: Condition{MemberTiers: []string{"gold\u202e"}}}}
		}, "mall.coupons[0].when.member_tiers[0]"},
		{"a follow-up tier with a control character", func(m *MallSettings) { m.FollowUp.MemberTiers = []string{"dia\x07mond"} }, "mall.follow_up.member_tiers[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := DefaultRuleSet()
			tc.change(&rs.Mall)
			f := FieldsOf(rs.ValidateText())
			if len(f) != 1 || f[0].Field != tc.want {
				t.Errorf("fields %+v, want %s", f, tc.want)
			}
		})
	}
}
