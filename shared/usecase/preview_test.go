package usecase_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/usecase"
	"github.com/aftersales/aftersales/shared/usecase/policies"
)

// TestPreview previews applications on the fixture's delivered order (a
// return of l1 is 100.00 CNY, shipped two days ago) and checks each answer
// against what the rules and deadlines say.
func TestPreview(t *testing.T) {
	amount := func(v int64) *int64 { return &v }
	tests := []struct {
		name     string
		app      aftersales.Application
		lang     string
		status   aftersales.Status
		rule     string
		outcome  string
		approved int64
		next     string
		within   time.Duration // the next step's deadline from now; 0: none
		summary  string
	}{
		{name: "a person reviews 100.00 CNY", app: app("l1"), lang: "en", status: aftersales.StatusPendingReview, rule: "default",
			outcome: "manual", next: "review", within: 5 * 24 * time.Hour,
			summary: "Rule “default” decides: reviewed by the merchant's staff. Amount requested: 100.00 CNY. You pay the return postage. Next: the merchant reviews it, within 5 days."},
		{name: "30.00 CNY is approved, the return is due in 7 days", lang: "zh-CN",
			app:    func() aftersales.Application { a := app("l1"); a.Amount = amount(3000); return a }(),
			status: aftersales.StatusAwaitingReturn, rule: "small-amount", outcome: "approve", approved: 3000, next: "ship_return", within: 7 * 24 * time.Hour,
			summary: "由规则「small-amount」判定：自动同意。退款金额：30.00 元。退货运费由您承担。下一步：您寄回商品，时限 7 天。"},
		{name: "a claim without photos is asked for them", lang: "en",
			app:    aftersales.Application{OrderID: "o1", Type: aftersales.Claim, Reason: "appliance_fault", Lines: []aftersales.LineRequest{{LineID: "l2", Quantity: 1}}},
			status: aftersales.StatusAwaitingEvidence, rule: "claim-without-evidence", outcome: "request_evidence", next: "add_evidence", within: 72 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := newService(t)
			now := svc.Cases.Clock.Now()
			pv, err := svc.Policies.Preview(t.Context(), buyer, tt.app, tt.lang)
			if err != nil {
				t.Fatal(err)
			}
			c := pv.Case
			if c.Status != tt.status || pv.Decision.RuleID != tt.rule || pv.Decision.Outcome != tt.outcome || c.Approved != tt.approved || c.ID != "" {
				t.Fatalf("preview %+v, decision %+v", c, pv.Decision)
			}
			if pv.Next == nil || pv.Next.Action != tt.next || !pv.Next.Deadline.Equal(now.Add(tt.within)) {
				t.Fatalf("next %+v, want %s within %s", pv.Next, tt.next, tt.within)
			}
			if tt.summary != "" && pv.Summary != tt.summary {
				t.Errorf("summary %s\nwant    %s", pv.Summary, tt.summary)
			}
			assertNothingStored(t, svc)
		})
	}
}

