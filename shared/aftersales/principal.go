package aftersales

import "slices"

// Role is what a caller may do, from the `roles` claim of its token.
type Role string

// The roles.
const (
	RoleBuyer    Role = "buyer"
	RoleReviewer Role = "reviewer"
	RoleAdmin    Role = "admin"
	// RoleArbitrator is the platform's arbitrator of escalated disputes. It
	// is not merchant staff: it reads cases and their threads and decides
	// escalated ones, and may not approve, reject or refund anything else.
	RoleArbitrator Role = "arbitrator"
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
func (p Principal) HasKnownRole() bool {
	return p.Has(RoleBuyer) || p.IsStaff() || p.Has(RoleArbitrator)
}

// IsStaff reports whether the principal may use the staff routes.
func (p Principal) IsStaff() bool { return p.Has(RoleReviewer) || p.Has(RoleAdmin) }

// CanArbitrate reports whether the principal may decide escalated
// disputes: an arbitrator, or the merchant's admin.
func (p Principal) CanArbitrate() bool { return p.Has(RoleArbitrator) || p.Has(RoleAdmin) }

// ReadsAllCases reports whether the principal may read any case and its
// dispute thread: staff and arbitrators.
func (p Principal) ReadsAllCases() bool { return p.IsStaff() || p.Has(RoleArbitrator) }

// Actor is how the principal appears on a case timeline.
func (p Principal) Actor() string {
	if p.IsStaff() {
		return "staff:" + p.ID
	}
	if p.Has(RoleArbitrator) {
		return "arbitrator:" + p.ID
	}
	return "buyer:" + p.ID
}
