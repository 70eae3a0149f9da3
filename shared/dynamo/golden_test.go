package dynamo

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/ruleset"
)

// The golden items below are the stored layout written out attribute by
// attribute, with literal names rather than the attr constants: existing
// data and the benchmark's cost model (item sizes) depend on every name,
// type and left-out zero value, so any change to the codec must leave them
// as they are.

func gS(v string) types.AttributeValue     { return &types.AttributeValueMemberS{Value: v} }
func gN(v string) types.AttributeValue     { return &types.AttributeValueMemberN{Value: v} }
func gB(v []byte) types.AttributeValue     { return &types.AttributeValueMemberB{Value: v} }
func gM(v item) types.AttributeValue       { return &types.AttributeValueMemberM{Value: v} }
func gSS(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }
func gL(v ...types.AttributeValue) types.AttributeValue {
	return &types.AttributeValueMemberL{Value: v}
}

// render writes an attribute value as text that differs whenever the
// value's type, nesting or content does: map keys and set members sorted,
// strings quoted.
func render(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("S%q", v.Value)
	case *types.AttributeValueMemberN:
		return "N" + v.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B%q", v.Value)
	case *types.AttributeValueMemberSS:
		// A set has no order: DynamoDB (and minidyn) may return it in any.
		return fmt.Sprintf("SS%q", slices.Sorted(slices.Values(v.Value)))
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = render(e)
		}
		return "L[" + strings.Join(parts, " ") + "]"
	case *types.AttributeValueMemberM:
		return "M{" + renderItem(v.Value) + "}"
	}
	return fmt.Sprintf("%T", v)
}

func renderItem(it item) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(it)) {
		parts = append(parts, k+"="+render(it[k]))
	}
	return strings.Join(parts, " ")
}

// sameItem fails the test naming every attribute whose rendering differs.
func sameItem(t *testing.T, got, want item) {
	t.Helper()
	keys := slices.Collect(maps.Keys(got))
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		g, w := "(absent)", "(absent)"
		if v, ok := got[k]; ok {
			g = render(v)
		}
		if v, ok := want[k]; ok {
			w = render(v)
		}
		if g != w {
			t.Errorf("%s:\n got %s\nwant %s", k, g, w)
		}
	}
}

// everyFieldCase sets every field a case item stores, and a timeline,
// which the case item must not carry.
func everyFieldCase() *aftersales.Case {
	c := fullCase()
	c.Refunded = 5
	c.Decision.Reason, c.Decision.Level = "big", aftersales.RoleAdmin
	c.Return = &aftersales.Shipment{Courier: "sf", TrackingNumber: "SF1", At: at.Add(time.Hour)}
	c.ReturnCondition = aftersales.ConditionDefective
	c.Replacement = &aftersales.Shipment{Courier: "yt", TrackingNumber: "YT1", At: at.Add(2 * time.Hour)}
	c.Dispute = &aftersales.Dispute{Kind: aftersales.DisputeRejection, Reason: "r", Description: "d",
		EvidenceIDs: []string{"ev_2", "ev_1"}, OpenedAt: at.Add(3 * time.Hour), AnsweredAt: at.Add(4 * time.Hour), Outcome: "agreed",
		Proposals: []aftersales.Proposal{{ID: "pr_1", By: aftersales.PartyMerchant, Actor: "staff:s", Amount: 7, Note: "n",
			At: at.Add(4 * time.Hour), Status: aftersales.ProposalAccepted}}}
	c.PromisedBy = at.Add(24 * time.Hour)
	c.RefundManual = true
	c.Charges = &aftersales.Charges{ReturnShippingPaidBy: aftersales.PayerMerchant, ReturnPostageCap: 2000, FreeReturnShipping: true,
		RestockingFee: 90, RestockingNote: "10% of 9.00 CNY (fruit)", Deducted: 90, PostagePaid: 3500, PostageReimbursed: 3500}
	c.Bundle, c.Components = "phone-care", []string{"as_2"}
	c.Tranches = []aftersales.Tranche{{Stage: aftersales.StageDeposit, Amount: 3}, {Stage: aftersales.StageCompensation, Amount: 3}}
	c.Timeline = []aftersales.TimelineEntry{{Seq: 1, At: at, Actor: "buyer:b-1", Action: aftersales.ActSubmit}}
	return c
}

