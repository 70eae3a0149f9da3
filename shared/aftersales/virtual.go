package aftersales

import (
	"context"
	"fmt"
	"time"
)

// Redemption is what the mall's coupon service says, now, of the coupon
// code or membership sold on a virtual order line (F18).
type Redemption struct {
	Redeemed   bool
	RedeemedAt time.Time // zero when not redeemed, or when the mall does not say
	// Detail is the mall's own words on the use ("redeemed at Cinema 12"),
	// shown to the buyer with a rejection; may be empty.
	Detail string
}

// CouponService is the mall's coupon service: it answers whether a virtual
// line's code has been used. The order snapshot's redeemed flag may be
// stale (a code used after the last order event), so the decision asks
// live (RedemptionCheck). Adapters report an unreachable or failing
// service as KindTransient.
type CouponService interface {
	CheckRedemption(ctx context.Context, orderID string, line OrderLine) (Redemption, error)
}

// How a decision learns whether virtual goods were used.
const (
	// RedemptionLive asks the coupon service at decision time (default).
	RedemptionLive = "live"
	// RedemptionSnapshot trusts the order snapshot's redeemed flag.
	RedemptionSnapshot = "snapshot"
)

// What a decision does when the coupon service cannot answer.
const (
	// UnavailableReview sends the case to a reviewer (default): nobody
	// refunds or refuses a code whose use is unknown.
	UnavailableReview = "review"
	// UnavailableSnapshot decides on the snapshot's flag instead.
	UnavailableSnapshot = "snapshot"
)

// VirtualGoodsSettings are the merchant's settings for virtual goods (F18):
// where redemption is learnt, and what happens when the coupon service
// does not answer.
type VirtualGoodsSettings struct {
	RedemptionCheck string // RedemptionLive or RedemptionSnapshot
	WhenUnavailable string // UnavailableReview or UnavailableSnapshot
}

// DefaultVirtualGoodsSettings: ask live; a person decides when the mall
// does not answer.
func DefaultVirtualGoodsSettings() VirtualGoodsSettings {
	return VirtualGoodsSettings{RedemptionCheck: RedemptionLive, WhenUnavailable: UnavailableReview}
}

// validate names the settings' invalid fields.
func (s VirtualGoodsSettings) validate(v *Validation) {
	// Empty is the default: a set built before the settings existed.
	v.Check(s.RedemptionCheck == "" || s.RedemptionCheck == RedemptionLive || s.RedemptionCheck == RedemptionSnapshot,
		"virtual_goods.redemption_check", "must be live or snapshot")
	v.Check(s.WhenUnavailable == "" || s.WhenUnavailable == UnavailableReview || s.WhenUnavailable == UnavailableSnapshot,
		"virtual_goods.when_unavailable", "must be review or snapshot")
}

// ChecksLive reports whether decisions ask the coupon service (the default).
func (s VirtualGoodsSettings) ChecksLive() bool { return s.RedemptionCheck != RedemptionSnapshot }

// reviewsWhenUnavailable reports whether a case whose virtual goods could
// not be checked goes to a person (the default).
func (s VirtualGoodsSettings) reviewsWhenUnavailable() bool {
	return s.WhenUnavailable != UnavailableSnapshot
}

// RedemptionFacts are the live answers for a case's virtual lines, by line
// id, and whether any line could not be checked.
type RedemptionFacts struct {
	Lines       map[string]Redemption
	Unavailable bool
	// Cause says why the check failed (for staff), when Unavailable.
	Cause string
}

// Overlay returns a copy of o whose virtual lines carry the live answers:
// rules then read redemption (virtual_unused) from the mall's coupon
// service rather than from the snapshot.
func (f RedemptionFacts) Overlay(o *Order) *Order {
	if o == nil || len(f.Lines) == 0 {
		return o
	}
	out := *o
	out.Lines = append([]OrderLine(nil), o.Lines...)
	for i := range out.Lines {
		if r, ok := f.Lines[out.Lines[i].LineID]; ok {
			out.Lines[i].Redeemed = r.Redeemed
		}
	}
	return &out
}

// usedNoteFor is the note added to the reason of rule r when it rejects on
// the live answer that virtual goods were used; empty otherwise (and for
// nil facts).
func (f *RedemptionFacts) usedNoteFor(r Rule, c *Case) string {
	if f == nil || f.Unavailable || r.When.VirtualUnused == nil || *r.When.VirtualUnused || r.Then.Decision != OutcomeReject {
		return ""
	}
	return f.usedNote(c)
}

// usedNote says which virtual lines of c were found used, for the buyer.
func (f RedemptionFacts) usedNote(c *Case) string {
	note := ""
	for _, l := range c.Lines {
		r, ok := f.Lines[l.LineID]
		if !ok || !r.Redeemed {
			continue
		}
		if note != "" {
			note += "; "
		}
		note += l.Name + " was redeemed"
		if !r.RedeemedAt.IsZero() {
			note += " at " + r.RedeemedAt.UTC().Format("2006-01-02 15:04 MST")
		}
		if r.Detail != "" {
			note += " (" + r.Detail + ")"
		}
	}
	return note
}

// VirtualLines returns the case's lines of kind virtual, as order lines of o.
func VirtualLines(c *Case, o *Order) []OrderLine {
	var out []OrderLine
	for _, cl := range c.Lines {
		if cl.Kind != KindVirtual || o == nil {
			continue
		}
		if ol, ok := o.Line(cl.LineID); ok {
			out = append(out, *ol)
		}
	}
	return out
}

// unavailableDecision is the decision when the coupon service could not
// say whether the case's virtual goods were used and the merchant wants a
// person then (UnavailableReview).
func unavailableDecision(rs *RuleSet, f RedemptionFacts) Decision {
	return Decision{Outcome: string(OutcomeManual), By: byRules, RuleID: "virtual_goods.when_unavailable",
		RuleSetVersion: rs.Version, Level: RoleReviewer,
		Reason: fmt.Sprintf("the mall's coupon service could not say whether the virtual goods were used (%s): check by hand", f.Cause)}
}