// assertNothingStored checks that the buyer has no case and that every
// line of the fixture's order is free.
func assertNothingStored(t *testing.T, svc *usecase.Services) {
	t.Helper()
	page, err := svc.Cases.ListCases(t.Context(), buyer, aftersales.CaseQuery{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("cases after a preview: %d %v", len(page.Items), err)
	}
	o, err := svc.Cases.Orders.GetOrder(t.Context(), "o1")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range o.Lines {
		if l.ActiveCaseID != "" {
			t.Fatalf("line %s held by %s after a preview", l.LineID, l.ActiveCaseID)
		}
	}
}

// TestPreviewRefusesWhatCreatingRefuses checks that a preview answers an
// application that could not be opened with the error opening it gets.
func TestPreviewRefusesWhatCreatingRefuses(t *testing.T) {
	tests := []struct {
		name string
		app  aftersales.Application
		p    aftersales.Principal
		held bool // l1 is held by an open case first
	}{
		{name: "a reason of another type", app: func() aftersales.Application { a := app("l1"); a.Reason = "wrong_item"; return a }(), p: buyer},
		{name: "an order that is not the buyer's", app: func() aftersales.Application { a := app("l1"); a.OrderID = "o-nobody"; return a }(), p: buyer},
		{name: "too much money", app: func() aftersales.Application { a := app("l1"); v := int64(10001); a.Amount = &v; return a }(), p: buyer},
		{name: "an unknown line and a repeated one", app: app("l9", "l9"), p: buyer},
		{name: "staff may not apply", app: app("l1"), p: reviewer},
		{name: "a line another case holds", app: app("l1"), p: buyer, held: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			previewSvc, _ := newService(t)
			createSvc, _ := newService(t)
			if tt.held {
				for _, svc := range []*usecase.Services{previewSvc, createSvc} {
					if _, err := svc.Cases.CreateCase(t.Context(), buyer, app("l1"), nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			_, perr := previewSvc.Policies.Preview(t.Context(), tt.p, tt.app, "")
			_, cerr := createSvc.Cases.CreateCase(t.Context(), tt.p, tt.app, nil)
			if perr == nil || cerr == nil {
				t.Fatalf("preview %v, create %v: both must refuse", perr, cerr)
			}
			if aftersales.KindOf(perr) != aftersales.KindOf(cerr) || !slices.Equal(aftersales.FieldsOf(perr), aftersales.FieldsOf(cerr)) {
				t.Fatalf("preview %v\ncreate  %v", perr, cerr)
			}
		})
	}
}

// TestPreviewLeavesTheLineFree previews, then opens the same case: the
// preview took no hold, no idempotency key and no quota.
func TestPreviewLeavesTheLineFree(t *testing.T) {
	svc, _ := newService(t)
	for range 3 {
		if _, err := svc.Policies.Preview(t.Context(), buyer, app("l1"), "en"); err != nil {
			t.Fatal(err)
		}
	}
	assertNothingStored(t, svc)
	res, err := svc.Cases.CreateCase(t.Context(), buyer, app("l1"), &aftersales.IdempotentRequest{Key: "k1", RequestHash: "h",
		Render: func(*aftersales.Case) (int, []byte, error) { return 201, []byte("{}"), nil }})
	if err != nil || res.Case == nil || res.Replayed != nil {
		t.Fatalf("create after previews: %+v %v", res, err)
	}
}

func TestPreviewLanguage(t *testing.T) {
	svc, _ := newService(t)
	_, err := svc.Policies.Preview(t.Context(), buyer, app("l1"), "fr")
	if fs := aftersales.FieldsOf(err); len(fs) != 1 || fs[0].Field != "lang" {
		t.Fatalf("lang fr: %v", err)
	}
}

// TestPoliciesReadTheRuleSetInForce changes the rule set between two
// requests: the second answer says the new rules, with nothing cached.
func TestPoliciesReadTheRuleSetInForce(t *testing.T) {
	rules := memstore.NewRuleSets()
	svc, _ := newServiceChanged(t, func(p *usecase.Ports) { p.Rules = rules })
	admin := aftersales.Principal{ID: "a1", Roles: []aftersales.Role{aftersales.RoleAdmin}}
	q := policies.Query{Kind: "return_refund", Lang: "en"}
	before, err := svc.Policies.Policies(t.Context(), buyer, q)
	if err != nil {
		t.Fatal(err)
	}
	rs := aftersales.DefaultRuleSet()
	rs.Version = 0
	rs.Deadlines.Return = 10 * 24 * time.Hour
	if _, err := svc.RuleSets.PutRuleSet(t.Context(), admin, rs); err != nil {
		t.Fatal(err)
	}
	after, err := svc.Policies.Policies(t.Context(), buyer, q)
	if err != nil {
		t.Fatal(err)
	}
	say := func(p policies.Policy) string {
		var b strings.Builder
		for _, s := range p.Sections {
			for _, l := range s.Lines {
				b.WriteString(l.Text)
			}
		}
		return b.String()
	}
	if before.RuleSetVersion != 1 || after.RuleSetVersion != 2 ||
		!strings.Contains(say(before), "within 7 days;") || !strings.Contains(say(after), "ship the goods back within 10 days") {
		t.Fatalf("before v%d %s\nafter v%d %s", before.RuleSetVersion, say(before), after.RuleSetVersion, say(after))
	}
	noRole := aftersales.Principal{ID: "x"}
	if _, err := svc.Policies.Policies(t.Context(), noRole, q); aftersales.KindOf(err) != aftersales.KindForbidden {
		t.Fatalf("a caller with no role: %v", err)
	}
}

// TestPreviewCharges previews returns under a rule set with a 10%
// restocking fee on no-reason returns (F29): the fee and who pays the
// postage are in the preview before anything is stored, and the case
// opened the same way carries them.
func TestPreviewCharges(t *testing.T) {
	tests := []struct {
		name       string
		tier       string
		reason     string
		payer      aftersales.Payer
		cap        int64
		restocking int64
		summary    string
	}{
		{"no-reason return: buyer pays postage, 10% fee", "gold", "no_reason_7_days", aftersales.PayerBuyer, 0, 1000,
			"You pay the return postage. A restocking fee of 10.00 CNY (10% of 100.00 CNY (l1)) is deducted from the refund."},
		{"quality return: merchant pays postage up to 20.00, no fee", "gold", "quality_issue", aftersales.PayerMerchant, 2000, 0,
			"The merchant pays the return postage, up to 20.00 CNY."},
		{"platinum quality return: postage free in full", "platinum", "quality_issue", aftersales.PayerMerchant, 0, 0,
			"The merchant pays the whole return postage (a perk of your membership)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _ := newService(t)
			o, err := svc.Cases.Orders.GetOrder(t.Context(), "o1")
			if err != nil {
				t.Fatal(err)
			}
			o.Version, o.EventID, o.MemberTier = 2, "ev-o1-2", tt.tier
			if _, err := svc.Orders.PutOrder(t.Context(), o); err != nil {
				t.Fatal(err)
			}
			rs := aftersales.DefaultRuleSet()
			rs.Version = 0
			rs.Fees.Restocking = []aftersales.RestockingFee{{Percent: 10}}
			if _, err := svc.RuleSets.PutRuleSet(t.Context(), aftersales.Principal{ID: "a1", Roles: []aftersales.Role{aftersales.RoleAdmin}}, rs); err != nil {
				t.Fatal(err)
			}
			a := app("l1")
			a.Reason = tt.reason
			pv, err := svc.Policies.Preview(t.Context(), buyer, a, "en")
			if err != nil {
				t.Fatal(err)
			}
			ch := pv.Case.Charges
			if ch == nil || ch.ReturnShippingPaidBy != tt.payer || ch.ReturnPostageCap != tt.cap || ch.RestockingFee != tt.restocking {
				t.Fatalf("preview charges %+v", ch)
			}
			if !strings.Contains(pv.Summary, tt.summary) {
				t.Errorf("summary %s\ndoes not say %s", pv.Summary, tt.summary)
			}
			assertNothingStored(t, svc)
			res, err := svc.Cases.CreateCase(t.Context(), buyer, a, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Case.Charges; got == nil || *got != *ch {
				t.Errorf("case charges %+v, preview's %+v", got, ch)
			}
		})
	}
}
