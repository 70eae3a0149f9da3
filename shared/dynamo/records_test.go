package dynamo

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var at = time.Date(2026, 11, 11, 8, 30, 0, 123456789, time.UTC)

func fullCase() *aftersales.Case {
	return &aftersales.Case{
		ID: "as_1", OrderID: "o-1", BuyerID: "b-1", ShopID: "main", Type: aftersales.ReturnRefund,
		Reason: "damaged", Description: "破损",
		Lines: []aftersales.CaseLine{
			{LineID: "l1", SKU: "S1", Name: "n1", Kind: aftersales.KindProduce, Category: "fruit", Quantity: 2, Amount: 1000},
			{LineID: "l2", SKU: "S2", Name: "n2", Kind: aftersales.KindPhysical, Category: "box", Quantity: 1, Amount: 1},
			{LineID: "l3", SKU: "S3", Name: "n3", Kind: aftersales.KindProduce, Category: "fruit", Quantity: 1, Amount: 0},
		},
		Currency: "CNY", Requested: 1001, Approved: 900, Refunded: 0, RefundTo: aftersales.RefundOriginal,
		Status: aftersales.StatusPendingReview, Version: 3,
		Evidence:   []aftersales.Evidence{{ID: "ev_1", ContentType: "image/png", Size: 10, Status: "uploaded"}},
		Decision:   &aftersales.Decision{Outcome: "manual", By: "rules", RuleID: "r1", RuleSetVersion: 2},
		WaitingFor: "review", TaskToken: "tok", Deadline: at.Add(48 * time.Hour),
		RefundSeq: 2, RefundFailed: true,
		CreatedAt: at, UpdatedAt: at.Add(time.Minute),
	}
}

func fullRefund() *aftersales.Refund {
	return &aftersales.Refund{
		OutRefundNo: "as_1-2", CaseID: "as_1", Seq: 2, OrderID: "o-1", BuyerID: "b-1", BuyerPhone: "13800000000",
		Amount: aftersales.Money{Amount: 1001, Currency: "CNY"}, Shares: map[string]int64{"l1": 1000, "l#2": 1},
		Channel: aftersales.ChannelWeChatPay, Destination: aftersales.RefundOriginal,
		TransactionID: "4200-1", OrderTotal: 1801, Reason: "破损",
		Status: aftersales.RefundSucceeded, ProviderRefundID: "5030", Account: "支付用户零钱", Queries: 4,
		ApprovedBy: "staff:s1", ApprovedAt: at.Add(-time.Minute),
		CreatedAt: at, UpdatedAt: at.Add(time.Hour), ArrivedAt: at.Add(time.Hour - 1),
		PaidBy: "staff:f1", Sandbox: true,
	}
}

// roundTrip encodes v and decodes the item, returning what came back and
// what should have.
func roundTrip[T any](s shape[T], v *T) (got, want any, err error) {
	back, err := decode(s, s.encode(v))
	return &back, v, err
}

