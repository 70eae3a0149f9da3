package policies

import (
	"fmt"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// en is the English phrasebook.
var en = phrasebook{
	titles: map[string]string{
		TopicRules:      "How applications are decided",
		TopicReviewTime: "Review time",
		TopicPhotos:     "Photos and videos",
		TopicTimeLimits: "Time limits",
		TopicFees:       "Return postage and fees",
	},
	rulesIntro:  "Applications are checked against these rules in order; the first that fits decides.",
	sentenceSep: " ",

	caseTypes: map[aftersales.CaseType]string{
		aftersales.RefundOnly:   "a refund only",
		aftersales.ReturnRefund: "a return and refund",
		aftersales.Exchange:     "an exchange",
		aftersales.Claim:        "a claim",
	},
	orderStatuses: map[aftersales.OrderStatus]string{
		aftersales.OrderPaid:      "paid but not shipped yet",
		aftersales.OrderShipped:   "shipped",
		aftersales.OrderDelivered: "delivered",
		aftersales.OrderCompleted: "completed",
	},
	lineKinds: map[aftersales.LineKind]string{
		aftersales.KindPhysical:    "physical goods",
		aftersales.KindVirtual:     "virtual goods (coupon codes, memberships)",
		aftersales.KindProduce:     "fresh produce",
		aftersales.KindAppliance:   "large appliances",
		aftersales.KindCrossBorder: "cross-border goods",
		aftersales.KindPresale:     "presale goods",
	},
	events: map[string]string{eventPaid: "paid", eventShipped: "shipped", eventDelivered: "delivered"},

	quote: func(s string) string { return "“" + s + "”" },
	or:    func(items []string) string { return joinLast(items, ", ", " or ") },
	and:   func(items []string) string { return strings.Join(items, " and ") },
	list:  func(items []string) string { return strings.Join(items, ", ") },
	money: func(minor int64) string { return decimal(minor) + " " + aftersales.CNY },
	moneyIn: func(minor int64, currency string) string {
		if currency == "" {
			currency = aftersales.CNY
		}
		return decimal(minor) + " " + currency
	},
	duration: func(d time.Duration) string {
		n, unit := splitDuration(d)
		if n != 1 {
			unit += "s"
		}
		return fmt.Sprintf("%d %s", n, unit)
	},
	reasonLabel: func(r aftersales.Reason) string { return r.LabelEN },

	rule:      func(conds, outcome string) string { return "If " + conds + ": " + outcome + "." },
	otherwise: func(outcome string) string { return "Otherwise: " + outcome + "." },

	caseTypeIs:       func(s string) string { return "the application is for " + s },
	reasonIs:         func(s string) string { return "the reason is " + s },
	orderIs:          func(s string) string { return "the order is " + s },
	moreThanDays:     func(event, days string) string { return "the order was " + event + " more than " + days + " ago" },
	withinDays:       func(event, days string) string { return "the order was " + event + " at most " + days + " ago" },
	someLineIs:       func(s string) string { return "it includes " + s },
	everyLineIs:      func(s string) string { return "every item in it is " + s },
	categoryIs:       func(s string) string { return "it includes an item of category " + s },
	amountAbove:      func(s string) string { return "the amount is more than " + s },
	amountAtMost:     func(s string) string { return "the amount is at most " + s },
	tierIs:           func(s string) string { return "you are a member of tier " + s },
	refundsAtLeast:   func(n int) string { return fmt.Sprintf("you had at least %d refunds in the last 90 days", n) },
	refundsAtMost:    func(n int) string { return fmt.Sprintf("you had at most %d refunds in the last 90 days", n) },
	evidence:         map[bool]string{true: "photos or videos are attached", false: "no photo or video is attached"},
	evidenceVerified: map[bool]string{true: "a photo or video passed our checks", false: "no photo or video has passed our checks yet"},
	evidenceReused:   map[bool]string{true: "a photo was already used in another claim", false: "no photo was used in another claim"},
	damageSeen:       map[bool]string{true: "damage can be seen on a photo", false: "no damage can be seen on the photos"},
	labelsSeen:       func(labels string) string { return "a photo shows " + labels },
	virtualUnused:    map[bool]string{true: "none of its virtual goods has been used", false: "a virtual item in it has been used"},
	refundRateAtLeast: func(pct int, period string) string {
		return fmt.Sprintf("at least %d%% of your applications in the last %s ended in a refund", pct, period)
	},
	refundRateAtMost: func(pct int, period string) string {
		return fmt.Sprintf("at most %d%% of your applications in the last %s ended in a refund", pct, period)
	},
	shippingPaidBy: map[aftersales.Payer]string{aftersales.PayerMerchant: "the merchant pays the return postage", aftersales.PayerBuyer: "you pay the return postage"},
	restockingFee:  map[bool]string{true: "a restocking fee applies", false: "no restocking fee applies"},
	perkIs:         func(s string) string { return "your membership includes " + s },
	slotsFilled: map[bool]string{true: "the named photos asked for (such as the item and its parcel label) are attached",
		false: "a named photo asked for (such as the item or its parcel label) is missing"},
	perkNames: map[string]string{aftersales.PerkFreeReturnShipping: "free return shipping",
		aftersales.PerkMissedPromisePoints: "points for a missed review promise"},

	approve:         "approved automatically",
	reject:          func(reason string) string { return "rejected, because " + reason },
	manual:          map[aftersales.Role]string{aftersales.RoleReviewer: "reviewed by the merchant's staff", aftersales.RoleAdmin: "reviewed by a merchant administrator"},
	requestEvidence: func(reason string) string { return "you are asked for more evidence, with the note " + reason },

	reviewTime: func(unshipped, shipped string) string {
		return "The merchant reviews an application within " + unshipped + " while the order is not shipped yet, and within " +
			shipped + " once it has shipped; an application not reviewed in time is approved."
	},
	tierReview: func(tier, unshipped, shipped string) string {
		if unshipped == shipped {
			return "Members of tier " + tier + " are promised a review within " + unshipped + "."
		}
		return "Members of tier " + tier + " are promised a review within " + unshipped + " while the order is not shipped yet, and within " + shipped + " once it has shipped."
	},
	photoReasons: func(t, reasons string) string {
		return "For " + t + ", these reasons need at least one photo or video: " + reasons + "."
	},
	maxFiles: func(n int) string { return fmt.Sprintf("An application holds at most %d photos or videos.", n) },
	evidenceLimit: func(d string) string {
		return "If you are asked for evidence, add it within " + d + "; otherwise the application is closed."
	},
	returnLimit: func(d string) string {
		return "Once a return or exchange is approved, ship the goods back within " + d + "; otherwise the application is closed."
	},
	receiptLimit: func(d string) string {
		return "Once you have shipped the goods back, the merchant confirms receipt within " + d +
			"; otherwise they are treated as received and the refund or replacement goes ahead."
	},
	disputeLimit: func(d string) string {
		return "A rejected application is closed " + d + " after the rejection unless you dispute it."
	},

	decidedBy:       func(rule, decision string) string { return "Rule " + rule + " decides: " + decision + "." },
	undecided:       func(decision string) string { return "No rule decides it: " + decision + "." },
	exchangeAmount:  "An exchange refunds no money.",
	refundAmount:    func(s string) string { return "Refund: " + s + "." },
	requestedAmount: func(s string) string { return "Amount requested: " + s + "." },
	postageBuyer:    "You pay the return postage.",
	postageMerchant: "The merchant pays the return postage.",
	postageMerchantCap: func(limit string) string {
		return "The merchant pays the return postage, up to " + limit + "."
	},
	postageFree:     "The merchant pays the whole return postage (a perk of your membership).",
	postageAllBuyer: "You pay the postage of a return.",
	postageByReason: func(reasons string) string {
		return "The merchant pays the return postage when the reason is " + reasons + "; otherwise you pay it."
	},
	postageByReasonCap: func(reasons, limit string) string {
		return "The merchant pays the return postage, up to " + limit + ", when the reason is " + reasons + "; otherwise you pay it."
	},
	freePostage: func(tier string, all bool) string {
		if all {
			return "Members of tier " + tier + " return free of postage."
		}
		return "Members of tier " + tier + " return quality faults free of postage, whatever it costs."
	},
	percentOf: func(p int) string { return fmt.Sprintf("%d%% of the item's amount", p) },
	restockingLine: func(reasons, what, categories string) string {
		if categories == "" {
			return "A return whose reason is " + reasons + " pays a restocking fee of " + what + ", deducted from the refund."
		}
		return "A return of category " + categories + " whose reason is " + reasons + " pays a restocking fee of " + what + ", deducted from the refund."
	},
	shippingShare: func(reasons string) string {
		return "When the reason is " + reasons + ", the refund includes the items' share of the shipping fee."
	},
	restocking: func(fee, note string) string {
		return "A restocking fee of " + fee + " (" + note + ") is deducted from the refund."
	},
	nextStep: map[string]string{
		"review":            "the merchant reviews it",
		"add_evidence":      "you add evidence",
		"ship_return":       "you ship the goods back",
		"confirm_refund":    "the refund is paid back through the payment channel",
		"dispute_or_accept": "you may dispute the rejection",
	},
	next: func(step, within string) string {
		if within == "" {
			return "Next: " + step + "."
		}
		return "Next: " + step + ", within " + within + "."
	},
}
