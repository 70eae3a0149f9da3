package mallcoupon_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aftersales/aftersales/infra/local/fakemallcoupon"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/mallcoupon"
	"github.com/aftersales/aftersales/shared/mallhook"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var now = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func TestCheckRedemption(t *testing.T) {
	coupon := aftersales.OrderLine{LineID: "l1", SKU: "COUPON-50", Kind: aftersales.KindVirtual}
	used := now.Add(-time.Hour)
	tests := []struct {
		name   string
		setup  func(*fakemallcoupon.Server)
		secret string                          // the client's; the stand-in's is "s3cret"
		wrap   func(http.Handler) http.Handler // the network between them
		want   aftersales.Redemption
		kind   aftersales.Kind // 0: no error
	}{
		{"unused code", nil, "s3cret", nil, aftersales.Redemption{}, 0},
		{"used code, with when and where", func(s *fakemallcoupon.Server) { s.Redeem("o-1", "l1", used, "Cinema 12") }, "s3cret", nil,
			aftersales.Redemption{Redeemed: true, RedeemedAt: used, Detail: "Cinema 12"}, 0},
		{"another line's use says nothing of this one", func(s *fakemallcoupon.Server) { s.Redeem("o-1", "l2", used, "") }, "s3cret", nil,
			aftersales.Redemption{}, 0},
		{"the service is down", func(s *fakemallcoupon.Server) { s.FailNext(1) }, "s3cret", nil, aftersales.Redemption{}, aftersales.KindTransient},
		{"our signature is refused", nil, "wrong", nil, aftersales.Redemption{}, aftersales.KindInvalid},
		{"an answer not signed by the mall is not believed", nil, "s3cret", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				w.Header().Set(mallhook.HeaderTimestamp, rec.Header().Get(mallhook.HeaderTimestamp))
				w.Header().Set(mallhook.HeaderSignature, "00"+rec.Header().Get(mallhook.HeaderSignature)[2:])
				w.Write([]byte(`{"order_id":"o-1","line_id":"l1","redeemed":false}`))
			})
		}, aftersales.Redemption{}, aftersales.KindTransient},
		{"a signed answer about another line is not believed", nil, "s3cret", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := []byte(`{"order_id":"o-9","line_id":"l1","redeemed":false}`)
				ts, sig := mallhook.Sign("s3cret", now, body)
				w.Header().Set(mallhook.HeaderTimestamp, ts)
				w.Header().Set(mallhook.HeaderSignature, sig)
				w.Write(body)
			})
		}, aftersales.Redemption{}, aftersales.KindTransient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakemallcoupon.Server{Secret: "s3cret", Clock: fixedClock{now}}
			if tc.setup != nil {
				tc.setup(fake)
			}
			var h http.Handler = fake.Handler()
			if tc.wrap != nil {
				h = tc.wrap(h)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			got, err := mallcoupon.New(srv.URL, tc.secret, fixedClock{now}).CheckRedemption(context.Background(), "o-1", coupon)
			if k := aftersales.KindOf(err); (err == nil) != (tc.kind == 0) || (err != nil && k != tc.kind) {
				t.Fatalf("error %v (kind %v), want kind %v", err, k, tc.kind)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
