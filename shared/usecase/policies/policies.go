// Package policies is the use case of the after-sales policy shown up
// front (F14): the merchant's rules in words for a product page, and a
// preview of an application on the application page, in Simplified Chinese
// or English.
//
// The words are generated, never written by hand: Write turns the rule set
// in force (rules, deadlines) into sentences with a small phrasebook per
// language (zh.go, en.go), so the page cannot promise what the rules do not
// do, and a rule-set change shows in the next answer. Nothing is cached
// across requests.
package policies

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Lang is a language the policy is written in.
type Lang string

// The languages, by their BCP 47 tags.
const (
	LangZH Lang = "zh-CN" // the default: the stores this was built for are Chinese
	LangEN Lang = "en"
)

// Langs lists the languages, default first.
var Langs = []Lang{LangZH, LangEN}

// ParseLang reads a lang parameter: empty is the default (zh-CN); ok is
// false for a language there is no phrasebook for.
func ParseLang(s string) (Lang, bool) {
	if s == "" {
		return LangZH, true
	}
	l := Lang(s)
	return l, slices.Contains(Langs, l)
}

// phrases returns the phrasebook of l (zh-CN for an unknown one, which
// ParseLang has refused before).
func phrases(l Lang) *phrasebook {
	if l == LangEN {
		return &en
	}
	return &zh
}

// Filter narrows the policy to a product page: the case type the buyer
// looks at, the product's category, the buyer's member tier. An empty
// field narrows nothing.
type Filter struct {
	Kind     aftersales.CaseType
	Category string
	Tier     string
}

// The topics of a policy's sections, in the order they come.
const (
	TopicRules      = "rules"       // the rules that decide an application, in order
	TopicReviewTime = "review_time" // how long the merchant takes to review, and tier promises
	TopicPhotos     = "photos"      // which reasons need photos or videos, and how many fit
	TopicTimeLimits = "time_limits" // the buyer's deadlines and what happens at them
	TopicFees       = "fees"        // who pays return postage, restocking fees, fee refunds (F29, F24)
)

// The tags of a rule's line: what a product page may look for.
const (
	TagVirtualGoods = "virtual_goods" // the rule is about virtual goods (F18)
	TagProduce      = "produce"       // the rule is about fresh produce (F16)
	TagPhotos       = "photos"        // the rule looks at, or asks for, photos and videos
	TagTimeWindow   = "time_window"   // the rule depends on days since payment, shipping or delivery
)

// Policy is the after-sales policy in words.
type Policy struct {
	Lang           Lang
	RuleSetVersion int
	Filter         Filter
	Sections       []Section
}

// Section is one topic of a policy.
type Section struct {
	Topic string
	Title string
	Lines []Line
}

// Line is one sentence; RuleID names the rule it says in words, if any.
type Line struct {
	Text   string
	RuleID string
	Tags   []string
}

// Write generates the policy of rule set rs for filter f in language l. It
// is pure: the same rules give the same words.
//
// It says only what the rules do. The rules are tried in order and the
// first that holds decides, so they are listed in order; a rule that
// cannot apply under f (another case type, category or tier) is left out,
// and a rule that always applies under f ends the list, since the rules
// after it never decide such a case. Conditions that f makes certain are
// not repeated. Texts the merchant wrote (a rejection's reason, what
// evidence to add) are quoted as written, in whatever language they are in.
func Write(rs *aftersales.RuleSet, f Filter, l Lang) Policy {
	pb := phrases(l)
	p := Policy{Lang: l, RuleSetVersion: rs.Version, Filter: f}
	p.Sections = append(p.Sections,
		Section{Topic: TopicRules, Title: pb.titles[TopicRules], Lines: ruleLines(pb, rs, f)},
		Section{Topic: TopicReviewTime, Title: pb.titles[TopicReviewTime], Lines: reviewLines(pb, rs.Deadlines, f)},
		Section{Topic: TopicPhotos, Title: pb.titles[TopicPhotos], Lines: photoLines(pb, f)},
		Section{Topic: TopicTimeLimits, Title: pb.titles[TopicTimeLimits], Lines: limitLines(pb, rs.Deadlines, f)},
		Section{Topic: TopicFees, Title: pb.titles[TopicFees], Lines: feeLines(pb, rs, f)},
	)
	return p
}