// TestRecordsRoundTrip: every record converts to an item and back to the
// same value, zero values included.
func TestRecordsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		trip func() (got, want any, err error)
	}{
		{"full case", func() (any, any, error) { return roundTrip(caseShape, fullCase()) }},
		{"case with every field", func() (any, any, error) {
			c := everyFieldCase()
			c.Timeline = nil // entries are items of their own
			return roundTrip(caseShape, c)
		}},
		{"empty case", func() (any, any, error) { return roundTrip(caseShape, &aftersales.Case{ID: "as_0"}) }},
		{"timeline entry", func() (any, any, error) {
			return roundTrip(eventShape, &event{caseID: "as_1", TimelineEntry: aftersales.TimelineEntry{Seq: 12, At: at, Actor: "rules",
				Action: aftersales.ActApprove, From: aftersales.StatusSubmitted, To: aftersales.StatusRefunding, Note: "auto"}})
		}},
		{"order with every field", func() (any, any, error) {
			o := everyFieldOrder()
			o.Lines[0].Refunded, o.Lines[0].ActiveCaseID = 0, "" // the ledger lives on the line items
			return roundTrip(orderShape, o)
		}},
		{"empty order", func() (any, any, error) { return roundTrip(orderShape, &aftersales.Order{ID: "o-0"}) }},
		{"line ledger", func() (any, any, error) {
			return roundTrip(lineShape, &lineLedger{lineID: "l1", paid: 900, refunded: 300, activeCase: "as_1"})
		}},
		{"idempotency record", func() (any, any, error) {
			return roundTrip(idemShape, &aftersales.IdempotencyRecord{Scope: "b#1", Key: "k", RequestHash: "h", CaseID: "as_1",
				StatusCode: 201, Response: []byte("{}"), CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)})
		}},
		{"full refund", func() (any, any, error) { return roundTrip(refundShape, fullRefund()) }},
		{"empty refund", func() (any, any, error) { return roundTrip(refundShape, &aftersales.Refund{OutRefundNo: "as_0-1"}) }},
		{"upload", func() (any, any, error) {
			return roundTrip(uploadShape, &aftersales.Upload{ID: "ev_1", BuyerID: "b", CaseID: "as_1", ObjectKey: "evidence/b/ev_1",
				ContentType: "image/png", Size: 5, CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
		}},
		{"notification receipt", func() (any, any, error) {
			return roundTrip(receiptShape, &receipt{provider: "a#b", id: "c", at: at, expires: at.Add(aftersales.NotificationTTL)})
		}},
		{"rule set version", func() (any, any, error) {
			return roundTrip(ruleSetShape, &ruleSetVersion{document: []byte(`{"rules":[]}`),
				RuleSetStamp: aftersales.RuleSetStamp{Version: 3, UpdatedAt: at, UpdatedBy: "staff:boss"}})
		}},
		{"review job", func() (any, any, error) {
			return roundTrip(reviewJobShape, &aftersales.ReviewJob{ID: "j1", Decision: "reject", Reason: "late",
				By:    aftersales.Principal{ID: "s1", Roles: []aftersales.Role{aftersales.RoleReviewer, aftersales.RoleAdmin}},
				Total: 3, Succeeded: 1, Failed: 2, CreatedAt: at})
		}},
		{"empty review job", func() (any, any, error) { return roundTrip(reviewJobShape, &aftersales.ReviewJob{ID: "j0"}) }},
		{"review result", func() (any, any, error) {
			return roundTrip(reviewResultShape, &reviewResult{ReviewFailure: aftersales.ReviewFailure{CaseID: "as_1", Error: "conflict"}})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, want, err := tc.trip()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestCaseItemKeys: the case item carries the keys of every list index, and
// the kinds of its lines once each for the kind filter.
func TestCaseItemKeys(t *testing.T) {
	c := fullCase()
	it := caseShape.encode(c)
	shard := shardOf(c.ID)
	want := map[string]string{
		AttrPK:     "CASE#as_1",
		AttrSK:     "CASE",
		AttrGSI1PK: "BUYER#b-1",
		AttrGSI2PK: "STATUS#pending_review#" + string(rune('0'+shard)),
		AttrGSI3PK: "CASES#" + string(rune('0'+shard)),
		AttrGSISK:  "2026-11-11T08:30:00.123456789Z#as_1",
	}
	for attr, v := range want {
		s, ok := it[attr].(*types.AttributeValueMemberS)
		if !ok || s.Value != v {
			t.Errorf("%s = %v, want %q", attr, it[attr], v)
		}
	}
	kinds, ok := it[attrLineKinds].(*types.AttributeValueMemberSS)
	if !ok || !reflect.DeepEqual(kinds.Value, []string{"produce", "physical"}) {
		t.Errorf("line kinds = %v, want [produce physical]", it[attrLineKinds])
	}
	if _, ok := caseShape.encode(&aftersales.Case{ID: "x"})[attrLineKinds]; ok {
		t.Error("a case without lines has a line kinds set; DynamoDB rejects empty sets")
	}
}

// TestRefundItemKeys: a refund item lives in its case's partition and
// carries the ledger list keys under refund-only partitions; an order id or
// phone it lacks leaves that index key out rather than writing an empty one.
func TestRefundItemKeys(t *testing.T) {
	shard := string(rune('0' + shardOf("as_1-2")))
	tests := []struct {
		name string
		r    *aftersales.Refund
		want map[string]string // "" = absent
	}{
		{"every list", fullRefund(), map[string]string{
			AttrPK:     "CASE#as_1",
			AttrSK:     "REFUND#as_1-2",
			attrEntity: "refund",
			AttrGSI1PK: "REFUNDS_BY_ORDER#o-1",
			AttrGSI2PK: "REFUNDS_BY_PHONE#13800000000",
			AttrGSI3PK: "REFUNDS#" + shard,
			AttrGSISK:  "2026-11-11T08:30:00.123456789Z#as_1-2",
		}},
		{"no phone", func() *aftersales.Refund { r := fullRefund(); r.BuyerPhone = ""; return r }(), map[string]string{
			AttrGSI1PK: "REFUNDS_BY_ORDER#o-1",
			AttrGSI2PK: "",
			AttrGSI3PK: "REFUNDS#" + shard,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := refundShape.encode(tc.r)
			for attr, v := range tc.want {
				got, ok := it[attr].(*types.AttributeValueMemberS)
				switch {
				case v == "" && it[attr] != nil:
					t.Errorf("%s = %v, want it left out", attr, it[attr])
				case v != "" && (!ok || got.Value != v):
					t.Errorf("%s = %v, want %q", attr, it[attr], v)
				}
			}
		})
	}
	if refundSK("x") <= evtEnd {
		t.Error("refund keys sort inside the timeline range: GetCase would read refunds as events")
	}
}

// TestHookItem: a notification receipt is keyed by provider and id, the
// provider escaped, and expires NotificationTTL after it was taken.
func TestHookItem(t *testing.T) {
	it := hookItem("a#b", "c", at)
	if pk := it[AttrPK].(*types.AttributeValueMemberS).Value; pk != "HOOK#a%23b#c" || pk == hookPK("a", "b#c") {
		t.Errorf("pk %q: provider and id are not kept apart", pk)
	}
	r := reader{it: it}
	if got := r.time(attrExpires); !got.Equal(at.Add(aftersales.NotificationTTL)) {
		t.Errorf("expires %v, want %v", got, at.Add(aftersales.NotificationTTL))
	}
	if _, ok := it[AttrTTL].(*types.AttributeValueMemberN); !ok {
		t.Errorf("no TTL attribute: receipts would never be deleted")
	}
}

// TestExpiryTTL: the TTL attribute never comes before the exact expiry, so
// DynamoDB never deletes a live record.
func TestExpiryTTL(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"whole second", time.Unix(1800000000, 0), "1800000000"},
		{"a nanosecond past", time.Unix(1800000000, 1), "1800000001"},
		{"just before the next", time.Unix(1800000000, 999999999), "1800000001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := uploadShape.encode(&aftersales.Upload{ID: "ev", ExpiresAt: tc.at})
			if n, ok := it[AttrTTL].(*types.AttributeValueMemberN); !ok || n.Value != tc.want {
				t.Fatalf("%s = %v, want %s", AttrTTL, it[AttrTTL], tc.want)
			}
		})
	}
}

// TestMalformedItems: an item whose attributes have the wrong type is an
// error, not a silently zero field.
func TestMalformedItems(t *testing.T) {
	withAttr := func(it item, name string, v types.AttributeValue) item {
		it[name] = v
		return it
	}
	tests := []struct {
		name string
		err  func() error
		attr string
	}{
		{"version as a string", func() error {
			_, err := decode(caseShape, withAttr(caseShape.encode(fullCase()), attrVersion, avS("3")))
			return err
		}, attrVersion},
		{"status as a number", func() error {
			_, err := decode(caseShape, withAttr(caseShape.encode(fullCase()), attrStatus, avN(1)))
			return err
		}, attrStatus},
		{"a line that is not a map", func() error {
			_, err := decode(caseShape, withAttr(caseShape.encode(fullCase()), attrLines, &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("l1")}}))
			return err
		}, attrLines},
		{"a nested amount as a string", func() error {
			bad := &types.AttributeValueMemberM{Value: item{attrLineID: avS("l1"), attrAmount: avS("x")}}
			_, err := decode(caseShape, withAttr(caseShape.encode(fullCase()), attrLines, &types.AttributeValueMemberL{Value: []types.AttributeValue{bad}}))
			return err
		}, attrAmount},
		{"a time in another layout", func() error {
			_, err := decode(caseShape, withAttr(caseShape.encode(fullCase()), attrCreatedAt, avS("2026-11-11T08:30:00Z")))
			return err
		}, attrCreatedAt},
		{"a decision that is not a map", func() error {
			_, err := decode(caseShape, withAttr(caseShape.encode(fullCase()), attrDecision, avS("manual")))
			return err
		}, attrDecision},
		{"roles that are not a string set", func() error {
			_, err := decode(reviewJobShape, withAttr(reviewJobShape.encode(&aftersales.ReviewJob{ID: "j"}), attrByRoles,
				&types.AttributeValueMemberL{Value: []types.AttributeValue{avS("admin")}}))
			return err
		}, attrByRoles},
		{"a share as a string", func() error {
			_, err := decode(refundShape, withAttr(refundShape.encode(fullRefund()), attrShares, &types.AttributeValueMemberM{Value: item{"l1": avS("1")}}))
			return err
		}, "l1"},
		{"an expiry in another layout", func() error {
			_, err := decode(idemShape, withAttr(idemShape.encode(&aftersales.IdempotencyRecord{}), attrExpires, avS("2026-11-11")))
			return err
		}, attrExpires},
		{"a fractional number", func() error {
			_, err := decode(orderShape, withAttr(orderShape.encode(&aftersales.Order{ID: "o"}), attrFees,
				&types.AttributeValueMemberM{Value: item{attrShipping: &types.AttributeValueMemberN{Value: "1.5"}}}))
			return err
		}, attrShipping},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil || !strings.Contains(err.Error(), tc.attr) {
				t.Fatalf("got %v, want an error naming %q", err, tc.attr)
			}
		})
	}
}

