// Package esm plays the part of the Lambda service's SQS event source
// mapping in the local stack: it long-polls a queue through the real SDK
// client, hands batches to a consumer function's handler as the same
// events.SQSEvent Lambda would deliver, and deletes what the handler
// processed, so the consumers run locally exactly as they run in AWS.
//
// The rules it follows are Lambda's:
//
//   - A handler error or panic deletes nothing: every message of the batch
//     comes back after its visibility timeout and counts a receive towards
//     the queue's maxReceiveCount (so a poison message ends in the DLQ).
//   - With batch item failure reporting (the project's default), a
//     successful response deletes every message except those named in
//     BatchItemFailures. A response naming an empty or unknown
//     itemIdentifier makes the whole batch fail.
//   - MaximumConcurrency bounds how many handler invocations run at once
//     (2 to 1,000, like the real setting); BatchSize and
//     MaximumBatchingWindow shape the batches.
//
// Not modelled: the poller scaling curve of the real service, its back-off
// after failing invocations, the 6 MB invocation payload limit and function
// timeouts (a Go handler cannot be killed; give it a context deadline
// yourself if you need one).
//
// For tests and benchmarks a Mapping reports counters (Stats), waits for a
// condition on them (Await) and waits until the queue is drained (WaitIdle),
// all without sleeping.
package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Handler is a consumer function's handler, as given to lambda.Start.
type Handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Client is the part of the SQS API a Mapping uses; *sqs.Client satisfies it.
type Client interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Options configures a Mapping like the event source mapping's own
// settings. The zero value means the defaults below.
type Options struct {
	// BatchSize is the most messages per invocation: 1 to 10,000, default
	// 10. Above 10 it needs a MaximumBatchingWindow, as in Lambda.
	BatchSize int
	// MaximumConcurrency bounds concurrent invocations: 2 to 1,000. Zero
	// means 2, the smallest value Lambda accepts, which suits two cores.
	MaximumConcurrency int
	// MaximumBatchingWindow is how long to keep gathering messages once the
	// first has arrived, up to 5 minutes; zero invokes with what one receive
	// returned.
	MaximumBatchingWindow time.Duration
	// IgnoreBatchItemFailures makes the mapping behave as one without
	// FunctionResponseTypes=ReportBatchItemFailures: a successful invocation
	// deletes the whole batch whatever the response says. The project turns
	// reporting on for every consumer, so reporting is the zero value.
	IgnoreBatchItemFailures bool
	// Logger receives handler failures and polling errors; nil discards them.
	Logger *slog.Logger
}

// Stats are a Mapping's counters since Start.
type Stats struct {
	Batches          int64 // handler invocations that finished
	Messages         int64 // messages handed to the handler
	Deleted          int64 // messages deleted after a successful invocation
	Failed           int64 // messages left on the queue to be retried
	HandlerErrors    int64 // invocations that returned an error
	Panics           int64 // invocations that panicked
	InvalidResponses int64 // responses naming an empty or unknown itemIdentifier
	DeleteErrors     int64 // messages whose deletion failed (they come back)
	ReceiveErrors    int64 // failed ReceiveMessage calls
	MaxConcurrent    int64 // the most invocations seen running at once
}

// Mapping is a running event source mapping. Stop it when done.
type Mapping struct {
	client  Client
	url     string
	arn     string
	region  string
	handler Handler
	opts    Options
	log     *slog.Logger

	pollCtx   context.Context // ends when polling must stop
	cancel    context.CancelFunc
	invokeCtx context.Context // the handlers' context: only Shutdown's deadline cancels it
	abandon   context.CancelFunc
	slots     chan struct{} // one token per running (or gathering) invocation
	wg        sync.WaitGroup
	stopOnce  sync.Once

	mu      sync.Mutex
	stats   Stats
	running int64
	inHand  int           // messages received and not yet settled
	changed chan struct{} // closed and replaced whenever stats change
}

// maxPollers is how many pollers a Mapping runs at most; Lambda also starts
// with five. More would only add idle long polls: each poller hands a batch
// to its own invocation goroutine and polls again at once.
const maxPollers = 5

