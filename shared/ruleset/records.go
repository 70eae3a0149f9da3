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
	VirtualGoods       *virtualJSON   `json:"virtual_goods,omitempty"`
	Bundles            *bundlesJSON   `json:"bundles,omitempty"`
	Presale            *presaleJSON   `json:"presale,omitempty"`
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
	out.Evidence = &evidenceJSON{ReuseMaxDistance: &reuse, RecognitionCategories: rs.Evidence.RecognitionCategories}
	vg := rs.VirtualGoods
	def := aftersales.DefaultVirtualGoodsSettings()
	out.VirtualGoods = &virtualJSON{RedemptionCheck: cmp.Or(vg.RedemptionCheck, def.RedemptionCheck),
		WhenUnavailable: cmp.Or(vg.WhenUnavailable, def.WhenUnavailable)}
	days := cmp.Or(rs.Presale.ShipWithinDays, aftersales.DefaultPresaleShipDays)
	out.Presale = &presaleJSON{ShipWithinDays: &days, LateShipment: cmp.Or(rs.Presale.LateShipment, aftersales.LateDoubleDeposit)}
	out.Bundles = &bundlesJSON{VirtualComponents: cmp.Or(rs.Bundles.VirtualComponents, aftersales.VirtualRefundAtOnce)}
	for _, r := range rs.Rules {
		out.Rules = append(out.Rules, ruleJSON{ID: r.ID, Description: r.Description,
			When: conditionJSON(r.When), Then: outcomeJSON(r.Then)})
	}
	d := rs.Deadlines
	dur := func(x time.Duration) *duration { v := duration(x); return &v }
	out.Deadlines = &deadlinesJSON{
		ReviewUnshipped: dur(d.ReviewUnshipped), ReviewShipped: dur(d.ReviewShipped),
		// Always an object, never absent: absent would read back as the default SLAs.
		ReviewSLA: make(map[string]duration, len(d.ReviewSLA)),
		Evidence:  dur(d.Evidence), Return: dur(d.Return), Receipt: dur(d.Receipt),
		Reship: dur(d.Reship), Refund: dur(d.Refund), Dispute: dur(d.Dispute),
		DisputeAnswer: dur(d.DisputeAnswer), Agreement: dur(d.DisputeAgreement), Arbitration: dur(d.Arbitration),
	}
	for tier, x := range d.ReviewSLA {
		out.Deadlines.ReviewSLA[tier] = duration(x)
	}
	return out
}
