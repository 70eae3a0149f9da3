package stack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakekuaidi100"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/kuaidi100"
)

// startCouriers starts the Kuaidi100 stand-in on the stack's clock and
// configures courier tracking with a fresh account, exactly as a
// deployment is configured with the merchant's: waybills are recognised
// and subscribed there, and its signed pushes come back to
// /webhooks/kuaidi100.
func (s *Stack) startCouriers(o Options) error {
	s.Kuaidi100 = fakekuaidi100.New(fakekuaidi100.Options{Key: randomHex(16), Secret: randomHex(16), Customer: randomHex(8),
		Now: o.Clock.Now, AfterFunc: o.Clock.AfterFunc, AfterPush: s.awaitInbound})
	base, err := s.serve("kuaidi100 stand-in", o.Kuaidi100Addr, s.Kuaidi100.Handler())
	if err != nil {
		return err
	}
	s.Config.Kuaidi100 = config.Kuaidi100{Settings: s.Kuaidi100.Settings(base), SaltKey: randomHex(32),
		CallbackURL: s.URL + "/webhooks/kuaidi100",
		ReturnTo:    kuaidi100.Warehouse{Name: "售后仓", Mobile: "02100000000", Address: "上海市青浦区华新镇售后仓1号"}}
	s.log.Info("courier stand-in", slog.String("kuaidi100", base))
	return nil
}

// awaitInbound returns once the inbound consumer has applied what is on
// its queue (a courier push just answered), or after a few seconds: a push
// whose processing failed waits for its visibility timeout, which must not
// stall the clock.
func (s *Stack) awaitInbound() {
	m := s.inbound.Load()
	if m == nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	if err := m.WaitIdle(ctx); err != nil {
		s.log.Debug("courier push not applied yet", "err", err.Error())
	}
}

// devKuaidi100 serves GET /dev/kuaidi100: the stand-in's parcels (with
// their journeys and scans), pickup orders, interceptions, and every push
// it posted with the webhook's answer.
func (s *Stack) devKuaidi100(w http.ResponseWriter, r *http.Request) {
	apigw.WriteJSON(w, http.StatusOK, s.Kuaidi100.Snapshot())
}

// devKuaidi100Move serves POST /dev/kuaidi100/move {"number", "to"}: the
// parcel's courier scans it now (collected, in_transit, delivering,
// signed, problem, returned, rejected) and the stand-in pushes the scan to
// the webhook (applied by the inbound consumer soon after); the parcel's journey stops there. {"number", "replay":
// true} posts its last push again, byte for byte.
func (s *Stack) devKuaidi100Move(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Number string `json:"number"`
		To     string `json:"to"`
		Replay bool   `json:"replay"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Number == "" {
		apigw.WriteError(w, r, aftersales.Invalid("dev.kuaidi100_move", "number", "is required: {\"number\": \"SF...\", \"to\": \"collected\"}"))
		return
	}
	var err error
	if req.Replay {
		err = s.Kuaidi100.Replay(req.Number)
	} else if _, ok := fakekuaidi100.States[req.To]; !ok {
		err = aftersales.Invalid("dev.kuaidi100_move", "to", "must be one of ordered, collected, in_transit, delivering, signed, problem, returned, rejected")
	} else {
		err = s.Kuaidi100.Move(req.Number, req.To)
	}
	if err != nil {
		if aftersales.KindOf(err) != aftersales.KindInvalid {
			err = aftersales.Invalid("dev.kuaidi100_move", "number", "%s", err.Error())
		}
		apigw.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// devKuaidi100Journey serves POST /dev/kuaidi100/journey {"number",
// "journey"}: the journey the parcel takes once subscribed (standard,
// manual, never_collected, stuck, returned).
func (s *Stack) devKuaidi100Journey() http.HandlerFunc {
	return devParcelSetting("dev.kuaidi100_journey", "journey", fakekuaidi100.Journeys, s.Kuaidi100.SetJourney)
}

// devKuaidi100Intercept serves POST /dev/kuaidi100/intercept {"number",
// "outcome"}: how the courier answers interceptions of the parcel (F30):
// succeeded (SUCCESS, the default) or failed because it was delivered
// (FAIL).
func (s *Stack) devKuaidi100Intercept() http.HandlerFunc {
	return devParcelSetting("dev.kuaidi100_intercept", "outcome",
		[]string{kuaidi100.InterceptSucceeded, kuaidi100.InterceptFailed}, s.Kuaidi100.SetInterceptOutcome)
}

// devParcelSetting serves a control that tells the Kuaidi100 stand-in how
// to treat one parcel: POST {"number", field} with field's value one of
// allowed, handed to set; 204, or a problem naming the field.
func devParcelSetting(op, field string, allowed []string, set func(number, value string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req map[string]string
		_ = json.NewDecoder(r.Body).Decode(&req) // a body that is no such object is told by the checks below
		var v aftersales.Validation
		v.Check(req["number"] != "", "number", "is required")
		v.Check(slices.Contains(allowed, req[field]), field, "must be one of %s", strings.Join(allowed, ", "))
		if err := v.Err(op); err != nil {
			apigw.WriteError(w, r, err)
			return
		}
		_ = set(req["number"], req[field]) // the checks above are the stand-in's own
		w.WriteHeader(http.StatusNoContent)
	}
}
