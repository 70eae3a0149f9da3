package ruleset

import (
	"bytes"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

func ptr[T any](v T) *T { return &v }

// fullRuleSet sets every field of the format, so that a round trip of it
// exercises every name and every value type of the codec.
func fullRuleSet() *aftersales.RuleSet {
	return &aftersales.RuleSet{
		Version: 12, UpdatedAt: time.Date(2026, 11, 20, 12, 30, 0, 0, time.UTC), UpdatedBy: "staff:alice",
		AdminApprovalAbove: 80000,
		VirtualGoods:       aftersales.VirtualGoodsSettings{RedemptionCheck: aftersales.RedemptionSnapshot, WhenUnavailable: aftersales.UnavailableSnapshot},
		Bundles:            aftersales.BundleSettings{VirtualComponents: aftersales.VirtualWithTheReturn},
		Presale:            aftersales.PresaleSettings{ShipWithinDays: 10, LateShipment: aftersales.LateNone},
		Interception:       aftersales.InterceptionSettings{RefundAt: aftersales.RefundAtArrival},
		Rules: []aftersales.Rule{
			{ID: "everything", Description: "every condition at once",
				When: aftersales.Condition{
					CaseTypes:        []aftersales.CaseType{aftersales.ReturnRefund},
					OrderStatuses:    []aftersales.OrderStatus{aftersales.OrderDelivered, aftersales.OrderCompleted},
					PaidMoreThanDays: ptr(1), PaidWithinDays: ptr(60),
					ShippedMoreThanDays: ptr(0), ShippedWithinDays: ptr(30),
					DeliveredMoreThanDays: ptr(0), DeliveredWithinDays: ptr(7),
					LineKinds:     []aftersales.LineKind{aftersales.KindPhysical},
					OnlyLineKinds: []aftersales.LineKind{aftersales.KindPhysical, aftersales.KindAppliance},
					Categories:    []string{"apparel", "鞋"},
					AmountAbove:   ptr[int64](0), AmountAtMost: ptr[int64](20000),
					MemberTiers:    []string{"gold", "diamond"},
					RefundsAtLeast: ptr(0), RefundsAtMost: ptr(3),
					HasEvidence:    ptr(true),
					Reasons:        []string{"damaged", "quality_issue"},
					VirtualUnused:  ptr(false),
					RefundRateDays: ptr(30), RefundRateAtLeast: ptr(20), RefundRateAtMost: ptr(80),
					ReturnShippingPaidBy: ptr(aftersales.PayerBuyer), HasRestockingFee: ptr(true),
					Perks: []string{aftersales.PerkFreeReturnShipping},
				},
				Then: aftersales.Outcome{Decision: aftersales.OutcomeReject, Reason: "退货需保持商品完好"}},
			{ID: "ask", When: aftersales.Condition{HasEvidence: ptr(false)},
				Then: aftersales.Outcome{Decision: aftersales.OutcomeRequestEvidence, Reason: "add a photo"}},
			{ID: "admin", When: aftersales.Condition{AmountAbove: ptr[int64](80000)},
				Then: aftersales.Outcome{Decision: aftersales.OutcomeManual, Level: aftersales.RoleAdmin}},
			{ID: "default", Then: aftersales.Outcome{Decision: aftersales.OutcomeApprove, Reason: "generous merchant"}},
		},
		Deadlines: aftersales.Deadlines{
			ReviewUnshipped: 2 * time.Hour, ReviewShipped: 90 * time.Minute, ReviewSLA: map[string]time.Duration{},
			Evidence: 24 * time.Hour, Return: 30 * 24 * time.Hour, Receipt: 45 * time.Second, Reship: time.Hour + 30*time.Minute,
			Refund: 5 * time.Minute, Dispute: 72 * time.Hour, Collection: 2 * time.Hour, Stalled: 5 * time.Hour, Interception: 4 * 24 * time.Hour,
			DisputeAnswer: 24 * time.Hour, DisputeAgreement: 96 * time.Hour, Arbitration: 36 * time.Hour,
		},
		Mall: aftersales.MallSettings{
			Coupons: []aftersales.CouponRule{{ID: "retain-quality", Coupon: "RETAIN-10", Amount: 1000,
				When: aftersales.Condition{CaseTypes: []aftersales.CaseType{aftersales.ReturnRefund}, Reasons: []string{"quality_issue"}}}},
			FollowUp: aftersales.FollowUpRule{MemberTiers: []string{"diamond", "platinum"}, OrderAmountAbove: ptr[int64](200000)},
		},
		Fees: aftersales.FeeSettings{MerchantPaysReturnFor: []string{"damaged", "defective"}, ReturnPostageCap: 1500,
			RestockingReasons: []string{"no_reason_7_days", "size_not_fit"}, RefundShippingFor: []string{"damaged", "not_shipped"},
			Restocking: []aftersales.RestockingFee{{Categories: []string{"phones"}, Percent: 10}, {Fixed: 500}}},
		Perks:    map[string]aftersales.Perk{"platinum": {FreeReturnShipping: aftersales.FreeShippingAll, MissedPromisePoints: 50}},
		Evidence: aftersales.EvidenceSettings{Slots: map[aftersales.LineKind][]string{aftersales.KindAppliance: {"install_record", "serial"}}},
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rs   *aftersales.RuleSet
	}{
		{"default", aftersales.DefaultRuleSet()},
		{"every field", fullRuleSet()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.rs.Validate(); err != nil {
				t.Fatalf("the test's rule set is invalid: %v", err)
			}
			b, err := Encode(tc.rs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode(Encode(rs)): %v\n%s", err, b)
			}
			if !reflect.DeepEqual(got, tc.rs) {
				t.Errorf("round trip changed the set:\n got %+v\nwant %+v", got, tc.rs)
			}
			again, err := Encode(got)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("encoding is not stable:\n%s\n%s", b, again)
			}
		})
	}
}