func everyFieldOrder() *aftersales.Order {
	return &aftersales.Order{
		ID: "o-1", Version: 3, EventID: "ev-3", BuyerID: "b-1", BuyerPhone: "13800000000", ShopID: "main", Status: aftersales.OrderDelivered,
		PaidAt: at, ShippedAt: at.Add(time.Hour), DeliveredAt: at.Add(2 * time.Hour), Currency: "CNY",
		Payment:    aftersales.Payment{Channel: aftersales.ChannelAlipay, TransactionID: "2026-1", Amount: 1800},
		MemberTier: "gold", Language: "en", BuyerOpenID: "oid-1", NotifyChannels: []aftersales.Channel{aftersales.ChannelSMS},
		Lines: []aftersales.OrderLine{
			{LineID: "l1", SKU: "S1", Name: "n1", Kind: aftersales.KindVirtual, Category: "card", Bundle: "b1", Redeemed: true,
				Quantity: 2, UnitPrice: 500, PaidAmount: 1000, Discount: 5, Refunded: 7, ActiveCaseID: "as_9"},
			{LineID: "l2", Quantity: 1},
		},
		Fees: aftersales.Fees{Shipping: 800, Tariff: 3},
		Presale: &aftersales.Presale{Deposit: aftersales.Payment{Channel: aftersales.ChannelWeChatPay, TransactionID: "d-1", Amount: 300},
			DepositPaidAt: at.Add(-time.Hour), Balance: aftersales.Payment{Channel: aftersales.ChannelAlipay, TransactionID: "b-1", Amount: 1500},
			BalancePaidAt: at},
		UpdatedAt: at.Add(3 * time.Hour),
	}
}

