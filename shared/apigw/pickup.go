package apigw

import (
	"context"
	"net/http"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Pickups books courier pickups of returns (F21, issue 15).
type Pickups interface {
	BookPickup(ctx context.Context, p aftersales.Principal, caseID string, r aftersales.PickupRequest) (*aftersales.Case, error)
}

// pickupRequest is POST /v1/cases/{id}/pickup.
type pickupRequest struct {
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Address     string    `json:"address"`
	Courier     string    `json:"courier"`
}

func (s *Server) bookPickup(r *http.Request, p aftersales.Principal, id string, b pickupRequest) (*aftersales.Case, error) {
	if s.svc.Pickups == nil {
		return nil, aftersales.E(aftersales.KindConflict, "case.pickup", "courier pickups are not served here")
	}
	return s.svc.Pickups.BookPickup(r.Context(), p, id, aftersales.PickupRequest{Courier: b.Courier, Address: b.Address,
		WindowStart: b.WindowStart, WindowEnd: b.WindowEnd})
}

// pickupJSON is a case's courier pickup.
type pickupJSON struct {
	OrderID     string    `json:"order_id"`
	Courier     string    `json:"courier"`
	Address     string    `json:"address"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	BookedAt    time.Time `json:"booked_at"`
	Status      string    `json:"status"`
}

func toPickupJSON(pk *aftersales.Pickup) *pickupJSON {
	if pk == nil {
		return nil
	}
	return &pickupJSON{OrderID: pk.OrderID, Courier: pk.Courier, Address: pk.Address, WindowStart: pk.WindowStart.UTC(),
		WindowEnd: pk.WindowEnd.UTC(), BookedAt: pk.BookedAt.UTC(), Status: pk.Status}
}