// feeLines says the rule set's fees and perks (F29, F24) for the returns
// f can be about: who pays the return postage, the perks that make it
// free (the tier's only, with one), the restocking fees (those of the
// category, with one), and the reasons whose refund includes the shipping
// fee's share. A page about refunds only or claims gets only the last.
func feeLines(pb *phrasebook, rs *aftersales.RuleSet, f Filter) []Line {
	var lines []Line
	fees := rs.Fees
	if f.Kind == "" || f.Kind.ReturnsGoods() {
		merchant := pb.or(reasonLabels(pb, fees.MerchantPaysReturnFor, ""))
		switch {
		case len(fees.MerchantPaysReturnFor) == 0:
			lines = append(lines, Line{Text: pb.postageAllBuyer})
		case fees.ReturnPostageCap > 0:
			lines = append(lines, Line{Text: pb.postageByReasonCap(merchant, pb.money(fees.ReturnPostageCap))})
		default:
			lines = append(lines, Line{Text: pb.postageByReason(merchant)})
		}
		tiers := make([]string, 0, len(rs.Perks))
		for tier := range rs.Perks {
			tiers = append(tiers, tier)
		}
		slices.Sort(tiers)
		for _, tier := range tiers {
			if free := rs.Perks[tier].FreeReturnShipping; free != "" && (f.Tier == "" || f.Tier == tier) {
				lines = append(lines, Line{Text: pb.freePostage(pb.quote(tier), free == aftersales.FreeShippingAll)})
			}
		}
	}
	if (f.Kind == "" || f.Kind == aftersales.ReturnRefund) && len(fees.RestockingReasons) > 0 {
		reasons := pb.or(reasonLabels(pb, fees.RestockingReasons, aftersales.ReturnRefund))
		for _, r := range fees.Restocking {
			if f.Category != "" && len(r.Categories) > 0 && !slices.Contains(r.Categories, f.Category) {
				continue
			}
			what := pb.money(r.Fixed)
			if r.Percent > 0 {
				what = pb.percentOf(r.Percent)
			}
			cats := ""
			if len(r.Categories) > 0 && f.Category == "" {
				cats = pb.or(quoted(pb, r.Categories))
			}
			lines = append(lines, Line{Text: pb.restockingLine(reasons, what, cats)})
		}
	}
	if len(fees.RefundShippingFor) > 0 {
		lines = append(lines, Line{Text: pb.shippingShare(pb.or(reasonLabels(pb, fees.RefundShippingFor, f.Kind)))})
	}
	return lines
}

// ruleLines says the rules that can decide a case under f, in order.
func ruleLines(pb *phrasebook, rs *aftersales.RuleSet, f Filter) []Line {
	lines := []Line{{Text: pb.rulesIntro}}
	for _, r := range rs.Rules {
		if !canApply(r.When, f) {
			continue
		}
		conds := conditions(pb, r.When, f)
		outcome := pb.outcome(r.Then)
		line := Line{RuleID: r.ID, Tags: tags(r)}
		if len(conds) == 0 {
			line.Text = pb.otherwise(outcome)
			lines = append(lines, line)
			break // it decides every case left: the rules after it never apply
		}
		line.Text = pb.rule(pb.and(conds), outcome)
		lines = append(lines, line)
	}
	return lines
}

// canApply reports whether a rule with condition w can hold for a case of
// filter f: its case types, categories and tiers, when given, admit f's.
func canApply(w aftersales.Condition, f Filter) bool {
	if f.Kind != "" {
		if len(w.CaseTypes) > 0 && !slices.Contains(w.CaseTypes, f.Kind) {
			return false
		}
		if len(w.Reasons) > 0 && !slices.ContainsFunc(w.Reasons, func(code string) bool {
			_, ok := aftersales.LookupReason(f.Kind, code)
			return ok
		}) {
			return false
		}
	}
	if f.Category != "" && len(w.Categories) > 0 && !slices.Contains(w.Categories, f.Category) {
		return false
	}
	if f.Tier != "" && len(w.MemberTiers) > 0 && !slices.Contains(w.MemberTiers, f.Tier) {
		return false
	}
	return true
}

