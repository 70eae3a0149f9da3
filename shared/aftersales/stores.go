package aftersales

import "time"

// What every store implementation must decide alike, beyond the lists
// (listing.go): how it answers, when an update releases a case's order
// lines, and when it gives a refund's booking back. Each store keeps the
// mechanics (a transaction's conditions, a map under a mutex); the rules
// are here once.

// For returns the sentinel e as op's answer: an *Error of e's kind and
// message that wraps e, so that callers test it with errors.Is and map it
// with KindOf alike, whichever store answered.
func (e *Error) For(op string) error {
	return &Error{Kind: e.Kind, Op: op, Msg: e.Msg, Err: e}
}

// NotFound returns op's answer that what it looked for does not exist:
// KindNotFound with msg, which is ErrNotFound to errors.Is.
func NotFound(op, msg string) error {
	return &Error{Kind: KindNotFound, Op: op, Msg: msg, Err: ErrNotFound}
}

// EndedSince reports whether the change from version prev to c ended the
// case, so that UpdateCase frees its order lines for a new case: c is
// terminal now and the timeline entry of version prev+1 starts from a
// status that was not. Every change of status is on the timeline, so a
// store needs no read to know the status at prev.
func (c *Case) EndedSince(prev int) bool {
	if !c.Status.Terminal() {
		return false
	}
	ended := false
	for _, e := range c.Timeline {
		if e.Seq <= prev && e.To.Terminal() && !e.From.Terminal() {
			// It ended before and was reopened by a dispute: its lines were
			// released then, and another case may hold them now.
			return false
		}
		if e.Seq == prev+1 {
			ended = !e.From.Terminal()
		}
	}
	return ended
}

// Open reports whether a refund in status s holds its booking on the order
// ledger and may still give it back: requested, processing or manual.
func (s RefundStatus) Open() bool {
	return s == RefundRequested || s == RefundProcessing || s == RefundManual
}

// GiveBack returns the shares that storing r over the refund stored in
// status prev gives back to the order ledger: its bookings (see Bookings)
// when r closes an open refund, none otherwise. A closed refund that would
// change status is a KindConflict error: its booking was given back, so a
// live refund again would pay money the ledger no longer holds.
func (r *Refund) GiveBack(op string, prev RefundStatus, maxLines int) ([]LineShare, error) {
	switch {
	case prev == RefundClosed && r.Status != prev:
		return nil, E(KindConflict, op, "a closed refund cannot change status: its booking was given back")
	case r.Status == RefundClosed && prev.Open():
		return r.Bookings(op, maxLines)
	}
	return nil, nil
}

// RuleSetStamp is what a rule set store keeps beside a version's document:
// the version and who saved it when. The document leaves them out because
// the store, not the merchant, assigns them; a version is written once and
// never replaced (a taken version is ErrVersionConflict), so that every
// decision's version can be looked up later (F8).
type RuleSetStamp struct {
	Version   int
	UpdatedAt time.Time
	UpdatedBy string
}

// Stamp returns rs's stamp, its time in UTC as every store returns it.
func (rs *RuleSet) Stamp() RuleSetStamp {
	return RuleSetStamp{Version: rs.Version, UpdatedAt: rs.UpdatedAt.UTC(), UpdatedBy: rs.UpdatedBy}
}

// Restamp sets rs's version and audit fields from a stored stamp.
func (rs *RuleSet) Restamp(s RuleSetStamp) {
	rs.Version, rs.UpdatedAt, rs.UpdatedBy = s.Version, s.UpdatedAt, s.UpdatedBy
}
