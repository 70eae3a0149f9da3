package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// AnnounceTimeout bounds how long a case change waits for the
// notifications queue: the change is stored already, and a slow queue must
// not hold the buyer's request (or a workflow step) up.
const AnnounceTimeout = 2 * time.Second

// Announcing is a CaseStore that, after every stored change, queues an
// announcement of each new timeline entry that tells someone (NoticesFor).
// A failure to queue is logged and never returned: the change is stored,
// and failing it now would make the caller retry a change that happened.
// The gap this leaves (a queue outage right after a write loses that
// notification) is what the transactional outbox of DESIGN §10 closes; see
// docs/DECISIONS.md, "Notifications (issue 14)".
type Announcing struct {
	aftersales.CaseStore
	Announcer aftersales.Announcer
	Logger    *slog.Logger
}

// CreateCase stores c, then announces its entries.
func (s *Announcing) CreateCase(ctx context.Context, c *aftersales.Case, idem *aftersales.IdempotencyRecord) error {
	if err := s.CaseStore.CreateCase(ctx, c, idem); err != nil {
		return err
	}
	s.announce(ctx, c, 0)
	return nil
}

// UpdateCase stores c, then announces the entries after prev.
func (s *Announcing) UpdateCase(ctx context.Context, c *aftersales.Case, prev int) error {
	if err := s.CaseStore.UpdateCase(ctx, c, prev); err != nil {
		return err
	}
	s.announce(ctx, c, prev)
	return nil
}

func (s *Announcing) announce(ctx context.Context, c *aftersales.Case, prev int) {
	var as []aftersales.Announcement
	for _, e := range c.Timeline {
		if e.Seq > prev && len(NoticesFor(e)) > 0 {
			as = append(as, aftersales.Announcement{CaseID: c.ID, Seq: e.Seq})
		}
	}
	if len(as) == 0 {
		return
	}
	// Not the caller's context: a request that ends (or is cancelled)
	// right after its write still announces what it wrote.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), AnnounceTimeout)
	defer cancel()
	if err := s.Announcer.Announce(actx, as); err != nil && s.Logger != nil {
		s.Logger.ErrorContext(ctx, "notification lost: the change is stored but could not be queued",
			"case_id", c.ID, "from_seq", as[0].Seq, "count", len(as), "err", err.Error())
	}
}
