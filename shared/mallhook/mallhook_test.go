package mallhook

import (
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

func TestVerify(t *testing.T) {
	now := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"order_id":"o-1"}`)
	ts, sig := Sign("secret", now, body)
	tests := []struct {
		name           string
		secret, ts, sg string
		body           []byte
		at             time.Time
		ok             bool
	}{
		{"valid", "secret", ts, sig, body, now, true},
		{"4 minutes late is fine", "secret", ts, sig, body, now.Add(4 * time.Minute), true},
		{"6 minutes late", "secret", ts, sig, body, now.Add(6 * time.Minute), false},
		{"6 minutes early", "secret", ts, sig, body, now.Add(-6 * time.Minute), false},
		{"other secret", "other", ts, sig, body, now, false},
		{"body changed", "secret", ts, sig, []byte(`{"order_id":"o-2"}`), now, false},
		{"timestamp changed", "secret", "1700000001", sig, body, time.Unix(1700000001, 0), false},
		{"signature not hex", "secret", ts, "zz", body, now, false},
		{"timestamp not a number", "secret", "yesterday", sig, body, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.ts, tt.sg, tt.body, tt.at)
			if tt.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && aftersales.KindOf(err) != aftersales.KindUnauthenticated {
				t.Errorf("kind = %v, want Unauthenticated", aftersales.KindOf(err))
			}
		})
	}
}

func TestDecodeOrderNamesFields(t *testing.T) {
	_, err := DecodeOrder([]byte(`{"order_id":"o-1","version":1,"event_id":"ev-1","buyer_id":"b","status":"paid","currency":"CNY",
		"payment":{"channel":"wechatpay","transaction_id":"1","amount":100},
		"lines":[{"line_id":"l1","sku":"s","name":"n","kind":"spaceship","quantity":1,"unit_price":100,"paid_amount":100}],"fees":{}}`))
	fields := aftersales.FieldsOf(err)
	if len(fields) != 1 || fields[0].Field != "lines[0].kind" {
		t.Fatalf("fields = %+v, want lines[0].kind", fields)
	}
	if _, err := DecodeOrder([]byte(`{"order_id":"o-1","surprise":1}`)); aftersales.KindOf(err) != aftersales.KindInvalid {
		t.Errorf("unknown field: %v", err)
	}
}

// TestDecodeOrderShipment: the optional outbound shipment (F30) is read,
// its courier normalised, written back by FromOrder, and refused without
// its number.
func TestDecodeOrderShipment(t *testing.T) {
	const head = `{"order_id":"o-1","version":1,"event_id":"ev-1","buyer_id":"b","status":"shipped","currency":"CNY",
		"payment":{"channel":"wechatpay","transaction_id":"1","amount":100},
		"lines":[{"line_id":"l1","sku":"s","name":"n","kind":"physical","quantity":1,"unit_price":100,"paid_amount":100}],"fees":{}`
	tests := []struct {
		name      string
		shipment  string
		want      *aftersales.Shipment
		wantField string
	}{
		{"absent", ``, nil, ""},
		{"normalised courier", `,"shipment":{"courier":"zto","tracking_number":"ZT75310000001"}`,
			&aftersales.Shipment{Courier: "zhongtong", TrackingNumber: "ZT75310000001"}, ""},
		{"no number", `,"shipment":{"courier":"zhongtong","tracking_number":""}`, nil, "shipment.tracking_number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := DecodeOrder([]byte(head + tt.shipment + `}`))
			if tt.wantField != "" {
				if f := aftersales.FieldsOf(err); len(f) != 1 || f[0].Field != tt.wantField {
					t.Fatalf("fields = %+v, want %s", f, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (o.Outbound == nil) != (tt.want == nil) || (o.Outbound != nil && *o.Outbound != *tt.want) {
				t.Fatalf("Outbound = %+v, want %+v", o.Outbound, tt.want)
			}
			back := FromOrder(o)
			if (back.Shipment == nil) != (tt.want == nil) || (back.Shipment != nil && back.Shipment.TrackingNumber != tt.want.TrackingNumber) {
				t.Errorf("FromOrder shipment = %+v", back.Shipment)
			}
		})
	}
}
