package policies

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// text is every line of p's sections, one a line, to search in.
func text(p Policy) string {
	var b strings.Builder
	for _, s := range p.Sections {
		b.WriteString(s.Title + "\n")
		for _, l := range s.Lines {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

// changed returns the default rule set changed by fn.
func changed(fn func(rs *aftersales.RuleSet)) *aftersales.RuleSet {
	rs := aftersales.DefaultRuleSet()
	if fn != nil {
		fn(rs)
	}
	return rs
}

func ptr[T any](v T) *T { return &v }

// produceWithin1Day puts a produce claim window first: claims on produce
// delivered at most 1 day ago with photos are approved (F16).
func produceWithin1Day(rs *aftersales.RuleSet) {
	r := aftersales.Rule{ID: "produce-24h", When: aftersales.Condition{CaseTypes: []aftersales.CaseType{aftersales.Claim},
		LineKinds: []aftersales.LineKind{aftersales.KindProduce}, DeliveredWithinDays: ptr(1), HasEvidence: ptr(true)},
		Then: aftersales.Outcome{Decision: aftersales.OutcomeApprove}}
	rs.Rules = slices.Insert(rs.Rules, 1, r)
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name   string
		rs     *aftersales.RuleSet
		filter Filter
		lang   Lang
		want   []string // each must appear
		absent []string // none may appear
	}{
		{name: "default rules in Chinese", rs: changed(nil), lang: LangZH,
			want: []string{"审核规则", "申请按以下规则依次判断", "若申请类型为仅退款，且订单已付款未发货：自动同意。",
				"若金额超过 500.00 元：由商家管理员人工审核。", "若订单发货已超过 7 天：由商家客服人工审核。",
				"若申请中有虚拟商品已使用：不予同意，理由：「used virtual goods are not refundable」。",
				"若金额不超过 50.00 元：自动同意。", "其他情况：由商家客服人工审核。",
				"商家在订单未发货时 48 小时内、已发货后 5 天内审核申请；逾期未审核的申请将自动同意。",
				"「diamond」会员的申请承诺 1 小时内审核。", "请在 7 天内寄回商品", "商家需在 10 天内确认收货", "如未在 7 天内发起纠纷",
				"以下原因需至少上传一张图片或一段视频：「生鲜腐坏」、「家电故障」。", "每个申请最多上传 9 个图片或视频。"}},
		{name: "default rules in English", rs: changed(nil), lang: LangEN,
			want: []string{"How applications are decided", "If the application is for a refund only and the order is paid but not shipped yet: approved automatically.",
				"If the amount is more than 500.00 CNY: reviewed by a merchant administrator.",
				"If the order was shipped more than 7 days ago: reviewed by the merchant's staff.",
				"If a virtual item in it has been used: rejected, because “used virtual goods are not refundable”.",
				"If every item in it is virtual goods (coupon codes, memberships) and none of its virtual goods has been used: approved automatically.",
				"Otherwise: reviewed by the merchant's staff.", "within 48 hours while the order is not shipped yet, and within 5 days once it has shipped",
				"Members of tier “diamond” are promised a review within 1 hour.", "ship the goods back within 7 days",
				"A rejected application is closed 7 days after the rejection unless you dispute it."},
			absent: []string{"若", "元"}},
		{name: "a claim page leaves out the rules of other types and the return limits", rs: changed(nil), lang: LangEN,
			filter: Filter{Kind: aftersales.Claim},
			want:   []string{"If no photo or video is attached: you are asked for more evidence", "If it includes fresh produce: reviewed by the merchant's staff.", "For a claim, these reasons"},
			absent: []string{"refund only", "ship the goods back", "For a return and refund", "the application is for"}},
		{name: "a tier without a promise is told none", rs: changed(nil), lang: LangEN, filter: Filter{Tier: "gold"},
			absent: []string{"Members of tier"}},
		{name: "a rule set change: a produce claim window shows", rs: changed(produceWithin1Day), lang: LangEN,
			filter: Filter{Kind: aftersales.Claim},
			want:   []string{"If it includes fresh produce and the order was delivered at most 24 hours ago and photos or videos are attached: approved automatically."}},
		{name: "a rule set change: the produce claim window in Chinese", rs: changed(produceWithin1Day), lang: LangZH,
			filter: Filter{Kind: aftersales.Claim},
			want:   []string{"若包含生鲜，且订单签收不超过 24 小时，且已上传图片或视频：自动同意。"}},
		{name: "the evidence checks' conditions in words (issue 16)", lang: LangEN, filter: Filter{Kind: aftersales.Claim},
			rs: changed(func(rs *aftersales.RuleSet) {
				rs.Rules = slices.Insert(rs.Rules, 0, aftersales.Rule{ID: "phones-cracked", When: aftersales.Condition{
					CaseTypes: []aftersales.CaseType{aftersales.Claim}, EvidenceVerified: ptr(true), EvidenceReused: ptr(false),
					RecognizedDamage: ptr(true), RecognizedLabels: []string{"Mobile Phone"}},
					Then: aftersales.Outcome{Decision: aftersales.OutcomeApprove}})
			}),
			want: []string{"If a photo or video passed our checks and no photo was used in another claim and damage can be seen on a photo and a photo shows “Mobile Phone”: approved automatically."}},
		{name: "the evidence checks' conditions in Chinese", lang: LangZH, filter: Filter{Kind: aftersales.Claim},
			rs: changed(func(rs *aftersales.RuleSet) {
				rs.Rules = slices.Insert(rs.Rules, 0, aftersales.Rule{ID: "reused", When: aftersales.Condition{EvidenceReused: ptr(true)},
					Then: aftersales.Outcome{Decision: aftersales.OutcomeManual, Level: aftersales.RoleAdmin}})
			}),
			want: []string{"若有图片已在其他申请中使用过：由商家管理员人工审核。"}},
		{name: "a rule set change: new deadlines and tier promises", lang: LangZH, rs: changed(func(rs *aftersales.RuleSet) {
			rs.Deadlines.Return = 10 * 24 * time.Hour
			rs.Deadlines.ReviewShipped = 72 * time.Hour
			rs.Deadlines.ReviewSLA = map[string]time.Duration{"platinum": 4 * time.Hour, "gold": 60 * time.Hour, "silver": 100 * time.Hour}
		}),
			want:   []string{"请在 10 天内寄回商品", "已发货后 3 天内审核申请", "「platinum」会员的申请承诺 4 小时内审核。", "「gold」会员的申请承诺在订单未发货时 48 小时内、已发货后 60 小时内审核。"},
			absent: []string{"diamond", "silver", "请在 7 天内寄回商品"}},
		{name: "a rule that always holds on the page ends the list", lang: LangEN, filter: Filter{Kind: aftersales.RefundOnly},
			rs: changed(func(rs *aftersales.RuleSet) {
				rs.Rules = slices.Insert(rs.Rules, 0, aftersales.Rule{ID: "refunds-reviewed", When: aftersales.Condition{CaseTypes: []aftersales.CaseType{aftersales.RefundOnly}},
					Then: aftersales.Outcome{Decision: aftersales.OutcomeManual, Level: aftersales.RoleReviewer}})
			}),
			want:   []string{"Otherwise: reviewed by the merchant's staff."},
			absent: []string{"500.00", "virtual"}},
		{name: "categories, tiers, reasons, refunds and amounts in words", lang: LangEN, rs: changed(func(rs *aftersales.RuleSet) {
			rs.Rules = slices.Insert(rs.Rules, 0, aftersales.Rule{ID: "fruit-vip", When: aftersales.Condition{
				Categories: []string{"fruit", "veg"}, MemberTiers: []string{"diamond"}, Reasons: []string{"size_not_fit", "damaged"},
				RefundsAtMost: ptr(2), AmountAbove: ptr[int64](1000), AmountAtMost: ptr[int64](20050)},
				Then: aftersales.Outcome{Decision: aftersales.OutcomeApprove}})
		}),
			want: []string{"If the reason is “Size does not fit” or “Arrived damaged” and it includes an item of category “fruit” or “veg” and the amount is more than 10.00 CNY and the amount is at most 200.50 CNY and you are a member of tier “diamond” and you had at most 2 refunds in the last 90 days: approved automatically."}},
		{name: "a page's category and tier are not repeated, other categories' rules left out", lang: LangEN,
			filter: Filter{Category: "fruit", Tier: "diamond"}, rs: changed(func(rs *aftersales.RuleSet) {
				rs.Rules = slices.Insert(rs.Rules, 0,
					aftersales.Rule{ID: "fruit-vip", When: aftersales.Condition{Categories: []string{"fruit"}, MemberTiers: []string{"diamond"}, AmountAtMost: ptr[int64](9900)},
						Then: aftersales.Outcome{Decision: aftersales.OutcomeApprove}},
					aftersales.Rule{ID: "phones", When: aftersales.Condition{Categories: []string{"phones"}},
						Then: aftersales.Outcome{Decision: aftersales.OutcomeManual, Level: aftersales.RoleAdmin}})
			}),
			want:   []string{"If the amount is at most 99.00 CNY: approved automatically."},
			absent: []string{"category", "phones", "you are a member"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Write(tt.rs, tt.filter, tt.lang)
			got := text(p)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("%q must not appear in:\n%s", a, got)
				}
			}
			if p.Lang != tt.lang || p.RuleSetVersion != tt.rs.Version {
				t.Errorf("lang %q version %d", p.Lang, p.RuleSetVersion)
			}
		})
	}
}

