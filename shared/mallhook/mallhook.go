// Package mallhook receives the mall's order events (POST
// /webhooks/mall/orders): it verifies their HMAC-SHA256 signature over
// "timestamp.body" within a five-minute window and hands the order snapshot
// they carry to the orders use case, which stores it only if it is newer
// than the stored one (a higher version, another event id). A request that
// fails verification changes nothing; a verified snapshot that is not newer
// (a replay inside the window, or a retry that arrived after a later change)
// is acknowledged and changes nothing either, so the mall stops sending it.
package mallhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
)

// The headers of a signed mall event.
const (
	HeaderTimestamp = "X-Mall-Timestamp" // Unix seconds when the mall signed the event
	HeaderSignature = "X-Mall-Signature" // hex HMAC-SHA256 of "<timestamp>.<body>"
)

// Window is how far a signed timestamp may be from now: replays of a captured
// event stop working after it.
const Window = 5 * time.Minute

// maxBody bounds an order event; the largest real order is a few KB.
const maxBody = 256 << 10

// Sign returns the signature headers for body at t; the local stack and
// tests use it to act as the mall.
func Sign(secret string, t time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(t.Unix(), 10)
	return timestamp, hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks an event's signature and timestamp against now.
func Verify(secret, timestamp, signature string, body []byte, now time.Time) error {
	const op = "mallhook.verify"
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return aftersales.E(aftersales.KindUnauthenticated, op, HeaderTimestamp+" must be Unix seconds")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Window || d < -Window {
		return aftersales.E(aftersales.KindUnauthenticated, op, fmt.Sprintf("the timestamp is more than %s away from now", Window))
	}
	got, err := hex.DecodeString(signature)
	if err != nil || !hmac.Equal(got, mac(secret, timestamp, body)) {
		return aftersales.E(aftersales.KindUnauthenticated, op, "the signature does not match")
	}
	return nil
}

// Orders takes the mall's order snapshots (usecase/orders).
type Orders interface {
	// PutOrder stores o unless the stored snapshot is as new or newer;
	// stored says which. Either way the mall is done with the event.
	PutOrder(ctx context.Context, o *aftersales.Order) (stored bool, err error)
}

// Handler serves POST /webhooks/mall/orders.
type Handler struct {
	Secret string
	Orders Orders
	Clock  aftersales.Clock
}

// ServeHTTP verifies the event before it reads anything from it, then hands
// the snapshot on and answers 204, whether it was stored or ignored as not
// newer: refusing it would only have the mall send again an event that can
// never be stored.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err == nil && len(body) > maxBody {
		err = errors.New("the body is too large")
	}
	if err != nil {
		apigw.WriteError(w, r, aftersales.Wrap(aftersales.KindInvalid, "mallhook", err))
		return
	}
	if err := Verify(h.Secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, h.Clock.Now()); err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	o, err := DecodeOrder(body)
	if err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	stored, err := h.Orders.PutOrder(r.Context(), o)
	if err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	msg := "order snapshot stored"
	if !stored {
		msg = "order snapshot ignored: the stored one is as new or newer"
	}
	apigw.Logger(r.Context()).Info(msg, "order_id", o.ID, "version", o.Version, "event_id", o.EventID, "status", string(o.Status))
	w.WriteHeader(http.StatusNoContent)
}
