package stack

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/aftersales/aftersales/console"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
)

// ConsolePath is where the local stack serves the merchant console, on
// the API's origin (so the console calls the API without CORS).
const ConsolePath = "/console/"

// routeConsole serves the merchant console (issue 18): the bundle, built
// by esbuild at the first request (tests that never open it never pay for
// it), and config.json, which tells the console to sign in through
// /dev/token and what time the stack's clock says.
func (s *Stack) routeConsole(mux *http.ServeMux) {
	build := sync.OnceValues(console.Build)
	// Presigned evidence URLs point at the local S3: the console shows
	// them inline, so the CSP allows that origin for images, video and PDF.
	headers := console.SecurityHeaders(console.CSP(nil, []string{s.s3.URL()}))
	mux.Handle("GET /console", http.RedirectHandler(ConsolePath, http.StatusMovedPermanently))
	mux.HandleFunc("GET "+ConsolePath+"config.json", func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Cache-Control", "no-store")
		now := s.Clock.Now().UTC()
		apigw.WriteJSON(w, http.StatusOK, console.Config{SignIn: "dev", Now: &now})
	})
	mux.HandleFunc(ConsolePath, func(w http.ResponseWriter, r *http.Request) {
		b, err := build()
		if err != nil {
			s.log.Error("console build", "err", err.Error())
			http.Error(w, "the console did not build: "+err.Error(), http.StatusInternalServerError)
			return
		}
		b.Handler(ConsolePath, headers).ServeHTTP(w, r)
	})
}

// DemoCases opens three cases that wait for review, so that a new user who
// signs in to the console has something to review: socks to return (a
// reviewer's), a refrigerator above the admin threshold (an admin's), and a
// diamond member's serum (its promised review time highlighted). They use
// order lines the quick start's curl lines leave alone.
func (s *Stack) DemoCases(ctx context.Context) error {
	for _, d := range []struct{ buyer, order, line, reason string }{
		{"buyer-1", "o-1002", "l2", "size_not_fit"},
		{"buyer-2", "o-1005", "l1", "no_reason_7_days"},
		{"buyer-2", "o-1006", "l1", "no_reason_7_days"},
	} {
		p := aftersales.Principal{ID: d.buyer, Roles: []aftersales.Role{aftersales.RoleBuyer}}
		app := aftersales.Application{OrderID: d.order, Type: aftersales.ReturnRefund, Reason: d.reason,
			Description: "demo case for the console", Lines: []aftersales.LineRequest{{LineID: d.line, Quantity: 1}}}
		if _, err := s.svc.Cases.CreateCase(ctx, p, app, nil); err != nil {
			return fmt.Errorf("demo case on %s: %w", d.order, err)
		}
	}
	return nil
}
