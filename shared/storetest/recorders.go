package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// NoticeQueue plays the inbound queue of refund notices in tests of what a
// webhook or a use case queues: it records every notice, in order.
type NoticeQueue struct {
	mu      sync.Mutex
	notices []aftersales.RefundNotice
}

// EnqueueNotice records n.
func (q *NoticeQueue) EnqueueNotice(_ context.Context, n aftersales.RefundNotice) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.notices = append(q.notices, n)
	return nil
}

// Queued returns what field says of each notice queued so far, in order.
func (q *NoticeQueue) Queued(field func(aftersales.RefundNotice) string) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]string, 0, len(q.notices))
	for _, n := range q.notices {
		out = append(out, field(n))
	}
	return slices.Clip(out)
}

// SeqIDs numbers ids in the order they are asked for, prefix_<Tag>0001,
// prefix_<Tag>0002, ...: readable in a failure, and the same in every run.
type SeqIDs struct {
	Tag string
	mu  sync.Mutex
	n   int
}

// NewID returns the next id with prefix.
func (s *SeqIDs) NewID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("%s_%s%04d", prefix, s.Tag, s.n)
}
