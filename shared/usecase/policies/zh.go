package policies

import (
	"fmt"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// zh is the Simplified Chinese phrasebook (zh-CN), the default.
var zh = phrasebook{
	titles: map[string]string{
		TopicRules:      "审核规则",
		TopicReviewTime: "审核时效",
		TopicPhotos:     "图片与视频",
		TopicTimeLimits: "时限",
		TopicFees:       "退货运费与手续费",
	},
	rulesIntro:  "申请按以下规则依次判断，以第一条符合的规则为准。",
	sentenceSep: "",

	caseTypes: map[aftersales.CaseType]string{
		aftersales.RefundOnly:   "仅退款",
		aftersales.ReturnRefund: "退货退款",
		aftersales.Exchange:     "换货",
		aftersales.Claim:        "理赔",
	},
	orderStatuses: map[aftersales.OrderStatus]string{
		aftersales.OrderPaid:      "已付款未发货",
		aftersales.OrderShipped:   "已发货",
		aftersales.OrderDelivered: "已签收",
		aftersales.OrderCompleted: "已完成",
	},
	lineKinds: map[aftersales.LineKind]string{
		aftersales.KindPhysical:    "实物商品",
		aftersales.KindVirtual:     "虚拟商品（券码、会员）",
		aftersales.KindProduce:     "生鲜",
		aftersales.KindAppliance:   "大家电",
		aftersales.KindCrossBorder: "跨境商品",
		aftersales.KindPresale:     "预售商品",
	},
	events: map[string]string{eventPaid: "付款", eventShipped: "发货", eventDelivered: "签收"},

	quote: func(s string) string { return "「" + s + "」" },
	or:    func(items []string) string { return joinLast(items, "、", "或") },
	and:   func(items []string) string { return strings.Join(items, "，且") },
	list:  func(items []string) string { return strings.Join(items, "、") },
	money: func(minor int64) string { return decimal(minor) + " 元" },
	moneyIn: func(minor int64, currency string) string {
		if currency == "" || currency == aftersales.CNY {
			return decimal(minor) + " 元"
		}
		return decimal(minor) + " " + currency
	},
	duration: func(d time.Duration) string {
		n, unit := splitDuration(d)
		return fmt.Sprintf("%d %s", n, map[string]string{"day": "天", "hour": "小时", "minute": "分钟"}[unit])
	},
	reasonLabel: func(r aftersales.Reason) string { return r.LabelZH },

	rule:      func(conds, outcome string) string { return "若" + conds + "：" + outcome + "。" },
	otherwise: func(outcome string) string { return "其他情况：" + outcome + "。" },

	caseTypeIs:       func(s string) string { return "申请类型为" + s },
	reasonIs:         func(s string) string { return "申请原因为" + s },
	orderIs:          func(s string) string { return "订单" + s },
	moreThanDays:     func(event, days string) string { return "订单" + event + "已超过 " + days },
	withinDays:       func(event, days string) string { return "订单" + event + "不超过 " + days },
	someLineIs:       func(s string) string { return "包含" + s },
	everyLineIs:      func(s string) string { return "全部商品均为" + s },
	categoryIs:       func(s string) string { return "包含类目为" + s + "的商品" },
	amountAbove:      func(s string) string { return "金额超过 " + s },
	amountAtMost:     func(s string) string { return "金额不超过 " + s },
	tierIs:           func(s string) string { return "您是" + s + "会员" },
	refundsAtLeast:   func(n int) string { return fmt.Sprintf("您近 90 天内已退款至少 %d 次", n) },
	refundsAtMost:    func(n int) string { return fmt.Sprintf("您近 90 天内退款不超过 %d 次", n) },
	evidence:         map[bool]string{true: "已上传图片或视频", false: "未上传图片或视频"},
	evidenceVerified: map[bool]string{true: "图片或视频已通过校验", false: "图片或视频尚未通过校验"},
	evidenceReused:   map[bool]string{true: "有图片已在其他申请中使用过", false: "图片未在其他申请中使用过"},
	damageSeen:       map[bool]string{true: "图片中可见破损", false: "图片中未见破损"},
	labelsSeen:       func(labels string) string { return "图片中可见" + labels },
	virtualUnused:    map[bool]string{true: "申请中的虚拟商品均未使用", false: "申请中有虚拟商品已使用"},
	refundRateAtLeast: func(pct int, period string) string {
		return fmt.Sprintf("您近 %s内的申请中至少 %d%% 已退款", period, pct)
	},
	refundRateAtMost: func(pct int, period string) string {
		return fmt.Sprintf("您近 %s内的申请中至多 %d%% 已退款", period, pct)
	},
	shippingPaidBy: map[aftersales.Payer]string{aftersales.PayerMerchant: "退货运费由商家承担", aftersales.PayerBuyer: "退货运费由您承担"},
	restockingFee:  map[bool]string{true: "需扣除退货手续费", false: "无退货手续费"},
	perkIs:         func(s string) string { return "您的会员权益包括" + s },
	slotsFilled:    map[bool]string{true: "已上传要求的照片（如商品照片和快递面单照片）", false: "缺少要求的照片（如商品照片或快递面单照片）"},
	perkNames: map[string]string{aftersales.PerkFreeReturnShipping: "免费退货运费",
		aftersales.PerkMissedPromisePoints: "审核超时积分补偿"},

	approve:         "自动同意",
	reject:          func(reason string) string { return "不予同意，理由：" + reason },
	manual:          map[aftersales.Role]string{aftersales.RoleReviewer: "由商家客服人工审核", aftersales.RoleAdmin: "由商家管理员人工审核"},
	requestEvidence: func(reason string) string { return "需补充凭证，商家说明：" + reason },

	reviewTime: func(unshipped, shipped string) string {
		return "商家在订单未发货时 " + unshipped + "内、已发货后 " + shipped + "内审核申请；逾期未审核的申请将自动同意。"
	},
	tierReview: func(tier, unshipped, shipped string) string {
		if unshipped == shipped {
			return tier + "会员的申请承诺 " + unshipped + "内审核。"
		}
		return tier + "会员的申请承诺在订单未发货时 " + unshipped + "内、已发货后 " + shipped + "内审核。"
	},
	photoReasons: func(t, reasons string) string {
		return t + "：以下原因需至少上传一张图片或一段视频：" + reasons + "。"
	},
	maxFiles: func(n int) string { return fmt.Sprintf("每个申请最多上传 %d 个图片或视频。", n) },
	evidenceLimit: func(d string) string {
		return "如需补充凭证，请在 " + d + "内补充，逾期申请将关闭。"
	},
	returnLimit: func(d string) string {
		return "退货或换货申请同意后，请在 " + d + "内寄回商品，逾期申请将关闭。"
	},
	receiptLimit: func(d string) string {
		return "您寄回商品后，商家需在 " + d + "内确认收货，逾期视为已收货，继续退款或换货。"
	},
	disputeLimit: func(d string) string {
		return "申请被拒绝后，如未在 " + d + "内发起纠纷，申请将关闭。"
	},

	decidedBy:       func(rule, decision string) string { return "由规则" + rule + "判定：" + decision + "。" },
	undecided:       func(decision string) string { return "没有规则判定，" + decision + "。" },
	exchangeAmount:  "换货不退款。",
	refundAmount:    func(s string) string { return "退款金额：" + s + "。" },
	requestedAmount: func(s string) string { return "申请金额：" + s + "。" },
	postageBuyer:    "退货运费由您承担。",
	postageMerchant: "退货运费由商家承担。",
	postageMerchantCap: func(limit string) string {
		return "退货运费由商家承担，最高 " + limit + "。"
	},
	postageFree:     "退货运费由商家全额承担（会员权益）。",
	postageAllBuyer: "退货运费由您承担。",
	postageByReason: func(reasons string) string {
		return "退货原因为" + reasons + "时，退货运费由商家承担；其他原因由您承担。"
	},
	postageByReasonCap: func(reasons, limit string) string {
		return "退货原因为" + reasons + "时，退货运费由商家承担，最高 " + limit + "；其他原因由您承担。"
	},
	freePostage: func(tier string, all bool) string {
		if all {
			return tier + "会员退货免运费。"
		}
		return tier + "会员因质量问题退货，运费由商家全额承担。"
	},
	percentOf: func(p int) string { return fmt.Sprintf("商品金额的 %d%%", p) },
	restockingLine: func(reasons, what, categories string) string {
		if categories == "" {
			return "退货原因为" + reasons + "时，退款将扣除退货手续费（" + what + "）。"
		}
		return category(categories) + "商品退货原因为" + reasons + "时，退款将扣除退货手续费（" + what + "）。"
	},
	shippingShare: func(reasons string) string {
		return "退货原因为" + reasons + "时，退款包含商品分摊的运费。"
	},
	restocking: func(fee, note string) string {
		return "退款将扣除退货手续费 " + fee + "（" + note + "）。"
	},
	nextStep: map[string]string{
		"review":            "商家审核",
		"add_evidence":      "您补充凭证",
		"ship_return":       "您寄回商品",
		"confirm_refund":    "退款经支付渠道原路退回",
		"dispute_or_accept": "您可以发起纠纷",
	},
	next: func(step, within string) string {
		if within == "" {
			return "下一步：" + step + "。"
		}
		return "下一步：" + step + "，时限 " + within + "。"
	},
}

// joinLast joins items with sep, the last two with last ("a、b或c").
func joinLast(items []string, sep, last string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], sep) + last + items[len(items)-1]
}

// category names categories before a noun ("类目「音频」的").
func category(categories string) string { return "类目" + categories + "的" }
