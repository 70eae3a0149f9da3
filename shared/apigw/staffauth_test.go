package apigw

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// TestStaffIssuer signs Cognito-shaped access tokens with a key served as
// a JWKS over HTTP, as a user pool serves it, and checks which ones the
// authenticator takes and with which roles.
func TestStaffIssuer(t *testing.T) {
	now := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	const pool = "https://cognito-idp.ap-east-1.amazonaws.com/ap-east-1_Pool"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := jwkset.NewMemoryStorage()
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "k1", ALG: jwkset.AlgRS256, USE: jwkset.UseSig}})
	if err != nil {
		t.Fatal(err)
	}
	if err := jwks.KeyWrite(context.Background(), jwk); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := jwks.JSONPublic(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(raw)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	keys, err := keyfunc.NewDefaultCtx(ctx, []string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuthenticator("https://mall.example/login", "aftersales", "buyer-secret", "", fixedClock(now))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.TrustStaff(StaffIssuer{Issuer: pool, ClientID: "console", Keys: keys.Keyfunc}); err != nil {
		t.Fatal(err)
	}

	sign := func(signer *rsa.PrivateKey, edit func(c jwt.MapClaims)) string {
		c := jwt.MapClaims{"iss": pool, "sub": "staff-7", "token_use": "access", "client_id": "console",
			"exp": now.Add(time.Hour).Unix(), "cognito:groups": []string{"reviewer"}}
		if edit != nil {
			edit(c)
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(signer)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name      string
		token     string
		wantErr   bool
		wantRoles []aftersales.Role
	}{
		{"reviewer", sign(key, nil), false, []aftersales.Role{aftersales.RoleReviewer}},
		{"admin and arbitrator", sign(key, func(c jwt.MapClaims) { c["cognito:groups"] = []string{"admin", "Arbitrator", "marketing"} }), false,
			[]aftersales.Role{aftersales.RoleAdmin, aftersales.RoleArbitrator}},
		{"no group is no role, never a buyer", sign(key, func(c jwt.MapClaims) { delete(c, "cognito:groups") }), false, nil},
		{"a buyer group is not taken from the console", sign(key, func(c jwt.MapClaims) { c["cognito:groups"] = []string{"buyer"} }), false, nil},
		{"id token", sign(key, func(c jwt.MapClaims) { c["token_use"] = "id" }), true, nil},
		{"another client", sign(key, func(c jwt.MapClaims) { c["client_id"] = "someone-else" }), true, nil},
		{"expired", sign(key, func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }), true, nil},
		{"no expiry", sign(key, func(c jwt.MapClaims) { delete(c, "exp") }), true, nil},
		{"signed by another key", sign(other, nil), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := a.Authenticate("Bearer " + tt.token)
			if tt.wantErr {
				if err == nil || aftersales.KindOf(err) != aftersales.KindUnauthenticated {
					t.Fatalf("err = %v, want unauthenticated", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != "staff-7" || !slices.Equal(p.Roles, tt.wantRoles) {
				t.Fatalf("principal = %+v, want staff-7 with %v", p, tt.wantRoles)
			}
		})
	}

	t.Run("buyers' tokens still work", func(t *testing.T) {
		tok, err := SignHS256("buyer-secret", "https://mall.example/login", "aftersales", "buyer-1", nil, now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Authenticate("Bearer " + tok)
		if err != nil || !slices.Equal(p.Roles, []aftersales.Role{aftersales.RoleBuyer}) {
			t.Fatalf("principal = %+v, err = %v", p, err)
		}
	})
	t.Run("configuration", func(t *testing.T) {
		for _, s := range []StaffIssuer{{ClientID: "c", Keys: keys.Keyfunc}, {Issuer: pool, Keys: keys.Keyfunc}, {Issuer: pool, ClientID: "c"},
			{Issuer: "https://mall.example/login", ClientID: "c", Keys: keys.Keyfunc}} {
			if err := a.TrustStaff(s); err == nil {
				t.Errorf("TrustStaff(%+v) = nil, want an error", s)
			}
		}
	})
}