// TestRuleLinesNameTheirRules checks that each line of the rules section
// names the rule it says, in the rule set's order, with its tags.
func TestRuleLinesNameTheirRules(t *testing.T) {
	p := Write(changed(produceWithin1Day), Filter{}, LangEN)
	var ids []string
	tags := map[string][]string{}
	for _, l := range p.Sections[0].Lines[1:] {
		ids = append(ids, l.RuleID)
		tags[l.RuleID] = l.Tags
	}
	want := []string{"virtual-redeemed", "produce-24h", "produce-claim-window", "claim-without-evidence", "produce-photo-slots", "unshipped-refund", "virtual-unused",
		"admin-above-500", "produce-claim", "shipped-over-7-days", "small-amount", "default"}
	if !slices.Equal(ids, want) {
		t.Fatalf("rule ids %v, want %v", ids, want)
	}
	for id, want := range map[string][]string{
		"virtual-redeemed": {TagVirtualGoods}, "produce-24h": {TagProduce, TagPhotos, TagTimeWindow},
		"produce-claim-window":   {TagProduce, TagTimeWindow},
		"claim-without-evidence": {TagPhotos}, "shipped-over-7-days": {TagTimeWindow}, "default": nil,
	} {
		if !slices.Equal(tags[id], want) {
			t.Errorf("%s tags %v, want %v", id, tags[id], want)
		}
	}
	if p.Sections[0].Topic != TopicRules || p.Sections[1].Topic != TopicReviewTime || p.Sections[2].Topic != TopicPhotos || p.Sections[3].Topic != TopicTimeLimits ||
		p.Sections[4].Topic != TopicFees {
		t.Errorf("sections %+v", p.Sections)
	}
}

