package aftersales

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Disputes (F15, F25): a buyer contests a rejection, or a refund smaller
// than asked for, within the dispute window. The merchant must answer by
// the answer deadline and the two sides agree by the agreement deadline, or
// the case is escalated to the platform's arbitrator. Either side proposes
// an amount; the other side's acceptance refunds it through the ordinary
// refund path, on top of what was already refunded.

// DisputeKind says what a dispute contests.
type DisputeKind string

// The dispute kinds.
const (
	DisputeRejection DisputeKind = "rejection" // the case was rejected
	DisputeAmount    DisputeKind = "amount"    // the case was refunded for less than requested
)

// Party is a side of a dispute.
type Party string

// The parties.
const (
	PartyBuyer    Party = "buyer"
	PartyMerchant Party = "merchant"
	PartyPlatform Party = "platform"
)

// PartyOf is the side principal p speaks for on a case: the merchant for
// staff, the platform for an arbitrator, else the buyer.
func PartyOf(p Principal) Party {
	switch {
	case p.IsStaff():
		return PartyMerchant
	case p.Has(RoleArbitrator):
		return PartyPlatform
	}
	return PartyBuyer
}

// ProposalStatus is where a proposal is in its short life: open until the
// other side accepts it or a newer proposal replaces it.
type ProposalStatus string

// The proposal statuses.
const (
	ProposalOpen     ProposalStatus = "open"
	ProposalAccepted ProposalStatus = "accepted"
	ProposalReplaced ProposalStatus = "replaced"
)

// Proposal is one side's offer to settle a dispute with a refund of Amount
// (minor units, on top of what was already refunded).
type Proposal struct {
	ID     string
	By     Party
	Actor  string
	Amount int64
	Note   string
	At     time.Time
	Status ProposalStatus
}

// Dispute is the state of a case's dispute. A case has at most one.
type Dispute struct {
	Kind        DisputeKind
	Reason      string
	Description string
	EvidenceIDs []string
	OpenedAt    time.Time
	// AnsweredAt is the merchant's first answer (a message or a proposal):
	// from then on only the agreement deadline runs.
	AnsweredAt time.Time
	Proposals  []Proposal // oldest first; at most one open
	// Outcome is how it ended: agreed, refund (arbitrated), dismissed,
	// withdrawn; empty while it is open.
	Outcome string
}

// OpenProposal returns the dispute's open proposal, or nil.
func (d *Dispute) OpenProposal() *Proposal {
	for i := range d.Proposals {
		if d.Proposals[i].Status == ProposalOpen {
			return &d.Proposals[i]
		}
	}
	return nil
}

// Limits of a dispute's words.
const (
	MaxDisputeReasonRunes = 100
	MaxMessageRunes       = 2000
	MaxMessageEvidence    = 9
	// MaxThreadMessages bounds a thread: a dispute that needs more is one
	// for the arbitrator, and a bounded thread is read in one query.
	MaxThreadMessages = 200
)

// DisputeRequest is what a buyer sends to open a dispute.
type DisputeRequest struct {
	Reason      string
	Description string
	EvidenceIDs []string
}

// Validate names every invalid field of r.
func (r DisputeRequest) Validate(op string) error {
	var v Validation
	if v.Check(strings.TrimSpace(r.Reason) != "", "reason", "is required") {
		CheckText(&v, "reason", r.Reason, OneLine, MaxDisputeReasonRunes)
	}
	if v.Check(strings.TrimSpace(r.Description) != "", "description", "is required") {
		CheckText(&v, "description", r.Description, MultiLine, MaxDescriptionRunes)
	}
	checkEvidenceIDs(&v, r.EvidenceIDs)
	return v.Err(op)
}

// checkEvidenceIDs records invalid or repeated evidence ids under
// evidence_ids.
func checkEvidenceIDs(v *Validation, ids []string) {
	if !v.Check(len(ids) <= MaxMessageEvidence, "evidence_ids", "must hold at most %d items, not %d", MaxMessageEvidence, len(ids)) {
		return
	}
	for i, id := range ids {
		field := fmt.Sprintf("evidence_ids[%d]", i)
		if v.Check(strings.HasPrefix(id, "ev_") && len(id) <= MaxIDBytes, field, "is not an evidence id") {
			v.Check(!slices.Contains(ids[:i], id), field, "repeats %s", id)
		}
	}
}

