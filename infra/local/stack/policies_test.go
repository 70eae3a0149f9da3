package stack

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// policyBody is the answer of GET /v1/policies.
type policyBody struct {
	Lang           string `json:"lang"`
	RuleSetVersion int    `json:"ruleset_version"`
	Sections       []struct {
		Topic string `json:"topic"`
		Title string `json:"title"`
		Lines []struct {
			Text   string   `json:"text"`
			RuleID string   `json:"rule_id"`
			Tags   []string `json:"tags"`
		} `json:"lines"`
	} `json:"sections"`
}

// text is every title and line of the policy, one a line.
func (p policyBody) text() string {
	var b strings.Builder
	for _, s := range p.Sections {
		b.WriteString(s.Title + "\n")
		for _, l := range s.Lines {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

// policy reads the policy at query as c.
func policy(t *testing.T, c *client, query string) policyBody {
	t.Helper()
	res := c.do("GET", "/v1/policies"+query, nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET /v1/policies%s: %d %s", query, res.status, res.body)
	}
	var p policyBody
	res.decode(t, &p)
	return p
}

func wantLines(t *testing.T, p policyBody, want ...string) {
	t.Helper()
	got := p.text()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the policy (%s, v%d) does not say %q:\n%s", p.Lang, p.RuleSetVersion, w, got)
		}
	}
}

// TestPoliciesFollowTheRuleSet reads the policy in both languages over
// HTTP, changes the rule set as an admin (a produce claim window, a longer
// return deadline) and reads the change in the very next answer.
func TestPoliciesFollowTheRuleSet(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")

	zh := policy(t, buyer, "")
	if zh.Lang != "zh-CN" || zh.RuleSetVersion != 1 || len(zh.Sections) != 5 || zh.Sections[0].Topic != "rules" || zh.Sections[4].Topic != "fees" {
		t.Fatalf("default policy: %s v%d, %d sections", zh.Lang, zh.RuleSetVersion, len(zh.Sections))
	}
	wantLines(t, zh, "审核规则", "若申请类型为理赔，且包含生鲜：由商家客服人工审核。", "请在 7 天内寄回商品")
	en := policy(t, st.as(t, "staff-1", "reviewer"), "?lang=en&kind=claim&category=fruit")
	wantLines(t, en, "If it includes fresh produce: reviewed by the merchant's staff.", "For a claim, these reasons need at least one photo or video")
	if strings.Contains(en.text(), "ship the goods back") {
		t.Errorf("a claim page speaks of returns:\n%s", en.text())
	}
	for _, bad := range []struct{ query, field string }{{"?lang=fr", "lang"}, {"?kind=gift", "kind"}} {
		if p := buyer.do("GET", "/v1/policies"+bad.query, nil).problem(t, http.StatusUnprocessableEntity); !p.names(bad.field) {
			t.Errorf("%s: problem %+v does not name %s", bad.query, p, bad.field)
		}
	}

	admin := st.as(t, "boss", "admin")
	var rs map[string]any
	admin.do("GET", "/v1/staff/ruleset", nil).decode(t, &rs)
	rules := rs["rules"].([]any)
	window := map[string]any{"id": "produce-24h", "description": "spoiled produce reported within 24 h of delivery, with photos (F16)",
		"when": map[string]any{"case_types": []string{"claim"}, "line_kinds": []string{"produce"}, "delivered_within_days": 1, "has_evidence": true},
		"then": map[string]any{"decision": "approve"}}
	rs["rules"] = slices.Insert(rules, 1, any(window))
	rs["deadlines"].(map[string]any)["return"] = "240h"
	if res := admin.do("PUT", "/v1/staff/ruleset", rs); res.status != http.StatusOK {
		t.Fatalf("put ruleset: %d %s", res.status, res.body)
	}

	en = policy(t, buyer, "?lang=en&kind=claim")
	if en.RuleSetVersion != 2 || en.Sections[0].Lines[2].RuleID != "produce-24h" {
		t.Fatalf("after the change: v%d, second rule %+v", en.RuleSetVersion, en.Sections[0].Lines[2])
	}
	wantLines(t, en, "If it includes fresh produce and the order was delivered at most 24 hours ago and photos or videos are attached: approved automatically.")
	zh = policy(t, buyer, "?lang=zh-CN")
	wantLines(t, zh, "若申请类型为理赔，且包含生鲜，且订单签收不超过 24 小时，且已上传图片或视频：自动同意。", "请在 10 天内寄回商品")
}

// previewBody is the answer of POST /v1/cases/preview.
type previewBody struct {
	Lang            string `json:"lang"`
	Summary         string `json:"summary"`
	Status          string `json:"status"`
	RequestedAmount int64  `json:"requested_amount"`
	ApprovedAmount  int64  `json:"approved_amount"`
	Decision        struct {
		Outcome        string `json:"outcome"`
		RuleID         string `json:"rule_id"`
		RuleSetVersion int    `json:"ruleset_version"`
		Level          string `json:"level"`
	} `json:"decision"`
	Next *struct {
		Actor    string     `json:"actor"`
		Action   string     `json:"action"`
		Deadline *time.Time `json:"deadline"`
	} `json:"next"`
}

// TestPreviewStoresNothing previews applications over HTTP: each answer
// says the deciding rule, the amount and the next step with its deadline;
// a bad application gets the problem opening it would get; the buyer's
// cases and the whole table are the same after; and the real case opened
// afterwards on the same line is decided as the preview said.
func TestPreviewStoresNothing(t *testing.T) {
	st := startStack(t)
	buyer := st.as(t, "buyer-1", "buyer")
	st.settle(t)
	casesBefore := buyer.do("GET", "/v1/cases", nil)
	itemsBefore := st.itemCount(t)
	now := st.Clock.Now().UTC()

	socks := app("o-1002", "return_refund", "size_not_fit", "l2", 1)
	tests := []struct {
		name     string
		body     map[string]any
		query    string
		status   string
		rule     string
		approved int64
		action   string
		within   time.Duration // 0: no deadline
		summary  string
	}{
		{name: "socks returned: a person reviews them", body: socks, query: "?lang=en", status: "pending_review", rule: "default",
			action: "review", within: 120 * time.Hour,
			summary: "Rule “default” decides: reviewed by the merchant's staff. Amount requested: 90.00 CNY. You pay the return postage. Next: the merchant reviews it, within 5 days."},
		{name: "an unshipped T-shirt: refunded at once", body: app("o-1001", "refund_only", "wrong_item", "l1", 1), status: "refunding",
			rule: "unshipped-refund", approved: 9900, action: "confirm_refund",
			summary: "由规则「unshipped-refund」判定：自动同意。退款金额：99.00 元。下一步：退款经支付渠道原路退回。"},
		{name: "spoiled strawberries without a photo: asked for one", query: "?lang=en", body: app("o-1003", "claim", "produce_spoiled", "l1", 1),
			status: "awaiting_evidence", rule: "claim-without-evidence", action: "add_evidence", within: 72 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := buyer.do("POST", "/v1/cases/preview"+tt.query, tt.body)
			if res.status != http.StatusOK {
				t.Fatalf("preview: %d %s", res.status, res.body)
			}
			var pv previewBody
			res.decode(t, &pv)
			if pv.Status != tt.status || pv.Decision.RuleID != tt.rule || pv.Decision.RuleSetVersion != 1 || pv.ApprovedAmount != tt.approved {
				t.Fatalf("preview %s", res.body)
			}
			if pv.Next == nil || pv.Next.Action != tt.action || (tt.within == 0) != (pv.Next.Deadline == nil) ||
				(tt.within != 0 && !pv.Next.Deadline.Equal(now.Add(tt.within))) {
				t.Fatalf("next step %s, want %s within %s of %s", res.body, tt.action, tt.within, now)
			}
			if tt.summary != "" && pv.Summary != tt.summary {
				t.Errorf("summary %s\nwant    %s", pv.Summary, tt.summary)
			}
			if strings.Contains(string(res.body), `"id"`) {
				t.Errorf("a preview has no case id: %s", res.body)
			}
		})
	}

	// A bad application: the same problem as opening it.
	bad := app("o-1002", "return_refund", "wrong_item", "l9", 0)
	pp := buyer.do("POST", "/v1/cases/preview", bad).problem(t, http.StatusUnprocessableEntity)
	cp := buyer.do("POST", "/v1/cases", bad, "Idempotency-Key", "preview-bad").problem(t, http.StatusUnprocessableEntity)
	if pj, cj := mustJSON(pp.Errors), mustJSON(cp.Errors); pj != cj || !pp.names("reason") || !pp.names("lines[0].line_id") {
		t.Errorf("preview problem %s\ncreate problem  %s", pj, cj)
	}

	if after := buyer.do("GET", "/v1/cases", nil); string(after.body) != string(casesBefore.body) {
		t.Errorf("the buyer's cases changed: %s -> %s", casesBefore.body, after.body)
	}
	if n := st.itemCount(t); n != itemsBefore {
		t.Errorf("the table holds %d items, %d before the previews", n, itemsBefore)
	}

	// The real case on the previewed line opens, and the rules decide it
	// as the preview said; a preview of the held line is then a conflict.
	c := st.apply(t, buyer, socks)
	wantStatus(t, c, "pending_review")
	if c.Decision == nil || c.Decision.RuleID != "default" {
		t.Errorf("the real case's decision %+v", c.Decision)
	}
	buyer.do("POST", "/v1/cases/preview", socks).problem(t, http.StatusConflict)
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	buyer.do("GET", "/v1/cases", nil).decode(t, &page)
	if len(page.Items) != 1 {
		t.Errorf("%d cases after one application", len(page.Items))
	}
}