// TestPhrasebooksAreComplete checks that every language has every phrase:
// every function and text set, a name for every case type, order status
// and line kind, a title for every topic and words for every next step.
func TestPhrasebooksAreComplete(t *testing.T) {
	for _, l := range Langs {
		t.Run(string(l), func(t *testing.T) {
			pb := phrases(l)
			v := reflect.ValueOf(pb).Elem()
			for i := range v.NumField() {
				f, name := v.Field(i), v.Type().Field(i).Name
				if f.IsZero() && name != "sentenceSep" {
					t.Errorf("%s is not set", name)
				}
			}
			for _, ct := range aftersales.CaseTypes {
				if pb.caseTypes[ct] == "" {
					t.Errorf("no name for case type %s", ct)
				}
			}
			for _, s := range []aftersales.OrderStatus{aftersales.OrderPaid, aftersales.OrderShipped, aftersales.OrderDelivered, aftersales.OrderCompleted} {
				if pb.orderStatuses[s] == "" {
					t.Errorf("no name for order status %s", s)
				}
			}
			for _, k := range []aftersales.LineKind{aftersales.KindPhysical, aftersales.KindVirtual, aftersales.KindProduce,
				aftersales.KindAppliance, aftersales.KindCrossBorder, aftersales.KindPresale} {
				if pb.lineKinds[k] == "" {
					t.Errorf("no name for line kind %s", k)
				}
			}
			for _, topic := range []string{TopicRules, TopicReviewTime, TopicPhotos, TopicTimeLimits, TopicFees} {
				if pb.titles[topic] == "" {
					t.Errorf("no title for %s", topic)
				}
			}
			for _, e := range []string{eventPaid, eventShipped, eventDelivered} {
				if pb.events[e] == "" {
					t.Errorf("no word for event %s", e)
				}
			}
			// Every next step a preview can end in: the statuses a rules
			// decision leads to.
			for _, s := range []aftersales.Status{aftersales.StatusPendingReview, aftersales.StatusAwaitingEvidence,
				aftersales.StatusAwaitingReturn, aftersales.StatusRefunding, aftersales.StatusRejected} {
				c := &aftersales.Case{Status: s}
				if a := c.Next().Action; pb.nextStep[a] == "" {
					t.Errorf("no words for next step %s", a)
				}
			}
		})
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		d      time.Duration
		zh, en string
	}{
		{time.Hour, "1 小时", "1 hour"},
		{48 * time.Hour, "48 小时", "48 hours"},
		{72 * time.Hour, "3 天", "3 days"},
		{170 * time.Hour, "170 小时", "170 hours"},
		{10 * time.Minute, "10 分钟", "10 minutes"},
		{90 * time.Minute, "90 分钟", "90 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			if got := zh.duration(tt.d); got != tt.zh {
				t.Errorf("zh %q, want %q", got, tt.zh)
			}
			if got := en.duration(tt.d); got != tt.en {
				t.Errorf("en %q, want %q", got, tt.en)
			}
		})
	}
}