// TestShardOf: shards are stable, in range, and all used.
func TestShardOf(t *testing.T) {
	seen := map[int]int{}
	for i := range 1000 {
		id := "as_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('0'+i%10)) + string(rune('A'+i/26%26))
		s := shardOf(id)
		if s < 0 || s >= StatusShards {
			t.Fatalf("shard %d of %s out of range", s, id)
		}
		if s != shardOf(id) {
			t.Fatalf("shard of %s changed", id)
		}
		seen[s]++
	}
	for s := range StatusShards {
		if seen[s] < 1000/StatusShards/2 {
			t.Errorf("shard %d got %d of 1000 ids: the hash does not spread", s, seen[s])
		}
	}
}

// TestCursor: a cursor names a list key; anything else is refused.
func TestCursor(t *testing.T) {
	key := "2026-11-11T08:30:00.123456789Z#as_1"
	got, err := aftersales.DecodeCursor("op", aftersales.EncodeCursor(key))
	if err != nil || got != key {
		t.Fatalf("round trip: got %q, %v", got, err)
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, c := range map[string]string{
		"empty JSON":     b64(`{}`),
		"wrong field":    b64(`{"last":"` + key + `"}`),
		"truncated":      aftersales.EncodeCursor(key)[:20],
		"no separator":   b64(`{"after":"2026-11-11T08:30:00.123456789Zas_1"}`),
		"not a time":     b64(`{"after":"2026-13-11T08:30:00.123456789Z#as_1"}`),
		"standard b64":   base64.StdEncoding.EncodeToString([]byte(`{"after":"` + key + `"}`)),
		"trailing bytes": aftersales.EncodeCursor(key) + "!",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := aftersales.DecodeCursor("op", c)
			if aftersales.KindOf(err) != aftersales.KindInvalid || len(aftersales.FieldsOf(err)) != 1 || aftersales.FieldsOf(err)[0].Field != "cursor" {
				t.Fatalf("got %v, want KindInvalid naming cursor", err)
			}
		})
	}
}
