package aftersales

import (
	"strings"
	"testing"
)

func TestRecordPostage(t *testing.T) {
	tests := []struct {
		name    string
		tier    string
		typ     CaseType
		reason  string
		edit    func(*RuleSet)
		postage int64
		want    int64  // reimbursed
		opened  bool   // a ledger account is opened with the change
		words   string // in the timeline's note
	}{
		{"quality return under the cap: all of it", "gold", ReturnRefund, "quality_issue", nil, 1200, 1200, true, "reimburses 12.00 CNY with the refund (cap 20.00 CNY)"},
		{"quality return over the cap: the cap", "gold", ReturnRefund, "quality_issue", nil, 3500, 2000, true, "reimburses 20.00 CNY"},
		{"no-reason return: borne by the buyer", "gold", ReturnRefund, "no_reason_7_days", nil, 1200, 0, false, "borne by the buyer"},
		{"platinum perk: all of it, no cap", "platinum", ReturnRefund, "quality_issue", nil, 3500, 3500, true, "member perk"},
		{"cap 0: no cap", "gold", ReturnRefund, "quality_issue", func(rs *RuleSet) { rs.Fees.ReturnPostageCap = 0 }, 3500, 3500, true, "no cap"},
		{"stated 0 (or none): nothing recorded, nothing said", "gold", ReturnRefund, "quality_issue", nil, 0, 0, false, ""},
		{"exchange: recorded, not paid", "gold", Exchange, "defective", nil, 1200, 1200, false, "not paid by this system for an exchange"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := DefaultRuleSet()
			if tc.edit != nil {
				tc.edit(rs)
			}
			o := ruleOrder()
			o.MemberTier = tc.tier
			c := ruleCase(tc.typ, tc.reason, "l1")
			c.Charges = ChargesFor(rs, c, o)
			words := c.RecordPostage(tc.postage)
			if c.Charges.PostagePaid != tc.postage || c.Charges.PostageReimbursed != tc.want {
				t.Errorf("paid %d reimbursed %d, want %d %d", c.Charges.PostagePaid, c.Charges.PostageReimbursed, tc.postage, tc.want)
			}
			if !strings.Contains(words, tc.words) || tc.words == "" && words != "" {
				t.Errorf("note %q, want it to say %q", words, tc.words)
			}
			if got := len(c.Opened) == 1; got != tc.opened {
				t.Fatalf("opened %+v, want an account: %v", c.Opened, tc.opened)
			}
			if tc.opened {
				a := c.Opened[0]
				if a.LineID != ReturnPostageID(c.ID) || a.PaidAmount != tc.want || a.Kind != KindCompensation || !IsFeeAccount(a.LineID) {
					t.Errorf("account %+v", a)
				}
			}
		})
	}
	c := ruleCase(ReturnRefund, "quality_issue", "l1")
	if words := c.RecordPostage(1200); words != "" || len(c.Opened) > 0 {
		t.Errorf("a case without charges recorded %q", words)
	}

	// A second waybill (the first never collected) replaces the postage,
	// and the account's amount with it, down to 0.
	c.Charges = ChargesFor(DefaultRuleSet(), c, ruleOrder())
	c.RecordPostage(1200)
	for _, tc := range []struct {
		postage, want int64
	}{{3500, 2000}, {0, 0}} {
		c.Opened = nil
		c.RecordPostage(tc.postage)
		if c.Charges.PostagePaid != tc.postage || c.Charges.PostageReimbursed != tc.want || len(c.Opened) != 1 || c.Opened[0].PaidAmount != tc.want {
			t.Errorf("new waybill with %d: charges %+v, opened %+v; want %d reimbursed", tc.postage, c.Charges, c.Opened, tc.want)
		}
	}
}

func TestAddPostageTranche(t *testing.T) {
	tests := []struct {
		name     string
		approved int64
		refunded int64
		tranches []Tranche
		repaid   int64
		want     []Tranche // nil: unchanged
	}{
		{"goods then postage", 9900, 0, nil, 1200, []Tranche{{StageGoods, 9900}, {StageReturnPostage, 1200}}},
		{"partial approval lowers the goods only", 5000, 0, nil, 1200, []Tranche{{StageGoods, 5000}, {StageReturnPostage, 1200}}},
		{"presale tranches kept, cut to the approval", 6000, 0, []Tranche{{StageDeposit, 5000}, {StageBalance, 4900}}, 1200,
			[]Tranche{{StageDeposit, 5000}, {StageBalance, 1000}, {StageReturnPostage, 1200}}},
		{"a restocking fee took all the goods: the postage alone", 0, 0, nil, 1200, []Tranche{{StageReturnPostage, 1200}}},
		{"already added: once", 11100, 0, []Tranche{{StageGoods, 9900}, {StageReturnPostage, 1200}}, 1200, nil},
		{"after a refund (a dispute's): never again", 9900, 9900, nil, 1200, nil},
		{"nothing reimbursed", 9900, 0, nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ruleCase(ReturnRefund, "quality_issue", "l1")
			c.Status, c.Approved, c.Refunded, c.Tranches = StatusRefunding, tc.approved, tc.refunded, tc.tranches
			c.Charges = &Charges{ReturnShippingPaidBy: PayerMerchant, ReturnPostageCap: 2000, PostagePaid: tc.repaid, PostageReimbursed: tc.repaid}
			version := c.Version
			changed, err := c.AddPostageTranche(ruleNow)
			if err != nil {
				t.Fatal(err)
			}
			if changed != (tc.want != nil) {
				t.Fatalf("changed %v, want %v", changed, tc.want != nil)
			}
			if !changed {
				if c.Version != version || c.Approved != tc.approved {
					t.Errorf("an unchanged case moved: version %d approved %d", c.Version, c.Approved)
				}
				return
			}
			if len(c.Tranches) != len(tc.want) {
				t.Fatalf("tranches %+v, want %+v", c.Tranches, tc.want)
			}
			for i := range tc.want {
				if c.Tranches[i] != tc.want[i] {
					t.Errorf("tranches %+v, want %+v", c.Tranches, tc.want)
				}
			}
			if c.Approved != TranchesTotal(c.Tranches) || c.Approved != tc.approved+tc.repaid {
				t.Errorf("approved %d, want goods %d + postage %d", c.Approved, tc.approved, tc.repaid)
			}
			last := c.Timeline[len(c.Timeline)-1]
			if last.Action != ActChargeFees || last.Actor != ActorRules || !strings.Contains(last.Note, "return postage 12.00 CNY reimbursed to the store balance") {
				t.Errorf("timeline line %+v", last)
			}
			if tr, ok := c.CurrentTranche(); !ok || tr != c.Tranches[0] {
				t.Errorf("first refund pays %+v, want %+v", tr, c.Tranches[0])
			}
			c.Refunded = tc.approved
			if tr, ok := c.CurrentTranche(); !ok || tr != (Tranche{StageReturnPostage, 1200}) {
				t.Errorf("after the goods the refund pays %+v, want the postage", tr)
			}
		})
	}
	ex := ruleCase(Exchange, "defective", "l1")
	ex.Status, ex.Charges = StatusRefunding, &Charges{ReturnShippingPaidBy: PayerMerchant, PostageReimbursed: 1200}
	if changed, _ := ex.AddPostageTranche(ruleNow); changed {
		t.Error("an exchange got a postage tranche")
	}
}
