package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// quotaCount is what is taken from one quota, until when it is kept.
type quotaCount struct {
	n       int
	expires time.Time
}

// TakeQuota counts n against every quota or against none. A count past its
// expiry is forgotten, as DynamoDB's TTL may forget it: quotas expire only
// after their window, so forgetting never changes an answer.
func (s *Store) TakeQuota(_ context.Context, n int, qs ...aftersales.Quota) error {
	const op = "memstore.take_quota"
	if n < 1 {
		return aftersales.Wrap(aftersales.KindInternal, op, fmt.Errorf("take %d from a quota", n))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quotas == nil {
		s.quotas = map[string]quotaCount{}
	}
	for _, q := range qs {
		if c, ok := s.quotas[q.Key]; ok && !s.live(c.expires) {
			delete(s.quotas, q.Key)
		}
		if s.quotas[q.Key].n+n > q.Limit {
			return aftersales.Exceeded(op, q)
		}
	}
	for _, q := range qs {
		s.quotas[q.Key] = quotaCount{n: s.quotas[q.Key].n + n, expires: q.ExpiresAt}
	}
	return nil
}
