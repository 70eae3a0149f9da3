package ruleset

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// FuzzDecode reads any bytes as a merchant's rule set (the body of PUT
// /v1/staff/ruleset). A refusal is KindInvalid, never a panic or another
// kind; an accepted set is valid and survives Encode and Decode unchanged,
// so what a merchant downloads is exactly the policy in force.
func FuzzDecode(f *testing.F) {
	for _, rs := range []*aftersales.RuleSet{aftersales.DefaultRuleSet(), fullRuleSet()} {
		b, err := Encode(rs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"rules":[{"id":"r","when":{"amount_above":-1}}],"deadlines":{"seller_review":"-5h"}}`))
	f.Add([]byte(`{"admin_approval_above":9223372036854775807,"rules":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := Decode(b)
		if err != nil {
			if k := aftersales.KindOf(err); k != aftersales.KindInvalid {
				t.Fatalf("refusal of kind %v, want Invalid: %v", k, err)
			}
			return
		}
		if err := rs.Validate(); err != nil {
			t.Fatalf("Decode accepted an invalid set: %v", err)
		}
		enc, err := Encode(rs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(rs)) refused what Decode accepted: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(again, rs) {
			t.Errorf("round trip changed the set:\n got %+v\nwant %+v", again, rs)
		}
		if enc2, _ := Encode(again); !bytes.Equal(enc, enc2) {
			t.Errorf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}
