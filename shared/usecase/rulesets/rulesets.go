// Package rulesets is the use case of the merchant's rule set (F7, F25,
// F26): the rules, deadlines and approval threshold in force, read by
// staff and changed by admins one version at a time. The policies shown to
// buyers before they apply are derived from it in shared/usecase/policies.
package rulesets

import (
	"context"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
)

// Service serves the rule set.
type Service struct {
	Rules aftersales.RuleSetStore
	Clock aftersales.Clock
}

// CurrentRuleSet returns the rule set in force (the default until the
// merchant stores one).
func (s *Service) CurrentRuleSet(ctx context.Context) (*aftersales.RuleSet, error) {
	return casework.RuleSet(ctx, s.Rules)
}

// PutRuleSet stores rs as the next version (admins only). A version sent
// with rs must be the current one, so two admins editing at once cannot
// silently overwrite each other.
func (s *Service) PutRuleSet(ctx context.Context, p aftersales.Principal, rs *aftersales.RuleSet) (*aftersales.RuleSet, error) {
	const op = "ruleset.put"
	if !p.Has(aftersales.RoleAdmin) {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only admins change the rules")
	}
	if err := rs.ValidateText(); err != nil {
		return nil, err
	}
	cur, err := s.CurrentRuleSet(ctx)
	if err != nil {
		return nil, err
	}
	if rs.Version != 0 && rs.Version != cur.Version {
		var v aftersales.Validation
		v.Add("version", "is %d but the current rule set is version %d; reload and edit that", rs.Version, cur.Version)
		return nil, v.Err(op)
	}
	next := *rs
	next.Version = cur.Version + 1
	next.UpdatedAt = s.Clock.Now().UTC()
	next.UpdatedBy = p.Actor()
	if err := s.Rules.PutRuleSet(ctx, &next); err != nil {
		return nil, err
	}
	return &next, nil
}
