package notify_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/memstore"
	"github.com/aftersales/aftersales/shared/storetest"
	"github.com/aftersales/aftersales/shared/usecase/notify"
)

// TestClaimWindowReminder (F16): a delivered order with produce reminds its
// buyer once, in the inbox and on each channel, of the window the rule set
// keeps for produce claims; other orders, a window passed or a rule set
// without the window remind nobody.
func TestClaimWindowReminder(t *testing.T) {
	produce := func(delivered time.Duration) func(*aftersales.Order) {
		return func(o *aftersales.Order) {
			o.Lines[0].Kind = aftersales.KindProduce
			o.Language = aftersales.LangEN
			o.DeliveredAt = o.UpdatedAt.Add(delivered)
		}
	}
	noWindow := aftersales.DefaultRuleSet()
	noWindow.Rules = slices.DeleteFunc(noWindow.Rules, func(r aftersales.Rule) bool { return r.ID == "produce-claim-window" })
	tests := []struct {
		name     string
		order    func(*aftersales.Order)
		rules    *aftersales.RuleSet
		reminded bool
	}{
		{"produce delivered 6 h ago", produce(-6 * time.Hour), nil, true},
		{"produce delivered 25 h ago: the window has passed", produce(-25 * time.Hour), nil, false},
		{"no produce on the order", func(o *aftersales.Order) { o.DeliveredAt = o.UpdatedAt.Add(-time.Hour) }, nil, false},
		{"no rule limits produce claims", produce(-time.Hour), noWindow, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *aftersales.Order) {
				o.UpdatedAt = storetest.Epoch
				tc.order(o)
			})
			if tc.rules != nil {
				rules := memstore.NewRuleSets()
				rs := *tc.rules
				rs.Version = 1
				if err := rules.PutRuleSet(t.Context(), &rs); err != nil {
					t.Fatal(err)
				}
				f.svc.Rules = rules
			}
			for range 2 { // a second delivery event tells nothing more
				if err := f.svc.Notify(t.Context(), aftersales.Announcement{OrderID: "o-1"}); err != nil {
					t.Fatal(err)
				}
			}
			page, err := f.inbox.ListInbox(t.Context(), aftersales.InboxQuery{Recipient: aftersales.BuyerRecipient("b1"), Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if tc.reminded {
				want = 1
			}
			if len(page.Items) != want || f.wechat.count() != want || f.sms.count() != want {
				t.Fatalf("inbox %d, wechat %d, sms %d; want %d each", len(page.Items), f.wechat.count(), f.sms.count(), want)
			}
			if !tc.reminded {
				return
			}
			it := page.Items[0]
			if it.Kind != notify.KindClaimWindow || !strings.Contains(it.Title, "24 h") || !strings.Contains(it.Body, "o-1") {
				t.Errorf("inbox item %+v", it)
			}
			m := f.wechat.sent[0]
			if m.Page != notify.OrderPage+"o-1" || m.Fields["thing2"] != "Claim within 24 h" {
				t.Errorf("wechat message %+v", m)
			}
			for k, v := range m.Fields {
				if err := notify.CheckField(k, v); err != nil {
					t.Error(err)
				}
			}
			for _, sms := range []string{f.sms.sent[0].Text} {
				if err := notify.CheckSMS(sms); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestClaimWindowTemplatesFit renders the reminder in every language with
// the longest values an order can hold: every WeChat field within its
// type's limits, the SMS in one segment.
func TestClaimWindowTemplatesFit(t *testing.T) {
	ts := notify.MustLoadTemplates()
	o := &aftersales.Order{ID: strings.Repeat("o", 32), Lines: []aftersales.OrderLine{{Kind: aftersales.KindProduce, PaidAmount: 99_999_999_99}}}
	for lang := range aftersales.Languages {
		r, err := ts.RenderClaimWindow(lang, o, 240*time.Hour, time.Date(2026, 11, 11, 23, 59, 0, 0, time.UTC))
		if err != nil || r.Title == "" || r.Body == "" || len(r.Fields) != 5 {
			t.Fatalf("%s: %+v %v", lang, r, err)
		}
		for k, v := range r.Fields {
			if err := notify.CheckField(k, v); err != nil || strings.HasSuffix(v, "…") {
				t.Errorf("%s: %s %q: %v", lang, k, v, err)
			}
		}
		if err := notify.CheckSMS(r.SMS); err != nil {
			t.Errorf("%s: %v", lang, err)
		}
	}
}
