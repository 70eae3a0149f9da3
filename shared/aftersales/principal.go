package aftersales

import "slices"

// Role is what a caller may do, from the `roles` claim of its token.
type Role string

// The roles.
const (
	RoleBuyer    Role = "buyer"
	RoleReviewer Role = "reviewer"
	RoleAdmin    Role = "admin"
)

// Principal is the authenticated caller: a buyer (ID is the buyer id) or a
// member of the merchant's staff (ID is the staff id).
type Principal struct {
	ID    string
	Roles []Role
}

// Has reports whether the principal holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// HasKnownRole reports whether the principal holds a role this API knows.
// One without (a token whose roles claim names none of them) is neither a
// buyer nor staff and may call nothing: every route and use case refuses it.
func (p Principal) HasKnownRole() bool { return p.Has(RoleBuyer) || p.IsStaff() }

// IsStaff reports whether the principal may use the staff routes.
func (p Principal) IsStaff() bool { return p.Has(RoleReviewer) || p.Has(RoleAdmin) }

// Actor is how the principal appears on a case timeline.
func (p Principal) Actor() string {
	if p.IsStaff() {
		return "staff:" + p.ID
	}
	return "buyer:" + p.ID
}
