package ruleset

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The records below are the JSON schema: their tags are the field names of
// the wire format and of the paths in error messages. Pointers mark fields
// whose absence means something (a default, or "any").

type ruleSetJSON struct {
	Version            int            `json:"version"`
	UpdatedAt          time.Time      `json:"updated_at,omitzero"`
	UpdatedBy          string         `json:"updated_by,omitempty"`
	AdminApprovalAbove *int64         `json:"admin_approval_above"`
	Rules              []ruleJSON     `json:"rules"`
	Deadlines          *deadlinesJSON `json:"deadlines"`
	Evidence           *evidenceJSON  `json:"evidence,omitempty"`
	Mall               *mallJSON      `json:"mall,omitempty"`
	Fees               *feesJSON      `json:"fees,omitempty"`
	// Perks by member tier; left out, the default perks; {} for none.
	Perks        map[string]perkJSON `json:"perks"`
	VirtualGoods *virtualJSON        `json:"virtual_goods,omitempty"`
	Bundles      *bundlesJSON        `json:"bundles,omitempty"`
	Presale      *presaleJSON        `json:"presale,omitempty"`
	Interception *interceptionJSON   `json:"interception,omitempty"`
}

// interceptionJSON are the interception terms (F30); left out, the
// default (aftersales.DefaultInterceptionSettings): intercept, refund at
// the courier's confirmation.
type interceptionJSON struct {
	Enabled  *bool  `json:"enabled,omitempty"`
	RefundAt string `json:"refund_at,omitempty"`
}

// mallJSON are the mall settings (issue 15); left out, or any part of
// them left out, the defaults (aftersales.DefaultMallSettings). An empty
// follow_up object turns follow-ups off.
type mallJSON struct {
	Coupons  []couponJSON  `json:"coupons,omitempty"`
	FollowUp *followUpJSON `json:"follow_up,omitempty"`
}

type couponJSON struct {
	ID     string        `json:"id"`
	When   conditionJSON `json:"when"`
	Coupon string        `json:"coupon"`
	Amount int64         `json:"amount,omitempty"`
}

type followUpJSON struct {
	MemberTiers      []string `json:"member_tiers,omitempty"`
	OrderAmountAbove *int64   `json:"order_amount_above,omitempty"`
}

// presaleJSON are the presale terms (F19); each left out takes its default
// (aftersales.DefaultPresaleSettings).
type presaleJSON struct {
	ShipWithinDays *int   `json:"ship_within_days,omitempty"`
	LateShipment   string `json:"late_shipment,omitempty"`
}

// bundlesJSON are the settings for bundles (F20); left out, the default
// (aftersales.DefaultBundleSettings).
type bundlesJSON struct {
	VirtualComponents string `json:"virtual_components,omitempty"`
}

// virtualJSON are the settings for virtual goods (F18); each left out
// takes its default (aftersales.DefaultVirtualGoodsSettings).
type virtualJSON struct {
	RedemptionCheck string `json:"redemption_check,omitempty"`
	WhenUnavailable string `json:"when_unavailable,omitempty"`
}

// evidenceJSON are the settings of the evidence checks; left out, the
// defaults (aftersales.DefaultEvidenceSettings).
type evidenceJSON struct {
	ReuseMaxDistance      *int     `json:"reuse_max_distance,omitempty"`
	RecognitionCategories []string `json:"recognition_categories,omitempty"`
	// Slots are the named photos by line kind; left out, the default
	// (produce: item and label); {} for none.
	Slots map[aftersales.LineKind][]string `json:"slots"`
}

type ruleJSON struct {
	ID          string        `json:"id"`
	Description string        `json:"description,omitempty"`
	When        conditionJSON `json:"when"`
	Then        outcomeJSON   `json:"then"`
}

