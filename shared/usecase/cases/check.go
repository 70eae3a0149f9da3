package cases

import (
	"fmt"
	"unicode/utf8"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// checkLimits refuses an application that breaks a limit of size before
// anything is read for it (the idempotency key, the order, any upload): too
// many lines or evidence ids, an id or a description too long. An
// application of 5,000 evidence ids costs what one of ten does; one within
// the limits has every other mistake named at once, lookups included.
func checkLimits(p aftersales.Principal, app aftersales.Application) error {
	const op = "case.create"
	if !p.Has(aftersales.RoleBuyer) {
		return aftersales.E(aftersales.KindForbidden, op, "only buyers open cases")
	}
	var v aftersales.Validation
	v.Check(len(app.OrderID) <= aftersales.MaxIDBytes, "order_id", "must be at most %d bytes", aftersales.MaxIDBytes)
	v.Check(utf8.RuneCountInString(app.Description) <= aftersales.MaxDescriptionRunes, "description", "must be at most %d characters", aftersales.MaxDescriptionRunes)
	if v.Check(len(app.Lines) <= aftersales.MaxCaseLines, "lines", "must name at most %d order lines; %d were sent", aftersales.MaxCaseLines, len(app.Lines)) {
		for i, lr := range app.Lines {
			v.Check(len(lr.LineID) <= aftersales.MaxIDBytes, fmt.Sprintf("lines[%d].line_id", i), "must be at most %d bytes", aftersales.MaxIDBytes)
		}
	}
	if v.Check(len(app.EvidenceIDs) <= aftersales.MaxEvidencePerCase, "evidence", "must list at most %d ids; %d were sent", aftersales.MaxEvidencePerCase, len(app.EvidenceIDs)) {
		for i, id := range app.EvidenceIDs {
			v.Check(len(id) <= aftersales.MaxIDBytes, fmt.Sprintf("evidence[%d]", i), "must be an id of 1 to %d bytes", aftersales.MaxIDBytes)
		}
	}
	return v.Err(op)
}

// checkApplication records in v what is wrong with what an application
// says on its own, reading nothing: the type and reason, the description's
// text, where the money goes, lines and evidence ids named once each.
func checkApplication(v *aftersales.Validation, app aftersales.Application) {
	v.Check(app.OrderID != "", "order_id", "is required")
	if v.Check(app.Type.Valid(), "type", "must be one of refund_only, return_refund, exchange, claim") {
		_, ok := aftersales.LookupReason(app.Type, app.Reason)
		v.Check(ok, "reason", "is not a preset reason for %s (see GET /v1/reasons?type=%s)", app.Type, app.Type)
	}
	aftersales.CheckText(v, "description", app.Description, aftersales.MultiLine, aftersales.MaxDescriptionRunes)
	v.Check(app.RefundTo == "" || app.RefundTo == aftersales.RefundOriginal || app.RefundTo == aftersales.RefundBalance,
		"refund_to", "must be original or balance")
	v.Check(len(app.Lines) > 0, "lines", "must name at least one order line")
	seen := make(map[string]bool, len(app.Lines))
	for i, lr := range app.Lines {
		f := fmt.Sprintf("lines[%d].line_id", i)
		if v.Check(lr.LineID != "", f, "is required") && v.Check(!seen[lr.LineID], f, "names line %q twice", lr.LineID) {
			seen[lr.LineID] = true
		}
	}
	aftersales.CheckIDs(v, "evidence", app.EvidenceIDs, 0, aftersales.MaxEvidencePerCase)
}
