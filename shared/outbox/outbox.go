// Package outbox publishes the domain events that case changes wrote to
// the transactional outbox (issue 15): the publisher function consumes the
// table's DynamoDB stream, puts each new outbox item on the EventBridge bus
// and then removes it from the outbox. An event is put at least once and
// every copy carries the event's id, so the mall deduplicates; it is never
// put unless the change that raised it was stored.
//
// minidyn has no streams, so the local stack runs a Poller: it reads the
// pending events and hands them to the same Publisher as records shaped
// like the stream's, so the contract tested locally is the cloud's.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/eventbus"
)

// Bus puts events on the bus, at most eventbus.MaxBatch a call: err when
// the call failed as a whole, otherwise per entry nil or why it failed.
type Bus interface {
	PutAll(ctx context.Context, es []aftersales.DomainEvent) (failed []error, err error)
}

var _ Bus = (*eventbus.Bus)(nil)

// Publisher handles batches of stream records.
type Publisher struct {
	Bus    Bus
	Outbox aftersales.OutboxStore
	Logger *slog.Logger
}

// pendingRecord is an outbox record of a batch with its event.
type pendingRecord struct {
	seq   string
	event aftersales.DomainEvent
}

// Handle publishes the outbox events of a batch of stream records, in
// stream order. Records of other items (and the deletions of published
// events) are skipped. At the first record it cannot finish (a put that
// failed, a removal that failed, an item it cannot read) it stops and
// reports that record: Lambda then retries the batch from it, so nothing
// behind a failure is checkpointed past. Records after it that were
// already put are put again on the retry, under the same ids.
func (p *Publisher) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	fail := func(seq string) (events.DynamoDBEventResponse, error) {
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq}}
		return resp, nil
	}
	var batch []pendingRecord
	flush := func() (string, bool) {
		defer func() { batch = batch[:0] }()
		if len(batch) == 0 {
			return "", true
		}
		es := make([]aftersales.DomainEvent, len(batch))
		for i, r := range batch {
			es[i] = r.event
		}
		failed, err := p.Bus.PutAll(ctx, es)
		if err != nil {
			p.log().WarnContext(ctx, "outbox: put events failed", "events", len(es), "error", err)
			return batch[0].seq, false
		}
		for i, r := range batch {
			if failed[i] != nil {
				p.log().WarnContext(ctx, "outbox: event refused by the bus", "event_id", r.event.ID, "type", r.event.Type, "error", failed[i])
				return r.seq, false
			}
			if err := p.Outbox.MarkPublished(ctx, r.event); err != nil {
				p.log().WarnContext(ctx, "outbox: event put but not marked published", "event_id", r.event.ID, "error", err)
				return r.seq, false
			}
		}
		return "", true
	}
	for _, rec := range ev.Records {
		if rec.EventName != "INSERT" {
			continue
		}
		image, err := Image(rec.Change.NewImage)
		var e aftersales.DomainEvent
		ok := false
		if err == nil {
			e, ok, err = dynamo.OutboxEvent(image)
		}
		if err != nil {
			if seq, done := flush(); !done {
				return fail(seq)
			}
			p.log().ErrorContext(ctx, "outbox: unreadable outbox item", "sequence_number", rec.Change.SequenceNumber, "error", err)
			return fail(rec.Change.SequenceNumber)
		}
		if !ok {
			continue
		}
		batch = append(batch, pendingRecord{seq: rec.Change.SequenceNumber, event: e})
		if len(batch) == eventbus.MaxBatch {
			if seq, done := flush(); !done {
				return fail(seq)
			}
		}
	}
	if seq, done := flush(); !done {
		return fail(seq)
	}
	return resp, nil
}

func (p *Publisher) log() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}

// Record is the stream record DynamoDB Streams sends for the outbox item
// of e (an INSERT with its NewImage), numbered seq.
func Record(e aftersales.DomainEvent, seq int) (events.DynamoDBEventRecord, error) {
	image, err := dynamo.OutboxImage(e)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	img := make(map[string]events.DynamoDBAttributeValue, len(image))
	for k, v := range image {
		av, err := streamValue(v)
		if err != nil {
			return events.DynamoDBEventRecord{}, fmt.Errorf("attribute %s: %w", k, err)
		}
		img[k] = av
	}
	return events.DynamoDBEventRecord{EventID: fmt.Sprintf("local-%d", seq), EventName: "INSERT", EventSource: "aws:dynamodb",
		EventVersion: "1.1", Change: events.DynamoDBStreamRecord{
			Keys:           map[string]events.DynamoDBAttributeValue{dynamo.AttrPK: img[dynamo.AttrPK], dynamo.AttrSK: img[dynamo.AttrSK]},
			NewImage:       img,
			SequenceNumber: fmt.Sprintf("%021d", seq),
			StreamViewType: "NEW_IMAGE",
		}}, nil
}

// Image converts a stream record's image to the SDK's attribute values,
// which the table's codec reads.
func Image(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		av, err := sdkValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func sdkValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var l []types.AttributeValue
		for _, x := range v.List() {
			av, err := sdkValue(x)
			if err != nil {
				return nil, err
			}
			l = append(l, av)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m, err := Image(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %d", v.DataType())
}

// streamValue is sdkValue the other way, for the attribute types the
// outbox item holds (strings and numbers).
func streamValue(v types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *types.AttributeValueMemberN:
		if _, err := strconv.ParseFloat(v.Value, 64); err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewNumberAttribute(v.Value), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("unexpected attribute type %T", v)
}
