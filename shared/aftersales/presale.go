package aftersales

import (
	"fmt"
	"time"
)

// Presale is how a presale order was paid (F19): a deposit when it was
// ordered, then the balance before it ships, each its own payment with its
// own channel and transaction, so each is refunded against its own.
type Presale struct {
	Deposit       Payment
	DepositPaidAt time.Time
	// Balance has Amount 0 and BalancePaidAt zero until it is paid.
	Balance       Payment
	BalancePaidAt time.Time
}

// BalancePaid reports whether the balance was paid.
func (p *Presale) BalancePaid() bool { return p.Balance.Amount > 0 }

// The stages of a presale refund, refunded one after the other in this
// order by one case (Case.Tranches).
const (
	StageDeposit      = "deposit"
	StageBalance      = "balance"
	StageCompensation = "compensation" // the extra deposit owed for a late shipment
)

// Tranche is one refund of a case that is paid back in several: a presale
// case refunds its deposit, its balance and any compensation each through
// its own payment.
type Tranche struct {
	Stage  string
	Amount int64
}

// PresaleCompensationID is the ledger entry of a presale order's late
// shipment compensation (F19): "paid" is the deposit, the most it may
// receive, so the database refuses a second compensation as it refuses a
// refund past what was paid.
const PresaleCompensationID = "fee:presale_compensation"

// KindCompensation is the kind of a ledger line that pays compensation.
const KindCompensation LineKind = "compensation"

// What a presale order owes when the merchant ships late.
const (
	// LateDoubleDeposit: the buyer is owed double the deposit, the extra
	// paid as compensation (the default).
	LateDoubleDeposit = "double_deposit"
	// LateNone: no compensation.
	LateNone = "none"
)

// PresaleSettings are the merchant's presale terms (F19).
type PresaleSettings struct {
	// ShipWithinDays is how many days after the balance the merchant
	// promises to ship; 0 means the default, 7.
	ShipWithinDays int
	LateShipment   string // LateDoubleDeposit (default, also when empty) or LateNone
}

// DefaultPresaleShipDays is the shipping promise of presale orders.
const DefaultPresaleShipDays = 7

// DefaultPresaleSettings: ship within 7 days of the balance, or owe double
// the deposit.
func DefaultPresaleSettings() PresaleSettings {
	return PresaleSettings{ShipWithinDays: DefaultPresaleShipDays, LateShipment: LateDoubleDeposit}
}

func (s PresaleSettings) days() int {
	if s.ShipWithinDays == 0 {
		return DefaultPresaleShipDays
	}
	return s.ShipWithinDays
}

func (s PresaleSettings) validate(v *Validation) {
	v.Check(s.ShipWithinDays >= 0 && s.ShipWithinDays <= 365, "presale.ship_within_days", "must be between 1 and 365")
	v.Check(s.LateShipment == "" || s.LateShipment == LateDoubleDeposit || s.LateShipment == LateNone,
		"presale.late_shipment", "must be double_deposit or none")
}

// ShippedLate reports whether o, a presale order whose balance was paid,
// was not shipped within the promised days of the balance by now: not
// shipped by then, or shipped after.
func (s PresaleSettings) ShippedLate(o *Order, now time.Time) bool {
	if o.Presale == nil || !o.Presale.BalancePaid() {
		return false
	}
	due := o.Presale.BalancePaidAt.Add(time.Duration(s.days()) * 24 * time.Hour)
	if !o.ShippedAt.IsZero() {
		return o.ShippedAt.After(due)
	}
	return now.After(due)
}

