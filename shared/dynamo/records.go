package dynamo

import (
	"slices"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The item types of the table, each declared once as its shape (codec.go).
// doc.go describes their keys; TestGoldenItems pins every attribute.

// caseShape is the case item: the whole case but its timeline (entries are
// items of their own), with the keys of the list indexes derived from it
// and the kinds of its lines for the kind filter.
var caseShape = shape[aftersales.Case]{
	derived(AttrPK, func(c *aftersales.Case) string { return casePK(c.ID) }),
	fixed[*aftersales.Case](AttrSK, skCase),
	fixed[*aftersales.Case](attrEntity, entityCase),
	derived(AttrGSI1PK, func(c *aftersales.Case) string { return buyerPK(c.BuyerID) }),
	derived(AttrGSI2PK, func(c *aftersales.Case) string { return statusPK(string(c.Status), shardOf(c.ID)) }),
	derived(AttrGSI3PK, func(c *aftersales.Case) string { return allCasesPK(shardOf(c.ID)) }),
	derived(AttrGSISK, aftersales.ListPosition),
	{write: func(w writer, c *aftersales.Case) { w.strSet(attrLineKinds, lineKinds(c.Lines)) }},

	text(attrID, func(c *aftersales.Case) *string { return &c.ID }),
	text(attrOrderID, func(c *aftersales.Case) *string { return &c.OrderID }),
	text(attrBuyerID, func(c *aftersales.Case) *string { return &c.BuyerID }),
	text(attrShopID, func(c *aftersales.Case) *string { return &c.ShopID }),
	text(attrCaseType, func(c *aftersales.Case) *aftersales.CaseType { return &c.Type }),
	text(attrReason, func(c *aftersales.Case) *string { return &c.Reason }),
	text(attrDescription, func(c *aftersales.Case) *string { return &c.Description }),
	objects(attrLines, func(c *aftersales.Case) *[]aftersales.CaseLine { return &c.Lines }, caseLineShape),
	text(attrCurrency, func(c *aftersales.Case) *string { return &c.Currency }),
	number(attrRequested, func(c *aftersales.Case) *int64 { return &c.Requested }),
	number(attrApproved, func(c *aftersales.Case) *int64 { return &c.Approved }),
	number(attrRefunded, func(c *aftersales.Case) *int64 { return &c.Refunded }),
	text(attrRefundTo, func(c *aftersales.Case) *aftersales.RefundDestination { return &c.RefundTo }),
	text(attrStatus, func(c *aftersales.Case) *aftersales.Status { return &c.Status }),
	number(attrVersion, func(c *aftersales.Case) *int { return &c.Version }),
	objects(attrEvidence, func(c *aftersales.Case) *[]aftersales.Evidence { return &c.Evidence }, evidenceShape),
	optional(attrDecision, func(c *aftersales.Case) **aftersales.Decision { return &c.Decision }, decisionShape),
	text(attrWaitingFor, func(c *aftersales.Case) *string { return &c.WaitingFor }),
	text(attrTaskToken, func(c *aftersales.Case) *string { return &c.TaskToken }),
	instant(attrDeadline, func(c *aftersales.Case) *time.Time { return &c.Deadline }),
	instant(attrPromisedBy, func(c *aftersales.Case) *time.Time { return &c.PromisedBy }),
	instant(attrRemindedFor, func(c *aftersales.Case) *time.Time { return &c.RemindedFor }),
	instant(attrCreatedAt, func(c *aftersales.Case) *time.Time { return &c.CreatedAt }),
	instant(attrUpdatedAt, func(c *aftersales.Case) *time.Time { return &c.UpdatedAt }),
	optional(attrReturn, func(c *aftersales.Case) **aftersales.Shipment { return &c.Return }, shipmentShape),
	text(attrReturnCondition, func(c *aftersales.Case) *string { return &c.ReturnCondition }),
	optional(attrReplacement, func(c *aftersales.Case) **aftersales.Shipment { return &c.Replacement }, shipmentShape),
	optional(attrPickup, func(c *aftersales.Case) **aftersales.Pickup { return &c.Pickup }, pickupShape),
	optional(attrInterception, func(c *aftersales.Case) **aftersales.Interception { return &c.Interception }, interceptionShape),
	number(attrRefundSeq, func(c *aftersales.Case) *int { return &c.RefundSeq }),
	flag(attrRefundFailed, func(c *aftersales.Case) *bool { return &c.RefundFailed }),
	flag(attrRefundManual, func(c *aftersales.Case) *bool { return &c.RefundManual }),
	optional(attrDispute, func(c *aftersales.Case) **aftersales.Dispute { return &c.Dispute }, disputeShape),
	text(attrBundle, func(c *aftersales.Case) *string { return &c.Bundle }),
	textList(attrComponents, func(c *aftersales.Case) *[]string { return &c.Components }),
	objects(attrTranches, func(c *aftersales.Case) *[]aftersales.Tranche { return &c.Tranches }, trancheShape),
	optional(attrCharges, func(c *aftersales.Case) **aftersales.Charges { return &c.Charges }, chargesShape),
}

// chargesShape stores a case's fees and perks (F29, F24).
var chargesShape = shape[aftersales.Charges]{
	text(attrShippingPaidBy, func(c *aftersales.Charges) *aftersales.Payer { return &c.ReturnShippingPaidBy }),
	number(attrPostageCap, func(c *aftersales.Charges) *int64 { return &c.ReturnPostageCap }),
	flag(attrFreeShipping, func(c *aftersales.Charges) *bool { return &c.FreeReturnShipping }),
	number(attrRestockingFee, func(c *aftersales.Charges) *int64 { return &c.RestockingFee }),
	text(attrRestockingNote, func(c *aftersales.Charges) *string { return &c.RestockingNote }),
	number(attrDeducted, func(c *aftersales.Charges) *int64 { return &c.Deducted }),
	number(attrPostagePaid, func(c *aftersales.Charges) *int64 { return &c.PostagePaid }),
	number(attrPostageRepaid, func(c *aftersales.Charges) *int64 { return &c.PostageReimbursed }),
}

var disputeShape = shape[aftersales.Dispute]{
	text(attrKind, func(d *aftersales.Dispute) *aftersales.DisputeKind { return &d.Kind }),
	text(attrReason, func(d *aftersales.Dispute) *string { return &d.Reason }),
	text(attrDescription, func(d *aftersales.Dispute) *string { return &d.Description }),
	textList(attrEvidenceIDs, func(d *aftersales.Dispute) *[]string { return &d.EvidenceIDs }),
	instant(attrOpenedAt, func(d *aftersales.Dispute) *time.Time { return &d.OpenedAt }),
	instant(attrAnsweredAt, func(d *aftersales.Dispute) *time.Time { return &d.AnsweredAt }),
	objects(attrProposals, func(d *aftersales.Dispute) *[]aftersales.Proposal { return &d.Proposals }, proposalShape),
	text(attrOutcome, func(d *aftersales.Dispute) *string { return &d.Outcome }),
}

var proposalShape = shape[aftersales.Proposal]{
	text(attrID, func(p *aftersales.Proposal) *string { return &p.ID }),
	text(attrBy, func(p *aftersales.Proposal) *aftersales.Party { return &p.By }),
	text(attrActor, func(p *aftersales.Proposal) *string { return &p.Actor }),
	number(attrAmount, func(p *aftersales.Proposal) *int64 { return &p.Amount }),
	text(attrNote, func(p *aftersales.Proposal) *string { return &p.Note }),
	instant(attrAt, func(p *aftersales.Proposal) *time.Time { return &p.At }),
	text(attrStatus, func(p *aftersales.Proposal) *aftersales.ProposalStatus { return &p.Status }),
}

// messageShape is one message of a case's dispute thread, an item of its
// own beside the case: written once, never updated.
var messageShape = shape[aftersales.Message]{
	derived(AttrPK, func(m *aftersales.Message) string { return casePK(m.CaseID) }),
	derived(AttrSK, func(m *aftersales.Message) string { return messageSK(m.Seq) }),
	fixed[*aftersales.Message](attrEntity, entityMessage),
	text(attrCaseID, func(m *aftersales.Message) *string { return &m.CaseID }),
	number(attrSeq, func(m *aftersales.Message) *int { return &m.Seq }),
	text(attrID, func(m *aftersales.Message) *string { return &m.ID }),
	text(attrActor, func(m *aftersales.Message) *string { return &m.Author }),
	text(attrParty, func(m *aftersales.Message) *aftersales.Party { return &m.Party }),
	text(attrText, func(m *aftersales.Message) *string { return &m.Text }),
	textList(attrEvidenceIDs, func(m *aftersales.Message) *[]string { return &m.EvidenceIDs }),
	instant(attrAt, func(m *aftersales.Message) *time.Time { return &m.At }),
	text(attrPrevHash, func(m *aftersales.Message) *string { return &m.PrevHash }),
	text(attrHash, func(m *aftersales.Message) *string { return &m.Hash }),
}

// lineKinds are the kinds of a case's lines, each once, in line order.
func lineKinds(lines []aftersales.CaseLine) []string {
	var kinds []string
	for _, l := range lines {
		if l.Kind != "" && !slices.Contains(kinds, string(l.Kind)) {
			kinds = append(kinds, string(l.Kind))
		}
	}
	return kinds
}

var caseLineShape = shape[aftersales.CaseLine]{
	text(attrLineID, func(l *aftersales.CaseLine) *string { return &l.LineID }),
	text(attrSKU, func(l *aftersales.CaseLine) *string { return &l.SKU }),
	text(attrName, func(l *aftersales.CaseLine) *string { return &l.Name }),
	text(attrKind, func(l *aftersales.CaseLine) *aftersales.LineKind { return &l.Kind }),
	text(attrCategory, func(l *aftersales.CaseLine) *string { return &l.Category }),
	number(attrQuantity, func(l *aftersales.CaseLine) *int { return &l.Quantity }),
	number(attrAmount, func(l *aftersales.CaseLine) *int64 { return &l.Amount }),
}

var evidenceShape = shape[aftersales.Evidence]{
	text(attrID, func(e *aftersales.Evidence) *string { return &e.ID }),
	text(attrContentType, func(e *aftersales.Evidence) *string { return &e.ContentType }),
	number(attrSize, func(e *aftersales.Evidence) *int64 { return &e.Size }),
	text(attrStatus, func(e *aftersales.Evidence) *string { return &e.Status }),
	textList(attrChecks, func(e *aftersales.Evidence) *[]string { return &e.Checks }),
	text(attrReusedFrom, func(e *aftersales.Evidence) *string { return &e.ReusedFrom }),
	flag(attrThumbnail, func(e *aftersales.Evidence) *bool { return &e.Thumbnail }),
	textList(attrLabels, func(e *aftersales.Evidence) *[]string { return &e.Labels }),
	flag(attrDamage, func(e *aftersales.Evidence) *bool { return &e.Damage }),
	text(attrSlot, func(e *aftersales.Evidence) *string { return &e.Slot }),
}

var decisionShape = shape[aftersales.Decision]{
	text(attrOutcome, func(d *aftersales.Decision) *string { return &d.Outcome }),
	text(attrBy, func(d *aftersales.Decision) *string { return &d.By }),
	text(attrRuleID, func(d *aftersales.Decision) *string { return &d.RuleID }),
	number(attrRuleSetVer, func(d *aftersales.Decision) *int { return &d.RuleSetVersion }),
	text(attrReason, func(d *aftersales.Decision) *string { return &d.Reason }),
	text(attrLevel, func(d *aftersales.Decision) *aftersales.Role { return &d.Level }),
}

var shipmentShape = shape[aftersales.Shipment]{
	text(attrCourier, func(s *aftersales.Shipment) *string { return &s.Courier }),
	text(attrTracking, func(s *aftersales.Shipment) *string { return &s.TrackingNumber }),
	instant(attrAt, func(s *aftersales.Shipment) *time.Time { return &s.At }),
	flag(attrTracked, func(s *aftersales.Shipment) *bool { return &s.Tracked }),
	text(attrPhase, func(s *aftersales.Shipment) *aftersales.ParcelPhase { return &s.Phase }),
	text(attrScan, func(s *aftersales.Shipment) *string { return &s.Scan }),
	instant(attrCollectedAt, func(s *aftersales.Shipment) *time.Time { return &s.CollectedAt }),
	instant(attrMovedAt, func(s *aftersales.Shipment) *time.Time { return &s.MovedAt }),
	instant(attrAlertedAt, func(s *aftersales.Shipment) *time.Time { return &s.AlertedAt }),
}

var pickupShape = shape[aftersales.Pickup]{
	text(attrOrderID, func(p *aftersales.Pickup) *string { return &p.OrderID }),
	text(attrTaskID, func(p *aftersales.Pickup) *string { return &p.TaskID }),
	text(attrCourier, func(p *aftersales.Pickup) *string { return &p.Courier }),
	text(attrAddress, func(p *aftersales.Pickup) *string { return &p.Address }),
	instant(attrWindowStart, func(p *aftersales.Pickup) *time.Time { return &p.WindowStart }),
	instant(attrWindowEnd, func(p *aftersales.Pickup) *time.Time { return &p.WindowEnd }),
	instant(attrAt, func(p *aftersales.Pickup) *time.Time { return &p.BookedAt }),
	text(attrStatus, func(p *aftersales.Pickup) *string { return &p.Status }),
}

var interceptionShape = shape[aftersales.Interception]{
	text(attrCourier, func(i *aftersales.Interception) *string { return &i.Courier }),
	text(attrTracking, func(i *aftersales.Interception) *string { return &i.TrackingNumber }),
	text(attrTaskID, func(i *aftersales.Interception) *string { return &i.TaskID }),
	instant(attrRequestedAt, func(i *aftersales.Interception) *time.Time { return &i.RequestedAt }),
	text(attrRefundAt, func(i *aftersales.Interception) *string { return &i.RefundAt }),
	text(attrStatus, func(i *aftersales.Interception) *string { return &i.Status }),
	instant(attrAt, func(i *aftersales.Interception) *time.Time { return &i.At }),
	text(attrNote, func(i *aftersales.Interception) *string { return &i.Note }),
}

// event is one immutable timeline entry of a case, as its item holds it.
type event struct {
	caseID string
	aftersales.TimelineEntry
}

var eventShape = shape[event]{
	derived(AttrPK, func(e *event) string { return casePK(e.caseID) }),
	derived(AttrSK, func(e *event) string { return eventSK(e.Seq) }),
	fixed[*event](attrEntity, entityEvent),
	text(attrCaseID, func(e *event) *string { return &e.caseID }),
	number(attrSeq, func(e *event) *int { return &e.Seq }),
	instant(attrAt, func(e *event) *time.Time { return &e.At }),
	text(attrActor, func(e *event) *string { return &e.Actor }),
	text(attrAction, func(e *event) *aftersales.Action { return &e.Action }),
	text(attrFromStatus, func(e *event) *aftersales.Status { return &e.From }),
	text(attrToStatus, func(e *event) *aftersales.Status { return &e.To }),
	text(attrNote, func(e *event) *string { return &e.Note }),
}

func eventItem(caseID string, e aftersales.TimelineEntry) item {
	return eventShape.encode(&event{caseID: caseID, TimelineEntry: e})
}

// orderShape is the mall's snapshot. Its lines carry no ledger: refunded
// amounts and holds live on the line items (lineShape), which the snapshot
// never overwrites.
var orderShape = shape[aftersales.Order]{
	derived(AttrPK, func(o *aftersales.Order) string { return orderPK(o.ID) }),
	fixed[*aftersales.Order](AttrSK, skOrder),
	fixed[*aftersales.Order](attrEntity, entityOrder),
	text(attrID, func(o *aftersales.Order) *string { return &o.ID }),
	number(attrVersion, func(o *aftersales.Order) *int64 { return &o.Version }),
	text(attrEventID, func(o *aftersales.Order) *string { return &o.EventID }),
	text(attrBuyerID, func(o *aftersales.Order) *string { return &o.BuyerID }),
	text(attrBuyerPhone, func(o *aftersales.Order) *string { return &o.BuyerPhone }),
	text(attrShopID, func(o *aftersales.Order) *string { return &o.ShopID }),
	text(attrStatus, func(o *aftersales.Order) *aftersales.OrderStatus { return &o.Status }),
	instant(attrPaidAt, func(o *aftersales.Order) *time.Time { return &o.PaidAt }),
	instant(attrShippedAt, func(o *aftersales.Order) *time.Time { return &o.ShippedAt }),
	instant(attrDeliveredAt, func(o *aftersales.Order) *time.Time { return &o.DeliveredAt }),
	text(attrCurrency, func(o *aftersales.Order) *string { return &o.Currency }),
	object(attrPayment, func(o *aftersales.Order) *aftersales.Payment { return &o.Payment }, paymentShape),
	text(attrMemberTier, func(o *aftersales.Order) *string { return &o.MemberTier }),
	text(attrLanguage, func(o *aftersales.Order) *string { return &o.Language }),
	text(attrOpenID, func(o *aftersales.Order) *string { return &o.BuyerOpenID }),
	textSet(attrNotifyChannels, func(o *aftersales.Order) *[]aftersales.Channel { return &o.NotifyChannels }),
	objects(attrLines, func(o *aftersales.Order) *[]aftersales.OrderLine { return &o.Lines }, orderLineShape),
	object(attrFees, func(o *aftersales.Order) *aftersales.Fees { return &o.Fees }, feesShape),
	optional(attrPresale, func(o *aftersales.Order) **aftersales.Presale { return &o.Presale }, presaleShape),
	optional(attrOutbound, func(o *aftersales.Order) **aftersales.Shipment { return &o.Outbound }, shipmentShape),
	instant(attrUpdatedAt, func(o *aftersales.Order) *time.Time { return &o.UpdatedAt }),
}

var presaleShape = shape[aftersales.Presale]{
	object(attrDeposit, func(p *aftersales.Presale) *aftersales.Payment { return &p.Deposit }, paymentShape),
	instant(attrDepositPaidAt, func(p *aftersales.Presale) *time.Time { return &p.DepositPaidAt }),
	object(attrBalance, func(p *aftersales.Presale) *aftersales.Payment { return &p.Balance }, paymentShape),
	instant(attrBalancePaidAt, func(p *aftersales.Presale) *time.Time { return &p.BalancePaidAt }),
}

var trancheShape = shape[aftersales.Tranche]{
	text(attrStage, func(t *aftersales.Tranche) *string { return &t.Stage }),
	number(attrAmount, func(t *aftersales.Tranche) *int64 { return &t.Amount }),
}

var paymentShape = shape[aftersales.Payment]{
	text(attrChannel, func(p *aftersales.Payment) *aftersales.PaymentChannel { return &p.Channel }),
	text(attrTransaction, func(p *aftersales.Payment) *string { return &p.TransactionID }),
	number(attrAmount, func(p *aftersales.Payment) *int64 { return &p.Amount }),
}

var orderLineShape = shape[aftersales.OrderLine]{
	text(attrLineID, func(l *aftersales.OrderLine) *string { return &l.LineID }),
	text(attrSKU, func(l *aftersales.OrderLine) *string { return &l.SKU }),
	text(attrName, func(l *aftersales.OrderLine) *string { return &l.Name }),
	text(attrKind, func(l *aftersales.OrderLine) *aftersales.LineKind { return &l.Kind }),
	text(attrCategory, func(l *aftersales.OrderLine) *string { return &l.Category }),
	text(attrBundle, func(l *aftersales.OrderLine) *string { return &l.Bundle }),
	flag(attrRedeemed, func(l *aftersales.OrderLine) *bool { return &l.Redeemed }),
	number(attrQuantity, func(l *aftersales.OrderLine) *int { return &l.Quantity }),
	number(attrUnitPrice, func(l *aftersales.OrderLine) *int64 { return &l.UnitPrice }),
	number(attrPaidAmount, func(l *aftersales.OrderLine) *int64 { return &l.PaidAmount }),
	number(attrDiscount, func(l *aftersales.OrderLine) *int64 { return &l.Discount }),
}

var feesShape = shape[aftersales.Fees]{
	number(attrShipping, func(f *aftersales.Fees) *int64 { return &f.Shipping }),
	number(attrTariff, func(f *aftersales.Fees) *int64 { return &f.Tariff }),
}

// lineLedger is what an order line item holds beside the snapshot's line.
// Update expressions write it (PutOrder, CreateCase, UpdateCase and the
// refund bookings), so its shape only serves reads.
type lineLedger struct {
	lineID     string
	paid       int64
	refunded   int64
	activeCase string
}

var lineShape = shape[lineLedger]{
	text(attrLineID, func(l *lineLedger) *string { return &l.lineID }),
	number(attrPaidAmount, func(l *lineLedger) *int64 { return &l.paid }),
	number(attrRefunded, func(l *lineLedger) *int64 { return &l.refunded }),
	text(attrActiveCase, func(l *lineLedger) *string { return &l.activeCase }),
}

// aggregate is a record stored as one partition: a head item and the
// parts whose sort keys share a prefix.
type aggregate[H, P any] struct {
	head    string // the head item's sort key
	heads   shape[H]
	partPfx string
	parts   shape[P]
	missing string // what "not found" says
}

var (
	caseAggregate = aggregate[aftersales.Case, event]{
		head: skCase, heads: caseShape, partPfx: evtPfx, parts: eventShape, missing: "no such case"}
	orderAggregate = aggregate[aftersales.Order, lineLedger]{
		head: skOrder, heads: orderShape, partPfx: linePfx, parts: lineShape, missing: "no such order"}
)

var idemShape = shape[aftersales.IdempotencyRecord]{
	derived(AttrPK, func(r *aftersales.IdempotencyRecord) string { return idemPK(r.Scope, r.Key) }),
	fixed[*aftersales.IdempotencyRecord](AttrSK, skIdem),
	fixed[*aftersales.IdempotencyRecord](attrEntity, entityIdempotent),
	text(attrScope, func(r *aftersales.IdempotencyRecord) *string { return &r.Scope }),
	text(attrKey, func(r *aftersales.IdempotencyRecord) *string { return &r.Key }),
	text(attrRequestHash, func(r *aftersales.IdempotencyRecord) *string { return &r.RequestHash }),
	text(attrCaseID, func(r *aftersales.IdempotencyRecord) *string { return &r.CaseID }),
	number(attrStatusCode, func(r *aftersales.IdempotencyRecord) *int { return &r.StatusCode }),
	blob(attrResponse, func(r *aftersales.IdempotencyRecord) *[]byte { return &r.Response }),
	instant(attrCreatedAt, func(r *aftersales.IdempotencyRecord) *time.Time { return &r.CreatedAt }),
	expiry(func(r *aftersales.IdempotencyRecord) *time.Time { return &r.ExpiresAt }),
}

var uploadShape = shape[aftersales.Upload]{
	derived(AttrPK, func(u *aftersales.Upload) string { return uploadPK(u.ID) }),
	fixed[*aftersales.Upload](AttrSK, skUpload),
	fixed[*aftersales.Upload](attrEntity, entityUpload),
	text(attrID, func(u *aftersales.Upload) *string { return &u.ID }),
	text(attrBuyerID, func(u *aftersales.Upload) *string { return &u.BuyerID }),
	text(attrCaseID, func(u *aftersales.Upload) *string { return &u.CaseID }),
	text(attrObjectKey, func(u *aftersales.Upload) *string { return &u.ObjectKey }),
	text(attrContentType, func(u *aftersales.Upload) *string { return &u.ContentType }),
	number(attrSize, func(u *aftersales.Upload) *int64 { return &u.Size }),
	text(attrSlot, func(u *aftersales.Upload) *string { return &u.Slot }),
	instant(attrCreatedAt, func(u *aftersales.Upload) *time.Time { return &u.CreatedAt }),
	expiry(func(u *aftersales.Upload) *time.Time { return &u.ExpiresAt }),
}

// refundShape is a refund with the keys of the ledger lists: by order
// (GSI1), by the buyer's phone (GSI2) and every refund, sharded (GSI3). An
// empty order id or phone leaves that index key out, so the refund is
// simply not in that list. Refund items are always written whole (Put),
// which is the safe way to set index keys in minidyn.
var refundShape = shape[aftersales.Refund]{
	derived(AttrPK, func(r *aftersales.Refund) string { return casePK(r.CaseID) }),
	derived(AttrSK, func(r *aftersales.Refund) string { return refundSK(r.OutRefundNo) }),
	fixed[*aftersales.Refund](attrEntity, entityRefund),
	derived(AttrGSI1PK, func(r *aftersales.Refund) string { return nonEmpty(r.OrderID, refundsByOrderPK) }),
	derived(AttrGSI2PK, func(r *aftersales.Refund) string { return nonEmpty(r.BuyerPhone, refundsByPhonePK) }),
	derived(AttrGSI3PK, func(r *aftersales.Refund) string { return allRefundsPK(shardOf(r.OutRefundNo)) }),
	derived(AttrGSISK, aftersales.RefundListPosition),

	text(attrOutRefundNo, func(r *aftersales.Refund) *string { return &r.OutRefundNo }),
	text(attrCaseID, func(r *aftersales.Refund) *string { return &r.CaseID }),
	number(attrSeq, func(r *aftersales.Refund) *int { return &r.Seq }),
	text(attrOrderID, func(r *aftersales.Refund) *string { return &r.OrderID }),
	text(attrBuyerID, func(r *aftersales.Refund) *string { return &r.BuyerID }),
	text(attrBuyerPhone, func(r *aftersales.Refund) *string { return &r.BuyerPhone }),
	number(attrAmount, func(r *aftersales.Refund) *int64 { return &r.Amount.Amount }),
	text(attrCurrency, func(r *aftersales.Refund) *string { return &r.Amount.Currency }),
	amounts(attrShares, func(r *aftersales.Refund) *map[string]int64 { return &r.Shares }),
	text(attrChannel, func(r *aftersales.Refund) *aftersales.PaymentChannel { return &r.Channel }),
	text(attrDestination, func(r *aftersales.Refund) *aftersales.RefundDestination { return &r.Destination }),
	text(attrTransaction, func(r *aftersales.Refund) *string { return &r.TransactionID }),
	number(attrOrderTotal, func(r *aftersales.Refund) *int64 { return &r.OrderTotal }),
	text(attrReason, func(r *aftersales.Refund) *string { return &r.Reason }),
	text(attrStatus, func(r *aftersales.Refund) *aftersales.RefundStatus { return &r.Status }),
	text(attrProviderRefund, func(r *aftersales.Refund) *string { return &r.ProviderRefundID }),
	text(attrAccount, func(r *aftersales.Refund) *string { return &r.Account }),
	number(attrQueries, func(r *aftersales.Refund) *int { return &r.Queries }),
	text(attrApprovedBy, func(r *aftersales.Refund) *string { return &r.ApprovedBy }),
	instant(attrApprovedAt, func(r *aftersales.Refund) *time.Time { return &r.ApprovedAt }),
	instant(attrCreatedAt, func(r *aftersales.Refund) *time.Time { return &r.CreatedAt }),
	instant(attrUpdatedAt, func(r *aftersales.Refund) *time.Time { return &r.UpdatedAt }),
	instant(attrArrivedAt, func(r *aftersales.Refund) *time.Time { return &r.ArrivedAt }),
	text(attrPaidBy, func(r *aftersales.Refund) *string { return &r.PaidBy }),
	flag(attrSandbox, func(r *aftersales.Refund) *bool { return &r.Sandbox }),
}

func nonEmpty(v string, key func(string) string) string {
	if v == "" {
		return ""
	}
	return key(v)
}

// receipt is a provider notification's receipt; it expires (TTL) when the
// provider can no longer replay the notification.
type receipt struct {
	provider, id string
	at, expires  time.Time
}

var receiptShape = shape[receipt]{
	derived(AttrPK, func(h *receipt) string { return hookPK(h.provider, h.id) }),
	fixed[*receipt](AttrSK, skHook),
	fixed[*receipt](attrEntity, entityHook),
	text(attrProvider, func(h *receipt) *string { return &h.provider }),
	text(attrNotificationID, func(h *receipt) *string { return &h.id }),
	instant(attrAt, func(h *receipt) *time.Time { return &h.at }),
	expiry(func(h *receipt) *time.Time { return &h.expires }),
}

func hookItem(provider, id string, at time.Time) item {
	return receiptShape.encode(&receipt{provider: provider, id: id, at: at, expires: at.Add(aftersales.NotificationTTL)})
}

// ruleSetVersion is a stored rule set: its document (the JSON of PUT
// /v1/staff/ruleset, see rulesets.go) and the stamp kept beside it.
type ruleSetVersion struct {
	document []byte
	aftersales.RuleSetStamp
}

var ruleSetShape = shape[ruleSetVersion]{
	fixed[*ruleSetVersion](AttrPK, pkRuleSet),
	derived(AttrSK, func(v *ruleSetVersion) string { return ruleSetSK(v.Version) }),
	fixed[*ruleSetVersion](attrEntity, entityRuleSet),
	blob(attrDocument, func(v *ruleSetVersion) *[]byte { return &v.document }),
	number(attrVersion, func(v *ruleSetVersion) *int { return &v.Version }),
	instant(attrUpdatedAt, func(v *ruleSetVersion) *time.Time { return &v.UpdatedAt }),
	text(attrUpdatedBy, func(v *ruleSetVersion) *string { return &v.UpdatedBy }),
}

// reviewJobShape is a batch review job with its counters. The failures
// known at its start (ids that name no case, at most MaxListedFailures of
// them) are a list in the job item, written with it; the failures of its
// items are result items of their own (reviewResultShape).
var reviewJobShape = shape[aftersales.ReviewJob]{
	derived(AttrPK, func(j *aftersales.ReviewJob) string { return jobPK(j.ID) }),
	fixed[*aftersales.ReviewJob](AttrSK, skJob),
	fixed[*aftersales.ReviewJob](attrEntity, entityJob),
	text(attrID, func(j *aftersales.ReviewJob) *string { return &j.ID }),
	text(attrDecisionOf, func(j *aftersales.ReviewJob) *string { return &j.Decision }),
	text(attrReason, func(j *aftersales.ReviewJob) *string { return &j.Reason }),
	text(attrByID, func(j *aftersales.ReviewJob) *string { return &j.By.ID }),
	textSet(attrByRoles, func(j *aftersales.ReviewJob) *[]aftersales.Role { return &j.By.Roles }),
	number(attrTotal, func(j *aftersales.ReviewJob) *int { return &j.Total }),
	number(attrSucceeded, func(j *aftersales.ReviewJob) *int { return &j.Succeeded }),
	number(attrFailed, func(j *aftersales.ReviewJob) *int { return &j.Failed }),
	instant(attrCreatedAt, func(j *aftersales.ReviewJob) *time.Time { return &j.CreatedAt }),
	objects(attrKnownFailures, func(j *aftersales.ReviewJob) *[]aftersales.ReviewFailure { return &j.Failures }, knownFailureShape),
}

// knownFailureShape is one failure in a job's list of those known at its
// start.
var knownFailureShape = shape[aftersales.ReviewFailure]{
	text(attrCaseID, func(f *aftersales.ReviewFailure) *string { return &f.CaseID }),
	text(attrFailure, func(f *aftersales.ReviewFailure) *string { return &f.Error }),
}

// reviewResult is one case's result in a review job; Error is "" when the
// case was decided.
type reviewResult struct {
	jobID string
	aftersales.ReviewFailure
}

var reviewResultShape = shape[reviewResult]{
	derived(AttrPK, func(r *reviewResult) string { return jobPK(r.jobID) }),
	derived(AttrSK, func(r *reviewResult) string { return jobItemPfx + r.CaseID }),
	fixed[*reviewResult](attrEntity, entityJobItem),
	text(attrCaseID, func(r *reviewResult) *string { return &r.CaseID }),
	text(attrFailure, func(r *reviewResult) *string { return &r.Error }),
}
