package schemas_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/events/schemas"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/eventbus"
)

// examples are events of every type as the code raises them.
var at = time.Date(2026, 11, 11, 0, 30, 0, 123456789, time.UTC)

func examples() map[string]aftersales.DomainEvent {
	ev := func(typ string, data map[string]any) aftersales.DomainEvent {
		return aftersales.DomainEvent{ID: "as_1:5:" + typ, Type: typ, At: at, CaseID: "as_1", OrderID: "o-1", BuyerID: "b-1", Detail: data}
	}
	return map[string]aftersales.DomainEvent{
		aftersales.EventBalanceCredited: ev(aftersales.EventBalanceCredited, map[string]any{"out_refund_no": "as_1-1", "amount": 9900, "currency": "CNY"}),
		aftersales.EventRefundFailed:    ev(aftersales.EventRefundFailed, map[string]any{"out_refund_no": "as_1-1", "amount": 9900, "currency": "CNY", "note": "closed"}),
		aftersales.EventRefundManual: ev(aftersales.EventRefundManual, map[string]any{"out_refund_no": "as_1-1", "amount": 9900, "currency": "CNY",
			"channel": "bankcard", "note": "finance pays it"}),
		aftersales.EventRestock: ev(aftersales.EventRestock, map[string]any{"sku": "MUG-1", "line_id": "l1", "quantity": 2, "case_id": "as_1"}),
		aftersales.EventDefective: ev(aftersales.EventDefective, map[string]any{"sku": "MUG-1", "line_id": "l1", "quantity": 1, "case_id": "as_1",
			"note": "defective cracked"}),
		aftersales.EventCouponGrant: ev(aftersales.EventCouponGrant, map[string]any{"rule_id": "retain", "coupon": "RETAIN-10", "amount": 1000,
			"currency": "CNY", "ruleset_version": 3}),
		aftersales.EventFollowUp: ev(aftersales.EventFollowUp, map[string]any{"reason": "first case of a high-value buyer", "member_tier": "diamond",
			"order_amount": 259900, "currency": "CNY", "case_type": "return_refund", "requested": 259900}),
		aftersales.EventPointsCompensation: ev(aftersales.EventPointsCompensation, map[string]any{"member_tier": "diamond", "points": 20,
			"promised_by": at.Format(time.RFC3339Nano), "review_deadline": at.Add(48 * time.Hour).Format(time.RFC3339Nano)}),
	}
}

func body(t *testing.T, e aftersales.DomainEvent) []byte {
	t.Helper()
	b, err := json.Marshal(eventbus.DetailOf(e))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEveryTypeHasASchema: the types the code knows and the schema files
// are the same set.
func TestEveryTypeHasASchema(t *testing.T) {
	var known []string
	for typ := range aftersales.EventVersions {
		known = append(known, typ)
	}
	slices.Sort(known)
	if got := schemas.Types(); !slices.Equal(got, known) {
		t.Fatalf("schemas %v, event types %v", got, known)
	}
}

// TestSchemas: every example validates as the bus carries it; each way of
// breaking the contract is refused.
func TestSchemas(t *testing.T) {
	for typ, e := range examples() {
		t.Run(typ+"/valid", func(t *testing.T) {
			if err := schemas.Validate(body(t, e)); err != nil {
				t.Fatal(err)
			}
		})
	}
	breaks := []struct {
		name   string
		typ    string
		mutate func(d map[string]any)
		want   string
	}{
		{"no id", aftersales.EventRestock, func(d map[string]any) { delete(d, "id") }, "id"},
		{"another version", aftersales.EventRestock, func(d map[string]any) { d["version"] = 2 }, "version"},
		{"a time that is not one", aftersales.EventCouponGrant, func(d map[string]any) { d["at"] = "yesterday" }, "at"},
		{"a field the schema lacks", aftersales.EventDefective, func(d map[string]any) { d["data"].(map[string]any)["colour"] = "red" }, "colour"},
		{"no quantity", aftersales.EventRestock, func(d map[string]any) { delete(d["data"].(map[string]any), "quantity") }, "quantity"},
		{"no points", aftersales.EventPointsCompensation, func(d map[string]any) { d["data"].(map[string]any)["points"] = 0 }, "points"},
		{"an amount in yuan", aftersales.EventBalanceCredited, func(d map[string]any) { d["data"].(map[string]any)["amount"] = 99.5 }, "amount"},
		{"a type under another's schema", aftersales.EventRestock, func(d map[string]any) { d["type"] = "inventory.unknown" }, "no schema"},
	}
	for _, tc := range breaks {
		t.Run(tc.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(body(t, examples()[tc.typ]), &d); err != nil {
				t.Fatal(err)
			}
			tc.mutate(d)
			b, _ := json.Marshal(d)
			err := schemas.Validate(b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
