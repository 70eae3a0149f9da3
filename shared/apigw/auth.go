package apigw

import (
	"crypto"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Authenticator verifies bearer JWTs: signature (HS256 with a shared secret,
// or RS256/ES256 with configured public keys), issuer, audience, expiry.
type Authenticator struct {
	issuer   string
	audience string
	secret   []byte
	keys     []crypto.PublicKey
	clock    aftersales.Clock
}

// NewAuthenticator builds an authenticator. publicKeysPEM holds zero or more
// PEM-encoded public keys; at least one key or a secret must be given.
func NewAuthenticator(issuer, audience, hs256Secret, publicKeysPEM string, clock aftersales.Clock) (*Authenticator, error) {
	a := &Authenticator{issuer: issuer, audience: audience, secret: []byte(hs256Secret), clock: clock}
	rest := []byte(publicKeysPEM)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		k, err := parsePublicKey(block)
		if err != nil {
			return nil, err
		}
		a.keys = append(a.keys, k)
	}
	if len(a.secret) == 0 && len(a.keys) == 0 {
		return nil, errors.New("apigw: no JWT secret or public key configured")
	}
	if issuer == "" || audience == "" {
		return nil, errors.New("apigw: JWT issuer and audience are required")
	}
	return a, nil
}

func parsePublicKey(b *pem.Block) (crypto.PublicKey, error) {
	der := pem.EncodeToMemory(b)
	if k, err := jwt.ParseRSAPublicKeyFromPEM(der); err == nil {
		return k, nil
	}
	if k, err := jwt.ParseECPublicKeyFromPEM(der); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("apigw: PEM block %q is not an RSA or ECDSA public key", b.Type)
}

// claims are the JWT claims the API reads.
type claims struct {
	Roles []string `json:"roles"`
	jwt.RegisteredClaims
}

// Authenticate verifies the Authorization header and returns the caller.
// Every failure is KindUnauthenticated with a reason that helps a client
// developer without helping a forger.
func (a *Authenticator) Authenticate(authorization string) (aftersales.Principal, error) {
	const op = "auth"
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return aftersales.Principal{}, aftersales.E(aftersales.KindUnauthenticated, op, "send Authorization: Bearer <token>")
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, a.key,
		jwt.WithValidMethods(a.methods()),
		jwt.WithIssuer(a.issuer),
		jwt.WithAudience(a.audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.clock.Now),
		jwt.WithLeeway(30*time.Second),
	)
	if err != nil {
		return aftersales.Principal{}, &aftersales.Error{Kind: aftersales.KindUnauthenticated, Op: op, Msg: "the token is not valid", Err: err}
	}
	if c.Subject == "" {
		return aftersales.Principal{}, aftersales.E(aftersales.KindUnauthenticated, op, "the token has no subject")
	}
	p := aftersales.Principal{ID: c.Subject}
	for _, r := range c.Roles {
		switch role := aftersales.Role(r); role {
		case aftersales.RoleBuyer, aftersales.RoleReviewer, aftersales.RoleAdmin:
			p.Roles = append(p.Roles, role)
		}
	}
	if len(c.Roles) == 0 {
		// Tokens of the mall's buyer login carry no roles claim.
		p.Roles = []aftersales.Role{aftersales.RoleBuyer}
	}
	return p, nil
}

func (a *Authenticator) methods() []string {
	var m []string
	if len(a.secret) > 0 {
		m = append(m, "HS256")
	}
	if len(a.keys) > 0 {
		m = append(m, "RS256", "ES256")
	}
	return m
}

// key picks the verification key for the token's algorithm; with several
// public keys a `kid` is not required: each key of the right type is tried
// by returning them all (jwt.VerificationKeySet).
func (a *Authenticator) key(t *jwt.Token) (any, error) {
	switch t.Method.Alg() {
	case "HS256":
		return a.secret, nil
	default:
		set := jwt.VerificationKeySet{}
		for _, k := range a.keys {
			set.Keys = append(set.Keys, k)
		}
		return set, nil
	}
}

// SignHS256 issues a token the authenticator accepts; the local stack's
// /dev/token and tests use it. Production tokens come from the mall's login.
func SignHS256(secret, issuer, audience, sub string, roles []string, now time.Time, ttl time.Duration) (string, error) {
	c := claims{Roles: roles, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: sub,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
}
