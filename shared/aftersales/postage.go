package aftersales

import (
	"fmt"
	"time"
)

// The return postage the merchant bears is paid, not only shown (F29). It
// is money on top of what the buyer paid for the order, which the order's
// accounts refuse by design (no account gives back more than was paid
// into it), so each reimbursement is an account of its own on the order's
// ledger: ReturnPostageID(case), kind compensation, whose "paid" is the
// reimbursement fixed when the buyer states the postage with the waybill.
// The database then refuses a second reimbursement, or more than it, as it
// refuses a refund past what was paid. The refund pays it as one more
// tranche after the goods (StageReturnPostage), to the store balance, like
// a presale's late-shipment compensation: no payment provider refunds a
// transaction past its amount.

// MaxPostage is the most a buyer may state a return parcel cost: 1000.00
// CNY, far above any parcel, low enough that a typo does not become a
// reimbursement.
const MaxPostage = 100000

// StageReturnPostage is the tranche that reimburses the return postage,
// paid after the goods (Case.Tranches); StageGoods is the goods' tranche
// of a case that was paid back in one refund before.
const (
	StageGoods         = "goods"
	StageReturnPostage = "return_postage"
)

// returnPostagePrefix starts the id of a case's postage account; it is a
// fee account (IsFeeAccount), so no mall line id can clash with it.
const returnPostagePrefix = feePrefix + "return_postage:"

// ReturnPostageID is the ledger account of case caseID's return postage
// reimbursement. Case ids are at most MaxIDBytes, so the account id is at
// most MaxIDBytes+19 bytes: a key every store takes.
func ReturnPostageID(caseID string) string { return returnPostagePrefix + caseID }

// Reimbursement is what the merchant pays back of a return's postage
// under the case's charges: nothing when the buyer bears it; the whole
// postage with the free-shipping perk or no cap; otherwise up to the cap.
func (ch *Charges) Reimbursement(postage int64) int64 {
	switch {
	case ch == nil || ch.ReturnShippingPaidBy != PayerMerchant || postage <= 0:
		return 0
	case ch.FreeReturnShipping || ch.ReturnPostageCap <= 0:
		return postage
	}
	return min(postage, ch.ReturnPostageCap)
}

// RecordPostage records the postage the buyer stated with the return
// waybill on the case's charges, and what the merchant reimburses of it,
// and returns the timeline's words on it ("" when the case has no charges:
// a case opened before they existed, or one that returns nothing; and
// when the buyer stated none, postage 0, which reimburses nothing). A
// return to be refunded that is owed a reimbursement opens its ledger
// account in the same write (Opened); an exchange has no refund to pay it
// with, so its reimbursement is recorded but not paid.
//
// A waybill the courier never collected sends the case back for another
// (ActWaybillNotCollected): the new waybill's postage replaces the old,
// and the account, opened already, is set to the new reimbursement (0
// included). The stores allow that only while nothing is booked on it,
// which holds: refunds come after the receipt, and no waybill after them.
func (c *Case) RecordPostage(postage int64) string {
	ch := c.Charges
	if ch == nil || postage <= 0 && ch.PostagePaid == 0 {
		return ""
	}
	opened := ch.PostageReimbursed > 0
	ch.PostagePaid, ch.PostageReimbursed = postage, ch.Reimbursement(postage)
	if opened && ch.PostageReimbursed == 0 && c.Type == ReturnRefund {
		c.Opened = append(c.Opened, c.postageAccount())
	}
	stated := Money{postage, c.Currency}
	switch {
	case ch.ReturnShippingPaidBy != PayerMerchant:
		return fmt.Sprintf("return postage %s: borne by the buyer", stated)
	case ch.PostageReimbursed == 0:
		return fmt.Sprintf("return postage %s: nothing to reimburse", stated)
	}
	terms := "no cap"
	switch {
	case ch.FreeReturnShipping:
		terms = "member perk: free return shipping"
	case ch.ReturnPostageCap > 0:
		terms = fmt.Sprintf("cap %s", Money{ch.ReturnPostageCap, c.Currency})
	}
	owed := Money{ch.PostageReimbursed, c.Currency}
	if c.Type != ReturnRefund {
		return fmt.Sprintf("return postage %s: the merchant owes %s (%s), not paid by this system for an exchange", stated, owed, terms)
	}
	c.Opened = append(c.Opened, c.postageAccount())
	return fmt.Sprintf("return postage %s: the merchant reimburses %s with the refund (%s)", stated, owed, terms)
}

// AddPostageTranche makes the case's reimbursement of return postage the
// last tranche of its refund, once, before the first refund is made: the
// goods keep their tranches (or become one, StageGoods), cut to what is
// approved of them, and the approved amount grows by the reimbursement,
// with a line on the timeline saying so. A staff partial approval lowers
// the goods only. It reports whether it changed the case.
func (c *Case) AddPostageTranche(at time.Time) (bool, error) {
	ch := c.Charges
	if ch == nil || ch.PostageReimbursed <= 0 || c.Type != ReturnRefund || c.Refunded > 0 || c.hasStage(StageReturnPostage) {
		return false, nil
	}
	goods := c.Approved
	var tranches []Tranche
	left := goods
	for _, t := range c.Tranches {
		if left <= 0 {
			break
		}
		t.Amount = min(t.Amount, left)
		left -= t.Amount
		tranches = append(tranches, t)
	}
	if left > 0 {
		// No tranches yet (a case paid back in one refund), or (never
		// seen: approvals stay within the request) more approved than
		// they hold: the rest is one more goods tranche.
		tranches = append(tranches, Tranche{StageGoods, left})
	}
	note := fmt.Sprintf("return postage %s reimbursed to the store balance after the goods refund of %s, booked on %s",
		Money{ch.PostageReimbursed, c.Currency}, Money{goods, c.Currency}, ReturnPostageID(c.ID))
	if err := c.Apply(Change{Action: ActChargeFees, Actor: ActorRules, At: at, Note: note}); err != nil {
		return false, err
	}
	c.Tranches = append(tranches, Tranche{StageReturnPostage, ch.PostageReimbursed})
	c.Approved = goods + ch.PostageReimbursed
	return true, nil
}

// hasStage reports whether one of the case's tranches is of stage.
func (c *Case) hasStage(stage string) bool {
	for _, t := range c.Tranches {
		if t.Stage == stage {
			return true
		}
	}
	return false
}

// postageAccount is the ledger account of the case's reimbursement of
// return postage, with what it reimburses as its paid amount: the most
// refunds may book on it.
func (c *Case) postageAccount() OrderLine {
	id, r := ReturnPostageID(c.ID), c.Charges.PostageReimbursed
	return OrderLine{LineID: id, SKU: id, Name: "Return postage", Kind: KindCompensation, Quantity: 1, UnitPrice: r, PaidAmount: r}
}
