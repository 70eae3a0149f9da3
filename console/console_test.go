package console

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBuild builds the bundle from the embedded sources and holds it to
// the budget: under 150 KB gzipped, page, script and style sheet
// together.
func TestBuild(t *testing.T) {
	b, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	for _, name := range []string{Index, b.Script, b.Style} {
		if len(b.Files[name]) == 0 {
			t.Fatalf("%s is empty", name)
		}
		zw.Write(b.Files[name])
	}
	zw.Close()
	const budget = 150 * 1024
	t.Logf("bundle: script %d B, style %d B, page %d B; %d B gzipped (budget %d)", len(b.Files[b.Script]), len(b.Files[b.Style]), len(b.Files[Index]), zipped.Len(), budget)
	if zipped.Len() >= budget {
		t.Errorf("the bundle is %d bytes gzipped, over the budget of %d", zipped.Len(), budget)
	}
	page := string(b.Files[Index])
	for _, want := range []string{`src="` + b.Script + `"`, `href="` + b.Style + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html does not name %s", want)
		}
	}
}

func TestHandler(t *testing.T) {
	b, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	csp := CSP(nil, []string{"https://bucket.example"})
	h := b.Handler("/console/", SecurityHeaders(csp))
	for _, tt := range []struct {
		name, method, path string
		status             int
		ctype, cache       string
	}{
		{"page", "GET", "/console/", 200, "text/html; charset=utf-8", "no-cache"},
		{"a route under the console is the page", "GET", "/console/anything", 200, "text/html; charset=utf-8", "no-cache"},
		{"script", "GET", "/console/" + b.Script, 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"style", "GET", "/console/" + b.Style, 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"no writes", "POST", "/console/", 405, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("Content-Security-Policy"); got != csp {
				t.Errorf("CSP %q", got)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("headers %v", rec.Header())
			}
			if tt.status != http.StatusOK {
				return
			}
			if got := rec.Header().Get("Content-Type"); got != tt.ctype {
				t.Errorf("content type %q, want %q", got, tt.ctype)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.cache {
				t.Errorf("cache %q, want %q", got, tt.cache)
			}
		})
	}
}

func TestCSP(t *testing.T) {
	got := CSP([]string{"https://api.example", "https://auth.example"}, []string{"https://bucket.example"})
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: https://bucket.example",
		"connect-src 'self' https://api.example https://auth.example", "frame-ancestors 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(got, want) {
			t.Errorf("CSP %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "unsafe-inline") || strings.Contains(got, "unsafe-eval") {
		t.Errorf("CSP %q allows inline code", got)
	}
}
