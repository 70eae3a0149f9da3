package messages

import (
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// ParcelMessage is the body of an inbound queue message carrying a courier
// push, {"parcel": {...}}: the key tells it from a refund notice, which
// shares the queue and its consumer.
type ParcelMessage struct {
	Parcel *Parcel `json:"parcel"`
}

// Parcel is a courier push, verified by the webhook that received it.
type Parcel struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	CaseID      string    `json:"case_id"`
	Courier     string    `json:"courier"`
	Number      string    `json:"number"`
	Phase       string    `json:"phase,omitempty"`
	At          time.Time `json:"at,omitzero"`
	Scan        string    `json:"scan,omitempty"`
	OrderID     string    `json:"order_id,omitempty"`
	Collected   bool      `json:"collected,omitempty"`
	Intercepted bool      `json:"intercepted,omitempty"`
}

// ParcelOf is the message for n.
func ParcelOf(n aftersales.ParcelNotice) ParcelMessage {
	return ParcelMessage{Parcel: &Parcel{ID: n.ID, Kind: string(n.Kind), CaseID: n.CaseID, Courier: n.Courier, Number: n.Number,
		Phase: string(n.Phase), At: n.At, Scan: n.Scan, OrderID: n.OrderID, Collected: n.Collected, Intercepted: n.Intercepted}}
}

// Notice is the push m carries.
func (m Parcel) Notice() aftersales.ParcelNotice {
	return aftersales.ParcelNotice{ID: m.ID, Kind: aftersales.ParcelKind(m.Kind), CaseID: m.CaseID, Courier: m.Courier, Number: m.Number,
		Phase: aftersales.ParcelPhase(m.Phase), At: m.At, Scan: m.Scan, OrderID: m.OrderID, Collected: m.Collected, Intercepted: m.Intercepted}
}