// DisputeWindow says until when the buyer may dispute case c, and what the
// dispute would contest; ok is false when c cannot be disputed at all
// (its status, or a refund of everything asked for). window is the
// merchant's dispute deadline.
func (c *Case) DisputeWindow(window time.Duration) (kind DisputeKind, until time.Time, ok bool) {
	if c.Dispute != nil {
		return "", time.Time{}, false // one dispute per case
	}
	switch {
	case c.Status == StatusRejected:
		kind = DisputeRejection
	case c.Status == StatusCompleted && c.Refunded < c.Requested && c.Type != Exchange:
		kind = DisputeAmount
	default:
		return "", time.Time{}, false
	}
	if kind == DisputeRejection && !c.Deadline.IsZero() {
		return kind, c.Deadline, true // the workflow's dispute wait
	}
	return kind, c.EnteredAt(c.Status).Add(window), true
}

// EnteredAt is when the case last entered status s (its creation when it
// never did).
func (c *Case) EnteredAt(s Status) time.Time {
	for i := len(c.Timeline) - 1; i >= 0; i-- {
		if e := c.Timeline[i]; e.To == s && e.From != s {
			return e.At
		}
	}
	return c.CreatedAt
}

// OpenDispute opens the buyer's dispute of the case, within the window
// (F15): a rejection, or a refund smaller than requested.
func (c *Case) OpenDispute(r DisputeRequest, actor string, at time.Time, window time.Duration) error {
	const op = "case.dispute"
	if err := r.Validate(op); err != nil {
		return err
	}
	kind, until, ok := c.DisputeWindow(window)
	switch {
	case !ok && c.Dispute != nil:
		return E(KindConflict, op, "the case was disputed already; a case has one dispute")
	case !ok:
		return E(KindConflict, op, fmt.Sprintf("a %s case that is %s cannot be disputed", c.Type, c.Status))
	case at.After(until):
		return E(KindConflict, op, fmt.Sprintf("the dispute window closed at %s", until.UTC().Format(time.RFC3339)))
	}
	if err := c.Apply(Change{Action: ActOpenDispute, Actor: actor, At: at,
		Note: fmt.Sprintf("%s disputed: %s", kind, r.Reason)}); err != nil {
		return err
	}
	c.Dispute = &Dispute{Kind: kind, Reason: r.Reason, Description: r.Description,
		EvidenceIDs: slices.Clone(r.EvidenceIDs), OpenedAt: at.UTC()}
	return nil
}

// MaxSettlement is the most a dispute can still settle for: what was
// requested and not refunded yet.
func (c *Case) MaxSettlement() int64 { return max(c.Requested-c.Refunded, 0) }

// checkSettlement checks an amount a dispute would refund.
func (c *Case) checkSettlement(op string, amount int64) error {
	limit := c.MaxSettlement()
	if amount < 1 || amount > limit {
		return Invalid(op, "amount", "must be between 1 and %d (minor units: requested %d, refunded %d), not %d",
			limit, c.Requested, c.Refunded, amount)
	}
	return nil
}

// Answer records the merchant's first answer to the dispute, which stops
// the answer deadline; later answers change nothing (ok false).
func (c *Case) Answer(actor string, at time.Time) (bool, error) {
	if c.Status != StatusDisputed || c.Dispute == nil || !c.Dispute.AnsweredAt.IsZero() {
		return false, nil
	}
	if err := c.Apply(Change{Action: ActAnswerDispute, Actor: actor, At: at, Note: "the merchant answered"}); err != nil {
		return false, err
	}
	c.Dispute.AnsweredAt = at.UTC()
	return true, nil
}

// Propose records p as the open proposal of the dispute; a newer proposal
// replaces an open one. A merchant's proposal answers the dispute.
func (c *Case) Propose(p Proposal) error {
	const op = "case.propose"
	var v Validation
	CheckText(&v, "note", p.Note, MultiLine, MaxDescriptionRunes)
	if err := v.Err(op); err != nil {
		return err
	}
	if c.Status != StatusDisputed || c.Dispute == nil {
		return E(KindConflict, op, fmt.Sprintf("only a disputed case takes proposals; this one is %s", c.Status))
	}
	if err := c.checkSettlement(op, p.Amount); err != nil {
		return err
	}
	if err := c.Apply(Change{Action: ActPropose, Actor: p.Actor, At: p.At,
		Note: fmt.Sprintf("%s proposes %s", p.By, Money{Amount: p.Amount, Currency: c.Currency})}); err != nil {
		return err
	}
	if old := c.Dispute.OpenProposal(); old != nil {
		old.Status = ProposalReplaced
	}
	p.Status, p.At = ProposalOpen, p.At.UTC()
	c.Dispute.Proposals = append(c.Dispute.Proposals, p)
	if p.By == PartyMerchant && c.Dispute.AnsweredAt.IsZero() {
		c.Dispute.AnsweredAt = p.At
	}
	return nil
}

