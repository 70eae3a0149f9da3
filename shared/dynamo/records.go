package dynamo

import (
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// caseItem is the case item without its timeline (events are items of their
// own) but with the list index keys derived from it.
func caseItem(c *aftersales.Case) item {
	it := item{}
	w := writer(it)
	w.str(AttrPK, casePK(c.ID))
	w.str(AttrSK, skCase)
	w.str(attrEntity, entityCase)
	lk := aftersales.ListPosition(c)
	shard := shardOf(c.ID)
	w.str(AttrGSI1PK, buyerPK(c.BuyerID))
	w.str(AttrGSI2PK, statusPK(string(c.Status), shard))
	w.str(AttrGSI3PK, allCasesPK(shard))
	w.str(AttrGSISK, lk)

	w.str(attrID, c.ID)
	w.str(attrOrderID, c.OrderID)
	w.str(attrBuyerID, c.BuyerID)
	w.str(attrShopID, c.ShopID)
	w.str(attrCaseType, string(c.Type))
	w.str(attrReason, c.Reason)
	w.str(attrDescription, c.Description)
	lines := make([]types.AttributeValue, len(c.Lines))
	var kinds []string
	for i, l := range c.Lines {
		m := item{}
		lw := writer(m)
		lw.str(attrLineID, l.LineID)
		lw.str(attrSKU, l.SKU)
		lw.str(attrName, l.Name)
		lw.str(attrKind, string(l.Kind))
		lw.str(attrCategory, l.Category)
		lw.num(attrQuantity, int64(l.Quantity))
		lw.num(attrAmount, l.Amount)
		lines[i] = &types.AttributeValueMemberM{Value: m}
		if l.Kind != "" && !slices.Contains(kinds, string(l.Kind)) {
			kinds = append(kinds, string(l.Kind))
		}
	}
	w.list(attrLines, lines)
	w.strSet(attrLineKinds, kinds)
	w.str(attrCurrency, c.Currency)
	w.num(attrRequested, c.Requested)
	w.num(attrApproved, c.Approved)
	w.num(attrRefunded, c.Refunded)
	w.str(attrRefundTo, string(c.RefundTo))
	w.str(attrStatus, string(c.Status))
	w.num(attrVersion, int64(c.Version))
	evs := make([]types.AttributeValue, len(c.Evidence))
	for i, e := range c.Evidence {
		m := item{}
		ew := writer(m)
		ew.str(attrID, e.ID)
		ew.str(attrContentType, e.ContentType)
		ew.num(attrSize, e.Size)
		ew.str(attrStatus, e.Status)
		evs[i] = &types.AttributeValueMemberM{Value: m}
	}
	w.list(attrEvidence, evs)
	if d := c.Decision; d != nil {
		m := item{}
		dw := writer(m)
		dw.str(attrOutcome, d.Outcome)
		dw.str(attrBy, d.By)
		dw.str(attrRuleID, d.RuleID)
		dw.num(attrRuleSetVer, int64(d.RuleSetVersion))
		dw.str(attrReason, d.Reason)
		dw.str(attrLevel, string(d.Level))
		w.mapValue(attrDecision, m)
	}
	w.str(attrWaitingFor, c.WaitingFor)
	w.str(attrTaskToken, c.TaskToken)
	w.time(attrDeadline, c.Deadline)
	w.time(attrPromisedBy, c.PromisedBy)
	w.time(attrCreatedAt, c.CreatedAt)
	w.time(attrUpdatedAt, c.UpdatedAt)
	w.mapValue(attrReturn, shipmentItem(c.Return))
	w.str(attrReturnCondition, c.ReturnCondition)
	w.mapValue(attrReplacement, shipmentItem(c.Replacement))
	w.num(attrRefundSeq, int64(c.RefundSeq))
	if c.RefundFailed {
		w.num(attrRefundFailed, 1)
	}
	return it
}

func shipmentItem(sh *aftersales.Shipment) item {
	if sh == nil {
		return nil
	}
	m := item{}
	w := writer(m)
	w.str(attrCourier, sh.Courier)
	w.str(attrTracking, sh.TrackingNumber)
	w.time(attrAt, sh.At)
	return m
}

func (r *reader) shipment(name string) *aftersales.Shipment {
	m, ok := r.mapValue(name)
	if !ok {
		return nil
	}
	var sh aftersales.Shipment
	r.sub(m, func(sr *reader) {
		sh = aftersales.Shipment{Courier: sr.str(attrCourier), TrackingNumber: sr.str(attrTracking), At: sr.time(attrAt)}
	})
	return &sh
}

// caseFromItem converts a case item (from the table or from an index that
// projects all attributes) back; the timeline is left empty.
func caseFromItem(it item) (aftersales.Case, error) {
	r := reader{it: it}
	c := aftersales.Case{
		ID:          r.str(attrID),
		OrderID:     r.str(attrOrderID),
		BuyerID:     r.str(attrBuyerID),
		ShopID:      r.str(attrShopID),
		Type:        aftersales.CaseType(r.str(attrCaseType)),
		Reason:      r.str(attrReason),
		Description: r.str(attrDescription),
		Currency:    r.str(attrCurrency),
		Requested:   r.num(attrRequested),
		Approved:    r.num(attrApproved),
		Refunded:    r.num(attrRefunded),
		RefundTo:    aftersales.RefundDestination(r.str(attrRefundTo)),
		Status:      aftersales.Status(r.str(attrStatus)),
		Version:     int(r.num(attrVersion)),
		WaitingFor:  r.str(attrWaitingFor),
		TaskToken:   r.str(attrTaskToken),
		Deadline:    r.time(attrDeadline),
		PromisedBy:  r.time(attrPromisedBy),
		CreatedAt:   r.time(attrCreatedAt),
		UpdatedAt:   r.time(attrUpdatedAt),

		RefundSeq:    int(r.num(attrRefundSeq)),
		RefundFailed: r.num(attrRefundFailed) == 1,
	}
	for _, m := range r.maps(attrLines) {
		r.sub(m, func(lr *reader) {
			c.Lines = append(c.Lines, aftersales.CaseLine{
				LineID:   lr.str(attrLineID),
				SKU:      lr.str(attrSKU),
				Name:     lr.str(attrName),
				Kind:     aftersales.LineKind(lr.str(attrKind)),
				Category: lr.str(attrCategory),
				Quantity: int(lr.num(attrQuantity)),
				Amount:   lr.num(attrAmount),
			})
		})
	}
	for _, m := range r.maps(attrEvidence) {
		r.sub(m, func(er *reader) {
			c.Evidence = append(c.Evidence, aftersales.Evidence{
				ID:          er.str(attrID),
				ContentType: er.str(attrContentType),
				Size:        er.num(attrSize),
				Status:      er.str(attrStatus),
			})
		})
	}
	if m, ok := r.mapValue(attrDecision); ok {
		r.sub(m, func(dr *reader) {
			c.Decision = &aftersales.Decision{
				Outcome:        dr.str(attrOutcome),
				By:             dr.str(attrBy),
				RuleID:         dr.str(attrRuleID),
				RuleSetVersion: int(dr.num(attrRuleSetVer)),
				Reason:         dr.str(attrReason),
				Level:          aftersales.Role(dr.str(attrLevel)),
			}
		})
	}
	c.Return = r.shipment(attrReturn)
	c.ReturnCondition = r.str(attrReturnCondition)
	c.Replacement = r.shipment(attrReplacement)
	if r.err != nil {
		return aftersales.Case{}, fmt.Errorf("case item %s: %w", c.ID, r.err)
	}
	return c, nil
}

// eventItem is one immutable timeline entry of a case.
func eventItem(caseID string, e aftersales.TimelineEntry) item {
	it := item{}
	w := writer(it)
	w.str(AttrPK, casePK(caseID))
	w.str(AttrSK, eventSK(e.Seq))
	w.str(attrEntity, entityEvent)
	w.str(attrCaseID, caseID)
	w.num(attrSeq, int64(e.Seq))
	w.time(attrAt, e.At)
	w.str(attrActor, e.Actor)
	w.str(attrAction, string(e.Action))
	w.str(attrFromStatus, string(e.From))
	w.str(attrToStatus, string(e.To))
	w.str(attrNote, e.Note)
	return it
}

func eventFromItem(it item) (aftersales.TimelineEntry, error) {
	r := reader{it: it}
	e := aftersales.TimelineEntry{
		Seq:    int(r.num(attrSeq)),
		At:     r.time(attrAt),
		Actor:  r.str(attrActor),
		Action: aftersales.Action(r.str(attrAction)),
		From:   aftersales.Status(r.str(attrFromStatus)),
		To:     aftersales.Status(r.str(attrToStatus)),
		Note:   r.str(attrNote),
	}
	if r.err != nil {
		return aftersales.TimelineEntry{}, fmt.Errorf("event item %s: %w", r.str(AttrSK), r.err)
	}
	return e, nil
}

// orderItem is the mall's snapshot. Its lines carry no ledger: refunded
// amounts and holds live on the line items, which the snapshot never
// overwrites.
func orderItem(o *aftersales.Order) item {
	it := item{}
	w := writer(it)
	w.str(AttrPK, orderPK(o.ID))
	w.str(AttrSK, skOrder)
	w.str(attrEntity, entityOrder)
	w.str(attrID, o.ID)
	w.str(attrBuyerID, o.BuyerID)
	w.str(attrBuyerPhone, o.BuyerPhone)
	w.str(attrShopID, o.ShopID)
	w.str(attrStatus, string(o.Status))
	w.time(attrPaidAt, o.PaidAt)
	w.time(attrShippedAt, o.ShippedAt)
	w.time(attrDeliveredAt, o.DeliveredAt)
	w.str(attrCurrency, o.Currency)
	pay := item{}
	pw := writer(pay)
	pw.str(attrChannel, string(o.Payment.Channel))
	pw.str(attrTransaction, o.Payment.TransactionID)
	pw.num(attrAmount, o.Payment.Amount)
	w.mapValue(attrPayment, pay)
	w.str(attrMemberTier, o.MemberTier)
	lines := make([]types.AttributeValue, len(o.Lines))
	for i, l := range o.Lines {
		m := item{}
		lw := writer(m)
		lw.str(attrLineID, l.LineID)
		lw.str(attrSKU, l.SKU)
		lw.str(attrName, l.Name)
		lw.str(attrKind, string(l.Kind))
		lw.str(attrCategory, l.Category)
		lw.str(attrBundle, l.Bundle)
		if l.Redeemed {
			lw.num(attrRedeemed, 1)
		}
		lw.num(attrQuantity, int64(l.Quantity))
		lw.num(attrUnitPrice, l.UnitPrice)
		lw.num(attrPaidAmount, l.PaidAmount)
		lines[i] = &types.AttributeValueMemberM{Value: m}
	}
	w.list(attrLines, lines)
	fees := item{}
	fw := writer(fees)
	fw.num(attrShipping, o.Fees.Shipping)
	fw.num(attrTariff, o.Fees.Tariff)
	w.mapValue(attrFees, fees)
	w.time(attrUpdatedAt, o.UpdatedAt)
	return it
}

func orderFromItem(it item) (*aftersales.Order, error) {
	r := reader{it: it}
	o := &aftersales.Order{
		ID:          r.str(attrID),
		BuyerID:     r.str(attrBuyerID),
		BuyerPhone:  r.str(attrBuyerPhone),
		ShopID:      r.str(attrShopID),
		Status:      aftersales.OrderStatus(r.str(attrStatus)),
		PaidAt:      r.time(attrPaidAt),
		ShippedAt:   r.time(attrShippedAt),
		DeliveredAt: r.time(attrDeliveredAt),
		Currency:    r.str(attrCurrency),
		MemberTier:  r.str(attrMemberTier),
		UpdatedAt:   r.time(attrUpdatedAt),
	}
	if m, ok := r.mapValue(attrPayment); ok {
		r.sub(m, func(pr *reader) {
			o.Payment = aftersales.Payment{
				Channel:       aftersales.PaymentChannel(pr.str(attrChannel)),
				TransactionID: pr.str(attrTransaction),
				Amount:        pr.num(attrAmount),
			}
		})
	}
	if m, ok := r.mapValue(attrFees); ok {
		r.sub(m, func(fr *reader) {
			o.Fees = aftersales.Fees{Shipping: fr.num(attrShipping), Tariff: fr.num(attrTariff)}
		})
	}
	for _, m := range r.maps(attrLines) {
		r.sub(m, func(lr *reader) {
			o.Lines = append(o.Lines, aftersales.OrderLine{
				LineID:     lr.str(attrLineID),
				SKU:        lr.str(attrSKU),
				Name:       lr.str(attrName),
				Kind:       aftersales.LineKind(lr.str(attrKind)),
				Category:   lr.str(attrCategory),
				Bundle:     lr.str(attrBundle),
				Redeemed:   lr.num(attrRedeemed) == 1,
				Quantity:   int(lr.num(attrQuantity)),
				UnitPrice:  lr.num(attrUnitPrice),
				PaidAmount: lr.num(attrPaidAmount),
			})
		})
	}
	if r.err != nil {
		return nil, fmt.Errorf("order item %s: %w", o.ID, r.err)
	}
	return o, nil
}

// ledger is what a line item adds to the snapshot's line.
type ledger struct {
	refunded   int64
	activeCase string
}

func ledgerFromItem(it item) (lineID string, l ledger, err error) {
	r := reader{it: it}
	lineID = r.str(attrLineID)
	l = ledger{refunded: r.num(attrRefunded), activeCase: r.str(attrActiveCase)}
	if r.err != nil {
		return "", ledger{}, fmt.Errorf("line item %s: %w", lineID, r.err)
	}
	return lineID, l, nil
}

func idemItem(rec *aftersales.IdempotencyRecord) item {
	it := item{}
	w := writer(it)
	w.str(AttrPK, idemPK(rec.Scope, rec.Key))
	w.str(AttrSK, skIdem)
	w.str(attrEntity, entityIdempotent)
	w.str(attrScope, rec.Scope)
	w.str(attrKey, rec.Key)
	w.str(attrRequestHash, rec.RequestHash)
	w.str(attrCaseID, rec.CaseID)
	w.num(attrStatusCode, int64(rec.StatusCode))
	w.bytes(attrResponse, rec.Response)
	w.time(attrCreatedAt, rec.CreatedAt)
	expiry(w, rec.ExpiresAt)
	return it
}

func idemFromItem(it item) (aftersales.IdempotencyRecord, error) {
	r := reader{it: it}
	rec := aftersales.IdempotencyRecord{
		Scope:       r.str(attrScope),
		Key:         r.str(attrKey),
		RequestHash: r.str(attrRequestHash),
		CaseID:      r.str(attrCaseID),
		StatusCode:  int(r.num(attrStatusCode)),
		Response:    r.bytes(attrResponse),
		CreatedAt:   r.time(attrCreatedAt),
		ExpiresAt:   r.time(attrExpires),
	}
	if r.err != nil {
		return aftersales.IdempotencyRecord{}, fmt.Errorf("idempotency item: %w", r.err)
	}
	return rec, nil
}

func uploadItem(u aftersales.Upload) item {
	it := item{}
	w := writer(it)
	w.str(AttrPK, uploadPK(u.ID))
	w.str(AttrSK, skUpload)
	w.str(attrEntity, entityUpload)
	w.str(attrID, u.ID)
	w.str(attrBuyerID, u.BuyerID)
	w.str(attrCaseID, u.CaseID)
	w.str(attrObjectKey, u.ObjectKey)
	w.str(attrContentType, u.ContentType)
	w.num(attrSize, u.Size)
	w.time(attrCreatedAt, u.CreatedAt)
	expiry(w, u.ExpiresAt)
	return it
}

func uploadFromItem(it item) (aftersales.Upload, error) {
	r := reader{it: it}
	u := aftersales.Upload{
		ID:          r.str(attrID),
		BuyerID:     r.str(attrBuyerID),
		CaseID:      r.str(attrCaseID),
		ObjectKey:   r.str(attrObjectKey),
		ContentType: r.str(attrContentType),
		Size:        r.num(attrSize),
		CreatedAt:   r.time(attrCreatedAt),
		ExpiresAt:   r.time(attrExpires),
	}
	if r.err != nil {
		return aftersales.Upload{}, fmt.Errorf("upload item %s: %w", u.ID, r.err)
	}
	return u, nil
}

// expiry writes both forms of an expiry: the exact instant that reads and
// conditions compare, and the TTL attribute, rounded up to a whole second so
// that DynamoDB never deletes an item that is still live.
func expiry(w writer, at time.Time) {
	w.time(attrExpires, at)
	if at.IsZero() {
		return
	}
	secs := at.Unix()
	if at.Nanosecond() > 0 {
		secs++
	}
	w.num(AttrTTL, secs)
}

// refundItem is a refund with the keys of the ledger lists: by order (GSI1),
// by the buyer's phone (GSI2) and every refund, sharded (GSI3). An empty
// order id or phone leaves that index key out, so the refund is simply not
// in that list. Refund items are always written whole (Put), which is the
// safe way to set index keys in minidyn.
func refundItem(r *aftersales.Refund) item {
	it := item{}
	w := writer(it)
	w.str(AttrPK, casePK(r.CaseID))
	w.str(AttrSK, refundSK(r.OutRefundNo))
	w.str(attrEntity, entityRefund)
	w.str(AttrGSI1PK, nonEmpty(r.OrderID, refundsByOrderPK))
	w.str(AttrGSI2PK, nonEmpty(r.BuyerPhone, refundsByPhonePK))
	w.str(AttrGSI3PK, allRefundsPK(shardOf(r.OutRefundNo)))
	w.str(AttrGSISK, aftersales.RefundListPosition(r))

	w.str(attrOutRefundNo, r.OutRefundNo)
	w.str(attrCaseID, r.CaseID)
	w.num(attrSeq, int64(r.Seq))
	w.str(attrOrderID, r.OrderID)
	w.str(attrBuyerID, r.BuyerID)
	w.str(attrBuyerPhone, r.BuyerPhone)
	w.num(attrAmount, r.Amount.Amount)
	w.str(attrCurrency, r.Amount.Currency)
	shares := item{}
	for line, v := range r.Shares {
		shares[line] = avN(v)
	}
	w.mapValue(attrShares, shares)
	w.str(attrChannel, string(r.Channel))
	w.str(attrDestination, string(r.Destination))
	w.str(attrTransaction, r.TransactionID)
	w.num(attrOrderTotal, r.OrderTotal)
	w.str(attrReason, r.Reason)
	w.str(attrStatus, string(r.Status))
	w.str(attrProviderRefund, r.ProviderRefundID)
	w.str(attrAccount, r.Account)
	w.num(attrQueries, int64(r.Queries))
	w.str(attrApprovedBy, r.ApprovedBy)
	w.time(attrApprovedAt, r.ApprovedAt)
	w.time(attrCreatedAt, r.CreatedAt)
	w.time(attrUpdatedAt, r.UpdatedAt)
	w.time(attrArrivedAt, r.ArrivedAt)
	return it
}

func nonEmpty(v string, key func(string) string) string {
	if v == "" {
		return ""
	}
	return key(v)
}

// refundFromItem converts a refund item (from the table or from an index
// that projects all attributes) back.
func refundFromItem(it item) (aftersales.Refund, error) {
	r := reader{it: it}
	rf := aftersales.Refund{
		OutRefundNo:      r.str(attrOutRefundNo),
		CaseID:           r.str(attrCaseID),
		Seq:              int(r.num(attrSeq)),
		OrderID:          r.str(attrOrderID),
		BuyerID:          r.str(attrBuyerID),
		BuyerPhone:       r.str(attrBuyerPhone),
		Amount:           aftersales.Money{Amount: r.num(attrAmount), Currency: r.str(attrCurrency)},
		Channel:          aftersales.PaymentChannel(r.str(attrChannel)),
		Destination:      aftersales.RefundDestination(r.str(attrDestination)),
		TransactionID:    r.str(attrTransaction),
		OrderTotal:       r.num(attrOrderTotal),
		Reason:           r.str(attrReason),
		Status:           aftersales.RefundStatus(r.str(attrStatus)),
		ProviderRefundID: r.str(attrProviderRefund),
		Account:          r.str(attrAccount),
		Queries:          int(r.num(attrQueries)),
		ApprovedBy:       r.str(attrApprovedBy),
		ApprovedAt:       r.time(attrApprovedAt),
		CreatedAt:        r.time(attrCreatedAt),
		UpdatedAt:        r.time(attrUpdatedAt),
		ArrivedAt:        r.time(attrArrivedAt),
	}
	if m, ok := r.mapValue(attrShares); ok && len(m) > 0 {
		rf.Shares = make(map[string]int64, len(m))
		r.sub(m, func(sr *reader) {
			for line := range m {
				rf.Shares[line] = sr.num(line)
			}
		})
	}
	if r.err != nil {
		return aftersales.Refund{}, fmt.Errorf("refund item %s: %w", rf.OutRefundNo, r.err)
	}
	return rf, nil
}

// hookItem is the receipt of a provider notification; it expires (TTL) when
// the provider can no longer replay the notification.
func hookItem(provider, id string, at time.Time) item {
	it := item{}
	w := writer(it)
	w.str(AttrPK, hookPK(provider, id))
	w.str(AttrSK, skHook)
	w.str(attrEntity, entityHook)
	w.str(attrProvider, provider)
	w.str(attrNotificationID, id)
	w.time(attrAt, at)
	expiry(w, at.Add(aftersales.NotificationTTL))
	return it
}