func TestEncodeFormat(t *testing.T) {
	b, err := Encode(aftersales.DefaultRuleSet())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"version":1,`, `"admin_approval_above":50000`, `"review_unshipped":"48h"`, `"review_shipped":"120h"`,
		`"review_sla":{"diamond":"1h"}`, `"refund":"10m"`, `"when":{},`, `"amount_above":50000`, `"virtual_unused":false`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("encoded default set lacks %s:\n%s", want, b)
		}
	}
	for _, absent := range []string{`"updated_at"`, `"updated_by"`, `"level":""`, `0m0s`} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("encoded default set holds %s:\n%s", absent, b)
		}
	}
	if _, err := Encode(nil); aftersales.KindOf(err) != aftersales.KindInternal {
		t.Errorf("Encode(nil) error = %v, want an Internal error", err)
	}
}

const minimalRules = `"rules": [{"id": "default", "when": {}, "then": {"decision": "manual", "level": "reviewer"}}]`

func TestDecodeDefaults(t *testing.T) {
	def := aftersales.DefaultDeadlines()
	tests := []struct {
		name      string
		doc       string
		admin     int64
		deadlines func(d *aftersales.Deadlines)
	}{
		{"only rules", `{` + minimalRules + `}`, 50000, func(*aftersales.Deadlines) {}},
		{"nulls count as absent", `{"admin_approval_above": null, "deadlines": null, ` + minimalRules + `}`, 50000, func(*aftersales.Deadlines) {}},
		{"explicit zero admin threshold", `{"admin_approval_above": 0, ` + minimalRules + `}`, 0, func(*aftersales.Deadlines) {}},
		{"one deadline given", `{"deadlines": {"evidence": "24h"}, ` + minimalRules + `}`, 50000,
			func(d *aftersales.Deadlines) { d.Evidence = 24 * time.Hour }},
		{"interception deadline given", `{"deadlines": {"interception": "36h"}, ` + minimalRules + `}`, 50000,
			func(d *aftersales.Deadlines) { d.Interception = 36 * time.Hour }},
		{"no SLA for any tier", `{"deadlines": {"review_sla": {}}, ` + minimalRules + `}`, 50000,
			func(d *aftersales.Deadlines) { d.ReviewSLA = map[string]time.Duration{} }},
		{"SLA for other tiers replaces the default", `{"deadlines": {"review_sla": {"platinum": "2h"}}, ` + minimalRules + `}`, 50000,
			func(d *aftersales.Deadlines) { d.ReviewSLA = map[string]time.Duration{"platinum": 2 * time.Hour} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			want := def
			want.ReviewSLA = map[string]time.Duration{"diamond": time.Hour}
			tc.deadlines(&want)
			if got.AdminApprovalAbove != tc.admin || !reflect.DeepEqual(got.Deadlines, want) {
				t.Errorf("admin %d, deadlines %+v; want %d, %+v", got.AdminApprovalAbove, got.Deadlines, tc.admin, want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	rule := func(when, then string) string {
		return `{"id": "r", "when": ` + when + `, "then": ` + then + `}`
	}
	set := func(extra string, rules ...string) string {
		rules = append(rules, `{"id": "default", "when": {}, "then": {"decision": "manual", "level": "reviewer"}}`)
		if extra != "" {
			extra += ", "
		}
		return `{` + extra + `"rules": [` + strings.Join(rules, ", ") + `]}`
	}
	approve := `{"decision": "approve"}`
	tests := []struct {
		name    string
		doc     string
		fields  []string
		message string // part of the message, for errors that name no field
	}{
		// Unknown fields.
		{"misspelt top-level field", set(`"admin_aproval_above": 1`), []string{"admin_aproval_above"}, ""},
		{"field names are case-sensitive", `{"Rules": []}`, []string{"Rules"}, ""},
		{"misspelt condition", set("", rule(`{"amount_abov": 5000}`, approve)), []string{"rules[0].when.amount_abov"}, ""},
		{"misspelt outcome field", set("", rule(`{"amount_above": 5000}`, `{"decision": "manual", "levle": "admin"}`)), []string{"rules[0].then.levle"}, ""},
		{"unknown deadline", set(`"deadlines": {"review": "48h"}`), []string{"deadlines.review"}, ""},
		{"unknown redemption check", set(`"virtual_goods": {"redemption_check": "cached"}`), []string{"virtual_goods.redemption_check"}, ""},
		{"unknown fallback", set(`"virtual_goods": {"when_unavailable": "approve"}`), []string{"virtual_goods.when_unavailable"}, ""},
		{"unknown bundle handling", set(`"bundles": {"virtual_components": "never"}`), []string{"bundles.virtual_components"}, ""},
		{"presale promise too long", set(`"presale": {"ship_within_days": 400}`), []string{"presale.ship_within_days"}, ""},
		{"unknown late shipment terms", set(`"presale": {"late_shipment": "triple"}`), []string{"presale.late_shipment"}, ""},
		{"unknown interception refund moment", set(`"interception": {"refund_at": "never"}`), []string{"interception.refund_at"}, ""},
		{"every unknown field at once", `{"b": 1, "a": 2, "rules": [{"id": "x", "zz": 1, "when": {"yy": 2}, "then": {}}]}`,
			[]string{"a", "b", "rules[0].when.yy", "rules[0].zz"}, ""},

		// An empty list reads as "none" but would match any (found by FuzzDecode).
		{"empty case types", set("", rule(`{"case_types": [], "amount_above": 1}`, approve)), []string{"rules[0].when.case_types"}, ""},
		{"empty reasons on the catch-all", `{"rules": [{"id": "d", "when": {"reasons": []}, "then": {"decision": "approve"}}]}`, []string{"rules[0].when.reasons"}, ""},

		// Wrong JSON types.
		{"version as a string", set(`"version": "1"`), []string{"version"}, ""},
		{"fractional amount", set(`"admin_approval_above": 500.5`), []string{"admin_approval_above"}, ""},
		{"amount beyond int64", set("", rule(`{"amount_above": 1e30}`, approve)), []string{"rules[0].when.amount_above"}, ""},
		{"fractional days", set("", rule(`{"shipped_more_than_days": 7.5}`, approve)), []string{"rules[0].when.shipped_more_than_days"}, ""},
		{"rules as an object", `{"rules": {"id": "default"}}`, []string{"rules"}, ""},
		{"when as a string", set("", rule(`"any"`, approve)), []string{"rules[0].when"}, ""},
		{"a list given as one value", set("", rule(`{"case_types": "claim"}`, approve)), []string{"rules[0].when.case_types"}, ""},
		{"a number in a list", set("", rule(`{"case_types": ["claim", 3]}`, approve)), []string{"rules[0].when.case_types[1]"}, ""},
		{"boolean as a string", set("", rule(`{"has_evidence": "yes"}`, approve)), []string{"rules[0].when.has_evidence"}, ""},
		{"duration as a number", set(`"deadlines": {"review_shipped": 48}`), []string{"deadlines.review_shipped"}, ""},
		{"duration in words", set(`"deadlines": {"evidence": "72 hours"}`), []string{"deadlines.evidence"}, ""},
		{"duration in days", set(`"deadlines": {"return": "7d"}`), []string{"deadlines.return"}, ""},
		{"SLA of a tier in words", set(`"deadlines": {"review_sla": {"diamond": "1 hour"}}`), []string{"deadlines.review_sla.diamond"}, ""},
		{"SLA as a list", set(`"deadlines": {"review_sla": ["1h"]}`), []string{"deadlines.review_sla"}, ""},
		{"updated_at not a time", set(`"updated_at": "yesterday"`), []string{"updated_at"}, ""},
		{"updated_by as a number", set(`"updated_by": 5`), []string{"updated_by"}, ""},

		// Validation, named by the same paths.
		{"negative amount", set("", rule(`{"amount_above": -1}`, approve)), []string{"rules[0].when.amount_above"}, ""},
		{"manual without level", set("", rule(`{"amount_above": 50000}`, `{"decision": "manual"}`)), []string{"rules[0].then.level"}, ""},
		{"reject without reason", set("", rule(`{"reasons": ["size_not_fit"]}`, `{"decision": "reject"}`)), []string{"rules[0].then.reason"}, ""},
		{"unknown decision", set("", rule(`{"reasons": ["size_not_fit"]}`, `{"decision": "accept"}`)), []string{"rules[0].then.decision"}, ""},
		{"unknown kind", set("", rule(`{"line_kinds": ["bundle"]}`, approve)), []string{"rules[0].when.line_kinds[0]"}, ""},
		{"no catch-all", `{"rules": [` + rule(`{"case_types": ["claim"]}`, approve) + `]}`, []string{"rules[0].when"}, ""},
		{"catch-all first", set("", rule(`{}`, approve)), []string{"rules[0].when"}, ""},
		{"repeated id", set("", rule(`{"case_types": ["claim"]}`, approve), rule(`{"case_types": ["exchange"]}`, approve)), []string{"rules[1].id"}, ""},
		{"no rules", `{"rules": []}`, []string{"rules"}, ""},
		{"rules missing", `{}`, []string{"rules"}, ""},
		{"zero deadline", set(`"deadlines": {"refund": "0s"}`), []string{"deadlines.refund"}, ""},
		{"negative deadline", set(`"deadlines": {"receipt": "-1h"}`), []string{"deadlines.receipt"}, ""},
		{"deadline over 30 days", set(`"deadlines": {"dispute": "721h"}`), []string{"deadlines.dispute"}, ""},
		{"zero SLA", set(`"deadlines": {"review_sla": {"diamond": "0s"}}`), []string{"deadlines.review_sla.diamond"}, ""},

		// Not a rule set at all.
		{"empty body", "  \n", nil, "empty"},
		{"truncated", `{"rules": [`, nil, "not valid JSON"},
		{"bad token", "{\n  \"rules\": x}", nil, "line 2, column 12"},
		{"an array", `[]`, nil, "a rule set is a JSON object"},
		{"null", `null`, nil, "a rule set is a JSON object"},
		{"two objects", `{} {}`, nil, "more than one JSON value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Decode([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Decode accepted %s", tc.doc)
			}
			if rs != nil {
				t.Errorf("Decode returned a rule set with its error")
			}
			if k := aftersales.KindOf(err); k != aftersales.KindInvalid {
				t.Errorf("kind = %v, want Invalid (%v)", k, err)
			}
			var got []string
			for _, f := range aftersales.FieldsOf(err) {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields = %q, want %q (%v)", got, tc.fields, err)
			}
			if !strings.Contains(aftersales.MessageOf(err), tc.message) {
				t.Errorf("message %q does not say %q", aftersales.MessageOf(err), tc.message)
			}
		})
	}
}

// TestDocsExample keeps docs/RULES.md honest: its JSON example is the
// default rule set.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/RULES.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := bytes.Cut(doc, []byte("The default set as JSON"))
	if ok {
		_, rest, ok = bytes.Cut(rest, []byte("```json\n"))
	}
	var block []byte
	if ok {
		block, _, ok = bytes.Cut(rest, []byte("```"))
	}
	if !ok {
		t.Fatal("docs/RULES.md has no JSON block after \"The default set as JSON\"")
	}
	got, err := Decode(block)
	if err != nil {
		t.Fatalf("the example does not decode: %v", err)
	}
	if want := aftersales.DefaultRuleSet(); !reflect.DeepEqual(got, want) {
		t.Errorf("the example differs from DefaultRuleSet:\n got %+v\nwant %+v", got, want)
	}
}
