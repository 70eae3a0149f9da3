package aftersales_test

import (
	"strings"
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
)

func TestInboxItemID(t *testing.T) {
	buyer := aftersales.BuyerRecipient("b1")
	tests := []struct {
		name       string
		a, b       string // two (recipient, event) ids
		same, less bool   // a == b; a sorts before b
	}{
		{"the same event: the same id", aftersales.InboxItemID(buyer, "as_1#2"), aftersales.InboxItemID(buyer, "as_1#2"), true, false},
		{"a later change of one case sorts after", aftersales.InboxItemID(buyer, "as_1#2"), aftersales.InboxItemID(buyer, "as_1#10"), false, true},
		{"staff and buyer differ", aftersales.InboxItemID(buyer, "as_1#2"), aftersales.InboxItemID(aftersales.RecipientStaff, "as_1#2"), false, false},
		{"another case differs", aftersales.InboxItemID(buyer, "as_1#2"), aftersales.InboxItemID(buyer, "as_2#2"), false, false},
		{"an event that is not a case change is hashed", aftersales.InboxItemID(buyer, "reminder-as_1"), aftersales.InboxItemID(buyer, "reminder-as_2"), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.a == tc.b) != tc.same || (tc.less && tc.a >= tc.b) || !strings.HasPrefix(tc.a, "nt_") {
				t.Fatalf("%s vs %s", tc.a, tc.b)
			}
		})
	}
}
