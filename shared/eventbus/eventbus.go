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
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	At      time.Time      `json:"at"`
	CaseID  string         `json:"case_id,omitempty"`
	OrderID string         `json:"order_id,omitempty"`
	BuyerID string         `json:"buyer_id,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

// DetailOf is the body of e.
func DetailOf(e aftersales.DomainEvent) Detail {
	return Detail{ID: e.ID, Type: e.Type, At: e.At, CaseID: e.CaseID, OrderID: e.OrderID, BuyerID: e.BuyerID, Data: e.Detail}
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

// Log publishes events to a log only: a deployment without a bus.
type Log struct{ Logger *slog.Logger }

// Publish logs e.
func (l Log) Publish(ctx context.Context, e aftersales.DomainEvent) error {
	l.Logger.InfoContext(ctx, "domain event", "id", e.ID, "type", e.Type, "case_id", e.CaseID, "detail", e.Detail)
	return nil
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

// Events returns what was published, oldest first.
func (r *Recorder) Events() []Detail {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Detail(nil), r.events...)
}
