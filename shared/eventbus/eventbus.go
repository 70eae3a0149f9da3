// Package eventbus publishes domain events to an Amazon EventBridge bus,
// where the merchant's rules route them (to the mall's balance service, a
// notification sender, a warehouse). Source is "aftersales"; detail-type is
// the event type; the detail is the JSON of the event.
package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Source is the source of every event this system publishes.
const Source = "aftersales"

var (
	_ aftersales.EventPublisher = (*Bus)(nil)
	_ aftersales.EventPublisher = (*Recorder)(nil)
	_ aftersales.EventPublisher = Log{}
)

// API is the part of the EventBridge client a Bus uses.
type API interface {
	PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Bus publishes to one event bus.
type Bus struct {
	client API
	name   string
}

// New returns a Bus publishing to the bus named name.
func New(client API, name string) *Bus { return &Bus{client: client, name: name} }

// Detail is the JSON body of an event on the bus.
type Detail struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Version is the version of the type's schema
	// (events/schemas/<type>.json) this detail follows.
	Version int            `json:"version"`
	At      time.Time      `json:"at"`
	CaseID  string         `json:"case_id,omitempty"`
	OrderID string         `json:"order_id,omitempty"`
	BuyerID string         `json:"buyer_id,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

// DetailOf is the body of e.
func DetailOf(e aftersales.DomainEvent) Detail {
	return Detail{ID: e.ID, Type: e.Type, Version: e.EventVersion(), At: e.At, CaseID: e.CaseID, OrderID: e.OrderID, BuyerID: e.BuyerID, Data: e.Detail}
}

// Publish puts e on the bus. EventBridge reports per-entry failures in a
// successful answer; they are transient (throttling, internal errors).
func (b *Bus) Publish(ctx context.Context, e aftersales.DomainEvent) error {
	const op = "eventbus.publish"
	body, err := json.Marshal(DetailOf(e))
	if err != nil {
		return aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	out, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: aws.String(b.name), Source: aws.String(Source), DetailType: aws.String(e.Type),
		Detail: aws.String(string(body)), Time: aws.Time(e.At),
	}}})
	if err != nil {
		return aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		en := out.Entries[0]
		return aftersales.Wrap(aftersales.KindTransient, op,
			fmt.Errorf("%s: %s", aws.ToString(en.ErrorCode), aws.ToString(en.ErrorMessage)))
	}
	return nil
}

// MaxBatch is the most entries one PutEvents call takes.
const MaxBatch = 10

// PutAll puts es (at most MaxBatch) on the bus in one PutEvents call. err
// is the call failing as a whole (nothing was put); otherwise failed holds,
// for each entry, nil or why EventBridge refused it (throttling, an
// internal error: transient), in the order of es.
func (b *Bus) PutAll(ctx context.Context, es []aftersales.DomainEvent) (failed []error, err error) {
	const op = "eventbus.put_all"
	if len(es) > MaxBatch {
		return nil, aftersales.Wrap(aftersales.KindInternal, op, fmt.Errorf("%d entries, at most %d", len(es), MaxBatch))
	}
	entries := make([]types.PutEventsRequestEntry, len(es))
	for i, e := range es {
		body, err := json.Marshal(DetailOf(e))
		if err != nil {
			return nil, aftersales.Wrap(aftersales.KindInternal, op, err)
		}
		entries[i] = types.PutEventsRequestEntry{EventBusName: aws.String(b.name), Source: aws.String(Source),
			DetailType: aws.String(e.Type), Detail: aws.String(string(body)), Time: aws.Time(e.At)}
	}
	out, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		return nil, aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	failed = make([]error, len(es))
	for i := range es {
		switch {
		case i >= len(out.Entries):
			// An answer without the entry says nothing about it: treat it
			// as failed, and put it again (the id deduplicates).
			failed[i] = aftersales.E(aftersales.KindTransient, op, "no result for the entry")
		case out.Entries[i].ErrorCode != nil:
			en := out.Entries[i]
			failed[i] = aftersales.Wrap(aftersales.KindTransient, op,
				fmt.Errorf("%s: %s", aws.ToString(en.ErrorCode), aws.ToString(en.ErrorMessage)))
		}
	}
	return failed, nil
}

// Log publishes events to a log only: a deployment without a bus.
type Log struct{ Logger *slog.Logger }

// Publish logs e.
func (l Log) Publish(ctx context.Context, e aftersales.DomainEvent) error {
	l.Logger.InfoContext(ctx, "domain event", "id", e.ID, "type", e.Type, "case_id", e.CaseID, "detail", e.Detail)
	return nil
}

// PutAll logs es.
func (l Log) PutAll(ctx context.Context, es []aftersales.DomainEvent) ([]error, error) {
	for _, e := range es {
		_ = l.Publish(ctx, e)
	}
	return make([]error, len(es)), nil
}

// Recorder keeps published events in memory: the local stack's bus, which
// GET /dev/events shows.
type Recorder struct {
	mu     sync.Mutex
	events []Detail
}

// Publish records e.
func (r *Recorder) Publish(_ context.Context, e aftersales.DomainEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, DetailOf(e))
	return nil
}

// PutAll records es, all of them.
func (r *Recorder) PutAll(ctx context.Context, es []aftersales.DomainEvent) ([]error, error) {
	for _, e := range es {
		_ = r.Publish(ctx, e) // never fails
	}
	return make([]error, len(es)), nil
}

// Events returns what was published, oldest first.
func (r *Recorder) Events() []Detail {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Detail(nil), r.events...)
}
