package stack

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/aftersales/aftersales/infra/local/fakemallcoupon"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/mallhook"
)

// startMall starts the stand-in of the mall's coupon service (F18) and
// points the configuration at it: the review step asks it, signed with the
// mall's shared secret, whether virtual goods were used.
func (s *Stack) startMall(o Options) error {
	s.MallCoupons = &fakemallcoupon.Server{Secret: s.Config.MallWebhookSecret, Clock: o.Clock}
	url, err := s.serve("mall coupon stand-in", o.MallAddr, s.MallCoupons.Handler())
	if err != nil {
		return err
	}
	s.Config.MallCouponURL = url
	s.log.Info("mall stand-in", slog.String("coupons", url))
	return nil
}

// devPostCustoms serves POST /dev/customs: it signs a customs event with
// the mall's secret and hands it to the webhook function, as the mall
// would (F17), and answers what the webhook answered.
func (s *Stack) devPostCustoms(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		apigw.WriteError(w, r, aftersales.Wrap(aftersales.KindInvalid, "dev.customs", err))
		return
	}
	body := buf.Bytes()
	ts, sig := mallhook.Sign(s.Config.MallWebhookSecret, s.Clock.Now(), body)
	req := httptest.NewRequestWithContext(r.Context(), http.MethodPost, "/webhooks/mall/customs", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(mallhook.HeaderTimestamp, ts)
	req.Header.Set(mallhook.HeaderSignature, sig)
	ev, err := apigw.EventFromRequest(req, randomHex(8))
	if err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	resp, err := s.hooks(r.Context(), ev)
	if err != nil {
		apigw.WriteError(w, r, err)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write([]byte(resp.Body))
}