// Start checks the options, looks up the queue's ARN (failing if the queue
// does not exist) and starts polling. Polling stops when ctx ends or Stop is
// called; invocations already started run to completion either way.
func Start(ctx context.Context, client Client, queueURL string, handler Handler, o Options) (*Mapping, error) {
	if err := o.normalise(); err != nil {
		return nil, err
	}
	if handler == nil {
		return nil, errors.New("esm: handler is nil")
	}
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return nil, fmt.Errorf("esm: looking up %s: %w", queueURL, err)
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	parts := strings.Split(arn, ":")
	if len(parts) != 6 {
		return nil, fmt.Errorf("esm: queue %s has an unexpected ARN %q", queueURL, arn)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Mapping{
		client: client, url: queueURL, arn: arn, region: parts[3], handler: handler, opts: o,
		log:     log.With("queue", parts[5]),
		slots:   make(chan struct{}, o.MaximumConcurrency),
		changed: make(chan struct{}),
	}
	m.pollCtx, m.cancel = context.WithCancel(ctx)
	m.invokeCtx, m.abandon = context.WithCancel(context.WithoutCancel(ctx))
	for range min(o.MaximumConcurrency, maxPollers) {
		m.wg.Add(1)
		go m.poll()
	}
	return m, nil
}

func (o *Options) normalise() error {
	if o.BatchSize == 0 {
		o.BatchSize = 10
	}
	if o.MaximumConcurrency == 0 {
		o.MaximumConcurrency = 2
	}
	switch {
	case o.BatchSize < 1 || o.BatchSize > 10000:
		return fmt.Errorf("esm: BatchSize %d is outside 1..10000", o.BatchSize)
	case o.BatchSize > 10 && o.MaximumBatchingWindow <= 0:
		return fmt.Errorf("esm: BatchSize %d above 10 needs a MaximumBatchingWindow", o.BatchSize)
	case o.MaximumBatchingWindow < 0 || o.MaximumBatchingWindow > 5*time.Minute:
		return fmt.Errorf("esm: MaximumBatchingWindow %v is outside 0..5m", o.MaximumBatchingWindow)
	case o.MaximumConcurrency < 2 || o.MaximumConcurrency > 1000:
		return fmt.Errorf("esm: MaximumConcurrency %d is outside 2..1000", o.MaximumConcurrency)
	}
	return nil
}

// Stop stops polling and returns once every invocation in progress has
// finished and its messages are settled. It is safe to call more than once.
//
// Stop cancels the long polls in progress. As with SQS itself, a poll that
// the queue answered just as it was cancelled may have taken messages that
// nobody will see; they come back after their visibility timeout. A test
// that starts another mapping on the same queue must allow for that.
func (m *Mapping) Stop() { _ = m.Shutdown(context.Background()) }

// Shutdown stops polling like Stop and waits for the invocations in
// progress until ctx ends. Then it cancels their context, as the Lambda
// service ends an invocation at its timeout, waits for the handlers to
// return and reports ctx's error. A cancelled invocation's messages are
// not deleted (the deletion uses the cancelled context): like those of a
// function that timed out, they come back after their visibility timeout.
// A handler that ignores its context keeps Shutdown waiting.
func (m *Mapping) Shutdown(ctx context.Context) error {
	m.stopOnce.Do(m.cancel)
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	defer m.abandon()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	m.abandon()
	<-done
	return ctx.Err()
}

// Stats returns the counters.
func (m *Mapping) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// QueueARN returns the ARN the records' eventSourceARN carries.
func (m *Mapping) QueueARN() string { return m.arn }

// Await returns once cond holds for the counters, checking after every
// settled batch, or ctx's error if it ends first.
func (m *Mapping) Await(ctx context.Context, cond func(Stats) bool) error {
	for {
		m.mu.Lock()
		s, ch := m.stats, m.changed
		m.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("esm: condition not reached (stats %+v): %w", s, ctx.Err())
		}
	}
}

// idlePoll is how often WaitIdle asks the queue for its counts when nothing
// the mapping does tells it to look: other goroutines may send at any time.
const idlePoll = 5 * time.Millisecond

// WaitIdle returns once the queue has no visible and no in-flight message
// and no batch is in the mapping's hands, or ctx's error if it ends first.
// Delayed messages do not count: on a virtual clock they wait for the test
// to move time. Neither do messages a failed batch left in flight, which is
// why WaitIdle does not return until their visibility timeout has ended and
// they were processed again: after a failure, move the clock first (or use
// Await on the counters).
//
// No message can slip through: a message on its way from the queue to a
// poller counts as in flight in the queue, and the mapping's own count is
// read again after the queue's.
func (m *Mapping) WaitIdle(ctx context.Context) error {
	tick := time.NewTicker(idlePoll)
	defer tick.Stop()
	for {
		m.mu.Lock()
		inHand, ch := m.inHand, m.changed
		m.mu.Unlock()
		visible, inFlight := -1, -1
		if inHand == 0 {
			var err error
			visible, inFlight, err = m.queueCounts(ctx)
			if err != nil {
				return err
			}
			if visible == 0 && inFlight == 0 {
				m.mu.Lock()
				inHand = m.inHand
				m.mu.Unlock()
				if inHand == 0 {
					return nil
				}
			}
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("esm: queue not idle (%d visible, %d in flight, %d in the mapping's hands): %w", visible, inFlight, inHand, ctx.Err())
		}
	}
}