// conditions says each condition of w in words, leaving out those f makes
// certain (canApply has passed): what the application is (type, reason,
// goods) first, then the order's state and times, then amounts and the
// buyer.
func conditions(pb *phrasebook, w aftersales.Condition, f Filter) []string {
	var out []string
	if len(w.CaseTypes) > 0 && f.Kind == "" {
		out = append(out, pb.caseTypeIs(pb.or(mapped(w.CaseTypes, pb.caseTypes))))
	}
	if len(w.Reasons) > 0 {
		out = append(out, pb.reasonIs(pb.or(reasonLabels(pb, w.Reasons, f.Kind))))
	}
	if len(w.LineKinds) > 0 {
		out = append(out, pb.someLineIs(pb.or(mapped(w.LineKinds, pb.lineKinds))))
	}
	if len(w.OnlyLineKinds) > 0 {
		out = append(out, pb.everyLineIs(pb.or(mapped(w.OnlyLineKinds, pb.lineKinds))))
	}
	if len(w.Categories) > 0 && f.Category == "" {
		out = append(out, pb.categoryIs(pb.or(quoted(pb, w.Categories))))
	}
	if w.VirtualUnused != nil {
		out = append(out, pb.virtualUnused[*w.VirtualUnused])
	}
	if len(w.OrderStatuses) > 0 {
		out = append(out, pb.orderIs(pb.or(mapped(w.OrderStatuses, pb.orderStatuses))))
	}
	for _, d := range []struct {
		event        string
		more, within *int
	}{
		{eventPaid, w.PaidMoreThanDays, w.PaidWithinDays},
		{eventShipped, w.ShippedMoreThanDays, w.ShippedWithinDays},
		{eventDelivered, w.DeliveredMoreThanDays, w.DeliveredWithinDays},
	} {
		if d.more != nil {
			out = append(out, pb.moreThanDays(pb.events[d.event], pb.days(*d.more)))
		}
		if d.within != nil {
			out = append(out, pb.withinDays(pb.events[d.event], pb.days(*d.within)))
		}
	}
	if w.AmountAbove != nil {
		out = append(out, pb.amountAbove(pb.money(*w.AmountAbove)))
	}
	if w.AmountAtMost != nil {
		out = append(out, pb.amountAtMost(pb.money(*w.AmountAtMost)))
	}
	if len(w.MemberTiers) > 0 && f.Tier == "" {
		out = append(out, pb.tierIs(pb.or(quoted(pb, w.MemberTiers))))
	}
	if w.RefundsAtLeast != nil {
		out = append(out, pb.refundsAtLeast(*w.RefundsAtLeast))
	}
	if w.RefundsAtMost != nil {
		out = append(out, pb.refundsAtMost(*w.RefundsAtMost))
	}
	if w.HasEvidence != nil {
		out = append(out, pb.evidence[*w.HasEvidence])
	}
	if w.EvidenceVerified != nil {
		out = append(out, pb.evidenceVerified[*w.EvidenceVerified])
	}
	if w.EvidenceReused != nil {
		out = append(out, pb.evidenceReused[*w.EvidenceReused])
	}
	if w.RecognizedDamage != nil {
		out = append(out, pb.damageSeen[*w.RecognizedDamage])
	}
	if len(w.RecognizedLabels) > 0 {
		out = append(out, pb.labelsSeen(pb.or(quoted(pb, w.RecognizedLabels))))
	}
	if days, ok := w.UsesRefundRate(); ok {
		period := pb.days(days)
		if w.RefundRateAtLeast != nil {
			out = append(out, pb.refundRateAtLeast(*w.RefundRateAtLeast, period))
		}
		if w.RefundRateAtMost != nil {
			out = append(out, pb.refundRateAtMost(*w.RefundRateAtMost, period))
		}
	}
	if w.ReturnShippingPaidBy != nil {
		out = append(out, pb.shippingPaidBy[*w.ReturnShippingPaidBy])
	}
	if w.HasRestockingFee != nil {
		out = append(out, pb.restockingFee[*w.HasRestockingFee])
	}
	if w.EvidenceSlotsFilled != nil {
		out = append(out, pb.slotsFilled[*w.EvidenceSlotsFilled])
	}
	if len(w.Perks) > 0 {
		out = append(out, pb.perkIs(pb.or(mapped(w.Perks, pb.perkNames))))
	}
	return out
}

// The events a days condition counts from.
const (
	eventPaid      = "paid"
	eventShipped   = "shipped"
	eventDelivered = "delivered"
)

// tags says what a product page may look for in a rule.
func tags(r aftersales.Rule) []string {
	w := r.When
	var out []string
	if w.VirtualUnused != nil || slices.Contains(w.LineKinds, aftersales.KindVirtual) || slices.Contains(w.OnlyLineKinds, aftersales.KindVirtual) {
		out = append(out, TagVirtualGoods)
	}
	if slices.Contains(w.LineKinds, aftersales.KindProduce) || slices.Contains(w.OnlyLineKinds, aftersales.KindProduce) {
		out = append(out, TagProduce)
	}
	if w.HasEvidence != nil || w.EvidenceVerified != nil || w.EvidenceReused != nil || w.RecognizedDamage != nil ||
		len(w.RecognizedLabels) > 0 || r.Then.Decision == aftersales.OutcomeRequestEvidence {
		out = append(out, TagPhotos)
	}
	if w.PaidMoreThanDays != nil || w.PaidWithinDays != nil || w.ShippedMoreThanDays != nil || w.ShippedWithinDays != nil ||
		w.DeliveredMoreThanDays != nil || w.DeliveredWithinDays != nil {
		out = append(out, TagTimeWindow)
	}
	return out
}

