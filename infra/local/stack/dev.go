package stack

import (
	"bytes"
	"context"
	"encoding/json"

	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// devToken serves POST /dev/token {sub, roles}: a token signed with the local
// key. With ?raw=1 it answers the bare token, for shell variables.
func (s *Stack) devToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Sub   string   `json:"sub"`
		Roles []string `json:"roles"`
	}
	var v aftersales.Validation
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		v.Add("body", "must be {\"sub\": \"...\", \"roles\": [...]}")
	}
	v.Check(req.Sub != "", "sub", "is required")
	for i, role := range req.Roles {
		switch aftersales.Role(role) {
		case aftersales.RoleBuyer, aftersales.RoleReviewer, aftersales.RoleAdmin, aftersales.RoleArbitrator:
		default:
			v.Add("roles["+strconv.Itoa(i)+"]", "must be buyer, reviewer, admin or arbitrator")
		}
	}
	if err := v.Err("dev.token"); err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	tok, err := s.Token(req.Sub, req.Roles...)
	if err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	if r.URL.Query().Get("raw") != "" {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(tok))
		return
	}
	apigw.WriteJSON(w, http.StatusOK, map[string]string{"token": tok})
}

// devListOrders serves GET /dev/orders: the seeded and posted orders as they
// are stored now (with any ledger changes).
func (s *Stack) devListOrders(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ids := append([]string(nil), s.orders...)
	s.mu.Unlock()
	items := make([]mallhook.OrderJSON, 0, len(ids))
	for _, id := range ids {
		o, err := s.store.GetOrder(r.Context(), id)
		if err != nil {
			apigw.WriteError(w, r, err)
			return
		}
		items = append(items, mallhook.FromOrder(o))
	}
	apigw.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// devPostOrder serves POST /dev/orders: it signs the snapshot with the mall's
// secret and hands it to the webhook function, exactly as the mall would.
func (s *Stack) devPostOrder(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		apigw.WriteError(w, r, aftersales.Wrap(aftersales.KindInvalid, "dev.orders", err))
		return
	}
	status, body, err := s.postOrder(r.Context(), buf.Bytes())
	if err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	if status != http.StatusNoContent {
		w.Header().Set("Content-Type", apigw.ProblemContentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	var o mallhook.OrderJSON
	_ = json.Unmarshal(buf.Bytes(), &o)
	s.remember(o.OrderID)
	w.WriteHeader(http.StatusNoContent)
}

// postOrder delivers a signed order event to the webhook function.
func (s *Stack) postOrder(ctx context.Context, body []byte) (int, []byte, error) {
	ts, sig := mallhook.Sign(s.Config.MallWebhookSecret, s.Clock.Now(), body)
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/webhooks/mall/orders", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(mallhook.HeaderTimestamp, ts)
	req.Header.Set(mallhook.HeaderSignature, sig)
	ev, err := apigw.EventFromRequest(req, randomHex(8))
	if err != nil {
		return 0, nil, err
	}
	resp, err := s.hooks(ctx, ev)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, []byte(resp.Body), nil
}

func (s *Stack) remember(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.orders {
		if x == id {
			return
		}
	}
	s.orders = append(s.orders, id)
}

// devClock serves POST /dev/clock {"advance": "48h"}: the clock moves and
// every timer due by then fires before the answer.
func (s *Stack) devClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance string `json:"advance"`
	}
	var v aftersales.Validation
	var d time.Duration
	err := json.NewDecoder(r.Body).Decode(&req)
	if err == nil {
		d, err = time.ParseDuration(req.Advance)
	}
	if err != nil || d < 0 {
		v.Add("advance", "must be a non-negative duration such as \"90m\" or \"48h\"")
	}
	if err := v.Err("dev.clock"); err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	now := s.Clock.Advance(d)
	apigw.WriteJSON(w, http.StatusOK, map[string]time.Time{"now": now.UTC()})
}

// devEvents lists the domain events published so far (in the cloud they go
// to the EventBridge bus): balance credits for the mall, refund failures.
func (s *Stack) devEvents(w http.ResponseWriter, r *http.Request) {
	apigw.WriteJSON(w, http.StatusOK, map[string]any{"items": s.Events.Events()})
}