func (m *Mapping) queueCounts(ctx context.Context) (visible, inFlight int, err error) {
	out, err := m.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(m.url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return 0, 0, fmt.Errorf("esm: reading queue counts: %w", err)
	}
	visible, err1 := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, err2 := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("esm: reading queue counts: %w", err)
	}
	return visible, inFlight, nil
}

// update changes the counters under the lock and wakes Await and WaitIdle.
func (m *Mapping) update(f func()) {
	m.mu.Lock()
	f()
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
}

// poll is one poller: it takes a concurrency slot, gathers a batch and hands
// it to an invocation goroutine that gives the slot back when done. Taking
// the slot before receiving means no message is taken off the queue that
// could not be processed at once.
func (m *Mapping) poll() {
	defer m.wg.Done()
	backoff := 100 * time.Millisecond
	for {
		select {
		case m.slots <- struct{}{}:
		case <-m.pollCtx.Done():
			return
		}
		batch, err := m.gather()
		if len(batch) > 0 {
			m.wg.Add(1)
			go m.invoke(batch)
			backoff = 100 * time.Millisecond
			continue
		}
		<-m.slots
		if m.pollCtx.Err() != nil {
			return
		}
		if err != nil {
			// The queue is unreachable or gone; retry like the service does,
			// without hammering it.
			m.log.Warn("esm: receiving failed", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-m.pollCtx.Done():
				t.Stop()
				return
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

// gather receives up to BatchSize messages: one long poll for the first,
// then, with a batching window, more receives until the batch is full or
// the window has passed. Messages already received are returned even when
// polling stops, so they are processed rather than left in flight.
func (m *Mapping) gather() ([]types.Message, error) {
	var batch []types.Message
	var windowEnd time.Time
	for len(batch) < m.opts.BatchSize {
		wait := int32(20)
		if len(batch) > 0 {
			remaining := time.Until(windowEnd)
			if m.opts.MaximumBatchingWindow <= 0 || remaining <= 0 || m.pollCtx.Err() != nil {
				break
			}
			wait = int32(min(remaining/time.Second, 20))
		}
		out, err := m.client.ReceiveMessage(m.pollCtx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(m.url),
			MaxNumberOfMessages:         int32(min(10, m.opts.BatchSize-len(batch))),
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if m.pollCtx.Err() == nil {
				m.update(func() { m.stats.ReceiveErrors++ })
			}
			return batch, err
		}
		if len(out.Messages) > 0 {
			if len(batch) == 0 {
				windowEnd = time.Now().Add(m.opts.MaximumBatchingWindow)
			}
			batch = append(batch, out.Messages...)
			continue
		}
		if len(batch) > 0 && wait == 0 {
			// Less than a second of window left, which a long poll cannot
			// express: look again shortly rather than spin on short polls.
			t := time.NewTimer(min(time.Until(windowEnd), 20*time.Millisecond))
			select {
			case <-t.C:
			case <-m.pollCtx.Done():
				t.Stop()
			}
		}
	}
	return batch, nil
}

// invoke runs the handler on one batch and settles its messages.
func (m *Mapping) invoke(msgs []types.Message) {
	defer m.wg.Done()
	defer func() { <-m.slots }()
	n := int64(len(msgs))
	m.update(func() {
		m.inHand += len(msgs)
		m.running++
		m.stats.Messages += n
		m.stats.MaxConcurrent = max(m.stats.MaxConcurrent, m.running)
	})

	event, err := m.event(msgs)
	var resp events.SQSEventResponse
	panicked := false
	if err == nil {
		resp, panicked, err = m.call(event)
	}
	keep := m.failed(msgs, resp, err, panicked)
	var toDelete []types.Message
	for _, msg := range msgs {
		if !keep[aws.ToString(msg.MessageId)] {
			toDelete = append(toDelete, msg)
		}
	}
	deleted, deleteFailed := m.delete(toDelete)

	m.update(func() {
		m.inHand -= len(msgs)
		m.running--
		m.stats.Batches++
		m.stats.Deleted += deleted
		m.stats.DeleteErrors += deleteFailed
		m.stats.Failed += int64(len(keep))
		switch {
		case panicked:
			m.stats.Panics++
		case err != nil:
			m.stats.HandlerErrors++
		}
	})
}

// call runs the handler, turning a panic into a failed invocation as the
// Lambda runtime does.
func (m *Mapping) call(event events.SQSEvent) (resp events.SQSEventResponse, panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			m.log.Error("esm: handler panicked", "panic", p, "stack", string(debug.Stack()))
			resp, panicked, err = events.SQSEventResponse{}, true, fmt.Errorf("handler panicked: %v", p)
		}
	}()
	ctx := lambdacontext.NewContext(m.invokeCtx, &lambdacontext.LambdaContext{AwsRequestID: requestID(event)})
	resp, err = m.handler(ctx, event)
	return resp, false, err
}

// requestID gives each invocation a stable id for the handler's logs.
func requestID(event events.SQSEvent) string {
	if len(event.Records) == 0 {
		return ""
	}
	return "esm-" + event.Records[0].MessageId
}

// failed returns the ids of the messages to leave on the queue, following
// Lambda's rules for errors and batch item failures.
func (m *Mapping) failed(msgs []types.Message, resp events.SQSEventResponse, err error, panicked bool) map[string]bool {
	all := func() map[string]bool {
		keep := make(map[string]bool, len(msgs))
		for _, msg := range msgs {
			keep[aws.ToString(msg.MessageId)] = true
		}
		return keep
	}
	if err != nil {
		if !panicked {
			m.log.Warn("esm: handler failed; the batch will be retried", "messages", len(msgs), "err", err)
		}
		return all()
	}
	if m.opts.IgnoreBatchItemFailures || len(resp.BatchItemFailures) == 0 {
		return nil
	}
	inBatch := all()
	keep := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == "" || !inBatch[f.ItemIdentifier] {
			m.log.Warn("esm: the response names an item that is not in the batch; the whole batch will be retried", "itemIdentifier", f.ItemIdentifier)
			m.update(func() { m.stats.InvalidResponses++ })
			return inBatch
		}
		keep[f.ItemIdentifier] = true
	}
	return keep
}

// delete removes processed messages in batches of ten. It uses the
// handlers' context, so a Stop during an invocation still settles it.
func (m *Mapping) delete(msgs []types.Message) (deleted, failed int64) {
	for start := 0; start < len(msgs); start += 10 {
		chunk := msgs[start:min(start+10, len(msgs))]
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, msg := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle}
		}
		out, err := m.client.DeleteMessageBatch(m.invokeCtx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(m.url), Entries: entries})
		if err != nil {
			m.log.Warn("esm: deleting processed messages failed; they will be delivered again", "messages", len(chunk), "err", err)
			failed += int64(len(chunk))
			continue
		}
		deleted += int64(len(out.Successful))
		for _, f := range out.Failed {
			m.log.Warn("esm: deleting a processed message failed; it will be delivered again", "code", aws.ToString(f.Code), "message", aws.ToString(f.Message))
		}
		failed += int64(len(out.Failed))
	}
	return deleted, failed
}

