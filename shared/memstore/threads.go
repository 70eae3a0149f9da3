package memstore

import (
	"context"
	"slices"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// AppendMessage stores m as message m.Seq of its case's thread, unless
// that place is taken (ErrVersionConflict) or m does not come next.
func (s *Store) AppendMessage(_ context.Context, m aftersales.Message) error {
	const op = "memstore.append_message"
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.threads == nil {
		s.threads = map[string][]aftersales.Message{}
	}
	th := s.threads[m.CaseID]
	if m.Seq < 1 || m.Seq <= len(th) {
		return aftersales.ErrVersionConflict.For(op)
	}
	m = aftersales.CloneMessage(m)
	m.At = utc(m.At)
	s.threads[m.CaseID] = append(th, m)
	return nil
}

// ListMessages returns a copy of the case's thread, oldest first.
func (s *Store) ListMessages(_ context.Context, caseID string) ([]aftersales.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	th := s.threads[caseID]
	out := make([]aftersales.Message, 0, min(len(th), aftersales.MaxThreadMessages))
	for _, m := range th[:min(len(th), aftersales.MaxThreadMessages)] {
		out = append(out, aftersales.CloneMessage(m))
	}
	return out, nil
}

// TamperMessage overwrites message seq of a case's thread with fn's change,
// bypassing every rule: tests use it to prove that VerifyThread finds a
// stored thread changed behind the store's back.
func (s *Store) TamperMessage(caseID string, seq int, fn func(*aftersales.Message)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.threads[caseID], func(m aftersales.Message) bool { return m.Seq == seq })
	if i < 0 {
		return false
	}
	fn(&s.threads[caseID][i])
	return true
}

func cloneDispute(d *aftersales.Dispute) *aftersales.Dispute {
	if d == nil {
		return nil
	}
	out := *d
	out.EvidenceIDs = slices.Clone(d.EvidenceIDs)
	out.Proposals = slices.Clone(d.Proposals)
	out.OpenedAt, out.AnsweredAt = utc(d.OpenedAt), utc(d.AnsweredAt)
	for i := range out.Proposals {
		out.Proposals[i].At = utc(out.Proposals[i].At)
	}
	return &out
}
