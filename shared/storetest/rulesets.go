package storetest

import (
	"testing"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// RunRuleSets is the conformance suite of RuleSetStore implementations.
func RunRuleSets(t *testing.T, open func(t *testing.T) aftersales.RuleSetStore) {
	t.Run("versions", func(t *testing.T) {
		s := open(t)
		if _, err := s.GetRuleSet(t.Context()); aftersales.KindOf(err) != aftersales.KindNotFound {
			t.Fatalf("empty store: %v", err)
		}
		rs := aftersales.DefaultRuleSet()
		rs.Version, rs.UpdatedAt, rs.UpdatedBy = 2, Epoch, "staff:boss"
		if err := s.PutRuleSet(t.Context(), rs); err != nil {
			t.Fatal(err)
		}
		rs.Rules = rs.Rules[len(rs.Rules)-1:] // the caller's later edit must not reach the store
		got, err := s.GetRuleSet(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || !got.UpdatedAt.Equal(Epoch) || got.UpdatedBy != "staff:boss" || len(got.Rules) != len(aftersales.DefaultRuleSet().Rules) {
			t.Fatalf("got version %d by %s at %v with %d rules", got.Version, got.UpdatedBy, got.UpdatedAt, len(got.Rules))
		}
		if err := s.PutRuleSet(t.Context(), rs); aftersales.KindOf(err) != aftersales.KindConflict {
			t.Fatalf("a version stored twice: %v", err)
		}
		rs.Version = 3
		if err := s.PutRuleSet(t.Context(), rs); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetRuleSet(t.Context()); got.Version != 3 || len(got.Rules) != 1 {
			t.Fatalf("newest: %+v", got)
		}
	})
}
