package aftersales

import (
	"fmt"
	"slices"
	"strings"
)

// Goodwill is the type of a case staff open without a buyer's application
// (F28): a refund or compensation for a late delivery, an apology, a price
// drop. It is no application type (CaseTypes, Valid): buyers cannot open
// one. It goes straight to refunding, through the same ledger and payment
// routes as every refund, and its buyer sees it among their cases.
const Goodwill CaseType = "goodwill"

// GoodwillReasons are the reasons staff give for a goodwill refund; the
// buyer sees their labels.
var GoodwillReasons = []Reason{
	{"late_delivery", Goodwill, "延迟发货补偿", "Compensation for a late delivery", false},
	{"service_apology", Goodwill, "服务致歉", "An apology for our service", false},
	{"price_protection", Goodwill, "价格保护", "Price protection", false},
	{"other_goodwill", Goodwill, "其他补偿", "Other compensation", false},
}

// GoodwillRequest is what staff send to refund a buyer of their own accord.
type GoodwillRequest struct {
	OrderID  string
	Lines    []string // the order lines it is booked on; empty: every line with money left
	Amount   int64
	Reason   string // one of GoodwillReasons
	Note     string // shown to the buyer
	RefundTo RefundDestination
}

// Validate names every field of r that is wrong on its own.
func (r GoodwillRequest) Validate(op string) error {
	var v Validation
	v.Check(r.OrderID != "" && len(r.OrderID) <= MaxIDBytes, "order_id", "is required, at most %d bytes", MaxIDBytes)
	v.Check(slices.ContainsFunc(GoodwillReasons, func(x Reason) bool { return x.Code == r.Reason }), "reason",
		"must be one of %s", goodwillCodes())
	v.Check(r.Amount >= 1 && r.Amount <= MaxAmount, "amount", "must be between 1 and %d (minor units)", MaxAmount)
	CheckText(&v, "note", r.Note, MultiLine, MaxDescriptionRunes)
	v.Check(r.RefundTo == "" || r.RefundTo == RefundOriginal || r.RefundTo == RefundBalance, "refund_to", "must be original or balance")
	if v.Check(len(r.Lines) <= MaxCaseLines, "lines", "must name at most %d order lines", MaxCaseLines) {
		for i, id := range r.Lines {
			f := fmt.Sprintf("lines[%d]", i)
			if v.Check(id != "" && len(id) <= MaxIDBytes, f, "must be a line id of 1 to %d bytes", MaxIDBytes) {
				v.Check(!slices.Contains(r.Lines[:i], id), f, "names line %q twice", id)
			}
		}
	}
	return v.Err(op)
}

func goodwillCodes() string {
	codes := make([]string, len(GoodwillReasons))
	for i, r := range GoodwillReasons {
		codes[i] = r.Code
	}
	return strings.Join(codes, ", ")
}
