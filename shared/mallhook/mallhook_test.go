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
