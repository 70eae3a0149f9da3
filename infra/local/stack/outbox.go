package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/outbox"
	"github.com/aftersales/aftersales/shared/wire"
)

// LocalBusName is the event bus the local publisher puts on (the
// EventBridge stand-in records every bus alike).
const LocalBusName = "aftersales-local"

// OutboxPollInterval is how often the local stack publishes the outbox.
// DynamoDB Streams hands a new item to the publisher within about a second;
// the poller is quicker, so tests wait less.
const OutboxPollInterval = 50 * time.Millisecond

// startOutbox runs the stand-in for the table's stream (minidyn has none):
// a poller hands the outbox's pending events, as stream records, to the
// publisher the cloud's function runs (wire.Publisher), which puts them
// through the real EventBridge client on the local PutEvents stand-in,
// where GET /dev/events shows them.
func (s *Stack) startOutbox(ctx context.Context) error {
	cfg := s.Config
	cfg.EventBusName, cfg.Endpoints.EventBridge = LocalBusName, s.eventsURL
	pub, err := wire.Publisher(ctx, cfg, s.deps)
	if err != nil {
		return fmt.Errorf("stack: outbox publisher: %w", err)
	}
	// The poller reads the outbox through the stack's own store, not the
	// metered client the functions use: it stands in for the stream,
	// whose reads the cloud does not bill as table requests. What the
	// publisher does (PutEvents, the removals) is metered as in the cloud.
	pending, ok := s.store.(aftersales.OutboxStore)
	if !ok {
		return fmt.Errorf("stack: the store %T keeps no outbox", s.store)
	}
	p := &outbox.Poller{Outbox: pending, Publisher: pub, Clock: s.Clock}
	s.outbox = p
	runCtx, stop := context.WithCancel(s.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(runCtx, OutboxPollInterval)
	}()
	s.closers = append(s.closers, func(context.Context) error {
		stop()
		<-done
		return nil
	})
	return nil
}

// FlushOutbox publishes every event raised so far, now: WaitIdle calls it,
// so what a test waits for includes the events on the bus.
func (s *Stack) FlushOutbox(ctx context.Context) error {
	_, err := s.outbox.Drain(ctx)
	return err
}