// PresaleTranches splits a presale case's goods amount into its refunds:
// the deposit first, then the balance; with the compensation the
// merchant's terms owe for a late shipment (the extra deposit) last, and a
// note that says so.
func PresaleTranches(o *Order, goods int64, now time.Time, s PresaleSettings) ([]Tranche, string) {
	p := o.Presale
	deposit := min(goods, p.Deposit.Amount)
	out := []Tranche{{StageDeposit, deposit}}
	note := fmt.Sprintf("presale: deposit %s", Money{Amount: deposit, Currency: o.Currency})
	if rest := goods - deposit; rest > 0 {
		out = append(out, Tranche{StageBalance, rest})
		note += fmt.Sprintf(" + balance %s", Money{Amount: rest, Currency: o.Currency})
	}
	if s.LateShipment != LateNone && s.ShippedLate(o, now) {
		out = append(out, Tranche{StageCompensation, p.Deposit.Amount})
		note += fmt.Sprintf(" + compensation %s (not shipped within %d days of the balance: double the deposit)",
			Money{Amount: p.Deposit.Amount, Currency: o.Currency}, s.days())
	}
	return out, note
}

// TranchesTotal is what the tranches pay in all.
func TranchesTotal(ts []Tranche) int64 {
	var n int64
	for _, t := range ts {
		n += t.Amount
	}
	return n
}

// CurrentTranche is the tranche the case's next refund pays, and how much
// of it: the first not yet refunded in full, capped by what is approved
// and not refunded. ok is false for a case without tranches, or with
// nothing left.
func (c *Case) CurrentTranche() (t Tranche, ok bool) {
	var before int64
	for _, x := range c.Tranches {
		if c.Refunded < before+x.Amount {
			left := before + x.Amount - c.Refunded
			return Tranche{x.Stage, min(left, c.Approved-c.Refunded)}, c.Approved > c.Refunded
		}
		before += x.Amount
	}
	return Tranche{}, false
}

// StagePayment is the payment a tranche of stage is refunded through: the
// deposit's for the deposit and the compensation, the balance's for the
// balance; the order's payment for an order that is no presale.
func (o *Order) StagePayment(stage string) Payment {
	switch {
	case o.Presale == nil:
		return o.Payment
	case stage == StageBalance:
		return o.Presale.Balance
	}
	return o.Presale.Deposit
}

// validatePresale names the invalid fields of a presale snapshot.
func validatePresale(v *Validation, o *Order) {
	p := o.Presale
	if p == nil {
		return
	}
	v.Check(channels[p.Deposit.Channel], "presale.deposit.channel", "must be one of wechatpay, alipay, bankcard, balance")
	v.Check(p.Deposit.TransactionID != "", "presale.deposit.transaction_id", "is required")
	v.Check(p.Deposit.Amount >= 1 && p.Deposit.Amount <= MaxAmount, "presale.deposit.amount", "must be between 1 and %d (minor units)", MaxAmount)
	v.Check(!p.DepositPaidAt.IsZero(), "presale.deposit.paid_at", "is required")
	if p.Balance.Amount != 0 || p.Balance.TransactionID != "" || !p.BalancePaidAt.IsZero() {
		v.Check(channels[p.Balance.Channel], "presale.balance.channel", "must be one of wechatpay, alipay, bankcard, balance")
		v.Check(p.Balance.TransactionID != "", "presale.balance.transaction_id", "is required once the balance is paid")
		v.Check(p.Balance.Amount >= 1 && p.Balance.Amount <= MaxAmount, "presale.balance.amount", "must be between 1 and %d (minor units)", MaxAmount)
		v.Check(!p.BalancePaidAt.IsZero(), "presale.balance.paid_at", "is required once the balance is paid")
	}
	if v.Valid() {
		v.Check(o.Payment.Amount == p.Deposit.Amount+p.Balance.Amount, "payment.amount",
			"of a presale order must be its deposit and balance paid (%d)", p.Deposit.Amount+p.Balance.Amount)
	}
}

// extraLines are the ledger entries of o that are neither lines nor fees:
// a presale order's compensation.
func (o *Order) extraLines() []OrderLine {
	if o.Presale == nil {
		return nil
	}
	d := o.Presale.Deposit.Amount
	return []OrderLine{{LineID: PresaleCompensationID, SKU: PresaleCompensationID, Name: "Late shipment compensation",
		Kind: KindCompensation, Quantity: 1, UnitPrice: d, PaidAmount: d}}
}
