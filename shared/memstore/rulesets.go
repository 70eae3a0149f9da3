package memstore

import (
	"context"
	"sync"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/ruleset"
)

var _ aftersales.RuleSetStore = (*RuleSets)(nil)

// RuleSets keeps rule set versions in memory. Like the DynamoDB adapter it
// stores each version as its JSON document, so a caller's later edits of a
// rule set it stored cannot change the stored version.
type RuleSets struct {
	mu     sync.Mutex
	newest int
	docs   map[int][]byte
	stamps map[int]aftersales.RuleSetStamp
}

// NewRuleSets returns an empty rule set store.
func NewRuleSets() *RuleSets {
	return &RuleSets{docs: map[int][]byte{}, stamps: map[int]aftersales.RuleSetStamp{}}
}

// GetRuleSet returns the newest version, or ErrNotFound.
func (r *RuleSets) GetRuleSet(context.Context) (*aftersales.RuleSet, error) {
	const op = "memstore.get_ruleset"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.newest == 0 {
		return nil, aftersales.NotFound(op, "no rule set stored")
	}
	rs, err := ruleset.Decode(r.docs[r.newest])
	if err != nil {
		return nil, aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	rs.Restamp(r.stamps[r.newest])
	return rs, nil
}

// PutRuleSet stores rs as a new version; a version that exists already is a
// conflict (someone saved first).
func (r *RuleSets) PutRuleSet(_ context.Context, rs *aftersales.RuleSet) error {
	const op = "memstore.put_ruleset"
	doc, err := ruleset.Encode(rs)
	if err != nil {
		return aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.docs[rs.Version]; taken {
		return aftersales.ErrVersionConflict.For(op)
	}
	r.docs[rs.Version] = doc
	r.stamps[rs.Version] = rs.Stamp()
	r.newest = max(r.newest, rs.Version)
	return nil
}
