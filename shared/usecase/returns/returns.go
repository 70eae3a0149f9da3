// Package returns is the use case of the goods' way back and forth (F9,
// F22): the buyer's return waybill, the merchant's receipt and inspection
// of the return (sellable or defective), and the replacement parcel of an
// exchange. Courier tracking, pickups and interception will live here.
package returns

import (
	"context"
	"regexp"
	"strings"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Service serves the shipments and the receipt of a case.
type Service struct {
	Cases    aftersales.CaseStore
	Workflow casework.Resumer
	Clock    aftersales.Clock
}

// ShipReturn records the buyer's return waybill (any terminal, F4).
func (s *Service) ShipReturn(ctx context.Context, p aftersales.Principal, caseID string, sh aftersales.Shipment) (*aftersales.Case, error) {
	const op = "case.return_shipment"
	if err := validateShipment(sh, op); err != nil {
		return nil, err
	}
	return casework.EndWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitReturn, func(c *aftersales.Case) error {
		if !c.OwnedBy(p.ID) {
			return aftersales.E(aftersales.KindForbidden, op, "only the case's buyer ships the return")
		}
		sh.At = s.Clock.Now().UTC()
		c.Return = &sh
		return c.Apply(aftersales.Change{Action: aftersales.ActShipReturn, Actor: p.Actor(), At: sh.At, Note: sh.Courier + " " + sh.TrackingNumber})
	})
}

// ConfirmReceipt records that the merchant received and inspected the return.
func (s *Service) ConfirmReceipt(ctx context.Context, p aftersales.Principal, caseID, condition, note string) (*aftersales.Case, error) {
	const op = "case.receipt"
	if err := casework.RequireStaff(p, op); err != nil {
		return nil, err
	}
	var v aftersales.Validation
	v.Check(condition == aftersales.ConditionSellable || condition == aftersales.ConditionDefective, "condition", "must be sellable or defective")
	aftersales.CheckText(&v, "note", note, aftersales.MultiLine, aftersales.MaxDescriptionRunes)
	if err := v.Err(op); err != nil {
		return nil, err
	}
	return casework.EndStaffWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitReceipt, op, func(c *aftersales.Case) error {
		c.ReturnCondition = condition
		return c.Apply(aftersales.Change{Action: aftersales.ActConfirmReceipt, Actor: p.Actor(), At: s.Clock.Now(), Note: strings.TrimSpace(condition + " " + note)})
	})
}

// Reship records the replacement parcel of an exchange.
func (s *Service) Reship(ctx context.Context, p aftersales.Principal, caseID string, sh aftersales.Shipment) (*aftersales.Case, error) {
	const op = "case.reship"
	if err := casework.RequireStaff(p, op); err != nil {
		return nil, err
	}
	if err := validateShipment(sh, op); err != nil {
		return nil, err
	}
	return casework.EndStaffWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitReship, op, func(c *aftersales.Case) error {
		sh.At = s.Clock.Now().UTC()
		c.Replacement = &sh
		return c.Apply(aftersales.Change{Action: aftersales.ActReship, Actor: p.Actor(), At: sh.At, Note: sh.Courier + " " + sh.TrackingNumber})
	})
}

// maxCourierRunes bounds a courier's code or name ("shunfeng", "顺丰速运").
const maxCourierRunes = 32

var trackingNumber = regexp.MustCompile(`^[A-Za-z0-9]{6,32}$`)

func validateShipment(sh aftersales.Shipment, op string) error {
	var v aftersales.Validation
	if v.Check(sh.Courier != "", "courier", "is required (a courier code such as shunfeng or yuantong)") {
		aftersales.CheckText(&v, "courier", sh.Courier, aftersales.OneLine, maxCourierRunes)
	}
	v.Check(trackingNumber.MatchString(sh.TrackingNumber), "tracking_number", "must be 6 to 32 letters or digits")
	return v.Err(op)
}
