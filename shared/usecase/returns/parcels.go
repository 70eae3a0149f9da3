package returns

import (
	"context"
	"errors"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// parcelProvider names the courier aggregator's pushes in the notification
// store (replays are dropped by this name and the push's id).
const parcelProvider = "kuaidi100"

// ActorCourier is the actor of the changes a courier's push makes.
const ActorCourier = "courier:kuaidi100"

// AcceptParcel takes a verified courier push at the webhook: a replayed one
// (its id already recorded) changes nothing; a new one is queued for the
// inbound consumer, then recorded, so a failed queueing is retried by the
// provider, never lost.
func (s *Service) AcceptParcel(ctx context.Context, n aftersales.ParcelNotice) (duplicate bool, err error) {
	seen, err := s.Notifications.NotificationSeen(ctx, parcelProvider, n.ID)
	if err != nil || seen {
		return seen, err
	}
	if err := s.Parcels.EnqueueParcel(ctx, n); err != nil {
		return false, err
	}
	_, err = s.Notifications.RecordNotification(ctx, parcelProvider, n.ID, s.Clock.Now())
	return false, err
}

// ParcelNotified applies a verified courier push (from the inbound queue)
// to its case: a scan of the return (applyScan) or a pickup's progress
// (applyPickup). A push about another parcel than the case's return (a
// waybill the buyer corrected since), an older scan than the one recorded,
// or a case no longer in transit changes nothing: pushes arrive out of
// order and after the fact. A push that changes the case resumes its
// transit wait, so that the next deadline counts from this scan, or (signed
// for) the receipt deadline starts.
func (s *Service) ParcelNotified(ctx context.Context, n aftersales.ParcelNotice) error {
	apply := s.applyScan
	switch n.Kind {
	case aftersales.ParcelTracking, "":
	case aftersales.ParcelPickup:
		apply = s.applyPickup
	case aftersales.ParcelInterception:
		apply = s.applyInterception
	default:
		return nil // a kind this version does not know: nothing to retry
	}
	var token string
	c, wrote, err := casework.Update(ctx, s.Cases, n.CaseID, s.Cases.GetCase, func(c *aftersales.Case) error {
		token = c.TaskToken
		return apply(c, n)
	})
	if errors.Is(err, aftersales.ErrNotFound) {
		return nil // a case that never existed: nothing to retry
	}
	if err != nil || !wrote || token == "" {
		return err
	}
	return s.Workflow.Resume(ctx, token, c)
}

// applyScan records a scan on c, or says ErrNoChange.
func (s *Service) applyScan(c *aftersales.Case, n aftersales.ParcelNotice) error {
	if c.Status == aftersales.StatusIntercepting {
		return s.applyInterceptedScan(c, n)
	}
	sh := c.Return
	if c.Status != aftersales.StatusReturnInTransit || sh == nil || sh.TrackingNumber != n.Number {
		return casework.ErrNoChange
	}
	at := n.At
	if at.IsZero() {
		at = s.Clock.Now()
	}
	at = at.UTC()
	// Scans carry the second they happened: an older one, or the same
	// phase in the same second, is a scan pushed again.
	if at.Before(sh.MovedAt) || (at.Equal(sh.MovedAt) && n.Phase == sh.Phase) {
		return casework.ErrNoChange
	}
	ch := aftersales.Change{Actor: ActorCourier, At: s.Clock.Now(), Note: n.NoteOf()}
	switch {
	case n.Phase == aftersales.ParcelSigned:
		ch.Action = aftersales.ActReturnDelivered
		if sh.CollectedAt.IsZero() {
			sh.CollectedAt = at
		}
	case n.Phase.Alarming():
		ch.Action = aftersales.ActParcelProblem
		sh.AlertedAt = ch.At.UTC()
	case n.Phase.Moving() && sh.CollectedAt.IsZero():
		ch.Action = aftersales.ActReturnCollected
		sh.CollectedAt = at
	case n.Phase.Moving():
		ch.Action = aftersales.ActParcelUpdate
	default:
		return casework.ErrNoChange // ordered, or a state we do not know: wait for the next scan
	}
	sh.Phase, sh.Scan, sh.MovedAt = n.Phase, n.Scan, at
	return c.Apply(ch)
}