type conditionJSON struct {
	CaseTypes             []aftersales.CaseType    `json:"case_types,omitempty"`
	OrderStatuses         []aftersales.OrderStatus `json:"order_statuses,omitempty"`
	PaidMoreThanDays      *int                     `json:"paid_more_than_days,omitempty"`
	PaidWithinDays        *int                     `json:"paid_within_days,omitempty"`
	ShippedMoreThanDays   *int                     `json:"shipped_more_than_days,omitempty"`
	ShippedWithinDays     *int                     `json:"shipped_within_days,omitempty"`
	DeliveredMoreThanDays *int                     `json:"delivered_more_than_days,omitempty"`
	DeliveredWithinDays   *int                     `json:"delivered_within_days,omitempty"`
	LineKinds             []aftersales.LineKind    `json:"line_kinds,omitempty"`
	OnlyLineKinds         []aftersales.LineKind    `json:"only_line_kinds,omitempty"`
	Categories            []string                 `json:"categories,omitempty"`
	AmountAbove           *int64                   `json:"amount_above,omitempty"`
	AmountAtMost          *int64                   `json:"amount_at_most,omitempty"`
	MemberTiers           []string                 `json:"member_tiers,omitempty"`
	RefundsAtLeast        *int                     `json:"refunds_90d_at_least,omitempty"`
	RefundsAtMost         *int                     `json:"refunds_90d_at_most,omitempty"`
	HasEvidence           *bool                    `json:"has_evidence,omitempty"`
	EvidenceVerified      *bool                    `json:"evidence_verified,omitempty"`
	EvidenceReused        *bool                    `json:"evidence_reused,omitempty"`
	RecognizedDamage      *bool                    `json:"recognized_damage,omitempty"`
	RecognizedLabels      []string                 `json:"recognized_labels,omitempty"`
	Reasons               []string                 `json:"reasons,omitempty"`
	VirtualUnused         *bool                    `json:"virtual_unused,omitempty"`
	RefundRateDays        *int                     `json:"refund_rate_days,omitempty"`
	RefundRateAtLeast     *int                     `json:"refund_rate_at_least,omitempty"`
	RefundRateAtMost      *int                     `json:"refund_rate_at_most,omitempty"`
	ReturnShippingPaidBy  *aftersales.Payer        `json:"return_shipping_paid_by,omitempty"`
	HasRestockingFee      *bool                    `json:"has_restocking_fee,omitempty"`
	Perks                 []string                 `json:"perks,omitempty"`
	EvidenceSlotsFilled   *bool                    `json:"evidence_slots_filled,omitempty"`
}

// feesJSON are the fee rules (F29); left out, the defaults
// (aftersales.DefaultFeeSettings), and so is each field left out.
type feesJSON struct {
	MerchantPaysReturnFor []string         `json:"merchant_pays_return_for"`
	ReturnPostageCap      *int64           `json:"return_postage_cap"`
	RestockingReasons     []string         `json:"restocking_reasons"`
	Restocking            []restockingJSON `json:"restocking"`
	RefundShippingFor     []string         `json:"refund_shipping_for,omitempty"`
}

type restockingJSON struct {
	Categories []string `json:"categories,omitempty"`
	Percent    int      `json:"percent,omitempty"`
	Fixed      int64    `json:"fixed,omitempty"`
}

// perkJSON is what the members of one tier get (F24).
type perkJSON struct {
	FreeReturnShipping  string `json:"free_return_shipping,omitempty"`
	MissedPromisePoints int    `json:"missed_promise_points,omitempty"`
}

type outcomeJSON struct {
	Decision aftersales.OutcomeKind `json:"decision"`
	Level    aftersales.Role        `json:"level,omitempty"`
	Reason   string                 `json:"reason,omitempty"`
}

type deadlinesJSON struct {
	ReviewUnshipped *duration           `json:"review_unshipped"`
	ReviewShipped   *duration           `json:"review_shipped"`
	ReviewSLA       map[string]duration `json:"review_sla"`
	Evidence        *duration           `json:"evidence"`
	Return          *duration           `json:"return"`
	Receipt         *duration           `json:"receipt"`
	Collection      *duration           `json:"collection,omitempty"`
	Stalled         *duration           `json:"stalled,omitempty"`
	Interception    *duration           `json:"interception,omitempty"`
	Reship          *duration           `json:"reship"`
	Refund          *duration           `json:"refund"`
	Dispute         *duration           `json:"dispute"`
	DisputeAnswer   *duration           `json:"dispute_answer"`
	Agreement       *duration           `json:"dispute_agreement"`
	Arbitration     *duration           `json:"arbitration"`
}

// duration is a Go duration string on the wire ("48h", "10m").
type duration time.Duration

// MarshalJSON writes the duration as a merchant would ("120h", not "120h0m0s").
func (d duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(aftersales.FormatDuration(time.Duration(d)))
}

// UnmarshalJSON reads a Go duration string.
func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	x, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"48h\" or \"10m\"", s)
	}
	*d = duration(x)
	return nil
}

var recordType = reflect.TypeFor[ruleSetJSON]()

