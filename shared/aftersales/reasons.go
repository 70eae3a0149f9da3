package aftersales

// CaseType is one of the four kinds of after-sales case (F1).
type CaseType string

// The case types.
const (
	RefundOnly   CaseType = "refund_only"
	ReturnRefund CaseType = "return_refund"
	Exchange     CaseType = "exchange"
	Claim        CaseType = "claim"
)

// CaseTypes lists every case type in display order.
var CaseTypes = []CaseType{RefundOnly, ReturnRefund, Exchange, Claim}

// Valid reports whether t is one of the case types.
func (t CaseType) Valid() bool {
	switch t {
	case RefundOnly, ReturnRefund, Exchange, Claim:
		return true
	}
	return false
}

// ReturnsGoods reports whether the buyer ships the goods back after approval.
func (t CaseType) ReturnsGoods() bool { return t == ReturnRefund || t == Exchange }

// Reason is a preset reason a buyer picks when applying (F2). Guided fields
// come from it: EvidenceRequired reasons need at least one photo or video.
type Reason struct {
	Code             string
	Type             CaseType
	LabelZH          string
	LabelEN          string
	EvidenceRequired bool
}

// reasons is the preset list, per type, in display order. Codes are stable
// identifiers stored on cases and used by rules; labels may change freely.
var reasons = []Reason{
	{"wrong_item", RefundOnly, "拍错/多拍/不想要", "Bought by mistake / no longer wanted", false},
	{"not_shipped", RefundOnly, "未按约定时间发货", "Not shipped on time", false},
	{"not_received", RefundOnly, "未收到货", "Parcel not received", false},
	{"out_of_stock", RefundOnly, "商家缺货", "Out of stock", false},
	{"virtual_unused", RefundOnly, "虚拟商品未使用", "Virtual item not used", false},

	{"size_not_fit", ReturnRefund, "尺码不合适", "Size does not fit", false},
	{"damaged", ReturnRefund, "商品破损", "Arrived damaged", true},
	{"wrong_item_sent", ReturnRefund, "商家发错货", "Wrong item sent", true},
	{"not_as_described", ReturnRefund, "与描述不符", "Not as described", true},
	{"quality_issue", ReturnRefund, "质量问题", "Quality problem", true},
	{"no_reason_7_days", ReturnRefund, "七天无理由退货", "No-reason return within 7 days", false},

	{"defective", Exchange, "商品有瑕疵/故障", "Defective item", true},
	{"size_exchange", Exchange, "换尺码", "Exchange for another size", false},
	{"wrong_item_sent_exchange", Exchange, "发错货，换正确商品", "Wrong item sent, exchange for the right one", true},

	{"produce_spoiled", Claim, "生鲜腐坏", "Produce spoiled", true},
	{"appliance_fault", Claim, "家电故障", "Appliance fault", true},
	{"customs_failed", Claim, "清关失败", "Customs clearance failed", false},
	{"late_delivery", Claim, "延迟发货赔付", "Late delivery compensation", false},
}

// Reasons returns the preset reasons of one type, or of every type when t is
// empty, in display order.
func Reasons(t CaseType) []Reason {
	out := make([]Reason, 0, len(reasons))
	for _, r := range reasons {
		if t == "" || r.Type == t {
			out = append(out, r)
		}
	}
	return out
}

// LookupReason finds a preset reason by type and code.
func LookupReason(t CaseType, code string) (Reason, bool) {
	for _, r := range reasons {
		if r.Type == t && r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}