// reviewLines says how long a review takes, what happens when it takes
// longer, and the review time promised to member tiers (F24, F25).
func reviewLines(pb *phrasebook, d aftersales.Deadlines, f Filter) []Line {
	lines := []Line{{Text: pb.reviewTime(pb.duration(d.ReviewUnshipped), pb.duration(d.ReviewShipped))}}
	tiers := make([]string, 0, len(d.ReviewSLA))
	for t := range d.ReviewSLA {
		if f.Tier == "" || t == f.Tier {
			tiers = append(tiers, t)
		}
	}
	slices.Sort(tiers)
	for _, t := range tiers {
		// What Deadlines.Promised shows: the SLA where it is shorter than
		// the review deadline, which it may be for one or both.
		sla := d.ReviewSLA[t]
		unshipped, shipped := min(sla, d.ReviewUnshipped), min(sla, d.ReviewShipped)
		if unshipped == d.ReviewUnshipped && shipped == d.ReviewShipped {
			continue // promises nothing the review deadlines do not
		}
		lines = append(lines, Line{Text: pb.tierReview(pb.quote(t), pb.duration(unshipped), pb.duration(shipped))})
	}
	return lines
}

// photoLines says which preset reasons need a photo or video, per case type
// (only f's when given), and how many files an application holds.
func photoLines(pb *phrasebook, f Filter) []Line {
	var lines []Line
	for _, t := range aftersales.CaseTypes {
		if f.Kind != "" && t != f.Kind {
			continue
		}
		var labels []string
		for _, r := range aftersales.Reasons(t) {
			if r.EvidenceRequired {
				labels = append(labels, pb.quote(pb.reasonLabel(r)))
			}
		}
		if len(labels) > 0 {
			lines = append(lines, Line{Text: pb.photoReasons(pb.caseTypes[t], pb.list(labels))})
		}
	}
	return append(lines, Line{Text: pb.maxFiles(aftersales.MaxEvidencePerCase)})
}

// limitLines says the buyer's deadlines and their default outcomes (F25):
// evidence, the return parcel and its receipt (for types that send goods
// back), and the dispute of a rejection. The receipt wait counts from the
// buyer's shipping: nothing reports a return delivered yet (courier
// tracking, issue 15); when something does and restarts the wait, these
// words must say so.
func limitLines(pb *phrasebook, d aftersales.Deadlines, f Filter) []Line {
	lines := []Line{{Text: pb.evidenceLimit(pb.duration(d.Evidence))}}
	if f.Kind == "" || f.Kind.ReturnsGoods() {
		lines = append(lines,
			Line{Text: pb.returnLimit(pb.duration(d.Return))},
			Line{Text: pb.receiptLimit(pb.duration(d.Receipt))})
	}
	return append(lines, Line{Text: pb.disputeLimit(pb.duration(d.Dispute))})
}

// reasonLabels names reason codes by their labels in pb's language. With a
// kind, only the codes of that kind are named (a case of that kind never
// has another's); without, a code is named by the first type that has it.
func reasonLabels(pb *phrasebook, codes []string, kind aftersales.CaseType) []string {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		for _, r := range aftersales.Reasons(kind) {
			if r.Code == code {
				out = append(out, pb.quote(pb.reasonLabel(r)))
				break
			}
		}
	}
	return out
}

// mapped names each value by its phrase (the value itself without one).
func mapped[T ~string](vs []T, names map[T]string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if n, ok := names[v]; ok {
			out[i] = n
		} else {
			out[i] = string(v)
		}
	}
	return out
}

// quoted quotes names the merchant chose (categories, tiers).
func quoted(pb *phrasebook, vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = pb.quote(v)
	}
	return out
}

// Query is what a product page asks for: the filter's fields and the
// language, as the client sent them.
type Query struct {
	Kind, Category, Tier, Lang string
}

// maxNameRunes bounds a category or tier a page asks about, as a rule set
// bounds the ones it names.
const maxNameRunes = 64

