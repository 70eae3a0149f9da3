package aftersales

import (
	"slices"
	"strings"
	"testing"
)

func TestProRata(t *testing.T) {
	tests := []struct {
		name        string
		total       int64
		part, whole int
		want        int64
	}{
		{"one of two", 19800, 1, 2, 9900},
		{"all units take the remainder", 10000, 3, 3, 10000},
		{"rounds down", 10000, 1, 3, 3333},
		{"two of three", 10000, 2, 3, 6666},
		{"nothing", 10000, 0, 3, 0},
		{"no units", 10000, 1, 0, 0},
		{"more than whole", 10000, 5, 3, 10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ProRata(tt.total, tt.part, tt.whole); got != tt.want {
				t.Errorf("ProRata(%d, %d, %d) = %d, want %d", tt.total, tt.part, tt.whole, got, tt.want)
			}
		})
	}
}

func TestRefundable(t *testing.T) {
	tests := []struct {
		name string
		line OrderLine
		qty  int
		want int64
	}{
		{"untouched line", OrderLine{Quantity: 2, PaidAmount: 19800}, 1, 9900},
		{"whole line", OrderLine{Quantity: 2, PaidAmount: 19800}, 2, 19800},
		{"capped by earlier refunds", OrderLine{Quantity: 2, PaidAmount: 19800, Refunded: 15000}, 2, 4800},
		{"fully refunded", OrderLine{Quantity: 2, PaidAmount: 19800, Refunded: 19800}, 1, 0},
		{"held by an active case", OrderLine{Quantity: 2, PaidAmount: 19800, ActiveCaseID: "as_1"}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.line.Refundable(tt.qty); got != tt.want {
				t.Errorf("Refundable(%d) = %d, want %d", tt.qty, got, tt.want)
			}
		})
	}
}

func validOrder() *Order {
	return &Order{ID: "o-1", Version: 1, EventID: "ev-1", BuyerID: "b-1", Status: OrderPaid, Currency: CNY,
		Payment: Payment{Channel: ChannelWeChatPay, TransactionID: "42", Amount: 19800},
		Lines:   []OrderLine{{LineID: "l1", Kind: KindPhysical, Quantity: 2, UnitPrice: 9900, PaidAmount: 19800}}}
}

func TestOrderValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Order)
		fields []string
	}{
		{"valid", func(*Order) {}, nil},
		{"no id", func(o *Order) { o.ID = "" }, []string{"order_id"}},
		{"no buyer", func(o *Order) { o.BuyerID = "" }, []string{"buyer_id"}},
		{"no version", func(o *Order) { o.Version = 0 }, []string{"version"}},
		{"a negative version", func(o *Order) { o.Version = -3 }, []string{"version"}},
		{"the largest version", func(o *Order) { o.Version = MaxOrderVersion }, nil},
		{"a version past 2^53-1", func(o *Order) { o.Version = MaxOrderVersion + 1 }, []string{"version"}},
		{"no event id", func(o *Order) { o.EventID = "" }, []string{"event_id"}},
		{"the longest event id", func(o *Order) { o.EventID = strings.Repeat("e", MaxEventIDLen) }, nil},
		{"an event id too long", func(o *Order) { o.EventID = strings.Repeat("e", MaxEventIDLen+1) }, []string{"event_id"}},
		{"bad status", func(o *Order) { o.Status = "lost" }, []string{"status"}},
		{"bad currency", func(o *Order) { o.Currency = "yuan" }, []string{"currency"}},
		{"bad channel", func(o *Order) { o.Payment.Channel = "cash" }, []string{"payment.channel"}},
		{"no lines", func(o *Order) { o.Lines = nil }, []string{"lines"}},
		{"bad line", func(o *Order) { o.Lines[0].Kind = "x"; o.Lines[0].Quantity = 0 }, []string{"lines[0].kind", "lines[0].quantity"}},
		{"duplicate line", func(o *Order) { o.Lines = append(o.Lines, o.Lines[0]); o.Payment.Amount *= 2 }, []string{"lines[1].line_id"}},
		{"lines above payment", func(o *Order) { o.Payment.Amount = 100 }, []string{"payment.amount"}},
		{"amounts above the bound", func(o *Order) {
			o.Payment.Amount, o.Lines[0].UnitPrice, o.Lines[0].PaidAmount = MaxAmount+1, MaxAmount+1, MaxAmount+1
		}, []string{"payment.amount", "lines[0].unit_price", "lines[0].paid_amount"}},
		{"negative fees", func(o *Order) { o.Fees = Fees{Shipping: -1, Tariff: MaxAmount + 1} }, []string{"fees.shipping", "fees.tariff"}},
		{"fees beyond the payment", func(o *Order) { o.Fees = Fees{Shipping: o.Payment.Amount} }, []string{"payment.amount"}},
		{"a line id of a fee account", func(o *Order) { o.Lines[0].LineID = FeeShippingID }, []string{"lines[0].line_id"}},
		{"a discount that is not list price less paid", func(o *Order) { o.Lines[0].Discount = 1 }, []string{"lines[0].discount"}},
		{"a negative discount", func(o *Order) { o.Lines[0].Discount = -1 }, []string{"lines[0].discount"}},
		// Before the bounds, two lines of 2^62 summed to -2^63 and passed
		// the check against a payment of 19800.
		{"line amounts whose sum wraps", func(o *Order) {
			o.Lines[0].PaidAmount = 1 << 62
			o.Lines = append(o.Lines, OrderLine{LineID: "l2", Kind: KindPhysical, Quantity: 1, PaidAmount: 1 << 62})
		}, []string{"lines[0].paid_amount", "lines[1].paid_amount", "payment.amount"}},
		{"a quantity above the bound", func(o *Order) { o.Lines[0].Quantity = MaxLineQuantity + 1 }, []string{"lines[0].quantity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOrder()
			tt.mutate(o)
			if got := fieldNames(o.Validate()); !slices.Equal(got, tt.fields) {
				t.Errorf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

// TestSupersedes: only a higher version from another event replaces the
// stored snapshot; an order stored before versions (0, no event id) is
// replaced by any versioned one.
func TestSupersedes(t *testing.T) {
	stored := &Order{Version: 5, EventID: "ev-5"}
	legacy := &Order{}
	tests := []struct {
		name   string
		offer  *Order
		stored *Order
		want   bool
	}{
		{"a higher version", &Order{Version: 6, EventID: "ev-6"}, stored, true},
		{"a replay", &Order{Version: 5, EventID: "ev-5"}, stored, false},
		{"the same version from another event", &Order{Version: 5, EventID: "ev-5b"}, stored, false},
		{"a lower version", &Order{Version: 4, EventID: "ev-4"}, stored, false},
		{"a higher version reusing the stored event id", &Order{Version: 6, EventID: "ev-5"}, stored, false},
		{"a versioned snapshot over one stored before versions", &Order{Version: 1, EventID: "ev-1"}, legacy, true},
		{"an unversioned snapshot over one stored before versions", &Order{}, legacy, false},
		{"no event id names no event", &Order{Version: 1}, legacy, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.offer.Supersedes(tt.stored); got != tt.want {
				t.Errorf("Supersedes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateUploadFiles(t *testing.T) {
	tests := []struct {
		name    string
		files   []UploadFile
		already int
		fields  []string
	}{
		{"photo and video", []UploadFile{{"image/jpeg", 1 << 20, ""}, {"video/mp4", 90 << 20, ""}}, 0, nil},
		{"none", nil, 0, []string{"files"}},
		{"too many: the files are not looked at", make([]UploadFile, 2), 8, []string{"files"}},
		{"wrong type", []UploadFile{{"text/plain", 10, ""}}, 0, []string{"files[0].content_type"}},
		{"a PDF without a slot", []UploadFile{{"application/pdf", 10, ""}}, 0, []string{"files[0].content_type"}},
		{"a PDF for a photo's slot", []UploadFile{{"application/pdf", 10, "label"}}, 0, []string{"files[0].content_type"}},
		{"an installation record", []UploadFile{{"application/pdf", 10 << 20, "install_record"}}, 0, nil},
		{"an inspection report too large", []UploadFile{{"application/pdf", 10<<20 + 1, "inspection_report"}}, 0, []string{"files[0].size"}},
		{"a photo of the paper report", []UploadFile{{"image/jpeg", 10, "inspection_report"}}, 0, nil},
		{"image too large", []UploadFile{{"image/png", 20<<20 + 1, ""}}, 0, []string{"files[0].size"}},
		{"video at the limit", []UploadFile{{"video/mp4", 100 << 20, ""}}, 0, nil},
		{"video too large", []UploadFile{{"video/mp4", 100<<20 + 1, ""}}, 0, []string{"files[0].size"}},
		{"empty file", []UploadFile{{"image/webp", 0, ""}}, 0, []string{"files[0].size"}},
		{"a named slot", []UploadFile{{"image/jpeg", 10, "label"}}, 0, nil},
		{"a slot that is no name", []UploadFile{{"image/jpeg", 10, "Label!"}}, 0, []string{"files[0].slot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldNames(ValidateUploadFiles(tt.files, tt.already)); !slices.Equal(got, tt.fields) {
				t.Errorf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestReasons(t *testing.T) {
	for _, typ := range CaseTypes {
		rs := Reasons(typ)
		if len(rs) == 0 {
			t.Errorf("%s has no preset reasons", typ)
		}
		for _, r := range rs {
			if r.Type != typ || r.LabelZH == "" || r.LabelEN == "" {
				t.Errorf("reason %+v", r)
			}
			if got, ok := LookupReason(typ, r.Code); !ok || got != r {
				t.Errorf("LookupReason(%s, %s) = %+v, %v", typ, r.Code, got, ok)
			}
		}
	}
	if _, ok := LookupReason(RefundOnly, "damaged"); ok {
		t.Error("a reason of another type was accepted")
	}
	if len(Reasons("")) != len(reasons) {
		t.Error("Reasons(\"\") does not list every reason")
	}
}

func fieldNames(err error) []string {
	var out []string
	for _, f := range FieldsOf(err) {
		out = append(out, f.Field)
	}
	return out
}
