// Package returns is the use case of the goods' way back and forth (F9,
// F22): the buyer's return waybill, the merchant's receipt and inspection
// of the return (sellable or defective), the replacement parcel of an
// exchange, and the courier's tracking of the return (issue 15): the
// waybill is checked against the courier's number formats and subscribed,
// and the courier's pushes move the case (parcels.go).
package returns

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Service serves the shipments and the receipt of a case.
type Service struct {
	Cases    aftersales.CaseStore
	Orders   aftersales.OrderStore
	Workflow casework.Resumer
	Clock    aftersales.Clock
	// Couriers checks and tracks return waybills; nil: no courier
	// aggregator is configured, waybills are checked by their form only
	// and the receipt deadline runs from the waybill.
	Couriers aftersales.Couriers
	// Notifications and Parcels take the courier's verified pushes
	// (AcceptParcel): replays are dropped, new ones queued.
	Notifications aftersales.NotificationStore
	Parcels       aftersales.ParcelQueue
	// Interceptor stops an approved refund-only's parcel on its way to
	// the buyer (F30), by the rule set Rules; nil: no courier aggregator,
	// such cases refund at once.
	Interceptor aftersales.Interceptor
	Rules       aftersales.RuleSetStore
	Logger      *slog.Logger
}

// ShipReturn records the buyer's return waybill (any terminal, F4). With a
// courier aggregator, the number must be one the courier issues (F9), and
// the parcel is subscribed before the waybill is stored, so that no stored
// waybill misses its pushes; when the aggregator cannot be reached the
// waybill is kept untracked rather than refused.
//
// postage is what the buyer says the courier charged, in minor units (0:
// not stated). The case's charges record it with what the merchant
// reimburses of it, fixed then, and a return to be refunded opens the
// reimbursement's ledger account in the same write (F29,
// Case.RecordPostage); the refund pays it.
func (s *Service) ShipReturn(ctx context.Context, p aftersales.Principal, caseID string, sh aftersales.Shipment, postage int64) (*aftersales.Case, error) {
	const op = "case.return_shipment"
	sh.Courier = aftersales.CourierCode(sh.Courier)
	if err := validateShipment(sh, op); err != nil {
		return nil, err
	}
	if postage < 0 || postage > aftersales.MaxPostage {
		return nil, aftersales.Invalid(op, "postage", "must be between 0 and %d (minor units)", aftersales.MaxPostage)
	}
	if s.Couriers != nil {
		c, err := casework.Visible(ctx, s.Cases, p, caseID)
		if err != nil {
			return nil, err
		}
		// A case not waiting for this buyer's return is refused by EndWait
		// below, without a call to the courier.
		if w, _ := aftersales.WaitOf(c.Status); w == aftersales.WaitReturn && c.OwnedBy(p.ID) {
			if sh.Tracked, err = s.track(ctx, c, sh, op); err != nil {
				return nil, err
			}
		}
	}
	return casework.EndWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitReturn, func(c *aftersales.Case) error {
		if !c.OwnedBy(p.ID) {
			return aftersales.E(aftersales.KindForbidden, op, "only the case's buyer ships the return")
		}
		sh.At = s.Clock.Now().UTC()
		c.Return = &sh
		note := sh.Courier + " " + sh.TrackingNumber
		if s.Couriers != nil && !sh.Tracked {
			note += " (courier tracking unavailable: the receipt deadline runs from now)"
		}
		if words := c.RecordPostage(postage); words != "" {
			note += "; " + words
		}
		return c.Apply(aftersales.Change{Action: aftersales.ActShipReturn, Actor: p.Actor(), At: sh.At, Note: note})
	})
}

// track checks that the number is the courier's and subscribes the parcel.
// A number the aggregator places with other couriers only is refused; an
// aggregator that cannot be reached leaves the parcel untracked.
func (s *Service) track(ctx context.Context, c *aftersales.Case, sh aftersales.Shipment, op string) (bool, error) {
	log := s.logger()
	couriers, err := s.Couriers.Recognize(ctx, sh.TrackingNumber)
	if err != nil {
		log.WarnContext(ctx, "courier number recognition unavailable: the return is not tracked", "case_id", c.ID, "err", err.Error())
		return false, nil
	}
	if !slices.Contains(couriers, sh.Courier) {
		msg := "is not a number " + sh.Courier + " issues"
		if len(couriers) > 0 {
			msg += " (it looks like " + strings.Join(couriers, " or ") + "; check the courier)"
		} else {
			msg += " (no courier issues numbers like it; check for typos)"
		}
		return false, aftersales.Invalid(op, "tracking_number", "%s", msg)
	}
	phone := ""
	if s.Orders != nil {
		if o, err := s.Orders.GetOrder(ctx, c.OrderID); err == nil {
			phone = o.BuyerPhone
		}
	}
	if err := s.Couriers.Track(ctx, c.ID, sh, phone); err != nil {
		log.WarnContext(ctx, "courier subscription failed: the return is not tracked", "case_id", c.ID, "err", err.Error())
		return false, nil
	}
	return true, nil
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
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
	// Staff may confirm a return that arrived before its courier said so:
	// in transit as well as awaiting receipt.
	wait := aftersales.WaitReceipt
	if c, err := s.Cases.GetCase(ctx, caseID); err == nil && c.Status == aftersales.StatusReturnInTransit {
		wait = aftersales.WaitTransit
	}
	return casework.EndStaffWait(ctx, s.Cases, s.Workflow, p, caseID, wait, op, func(c *aftersales.Case) error {
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
