package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// RedriveAge is how old a pending event must be before the redrive puts
// it: the stream hands a new item over within seconds and retries a failed
// batch for a while (the event source mapping's retry limits), so an event
// still in the outbox after this long is one the stream gave up on (its
// batch is in the on-failure queue) or could not read.
const RedriveAge = 15 * time.Minute

// Function is the publisher function's handler. It is invoked two ways:
// by the table stream's event source mapping with a batch of records
// (answered with the batch item failures), and by a schedule, on which it
// redrives the events the stream gave up on, so that no stored event stays
// unpublished for longer than RedriveAge and a schedule period.
type Function struct {
	Publisher *Publisher
	Redrive   *Poller
}

// invocation is what either caller sends: stream records, or a scheduled
// EventBridge event.
type invocation struct {
	Records    []events.DynamoDBEventRecord `json:"Records"`
	Source     string                       `json:"source"`
	DetailType string                       `json:"detail-type"`
}

// Invoke routes the payload to the stream handler or the redrive.
func (f *Function) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	var in invocation
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, err
	}
	switch {
	case in.Records != nil:
		return f.Publisher.Handle(ctx, events.DynamoDBEvent{Records: in.Records})
	case in.Source == "aws.events" && in.DetailType == "Scheduled Event":
		n, err := f.Redrive.Drain(ctx)
		if n > 0 {
			f.Publisher.log().WarnContext(ctx, "outbox: redrove events the stream did not publish", "events", n)
		}
		return map[string]int{"redriven": n}, err
	}
	return nil, errors.New("outbox: neither stream records nor a scheduled event")
}