// AcceptProposal settles the dispute on the open proposal id, accepted by
// the other side: the case refunds its amount on top of what was refunded
// (F15).
func (c *Case) AcceptProposal(id string, by Party, actor string, at time.Time) error {
	const op = "case.accept_proposal"
	if c.Status != StatusDisputed || c.Dispute == nil {
		return E(KindConflict, op, fmt.Sprintf("only a disputed case settles on a proposal; this one is %s", c.Status))
	}
	i := slices.IndexFunc(c.Dispute.Proposals, func(p Proposal) bool { return p.ID == id })
	if i < 0 {
		return NotFound(op, "no such proposal on this case")
	}
	p := &c.Dispute.Proposals[i]
	switch {
	case p.Status != ProposalOpen:
		return E(KindConflict, op, fmt.Sprintf("the proposal is %s; only the open one can be accepted", p.Status))
	case p.By == by:
		return E(KindForbidden, op, "a proposal is accepted by the other side, not by its own")
	}
	if err := c.checkSettlement(op, p.Amount); err != nil {
		return err
	}
	if err := c.Apply(Change{Action: ActAgree, Actor: actor, At: at,
		Note: fmt.Sprintf("agreed on %s (proposal %s)", Money{Amount: p.Amount, Currency: c.Currency}, p.ID)}); err != nil {
		return err
	}
	p.Status, c.Dispute.Outcome = ProposalAccepted, "agreed"
	c.settle(p.Amount)
	return nil
}

// Escalate hands a dispute whose deadline passed to the platform.
func (c *Case) Escalate(why string, at time.Time) error {
	if err := c.Apply(Change{Action: ActEscalate, Actor: ActorDeadline, At: at, Note: why}); err != nil {
		return err
	}
	if p := c.Dispute.OpenProposal(); p != nil {
		p.Status = ProposalReplaced // the arbitrator decides now
	}
	return nil
}

// The arbitrator's verdicts.
const (
	VerdictRefund  = "refund"
	VerdictDismiss = "dismiss"
)

// Arbitrate records the platform's verdict on an escalated dispute: refund
// amount (on top of what was refunded) or dismiss, which closes the case.
func (c *Case) Arbitrate(verdict string, amount int64, note, actor string, at time.Time) error {
	const op = "case.arbitrate"
	var v Validation
	v.Check(verdict == VerdictRefund || verdict == VerdictDismiss, "outcome", "must be refund or dismiss")
	if v.Check(strings.TrimSpace(note) != "", "note", "is required: the parties are told why") {
		CheckText(&v, "note", note, MultiLine, MaxDescriptionRunes)
	}
	v.Check(verdict != VerdictDismiss || amount == 0, "amount", "must be left out when the outcome is dismiss")
	if err := v.Err(op); err != nil {
		return err
	}
	if c.Status != StatusEscalated || c.Dispute == nil {
		return E(KindConflict, op, fmt.Sprintf("only an escalated dispute is arbitrated; this case is %s", c.Status))
	}
	if verdict == VerdictDismiss {
		if err := c.Apply(Change{Action: ActDismiss, Actor: actor, At: at, Note: note}); err != nil {
			return err
		}
		c.Dispute.Outcome = "dismissed"
		return nil
	}
	if err := c.checkSettlement(op, amount); err != nil {
		return err
	}
	if err := c.Apply(Change{Action: ActArbitrate, Actor: actor, At: at,
		Note: fmt.Sprintf("refund %s: %s", Money{Amount: amount, Currency: c.Currency}, note)}); err != nil {
		return err
	}
	c.Dispute.Outcome = "refund"
	c.settle(amount)
	return nil
}

// Withdraw ends the buyer's dispute without a refund.
func (c *Case) Withdraw(actor string, at time.Time) error {
	if c.Status != StatusDisputed || c.Dispute == nil {
		return E(KindConflict, "case.withdraw", "only an open dispute can be withdrawn")
	}
	if err := c.Apply(Change{Action: ActCancel, Actor: actor, At: at, Note: "dispute withdrawn"}); err != nil {
		return err
	}
	c.Dispute.Outcome = "withdrawn"
	return nil
}

// settle approves amount more than was refunded and opens the case's next
// refund: a case refunded before gets a new refund number, so the provider
// sees a second refund, never a repeat of the first.
func (c *Case) settle(amount int64) {
	if c.Refunded > 0 || c.RefundSeq > 0 {
		c.RefundSeq = c.CurrentRefundSeq() + 1
	}
	c.Approved = c.Refunded + amount
	c.RefundFailed, c.RefundManual = false, false
}

// Outstanding is what the case's current refund pays: what was approved
// and not refunded yet.
func (c *Case) Outstanding() int64 { return c.Approved - c.Refunded }
