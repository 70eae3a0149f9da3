package console

import (
	"net/http"
	"path"
	"strings"
	"time"
)

// CSP is the console's Content-Security-Policy. Scripts and styles come
// from the console's own origin only (no inline code at all, and DOM sinks
// need Trusted Types, which the console never uses: it builds nodes, not
// HTML strings). connectOrigins are what the console calls besides its
// own origin (the API's when it has another, the sign-in's token endpoint);
// evidenceOrigins are where presigned evidence URLs point (the bucket's
// endpoint), for images, video and PDF.
func CSP(connectOrigins, evidenceOrigins []string) string {
	ev := strings.Join(evidenceOrigins, " ")
	connect := strings.Join(append([]string{"'self'"}, connectOrigins...), " ")
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: " + ev,
		"media-src " + ev,
		"frame-src " + ev,
		"connect-src " + connect,
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
		"require-trusted-types-for 'script'",
	}, "; ")
}

// SecurityHeaders are the headers of every console response: the CSP and
// the usual hardening (no sniffing, no framing, no referrer: a presigned
// URL in a Referer would leak a bearer credential).
func SecurityHeaders(csp string) map[string]string {
	return map[string]string{
		"Content-Security-Policy":      csp,
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "no-referrer",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=()",
	}
}

// Handler serves the bundle under prefix (e.g. "/console/") with headers:
// the hashed script and style sheet as immutable, every other path as the
// page itself (the console routes by the URL's fragment, so any path under
// prefix is the app).
func (b *Bundle) Handler(prefix string, headers map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, prefix)
		body, ok := b.Files[name]
		if !ok || name == Index {
			name, body = Index, b.Files[Index]
		}
		switch path.Ext(name) {
		case ".js":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		case ".css":
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
		}
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

// Config is config.json, which the console reads beside its page: how to
// sign in and where the API is. The local stack serves {"signin":"dev"}
// with its clock; a cloud deployment writes "oidc" with the user pool's
// (or the merchant's issuer's) endpoints and the HTTP API's URL.
type Config struct {
	SignIn string `json:"signin"`        // "dev" (POST /dev/token) or "oidc"
	API    string `json:"api,omitempty"` // the API's base URL; empty: the console's own origin
	// Now is the server's clock, when it is not the browser's (the local
	// stack's virtual clock); countdowns count from it.
	Now  *time.Time  `json:"now,omitempty"`
	OIDC *OIDCConfig `json:"oidc,omitempty"`
}

// OIDCConfig are the authorization-code + PKCE endpoints of the sign-in.
type OIDCConfig struct {
	Authorize   string `json:"authorize"`
	Token       string `json:"token"`
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	Scope       string `json:"scope,omitempty"`
}
