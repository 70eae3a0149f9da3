package mallhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
)

// CustomsJSON is a customs status event as the mall sends it (POST
// /webhooks/mall/customs, docs/API.md).
type CustomsJSON struct {
	EventID string     `json:"event_id"`
	OrderID string     `json:"order_id"`
	Status  string     `json:"status"` // cleared, clearance_failed, returned
	Detail  string     `json:"detail,omitempty"`
	At      *time.Time `json:"at"`
}

// Customs takes customs events (the cases use case).
type Customs interface {
	// Customs opens the auto refund an event owes, once per event id; the
	// result has no case when it owes none.
	Customs(ctx context.Context, ev aftersales.CustomsEvent) (aftersales.CreateResult, error)
}

// CustomsHandler serves POST /webhooks/mall/customs (F17): signed like the
// order events, with the same secret and window.
type CustomsHandler struct {
	Secret  string
	Customs Customs
	Clock   aftersales.Clock
}

// ServeHTTP verifies the event before it reads it, then hands it on: 200
// with the case id when the event opened an auto refund (or opened it
// before: a redelivery), 204 when it owes none (cleared; or the order is
// refunded already).
func (h *CustomsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err == nil && len(body) > maxBody {
		err = errors.New("the body is too large")
	}
	if err != nil {
		apigw.WriteError(w, r, aftersales.Wrap(aftersales.KindInvalid, "mallhook.customs", err))
		return
	}
	if err := Verify(h.Secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, h.Clock.Now()); err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	ev, err := DecodeCustoms(body)
	if err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	res, err := h.Customs.Customs(r.Context(), ev)
	if err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	caseID := ""
	switch {
	case res.Case != nil:
		caseID = res.Case.ID
	case res.Replayed != nil:
		caseID = res.Replayed.CaseID
	}
	apigw.Logger(r.Context()).Info("customs event", "order_id", ev.OrderID, "event_id", ev.EventID, "status", string(ev.Status), "case_id", caseID)
	if caseID == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"case_id": caseID})
}

// DecodeCustoms parses and validates a customs event, naming every invalid
// field.
func DecodeCustoms(body []byte) (aftersales.CustomsEvent, error) {
	var in CustomsJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var v aftersales.Validation
		v.Add("body", "is not a customs event: %v", err)
		return aftersales.CustomsEvent{}, v.Err("mallhook.customs")
	}
	ev := aftersales.CustomsEvent{EventID: in.EventID, OrderID: in.OrderID, Status: aftersales.CustomsStatus(in.Status),
		Detail: in.Detail, At: deref(in.At)}
	return ev, ev.Validate()
}
