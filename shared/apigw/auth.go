package apigw

import (
	"bytes"
	"crypto"
	"encoding/json"
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
	staff    *StaffIssuer // nil: only the issuer above
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

// claims are the JWT claims the API reads. They decode more strictly than
// jwt v5 alone (see UnmarshalJSON).
type claims struct {
	Roles []string `json:"roles,omitempty"`
	jwt.RegisteredClaims
	// rolesGiven records that the token has a roles claim, even an empty
	// one: only a token without one is the mall's buyer login.
	rolesGiven bool
}

// tokenError is a reason to refuse a token that is safe and useful to tell
// the client: it says what is wrong with the token's form, nothing of keys.
type tokenError string

func (e tokenError) Error() string { return string(e) }

// errCrit refuses every `crit` header: it lists extensions the recipient
// must understand or refuse the token (RFC 7515 §4.1.11), and this API
// understands none.
const errCrit tokenError = "the token has a crit header; this API understands no JWS extensions"

// UnmarshalJSON decodes the claims as jwt v5 does, after checking what v5
// does not:
//   - claim names are case-sensitive (RFC 7519 §4): encoding/json folds
//     case, so "eXp" would otherwise stand in for "exp" and "Aud" for "aud"
//     (found by FuzzToken); a name that is one of ours in another case is
//     refused rather than read as ours;
//   - each date claim present (exp, nbf, iat) is a JSON number, as RFC 7519
//     §2 defines a NumericDate. v5's NumericDate decodes through
//     json.Number, which also takes a numeric string ("exp":"1790000000")
//     and would let a token's expiry pass in a form its issuer never meant.
func (c *claims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for name := range raw {
		for _, ours := range claimNames {
			if name != ours && strings.EqualFold(name, ours) {
				return tokenError(fmt.Sprintf("the token has a %q claim; claim names are case-sensitive (%q)", name, ours))
			}
		}
	}
	for _, d := range []string{"exp", "nbf", "iat"} {
		if v, ok := raw[d]; ok && !isJSONNumber(v) {
			return tokenError(fmt.Sprintf("the token's %s claim must be a number of seconds since 1970 (RFC 7519 NumericDate)", d))
		}
	}
	type plain claims // the same fields without this method
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	roles, ok := raw["roles"]
	c.rolesGiven = ok && string(bytes.TrimSpace(roles)) != "null"
	return nil
}

// claimNames are the claims the API reads, as RFC 7519 and our tokens
// spell them.
var claimNames = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "roles"}

// isJSONNumber reports whether v, one valid JSON value, is a number: only
// numbers start with a minus sign or a digit.
func isJSONNumber(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
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
	if a.staffIssued(token) {
		return a.authenticateStaff(token)
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
		msg := "the token is not valid"
		var te tokenError
		if errors.As(err, &te) {
			msg = te.Error()
		}
		return aftersales.Principal{}, &aftersales.Error{Kind: aftersales.KindUnauthenticated, Op: op, Msg: msg, Err: err}
	}
	if c.Subject == "" {
		return aftersales.Principal{}, aftersales.E(aftersales.KindUnauthenticated, op, "the token has no subject")
	}
	p := aftersales.Principal{ID: c.Subject}
	if !c.rolesGiven {
		// Tokens of the mall's buyer login carry no roles claim.
		p.Roles = []aftersales.Role{aftersales.RoleBuyer}
		return p, nil
	}
	// A roles claim naming no role we know leaves the principal without
	// any (HasKnownRole is false): every route refuses it, never guessing
	// it is a buyer.
	for _, r := range c.Roles {
		switch role := aftersales.Role(r); role {
		case aftersales.RoleBuyer, aftersales.RoleReviewer, aftersales.RoleAdmin, aftersales.RoleArbitrator:
			p.Roles = append(p.Roles, role)
		}
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
// by returning them all (jwt.VerificationKeySet). A token with a `crit`
// header gets no key: jwt v5 ignores the header, and RFC 7515 §4.1.11 says
// to refuse extensions one does not understand.
func (a *Authenticator) key(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errCrit
	}
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
