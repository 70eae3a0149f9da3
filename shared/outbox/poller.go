package outbox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Poller feeds pending outbox events to a Publisher as stream records:
// the local stack's stand-in for DynamoDB Streams (minidyn has none), and
// a redrive of events the stream could not deliver.
type Poller struct {
	Outbox    aftersales.OutboxStore
	Publisher *Publisher
	Clock     aftersales.Clock
	// MinAge leaves younger events to the stream (the redrive); the local
	// stack's poller, the only reader of its outbox, takes every event.
	MinAge time.Duration
	// Batch is how many events one round reads (default 100).
	Batch int

	// mu makes drains take turns: two at once would put the same events
	// twice (harmless, the ids deduplicate, but a flush that returns must
	// mean the outbox it saw is on the bus).
	mu  sync.Mutex
	seq int
}

// Drain publishes the pending events old enough, batch by batch, and
// returns how many it published; it stops at the first batch the publisher
// could not finish, which the next Drain takes up again.
func (p *Poller) Drain(ctx context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	size := p.Batch
	if size <= 0 {
		size = 100
	}
	n := 0
	for {
		before := p.Clock.Now().Add(-p.MinAge).Add(time.Nanosecond)
		es, err := p.Outbox.PendingEvents(ctx, before, size)
		if err != nil || len(es) == 0 {
			return n, err
		}
		batch := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, 0, len(es))}
		for _, e := range es {
			p.seq++
			rec, err := Record(e, p.seq)
			if err != nil {
				return n, fmt.Errorf("outbox: event %s: %w", e.ID, err)
			}
			batch.Records = append(batch.Records, rec)
		}
		resp, err := p.Publisher.Handle(ctx, batch)
		if err != nil {
			return n, err
		}
		if len(resp.BatchItemFailures) > 0 {
			failed := resp.BatchItemFailures[0].ItemIdentifier
			for _, r := range batch.Records {
				if r.Change.SequenceNumber == failed {
					break
				}
				n++
			}
			return n, fmt.Errorf("outbox: publishing stopped at record %s", failed)
		}
		n += len(es)
		if len(es) < size {
			return n, nil
		}
	}
}

// Run drains the outbox every interval until ctx ends; a failed round is
// logged and retried at the next tick.
func (p *Poller) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := p.Drain(ctx); err != nil && ctx.Err() == nil {
			p.Publisher.log().WarnContext(ctx, "outbox: drain failed; retrying at the next tick", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