// event builds the records Lambda delivers for msgs. The event goes through
// JSON, as it does on its way to a real function, so the handler sees
// exactly what lambda.Start would decode (empty lists, base64 binaries).
func (m *Mapping) event(msgs []types.Message) (events.SQSEvent, error) {
	records := make([]events.SQSMessage, len(msgs))
	for i, msg := range msgs {
		attrs := make(map[string]events.SQSMessageAttribute, len(msg.MessageAttributes))
		for k, v := range msg.MessageAttributes {
			attrs[k] = events.SQSMessageAttribute{
				StringValue:      v.StringValue,
				BinaryValue:      v.BinaryValue,
				StringListValues: append([]string{}, v.StringListValues...),
				BinaryListValues: append([][]byte{}, v.BinaryListValues...),
				DataType:         aws.ToString(v.DataType),
			}
		}
		sys := make(map[string]string, len(msg.Attributes))
		for k, v := range msg.Attributes {
			sys[k] = v
		}
		records[i] = events.SQSMessage{
			MessageId:              aws.ToString(msg.MessageId),
			ReceiptHandle:          aws.ToString(msg.ReceiptHandle),
			Body:                   aws.ToString(msg.Body),
			Md5OfBody:              aws.ToString(msg.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(msg.MD5OfMessageAttributes),
			Attributes:             sys,
			MessageAttributes:      attrs,
			EventSourceARN:         m.arn,
			EventSource:            "aws:sqs",
			AWSRegion:              m.region,
		}
	}
	b, err := json.Marshal(events.SQSEvent{Records: records})
	if err != nil {
		return events.SQSEvent{}, fmt.Errorf("esm: encoding the event: %w", err)
	}
	var event events.SQSEvent
	if err := json.Unmarshal(b, &event); err != nil {
		return events.SQSEvent{}, fmt.Errorf("esm: decoding the event: %w", err)
	}
	return event, nil
}