// TestGoldenItems pins the exact attribute map of every item the codec
// writes, for a value with every field set and for one with none.
func TestGoldenItems(t *testing.T) {
	ts := func(d time.Duration) types.AttributeValue {
		return gS(at.Add(d).Format("2006-01-02T15:04:05.000000000Z"))
	}
	tests := []struct {
		name string
		got  item
		want item
	}{
		{"case with every field", caseShape.encode(everyFieldCase()), item{
			"pk": gS("CASE#as_1"), "sk": gS("CASE"), "entity": gS("case"),
			"gsi1pk": gS("BUYER#b-1"), "gsi2pk": gS("STATUS#pending_review#5"), "gsi3pk": gS("CASES#5"),
			"gsisk": gS("2026-11-11T08:30:00.123456789Z#as_1"),
			"id":    gS("as_1"), "order_id": gS("o-1"), "buyer_id": gS("b-1"), "shop_id": gS("main"),
			"case_type": gS("return_refund"), "reason": gS("damaged"), "description": gS("破损"),
			"lines": gL(
				gM(item{"line_id": gS("l1"), "sku": gS("S1"), "name": gS("n1"), "kind": gS("produce"), "category": gS("fruit"), "quantity": gN("2"), "amount": gN("1000")}),
				gM(item{"line_id": gS("l2"), "sku": gS("S2"), "name": gS("n2"), "kind": gS("physical"), "category": gS("box"), "quantity": gN("1"), "amount": gN("1")}),
				gM(item{"line_id": gS("l3"), "sku": gS("S3"), "name": gS("n3"), "kind": gS("produce"), "category": gS("fruit"), "quantity": gN("1"), "amount": gN("0")}),
			),
			"line_kinds": gSS("produce", "physical"),
			"currency":   gS("CNY"), "requested": gN("1001"), "approved": gN("900"), "refunded": gN("5"),
			"refund_to": gS("original"), "status": gS("pending_review"), "version": gN("3"),
			"evidence": gL(gM(item{"id": gS("ev_1"), "content_type": gS("image/png"), "size": gN("10"), "status": gS("uploaded")})),
			"decision": gM(item{"outcome": gS("manual"), "by": gS("rules"), "rule_id": gS("r1"), "ruleset_version": gN("2"),
				"reason": gS("big"), "level": gS("admin")}),
			"waiting_for": gS("review"), "task_token": gS("tok"),
			"deadline": ts(48 * time.Hour), "promised_by": ts(24 * time.Hour),
			"created_at": ts(0), "updated_at": ts(time.Minute),
			"return_shipment":  gM(item{"courier": gS("sf"), "tracking_number": gS("SF1"), "at": ts(time.Hour)}),
			"return_condition": gS("defective"),
			"replacement":      gM(item{"courier": gS("yt"), "tracking_number": gS("YT1"), "at": ts(2 * time.Hour)}),
			"refund_seq":       gN("2"), "refund_failed": gN("1"), "refund_manual": gN("1"),
			"dispute": gM(item{"kind": gS("rejection"), "reason": gS("r"), "description": gS("d"),
				"evidence_ids": gL(gS("ev_2"), gS("ev_1")), "opened_at": ts(3 * time.Hour), "answered_at": ts(4 * time.Hour),
				"proposals": gL(gM(item{"id": gS("pr_1"), "by": gS("merchant"), "actor": gS("staff:s"), "amount": gN("7"),
					"note": gS("n"), "at": ts(4 * time.Hour), "status": gS("accepted")})),
				"outcome": gS("agreed")}),
			"charges": gM(item{"shipping_paid_by": gS("merchant"), "postage_cap": gN("2000"), "free_shipping": gN("1"),
				"restocking_fee": gN("90"), "restocking_note": gS("10% of 9.00 CNY (fruit)"), "deducted": gN("90"),
				"postage_paid": gN("3500"), "postage_reimbursed": gN("3500")}),
			"bundle": gS("phone-care"), "components": gL(gS("as_2")),
			"tranches": gL(gM(item{"stage": gS("deposit"), "amount": gN("3")}), gM(item{"stage": gS("compensation"), "amount": gN("3")})),
		}},
		{"case with no field", caseShape.encode(&aftersales.Case{ID: "as_0"}), item{
			"pk": gS("CASE#as_0"), "sk": gS("CASE"), "entity": gS("case"),
			"gsi1pk": gS("BUYER#"), "gsi2pk": gS("STATUS##2"), "gsi3pk": gS("CASES#2"),
			"gsisk": gS("0001-01-01T00:00:00.000000000Z#as_0"),
			"id":    gS("as_0"), "requested": gN("0"), "approved": gN("0"), "refunded": gN("0"), "version": gN("0"), "refund_seq": gN("0"),
		}},
		{"case with empty shipments and an empty decision", caseShape.encode(&aftersales.Case{ID: "as_0",
			Decision: &aftersales.Decision{}, Return: &aftersales.Shipment{}, Replacement: &aftersales.Shipment{},
			Lines: []aftersales.CaseLine{{}}, Evidence: []aftersales.Evidence{{}}}), item{
			"pk": gS("CASE#as_0"), "sk": gS("CASE"), "entity": gS("case"),
			"gsi1pk": gS("BUYER#"), "gsi2pk": gS("STATUS##2"), "gsi3pk": gS("CASES#2"),
			"gsisk": gS("0001-01-01T00:00:00.000000000Z#as_0"),
			"id":    gS("as_0"), "requested": gN("0"), "approved": gN("0"), "refunded": gN("0"), "version": gN("0"), "refund_seq": gN("0"),
			"lines":    gL(gM(item{"quantity": gN("0"), "amount": gN("0")})),
			"evidence": gL(gM(item{"size": gN("0")})),
			"decision": gM(item{"ruleset_version": gN("0")}),
		}},
		{"timeline entry", eventItem("as_1", aftersales.TimelineEntry{Seq: 12, At: at, Actor: "rules", Action: aftersales.ActApprove,
			From: aftersales.StatusSubmitted, To: aftersales.StatusRefunding, Note: "auto"}), item{
			"pk": gS("CASE#as_1"), "sk": gS("EVT#0000000012"), "entity": gS("event"), "case_id": gS("as_1"),
			"seq": gN("12"), "at": ts(0), "actor": gS("rules"), "action": gS("approve"),
			"from_status": gS("submitted"), "to_status": gS("refunding"), "note": gS("auto"),
		}},
		{"thread message", messageShape.encode(&aftersales.Message{CaseID: "as_1", Seq: 3, ID: "msg_3", Author: "buyer:b",
			Party: aftersales.PartyBuyer, Text: "t", EvidenceIDs: []string{"ev_1"}, At: at, PrevHash: "p", Hash: "h"}), item{
			"pk": gS("CASE#as_1"), "sk": gS("MSG#0000000003"), "entity": gS("message"), "case_id": gS("as_1"), "seq": gN("3"),
			"id": gS("msg_3"), "actor": gS("buyer:b"), "party": gS("buyer"), "text": gS("t"), "evidence_ids": gL(gS("ev_1")),
			"at": ts(0), "prev_hash": gS("p"), "hash": gS("h"),
		}},
		{"empty timeline entry", eventItem("as_1", aftersales.TimelineEntry{}), item{
			"pk": gS("CASE#as_1"), "sk": gS("EVT#0000000000"), "entity": gS("event"), "case_id": gS("as_1"), "seq": gN("0"),
		}},
		{"order with every field", orderShape.encode(everyFieldOrder()), item{
			"pk": gS("ORDER#o-1"), "sk": gS("ORDER"), "entity": gS("order"),
			"id": gS("o-1"), "version": gN("3"), "event_id": gS("ev-3"), "buyer_id": gS("b-1"), "buyer_phone": gS("13800000000"), "shop_id": gS("main"), "status": gS("delivered"),
			"paid_at": ts(0), "shipped_at": ts(time.Hour), "delivered_at": ts(2 * time.Hour), "currency": gS("CNY"),
			"payment":     gM(item{"channel": gS("alipay"), "transaction_id": gS("2026-1"), "amount": gN("1800")}),
			"member_tier": gS("gold"), "language": gS("en"), "buyer_openid": gS("oid-1"), "notify_channels": gSS("sms"),
			"lines": gL(
				gM(item{"line_id": gS("l1"), "sku": gS("S1"), "name": gS("n1"), "kind": gS("virtual"), "category": gS("card"),
					"bundle": gS("b1"), "redeemed": gN("1"), "quantity": gN("2"), "unit_price": gN("500"), "paid_amount": gN("1000"), "discount": gN("5")}),
				gM(item{"line_id": gS("l2"), "quantity": gN("1"), "unit_price": gN("0"), "paid_amount": gN("0"), "discount": gN("0")}),
			),
			"fees": gM(item{"shipping": gN("800"), "tariff": gN("3")}),
			"presale": gM(item{"deposit": gM(item{"amount": gN("300"), "channel": gS("wechatpay"), "transaction_id": gS("d-1")}),
				"deposit_paid_at": ts(-time.Hour),
				"balance":         gM(item{"amount": gN("1500"), "channel": gS("alipay"), "transaction_id": gS("b-1")}),
				"balance_paid_at": ts(0)}),
			"updated_at": ts(3 * time.Hour),
		}},
		{"order with no field", orderShape.encode(&aftersales.Order{ID: "o-0"}), item{
			"pk": gS("ORDER#o-0"), "sk": gS("ORDER"), "entity": gS("order"), "id": gS("o-0"), "version": gN("0"),
			"payment": gM(item{"amount": gN("0")}),
			"fees":    gM(item{"shipping": gN("0"), "tariff": gN("0")}),
		}},
		{"idempotency record", idemShape.encode(&aftersales.IdempotencyRecord{Scope: "b#1", Key: "k", RequestHash: "h", CaseID: "as_1",
			StatusCode: 201, Response: []byte("{}"), CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)}), item{
			"pk": gS("IDEM#b%231#k"), "sk": gS("IDEM"), "entity": gS("idem"),
			"scope": gS("b#1"), "idem_key": gS("k"), "request_hash": gS("h"), "case_id": gS("as_1"),
			"status_code": gN("201"), "response": gB([]byte("{}")), "created_at": ts(0),
			"expires": ts(24 * time.Hour), "expires_at": gN(fmt.Sprint(at.Add(24*time.Hour).Unix() + 1)),
		}},
		{"empty idempotency record", idemShape.encode(&aftersales.IdempotencyRecord{}), item{
			"pk": gS("IDEM##"), "sk": gS("IDEM"), "entity": gS("idem"), "status_code": gN("0"),
		}},
		{"upload", uploadShape.encode(&aftersales.Upload{ID: "ev_1", BuyerID: "b", CaseID: "as_1", ObjectKey: "evidence/b/ev_1",
			ContentType: "image/png", Size: 5, CreatedAt: at, ExpiresAt: time.Unix(1800000000, 0)}), item{
			"pk": gS("UPLOAD#ev_1"), "sk": gS("UPLOAD"), "entity": gS("upload"),
			"id": gS("ev_1"), "buyer_id": gS("b"), "case_id": gS("as_1"), "object_key": gS("evidence/b/ev_1"),
			"content_type": gS("image/png"), "size": gN("5"), "created_at": ts(0),
			"expires": gS("2027-01-15T08:00:00.000000000Z"), "expires_at": gN("1800000000"),
		}},
		{"empty upload", uploadShape.encode(&aftersales.Upload{}), item{
			"pk": gS("UPLOAD#"), "sk": gS("UPLOAD"), "entity": gS("upload"), "size": gN("0"),
		}},
		{"refund with every field", refundShape.encode(fullRefund()), item{
			"pk": gS("CASE#as_1"), "sk": gS("REFUND#as_1-2"), "entity": gS("refund"),
			"gsi1pk": gS("REFUNDS_BY_ORDER#o-1"), "gsi2pk": gS("REFUNDS_BY_PHONE#13800000000"), "gsi3pk": gS("REFUNDS#6"),
			"gsisk":         gS("2026-11-11T08:30:00.123456789Z#as_1-2"),
			"out_refund_no": gS("as_1-2"), "case_id": gS("as_1"), "seq": gN("2"), "order_id": gS("o-1"), "buyer_id": gS("b-1"),
			"buyer_phone": gS("13800000000"), "amount": gN("1001"), "currency": gS("CNY"),
			"shares":  gM(item{"l1": gN("1000"), "l#2": gN("1")}),
			"channel": gS("wechatpay"), "destination": gS("original"), "transaction_id": gS("4200-1"), "order_total": gN("1801"),
			"reason": gS("破损"), "status": gS("succeeded"), "provider_refund_id": gS("5030"), "account": gS("支付用户零钱"),
			"queries": gN("4"), "approved_by": gS("staff:s1"), "approved_at": ts(-time.Minute),
			"created_at": ts(0), "updated_at": ts(time.Hour), "arrived_at": ts(time.Hour - 1),
			"paid_by": gS("staff:f1"), "sandbox": gN("1"),
		}},
		{"refund with no field", refundShape.encode(&aftersales.Refund{OutRefundNo: "as_0-1"}), item{
			"pk": gS("CASE#"), "sk": gS("REFUND#as_0-1"), "entity": gS("refund"),
			"gsi3pk": gS("REFUNDS#4"), "gsisk": gS("0001-01-01T00:00:00.000000000Z#as_0-1"),
			"out_refund_no": gS("as_0-1"), "seq": gN("0"), "amount": gN("0"), "order_total": gN("0"), "queries": gN("0"),
		}},
		{"notification receipt", hookItem("a#b", "c", at), item{
			"pk": gS("HOOK#a%23b#c"), "sk": gS("HOOK"), "entity": gS("hook"),
			"provider": gS("a#b"), "notification_id": gS("c"), "at": ts(0),
			"expires": ts(aftersales.NotificationTTL), "expires_at": gN(fmt.Sprint(at.Add(aftersales.NotificationTTL).Unix() + 1)),
		}},
		{"inbox item", inboxShape.encode(&aftersales.InboxItem{ID: "nt_1", Recipient: "buyer:b-1", CaseID: "as_1", EventID: "as_1#2",
			Kind: "status_changed", Title: "t", Body: "b", Language: "zh-CN", CreatedAt: at, ReadAt: at.Add(time.Hour)}), item{
			"pk": gS("INBOX#buyer:b-1"), "sk": gS("NOTE#nt_1"), "entity": gS("inbox_item"),
			"gsi1pk": gS("INBOX#buyer:b-1"), "gsisk": gS("2026-11-11T08:30:00.123456789Z#nt_1"),
			"id": gS("nt_1"), "recipient": gS("buyer:b-1"), "case_id": gS("as_1"), "event_id": gS("as_1#2"),
			"kind": gS("status_changed"), "title": gS("t"), "body": gS("b"), "language": gS("zh-CN"),
			"created_at": ts(0), "read_at": ts(time.Hour),
		}},
		{"send claim", deliveryShape.encode(&aftersales.Delivery{EventID: "as_1#2", Channel: aftersales.ChannelWeChat,
			Status: aftersales.DeliveryClaimed, At: at, Until: at.Add(time.Minute)}), item{
			"pk": gS("SEND#as_1#2#wechat"), "sk": gS("SEND"), "entity": gS("delivery"),
			"event_id": gS("as_1#2"), "channel": gS("wechat"), "status": gS("claimed"), "at": ts(0),
			"expires": ts(time.Minute), "expires_at": gN(fmt.Sprint(at.Add(30 * 24 * time.Hour).Unix())),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { sameItem(t, tc.got, tc.want) })
	}
}