func TestQueryCheck(t *testing.T) {
	tests := []struct {
		name   string
		q      Query
		fields []string // the fields named, none when valid
		lang   Lang
	}{
		{name: "empty is Chinese, unfiltered", lang: LangZH},
		{name: "English claim page", q: Query{Kind: "claim", Category: "fruit", Tier: "diamond", Lang: "en"}, lang: LangEN},
		{name: "unknown language", q: Query{Lang: "fr"}, fields: []string{"lang"}},
		{name: "language tags are exact", q: Query{Lang: "zh"}, fields: []string{"lang"}},
		{name: "unknown kind", q: Query{Kind: "refund"}, fields: []string{"kind"}},
		{name: "every bad parameter at once", q: Query{Kind: "x", Lang: "de", Category: "a\u202eb", Tier: strings.Repeat("t", 65)},
			fields: []string{"lang", "kind", "category", "tier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, l, err := tt.q.Check("policies.get")
			var got []string
			for _, fe := range aftersales.FieldsOf(err) {
				got = append(got, fe.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v (%v), want %v", got, err, tt.fields)
			}
			if err == nil && (l != tt.lang || string(f.Kind) != tt.q.Kind) {
				t.Errorf("lang %q filter %+v", l, f)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	now := time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)
	approved := aftersales.Preview{
		Case:     &aftersales.Case{Type: aftersales.ReturnRefund, Requested: 3900, Approved: 3900, Currency: aftersales.CNY},
		Decision: aftersales.Decision{Outcome: "approve", By: "rules", RuleID: "small-amount", RuleSetVersion: 1},
		Next:     &aftersales.NextStep{Actor: aftersales.ActorBuyer, Action: "ship_return", Deadline: now.Add(7 * 24 * time.Hour)},
	}
	manual := aftersales.Preview{
		Case:     &aftersales.Case{Type: aftersales.ReturnRefund, Requested: 9900, Currency: aftersales.CNY},
		Decision: aftersales.Decision{Outcome: "manual", By: "rules", RuleID: "default", Level: aftersales.RoleReviewer},
		Next:     &aftersales.NextStep{Actor: aftersales.ActorMerchant, Action: "review", Deadline: now.Add(time.Hour), DefaultAt: now.Add(120 * time.Hour)},
	}
	rejected := aftersales.Preview{
		Case:     &aftersales.Case{Type: aftersales.RefundOnly, Requested: 3000, Currency: aftersales.CNY},
		Decision: aftersales.Decision{Outcome: "reject", By: "rules", RuleID: "virtual-redeemed", Reason: "used virtual goods are not refundable"},
		Next:     &aftersales.NextStep{Actor: aftersales.ActorBuyer, Action: "dispute_or_accept", Deadline: now.Add(168 * time.Hour)},
	}
	refunding := aftersales.Preview{
		Case:     &aftersales.Case{Type: aftersales.RefundOnly, Requested: 9900, Approved: 9900, Currency: aftersales.CNY},
		Decision: aftersales.Decision{Outcome: "approve", By: "rules", RuleID: "unshipped-refund"},
		Next:     &aftersales.NextStep{Actor: aftersales.ActorProvider, Action: "confirm_refund"},
	}
	exchange := aftersales.Preview{
		Case:     &aftersales.Case{Type: aftersales.Exchange, Currency: aftersales.CNY},
		Decision: aftersales.Decision{Outcome: "manual", By: "rules", RuleID: "admin-above-500", Level: aftersales.RoleAdmin},
		Next:     &aftersales.NextStep{Actor: aftersales.ActorMerchant, Action: "review", Deadline: now.Add(120 * time.Hour)},
	}
	tests := []struct {
		name string
		pv   aftersales.Preview
		lang Lang
		want string
	}{
		{"approved, in English", approved, LangEN, "Rule “small-amount” decides: approved automatically. Refund: 39.00 CNY. Next: you ship the goods back, within 7 days."},
		{"approved, in Chinese", approved, LangZH, "由规则「small-amount」判定：自动同意。退款金额：39.00 元。下一步：您寄回商品，时限 7 天。"},
		{"manual, the tier's promise", manual, LangEN, "Rule “default” decides: reviewed by the merchant's staff. Amount requested: 99.00 CNY. Next: the merchant reviews it, within 1 hour."},
		{"manual, in Chinese", manual, LangZH, "由规则「default」判定：由商家客服人工审核。申请金额：99.00 元。下一步：商家审核，时限 1 小时。"},
		{"rejected, no amount", rejected, LangEN, "Rule “virtual-redeemed” decides: rejected, because “used virtual goods are not refundable”. Next: you may dispute the rejection, within 7 days."},
		{"refunding has no deadline", refunding, LangZH, "由规则「unshipped-refund」判定：自动同意。退款金额：99.00 元。下一步：退款经支付渠道原路退回。"},
		{"an exchange refunds nothing", exchange, LangEN, "Rule “admin-above-500” decides: reviewed by a merchant administrator. An exchange refunds no money. Next: the merchant reviews it, within 5 days."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarize(tt.pv, now, tt.lang); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestFeeLines says the fee rules (F29, F24) for the returns a page is
// about: who pays the postage, the tier's perk, the category's restocking
// fee; a refund-only page says none of it.
func TestFeeLines(t *testing.T) {
	rs := aftersales.DefaultRuleSet()
	rs.Fees.Restocking = []aftersales.RestockingFee{{Categories: []string{"audio"}, Percent: 10}, {Categories: []string{"apparel"}, Fixed: 500}}
	tests := []struct {
		name   string
		filter Filter
		want   []string
	}{
		{"a return of earbuds for a platinum member", Filter{Kind: aftersales.ReturnRefund, Category: "audio", Tier: "platinum"}, []string{
			"The merchant pays the return postage, up to 20.00 CNY, when the reason is “Arrived damaged”, “Wrong item sent”, “Not as described”, “Quality problem”, “Defective item” or “Wrong item sent, exchange for the right one”; otherwise you pay it.",
			"Members of tier “platinum” return quality faults free of postage, whatever it costs.",
			"A return whose reason is “No-reason return within 7 days” pays a restocking fee of 10% of the item's amount, deducted from the refund.",
		}},
		{"a return of a gold member's shirt", Filter{Kind: aftersales.ReturnRefund, Category: "apparel", Tier: "gold"}, []string{
			"The merchant pays the return postage, up to 20.00 CNY, when the reason is “Arrived damaged”, “Wrong item sent”, “Not as described”, “Quality problem”, “Defective item” or “Wrong item sent, exchange for the right one”; otherwise you pay it.",
			"A return whose reason is “No-reason return within 7 days” pays a restocking fee of 5.00 CNY, deducted from the refund.",
		}},
		{"a refund-only page", Filter{Kind: aftersales.RefundOnly}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Write(rs, tt.filter, LangEN)
			var got []string
			for _, l := range p.Sections[4].Lines {
				got = append(got, l.Text)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("fee lines\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
