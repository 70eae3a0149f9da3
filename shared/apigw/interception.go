package apigw

import (
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// interceptionJSON is the interception of a case's outbound parcel (F30).
type interceptionJSON struct {
	Courier        string     `json:"courier"`
	TrackingNumber string     `json:"tracking_number"`
	RequestedAt    time.Time  `json:"requested_at"`
	RefundAt       string     `json:"refund_at"`
	Status         string     `json:"status"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
	Message        string     `json:"message,omitempty"`
}

func toInterceptionJSON(ic *aftersales.Interception) *interceptionJSON {
	if ic == nil {
		return nil
	}
	out := &interceptionJSON{Courier: ic.Courier, TrackingNumber: ic.TrackingNumber, RequestedAt: ic.RequestedAt.UTC(),
		RefundAt: ic.RefundAt, Status: ic.Status, Message: ic.Note}
	if !ic.At.IsZero() {
		at := ic.At.UTC()
		out.AnsweredAt = &at
	}
	return out
}