func (r *ruleSetJSON) toDomain() *aftersales.RuleSet {
	rs := &aftersales.RuleSet{Version: r.Version, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy,
		AdminApprovalAbove: aftersales.DefaultAdminApprovalAbove, Deadlines: r.Deadlines.toDomain()}
	if r.AdminApprovalAbove != nil {
		rs.AdminApprovalAbove = *r.AdminApprovalAbove
	}
	rs.Evidence = aftersales.DefaultEvidenceSettings()
	if r.Evidence != nil {
		if r.Evidence.ReuseMaxDistance != nil {
			rs.Evidence.ReuseMaxDistance = *r.Evidence.ReuseMaxDistance
		}
		rs.Evidence.RecognitionCategories = r.Evidence.RecognitionCategories
		if r.Evidence.Slots != nil {
			rs.Evidence.Slots = r.Evidence.Slots
		}
	}
	rs.Fees = aftersales.DefaultFeeSettings()
	if f := r.Fees; f != nil {
		if f.MerchantPaysReturnFor != nil {
			rs.Fees.MerchantPaysReturnFor = f.MerchantPaysReturnFor
		}
		if f.ReturnPostageCap != nil {
			rs.Fees.ReturnPostageCap = *f.ReturnPostageCap
		}
		if f.RestockingReasons != nil {
			rs.Fees.RestockingReasons = f.RestockingReasons
		}
		for _, x := range f.Restocking {
			rs.Fees.Restocking = append(rs.Fees.Restocking, aftersales.RestockingFee(x))
		}
		rs.Fees.RefundShippingFor = f.RefundShippingFor
	}
	rs.Perks = aftersales.DefaultPerks()
	if r.Perks != nil {
		rs.Perks = make(map[string]aftersales.Perk, len(r.Perks))
		for tier, p := range r.Perks {
			rs.Perks[tier] = aftersales.Perk(p)
		}
	}
	rs.Mall = aftersales.DefaultMallSettings()
	if m := r.Mall; m != nil {
		for _, c := range m.Coupons {
			rs.Mall.Coupons = append(rs.Mall.Coupons, aftersales.CouponRule{ID: c.ID, When: aftersales.Condition(c.When),
				Coupon: c.Coupon, Amount: c.Amount})
		}
		if m.FollowUp != nil {
			rs.Mall.FollowUp = aftersales.FollowUpRule{MemberTiers: m.FollowUp.MemberTiers, OrderAmountAbove: m.FollowUp.OrderAmountAbove}
		}
	}
	rs.VirtualGoods = aftersales.DefaultVirtualGoodsSettings()
	if r.VirtualGoods != nil {
		if r.VirtualGoods.RedemptionCheck != "" {
			rs.VirtualGoods.RedemptionCheck = r.VirtualGoods.RedemptionCheck
		}
		if r.VirtualGoods.WhenUnavailable != "" {
			rs.VirtualGoods.WhenUnavailable = r.VirtualGoods.WhenUnavailable
		}
	}
	rs.Presale = aftersales.DefaultPresaleSettings()
	if r.Presale != nil {
		if r.Presale.ShipWithinDays != nil {
			rs.Presale.ShipWithinDays = *r.Presale.ShipWithinDays
		}
		if r.Presale.LateShipment != "" {
			rs.Presale.LateShipment = r.Presale.LateShipment
		}
	}
	rs.Interception = aftersales.DefaultInterceptionSettings()
	if r.Interception != nil {
		if r.Interception.Enabled != nil {
			rs.Interception.Disabled = !*r.Interception.Enabled
		}
		if r.Interception.RefundAt != "" {
			rs.Interception.RefundAt = r.Interception.RefundAt
		}
	}
	rs.Bundles = aftersales.DefaultBundleSettings()
	if r.Bundles != nil && r.Bundles.VirtualComponents != "" {
		rs.Bundles.VirtualComponents = r.Bundles.VirtualComponents
	}
	for _, x := range r.Rules {
		rs.Rules = append(rs.Rules, aftersales.Rule{ID: x.ID, Description: x.Description,
			When: aftersales.Condition(x.When),
			Then: aftersales.Outcome(x.Then)})
	}
	return rs
}

// toDomain fills each deadline left out with its default, so that a set
// written before a deadline existed keeps working when one is added.
func (d *deadlinesJSON) toDomain() aftersales.Deadlines {
	out := aftersales.DefaultDeadlines()
	if d == nil {
		return out
	}
	for _, f := range []struct {
		from *duration
		to   *time.Duration
	}{
		{d.ReviewUnshipped, &out.ReviewUnshipped}, {d.ReviewShipped, &out.ReviewShipped},
		{d.Evidence, &out.Evidence}, {d.Return, &out.Return}, {d.Receipt, &out.Receipt},
		{d.Collection, &out.Collection}, {d.Stalled, &out.Stalled}, {d.Interception, &out.Interception},
		{d.Reship, &out.Reship}, {d.Refund, &out.Refund}, {d.Dispute, &out.Dispute},
		{d.DisputeAnswer, &out.DisputeAnswer}, {d.Agreement, &out.DisputeAgreement}, {d.Arbitration, &out.Arbitration},
	} {
		if f.from != nil {
			*f.to = time.Duration(*f.from)
		}
	}
	if d.ReviewSLA != nil {
		out.ReviewSLA = make(map[string]time.Duration, len(d.ReviewSLA))
		for tier, x := range d.ReviewSLA {
			out.ReviewSLA[tier] = time.Duration(x)
		}
	}
	return out
}