// TestGoldenStoredItems pins the items that operations build inline (rule
// sets, review jobs and their results, order line items) as minidyn stores
// them, read back raw.
func TestGoldenStoredItems(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	raw := func(pk, sk string) item {
		t.Helper()
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.table, Key: s.key(pk, sk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	rs := &aftersales.RuleSet{Version: 7, Rules: []aftersales.Rule{{ID: "all", Then: aftersales.Outcome{Decision: aftersales.OutcomeManual,
		Level: aftersales.RoleReviewer}}}, AdminApprovalAbove: 100, UpdatedAt: at, UpdatedBy: "staff:boss"}
	doc, err := ruleset.Encode(rs)
	must(err)
	must(s.PutRuleSet(ctx, rs))
	must(s.CreateReviewJob(ctx, &aftersales.ReviewJob{ID: "j1", Decision: "reject", Reason: "late",
		By: aftersales.Principal{ID: "s1", Roles: []aftersales.Role{aftersales.RoleReviewer, aftersales.RoleAdmin}}, Total: 3, CreatedAt: at}))
	must(s.CreateReviewJob(ctx, &aftersales.ReviewJob{ID: "j0"}))
	must(s.CreateReviewJob(ctx, &aftersales.ReviewJob{ID: "j2", Decision: "approve", Total: 4, Failed: 2,
		Failures: []aftersales.ReviewFailure{{CaseID: "as_x", Error: "NotFound: no such case"}, {CaseID: "as_y", Error: "NotFound: no such case"}}}))
	_, err = s.RecordReviewResult(ctx, "j1", "as_1", "")
	must(err)
	_, err = s.RecordReviewResult(ctx, "j1", "as_2", "conflict")
	must(err)
	must(s.PutOrder(ctx, &aftersales.Order{ID: "o-1", Version: 4, EventID: "ev-4", Lines: []aftersales.OrderLine{{LineID: "l1", Quantity: 2, PaidAmount: 900}}}))

	tests := []struct {
		name string
		got  item
		want item
	}{
		{"rule set", raw("RULESET", "V#0000000007"), item{
			"pk": gS("RULESET"), "sk": gS("V#0000000007"), "entity": gS("ruleset"),
			"document": gB(doc), "version": gN("7"), "updated_at": gS("2026-11-11T08:30:00.123456789Z"), "updated_by": gS("staff:boss"),
		}},
		{"review job", raw("JOB#j1", "JOB"), item{
			"pk": gS("JOB#j1"), "sk": gS("JOB"), "entity": gS("review_job"),
			"id": gS("j1"), "decision_kind": gS("reject"), "reason": gS("late"), "by_id": gS("s1"), "by_roles": gSS("reviewer", "admin"),
			"total": gN("3"), "succeeded": gN("1"), "failed": gN("1"), "created_at": gS("2026-11-11T08:30:00.123456789Z"),
		}},
		{"empty review job", raw("JOB#j0", "JOB"), item{
			"pk": gS("JOB#j0"), "sk": gS("JOB"), "entity": gS("review_job"), "id": gS("j0"),
			"total": gN("0"), "succeeded": gN("0"), "failed": gN("0"),
		}},
		{"review job with failures known at its start", raw("JOB#j2", "JOB"), item{
			"pk": gS("JOB#j2"), "sk": gS("JOB"), "entity": gS("review_job"), "id": gS("j2"), "decision_kind": gS("approve"),
			"total": gN("4"), "succeeded": gN("0"), "failed": gN("2"),
			"known_failures": gL(
				gM(item{"case_id": gS("as_x"), "failure": gS("NotFound: no such case")}),
				gM(item{"case_id": gS("as_y"), "failure": gS("NotFound: no such case")})),
		}},
		{"review result", raw("JOB#j1", "ITEM#as_1"), item{
			"pk": gS("JOB#j1"), "sk": gS("ITEM#as_1"), "entity": gS("review_item"), "case_id": gS("as_1"),
		}},
		{"failed review result", raw("JOB#j1", "ITEM#as_2"), item{
			"pk": gS("JOB#j1"), "sk": gS("ITEM#as_2"), "entity": gS("review_item"), "case_id": gS("as_2"), "failure": gS("conflict"),
		}},
		{"order line", raw("ORDER#o-1", "LINE#l1"), item{
			"pk": gS("ORDER#o-1"), "sk": gS("LINE#l1"), "entity": gS("line"),
			"order_id": gS("o-1"), "line_id": gS("l1"), "paid_amount": gN("900"), "quantity": gN("2"), "refunded": gN("0"),
			"order_version": gN("4"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { sameItem(t, tc.got, tc.want) })
	}
}
