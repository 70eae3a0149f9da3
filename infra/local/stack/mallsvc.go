package stack

import (
	"log/slog"

	"github.com/aftersales/aftersales/infra/local/fakemallcoupon"
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