func fromDomain(rs *aftersales.RuleSet) ruleSetJSON {
	admin := rs.AdminApprovalAbove
	out := ruleSetJSON{Version: rs.Version, UpdatedAt: rs.UpdatedAt.UTC(), UpdatedBy: rs.UpdatedBy,
		AdminApprovalAbove: &admin, Rules: make([]ruleJSON, 0, len(rs.Rules))}
	reuse := rs.Evidence.ReuseMaxDistance
	// Always whole: a part left out would read back as its default.
	out.Mall = &mallJSON{FollowUp: &followUpJSON{MemberTiers: rs.Mall.FollowUp.MemberTiers, OrderAmountAbove: rs.Mall.FollowUp.OrderAmountAbove}}
	for _, c := range rs.Mall.Coupons {
		out.Mall.Coupons = append(out.Mall.Coupons, couponJSON{ID: c.ID, When: conditionJSON(c.When), Coupon: c.Coupon, Amount: c.Amount})
	}
	out.Evidence = &evidenceJSON{ReuseMaxDistance: &reuse, RecognitionCategories: rs.Evidence.RecognitionCategories,
		Slots: rs.Evidence.Slots}
	if out.Evidence.Slots == nil {
		out.Evidence.Slots = map[aftersales.LineKind][]string{} // null would read back as the default slots
	}
	vg := rs.VirtualGoods
	def := aftersales.DefaultVirtualGoodsSettings()
	out.VirtualGoods = &virtualJSON{RedemptionCheck: cmp.Or(vg.RedemptionCheck, def.RedemptionCheck),
		WhenUnavailable: cmp.Or(vg.WhenUnavailable, def.WhenUnavailable)}
	days := cmp.Or(rs.Presale.ShipWithinDays, aftersales.DefaultPresaleShipDays)
	out.Presale = &presaleJSON{ShipWithinDays: &days, LateShipment: cmp.Or(rs.Presale.LateShipment, aftersales.LateDoubleDeposit)}
	enabled := !rs.Interception.Disabled
	out.Interception = &interceptionJSON{Enabled: &enabled, RefundAt: cmp.Or(rs.Interception.RefundAt, aftersales.RefundAtSuccess)}
	out.Bundles = &bundlesJSON{VirtualComponents: cmp.Or(rs.Bundles.VirtualComponents, aftersales.VirtualRefundAtOnce)}
	for _, r := range rs.Rules {
		out.Rules = append(out.Rules, ruleJSON{ID: r.ID, Description: r.Description,
			When: conditionJSON(r.When), Then: outcomeJSON(r.Then)})
	}
	cp := rs.Fees.ReturnPostageCap
	out.Fees = &feesJSON{MerchantPaysReturnFor: nonNil(rs.Fees.MerchantPaysReturnFor), ReturnPostageCap: &cp,
		RestockingReasons: nonNil(rs.Fees.RestockingReasons), Restocking: []restockingJSON{},
		RefundShippingFor: rs.Fees.RefundShippingFor}
	for _, x := range rs.Fees.Restocking {
		out.Fees.Restocking = append(out.Fees.Restocking, restockingJSON(x))
	}
	// Always an object, never absent: absent would read back as the default perks.
	out.Perks = make(map[string]perkJSON, len(rs.Perks))
	for tier, p := range rs.Perks {
		out.Perks[tier] = perkJSON(p)
	}
	d := rs.Deadlines
	dur := func(x time.Duration) *duration { v := duration(x); return &v }
	out.Deadlines = &deadlinesJSON{
		ReviewUnshipped: dur(d.ReviewUnshipped), ReviewShipped: dur(d.ReviewShipped),
		// Always an object, never absent: absent would read back as the default SLAs.
		ReviewSLA: make(map[string]duration, len(d.ReviewSLA)),
		Evidence:  dur(d.Evidence), Return: dur(d.Return), Receipt: dur(d.Receipt),
		Collection: dur(d.Collection), Stalled: dur(d.Stalled), Interception: dur(d.Interception),
		Reship: dur(d.Reship), Refund: dur(d.Refund), Dispute: dur(d.Dispute),
		DisputeAnswer: dur(d.DisputeAnswer), Agreement: dur(d.DisputeAgreement), Arbitration: dur(d.Arbitration),
	}
	for tier, x := range d.ReviewSLA {
		out.Deadlines.ReviewSLA[tier] = duration(x)
	}
	return out
}

// nonNil writes an empty list as [], not null: null would read back as the
// default.
func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
