package apigw

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// StaffIssuer is a second token issuer whose tokens are staff sign-ins only:
// the Amazon Cognito user pool the stack creates for the merchant console
// (issue 18). Buyers keep signing in through the mall (the Authenticator's
// own issuer); a console sign-in is never a buyer, so a token of this issuer
// without a staff group has no role and every route refuses it.
type StaffIssuer struct {
	// Issuer is the pool's provider URL,
	// https://cognito-idp.<region>.amazonaws.com/<pool id>.
	Issuer string
	// ClientID is the console's app client: Cognito access tokens name it
	// in client_id (they have no aud).
	ClientID string
	// Keys finds the pool's signing key for a token (its JWKS, fetched and
	// refreshed by keyfunc).
	Keys jwt.Keyfunc
}

// cognitoGroupsClaim is where Cognito lists a user's groups; the stack
// creates one group per staff role (reviewer, admin, arbitrator).
const cognitoGroupsClaim = "cognito:groups"

// cognitoClaims are the claims of a Cognito access token the API reads.
type cognitoClaims struct {
	TokenUse string   `json:"token_use"`
	ClientID string   `json:"client_id"`
	Groups   []string `json:"cognito:groups"`
	jwt.RegisteredClaims
}

// TrustStaff makes the authenticator accept access tokens of s beside its
// own issuer's. Validation happens here so a bad configuration fails at
// start, not on the first sign-in.
func (a *Authenticator) TrustStaff(s StaffIssuer) error {
	if s.Issuer == "" || s.ClientID == "" || s.Keys == nil {
		return errors.New("apigw: a staff issuer needs its issuer URL, client id and keys")
	}
	if s.Issuer == a.issuer {
		return errors.New("apigw: the staff issuer must differ from the buyers' issuer")
	}
	a.staff = &s
	return nil
}

// staffIssued reports whether token claims to come from the staff issuer.
// It reads the claims unverified only to choose how to verify them.
func (a *Authenticator) staffIssued(token string) bool {
	if a.staff == nil {
		return false
	}
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return false
	}
	return c.Issuer == a.staff.Issuer
}

// authenticateStaff verifies a Cognito access token of the staff issuer:
// RS256 with the pool's keys, the issuer, expiry, token_use "access" (an ID
// token is for the console, not for APIs) and the console's client id.
// Roles come from the user's groups; unknown groups are dropped.
func (a *Authenticator) authenticateStaff(token string) (aftersales.Principal, error) {
	const op = "auth"
	var c cognitoClaims
	_, err := jwt.ParseWithClaims(token, &c, a.staff.Keys,
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(a.staff.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.clock.Now),
		jwt.WithLeeway(30*time.Second),
	)
	if err != nil {
		return aftersales.Principal{}, &aftersales.Error{Kind: aftersales.KindUnauthenticated, Op: op, Msg: "the token is not valid", Err: err}
	}
	switch {
	case c.TokenUse != "access":
		return aftersales.Principal{}, aftersales.E(aftersales.KindUnauthenticated, op,
			fmt.Sprintf("send the console's access token, not its %q token", c.TokenUse))
	case c.ClientID != a.staff.ClientID:
		return aftersales.Principal{}, aftersales.E(aftersales.KindUnauthenticated, op, "the token was issued to another client")
	case c.Subject == "":
		return aftersales.Principal{}, aftersales.E(aftersales.KindUnauthenticated, op, "the token has no subject")
	}
	p := aftersales.Principal{ID: c.Subject}
	for _, g := range c.Groups {
		switch role := aftersales.Role(strings.ToLower(g)); role {
		case aftersales.RoleReviewer, aftersales.RoleAdmin, aftersales.RoleArbitrator:
			p.Roles = append(p.Roles, role)
		}
	}
	return p, nil
}