// Check validates q, naming each bad parameter, and returns its filter and
// language.
func (q Query) Check(op string) (Filter, Lang, error) {
	var v aftersales.Validation
	l, ok := ParseLang(q.Lang)
	v.Check(ok, "lang", "must be one of %s", langList())
	kind := aftersales.CaseType(q.Kind)
	v.Check(kind == "" || kind.Valid(), "kind", "must be one of refund_only, return_refund, exchange, claim")
	aftersales.CheckText(&v, "category", q.Category, aftersales.OneLine, maxNameRunes)
	aftersales.CheckText(&v, "tier", q.Tier, aftersales.OneLine, maxNameRunes)
	return Filter{Kind: kind, Category: q.Category, Tier: q.Tier}, l, v.Err(op)
}

func langList() string {
	s := make([]string, len(Langs))
	for i, l := range Langs {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}

// Previewer previews an application: the cases use case implements it.
type Previewer interface {
	Preview(ctx context.Context, p aftersales.Principal, app aftersales.Application) (aftersales.Preview, error)
}

// Service serves the policy and the preview.
type Service struct {
	Rules aftersales.RuleSetStore
	Cases Previewer
	Clock aftersales.Clock
}

// Policies returns the policy in force for q, read from the rule set in
// force now (never cached: a rule-set change shows at once). Any caller
// with a known role may read it; it is what a product page shows anyone.
func (s *Service) Policies(ctx context.Context, p aftersales.Principal, q Query) (Policy, error) {
	const op = "policies.get"
	if err := casework.RequireRole(p, op); err != nil {
		return Policy{}, err
	}
	f, l, err := q.Check(op)
	if err != nil {
		return Policy{}, err
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return Policy{}, err
	}
	return Write(rs, f, l), nil
}

// Preview is an application's preview with its summary in words.
type Preview struct {
	aftersales.Preview
	Lang    Lang
	Summary string
}

// Preview tells buyer p what would happen to app (see cases.Service.Preview),
// with a summary in lang ("" is zh-CN). The language is checked first, like
// every parameter, before the application is looked at.
func (s *Service) Preview(ctx context.Context, p aftersales.Principal, app aftersales.Application, lang string) (Preview, error) {
	l, ok := ParseLang(lang)
	if !ok {
		return Preview{}, aftersales.Invalid("case.preview", "lang", "must be one of %s", langList())
	}
	pv, err := s.Cases.Preview(ctx, p, app)
	if err != nil {
		return Preview{}, err
	}
	return Preview{Preview: pv, Lang: l, Summary: Summarize(pv, s.Clock.Now(), l)}, nil
}

// Summarize says a preview in words: the deciding rule and its outcome,
// the amount, and the next step with how long it may take from now.
func Summarize(pv aftersales.Preview, now time.Time, l Lang) string {
	pb := phrases(l)
	d := pv.Decision
	var parts []string
	if d.RuleID != "" {
		parts = append(parts, pb.decidedBy(pb.quote(d.RuleID), pb.decision(d)))
	} else {
		parts = append(parts, pb.undecided(pb.decision(d)))
	}
	c := pv.Case
	switch {
	case c.Type == aftersales.Exchange:
		parts = append(parts, pb.exchangeAmount)
	case d.Outcome == string(aftersales.OutcomeApprove):
		parts = append(parts, pb.refundAmount(pb.moneyIn(c.Approved, c.Currency)))
	case d.Outcome != string(aftersales.OutcomeReject):
		parts = append(parts, pb.requestedAmount(pb.moneyIn(c.Requested, c.Currency)))
	}
	if ch := c.Charges; ch != nil {
		switch {
		case ch.FreeReturnShipping:
			parts = append(parts, pb.postageFree)
		case ch.ReturnShippingPaidBy == aftersales.PayerMerchant && ch.ReturnPostageCap > 0:
			parts = append(parts, pb.postageMerchantCap(pb.moneyIn(ch.ReturnPostageCap, c.Currency)))
		case ch.ReturnShippingPaidBy == aftersales.PayerMerchant:
			parts = append(parts, pb.postageMerchant)
		default:
			parts = append(parts, pb.postageBuyer)
		}
		if ch.RestockingFee > 0 {
			parts = append(parts, pb.restocking(pb.moneyIn(ch.RestockingFee, c.Currency), ch.RestockingNote))
		}
	}
	if n := pv.Next; n != nil {
		within := ""
		if !n.Deadline.IsZero() {
			within = pb.duration(n.Deadline.Sub(now).Round(time.Minute))
		}
		parts = append(parts, pb.next(pb.stepOf(n.Action), within))
	}
	return strings.Join(parts, pb.sentenceSep)
}
