// Package fakemallcoupon is the local stand-in of the mall's coupon
// service (F18): it speaks the wire format of shared/mallcoupon, refuses
// queries whose signature does not verify (401), signs its answers with
// the shared secret as the mall does, and keeps which codes were used so
// that the local stack and its tests can use one between the order event
// and the decision.
package fakemallcoupon

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/mallcoupon"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// Server is the stand-in. Codes it was not told about are unused.
type Server struct {
	Secret string
	Clock  aftersales.Clock

	mu       sync.Mutex
	used     map[key]use
	queries  int
	refused  int
	failures int // the next n queries answer 503
}

type key struct{ order, line string }

type use struct {
	at     time.Time
	detail string
}

// Redeem marks the code of an order line used at at, with the mall's words
// on where.
func (s *Server) Redeem(orderID, lineID string, at time.Time, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used == nil {
		s.used = map[key]use{}
	}
	s.used[key{orderID, lineID}] = use{at.UTC(), detail}
}

// FailNext makes the next n queries answer 503, as a service that is down.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = n
}

// Queries returns how many signed queries were answered, and how many were
// refused for their signature.
func (s *Server) Queries() (answered, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries, s.refused
}

// Handler serves the coupon service's redemption query.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+mallcoupon.Path, s.redemption)
	return mux
}

func (s *Server) redemption(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := mallhook.Verify(s.Secret, r.Header.Get(mallhook.HeaderTimestamp), r.Header.Get(mallhook.HeaderSignature), body, s.Clock.Now()); err != nil {
		s.mu.Lock()
		s.refused++
		s.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var q mallcoupon.Query
	if err := json.Unmarshal(body, &q); err != nil || q.OrderID == "" || q.LineID == "" {
		http.Error(w, "order_id and line_id are required", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.failures > 0 {
		s.failures--
		s.mu.Unlock()
		http.Error(w, "coupon service unavailable", http.StatusServiceUnavailable)
		return
	}
	s.queries++
	u, redeemed := s.used[key{q.OrderID, q.LineID}]
	s.mu.Unlock()
	a := mallcoupon.Answer{OrderID: q.OrderID, LineID: q.LineID, Redeemed: redeemed}
	if redeemed {
		a.RedeemedAt, a.Detail = &u.at, u.detail
	}
	out, err := json.Marshal(a)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ts, sig := mallhook.Sign(s.Secret, s.Clock.Now(), out)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(mallhook.HeaderTimestamp, ts)
	w.Header().Set(mallhook.HeaderSignature, sig)
	w.Write(out)
}
