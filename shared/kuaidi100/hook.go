package kuaidi100

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Parcels takes verified pushes: it drops replays and queues new ones for
// the inbound consumer (returns.Service.AcceptParcel).
type Parcels interface {
	AcceptParcel(ctx context.Context, n aftersales.ParcelNotice) (duplicate bool, err error)
}

// maxPush bounds a push: one with a month of scans is a few KB.
const maxPush = 256 << 10

// Hook serves POST /webhooks/kuaidi100: it verifies a push with the salt of
// the subscription its URL names, hands it to Parcels and answers as
// Kuaidi100 requires. Nothing is processed here and nothing is changed by a
// push that fails verification.
type Hook struct {
	Salts   Salts
	Parcels Parcels
	Logger  *slog.Logger
}

// ServeHTTP verifies, then accepts.
func (h *Hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, status, err := h.parse(r)
	if err != nil {
		h.log().WarnContext(r.Context(), "kuaidi100 push refused", "status", status, "err", err.Error())
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(Refused(http.StatusText(status), err.Error()))
		return
	}
	dup, err := h.Parcels.AcceptParcel(r.Context(), n)
	if err != nil {
		// Not taken: the provider pushes it again later.
		h.log().ErrorContext(r.Context(), "kuaidi100 push not queued; it will be pushed again", "case_id", n.CaseID, "err", err.Error())
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(Refused("500", "temporarily unavailable"))
		return
	}
	h.log().InfoContext(r.Context(), "kuaidi100 push accepted", "case_id", n.CaseID, "number", n.Number, "phase", string(n.Phase),
		"duplicate", dup)
	Answer(w, Accepted)
}

func (h *Hook) log() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

var (
	errNoSubscription = errors.New("the URL names no subscription (case, ref)")
	errSignature      = errors.New("the signature does not match the subscription's salt")
)

// parse verifies the push and decodes it; the status says why it failed.
func (h *Hook) parse(r *http.Request) (aftersales.ParcelNotice, int, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPush+1))
	if err != nil || len(body) > maxPush {
		return aftersales.ParcelNotice{}, http.StatusBadRequest, errors.New("the body is unreadable or too large")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return aftersales.ParcelNotice{}, http.StatusBadRequest, errors.New("the body is not a form")
	}
	if len(h.Salts.Key) == 0 {
		// No salt key: anyone could compute the salts, so nothing verifies.
		return aftersales.ParcelNotice{}, http.StatusUnauthorized, errors.New("courier tracking is not configured (the kuaidi100 secret's salt is empty)")
	}
	q := r.URL.Query()
	caseID, ref := q.Get("case"), q.Get("ref")
	if caseID == "" || ref == "" {
		return aftersales.ParcelNotice{}, http.StatusBadRequest, errNoSubscription
	}
	param, sign := form.Get("param"), form.Get("sign")
	if !Verify(param, h.Salts.Of(caseID, ref), sign) {
		return aftersales.ParcelNotice{}, http.StatusUnauthorized, errSignature
	}
	if ref == PickupRef && q.Get("kind") == "order" {
		return pickupNotice(caseID, param)
	}
	if ref == InterceptRef && q.Get("kind") == "intercept" {
		return interceptNotice(caseID, param)
	}
	p, err := ParsePush(param)
	if err != nil {
		return aftersales.ParcelNotice{}, http.StatusBadRequest, err
	}
	if p.LastResult.Number != ref && ref != PickupRef {
		// A pickup's waybill is known only once collected: its pushes
		// name it, and the case checks it is its return's.
		// Else signed for one parcel, about another: never from the provider.
		return aftersales.ParcelNotice{}, http.StatusBadRequest, errors.New("the push is about another parcel than its subscription")
	}
	id := sha256.Sum256([]byte(caseID + "\x00" + param))
	n := aftersales.ParcelNotice{ID: hex.EncodeToString(id[:16]), Kind: aftersales.ParcelTracking, CaseID: caseID,
		Courier: p.LastResult.Company, Number: p.LastResult.Number, At: p.LatestAt(), Scan: p.Latest()}
	if len(p.LastResult.Data) > 0 {
		// A push without scans (status abort, "3天查询无记录") says nothing
		// about the parcel: its phase stays unknown and it changes nothing.
		n.Phase = aftersales.ParcelPhase(p.Phase())
	}
	if n.Courier == "" {
		n.Courier = p.ComNew
	}
	return n, 0, nil
}

// pickupNotice decodes a pickup order's callback: collected (with the
// waybill the courier assigned), failed or cancelled; other progress
// (accepted, on the way) changes nothing and carries no phase.
func pickupNotice(caseID, param string) (aftersales.ParcelNotice, int, error) {
	cb, err := ParseOrderCallback(param)
	if err != nil {
		return aftersales.ParcelNotice{}, http.StatusBadRequest, err
	}
	id := sha256.Sum256([]byte(caseID + "\x00order\x00" + param))
	n := aftersales.ParcelNotice{ID: hex.EncodeToString(id[:16]), Kind: aftersales.ParcelPickup, CaseID: caseID,
		Courier: cb.Company, Number: cb.Number, OrderID: cb.Data.OrderID, Scan: cb.Message}
	switch cb.OrderStatus() {
	case OrderCollected:
		n.Collected, n.Phase = cb.Number != "", aftersales.ParcelCollected
	case OrderFailed, OrderCancelled, OrderVoided:
		n.Phase = aftersales.ParcelProblem
	}
	return n, 0, nil
}

// interceptNotice decodes an interception's result callback: succeeded or
// failed; still processing changes nothing and carries no outcome.
func interceptNotice(caseID, param string) (aftersales.ParcelNotice, int, error) {
	cb, err := ParseInterceptCallback(param)
	if err != nil {
		return aftersales.ParcelNotice{}, http.StatusBadRequest, err
	}
	id := sha256.Sum256([]byte(caseID + "\x00intercept\x00" + param))
	n := aftersales.ParcelNotice{ID: hex.EncodeToString(id[:16]), Kind: aftersales.ParcelInterception, CaseID: caseID,
		Courier: cb.Company, Number: cb.Number, OrderID: cb.OrderID, Scan: cb.Message}
	switch cb.Status {
	case InterceptSucceeded:
		n.Intercepted, n.Phase = true, aftersales.ParcelReturned
	case InterceptFailed:
		n.Phase = aftersales.ParcelSigned
	}
	return n, 0, nil
}
