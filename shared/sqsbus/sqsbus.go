// Package sqsbus is the outbound adapter that puts messages on an SQS queue:
// the intake queue between POST /v1/cases and the intake consumer, and any
// other queue that sits between a bursty producer and a rate-limited
// consumer.
//
// Delivery is at least once. A send that fails after SQS accepted the
// message (a timeout on the answer, a retry by the SDK) can enqueue it twice,
// and a failed SendBatch may have sent some of its bodies, so consumers must
// be idempotent; the intake consumer is, because executions are named by
// case id.
//
// Errors are *aftersales.Error: KindTransient when a retry may help
// (throttling, a 5xx, a network failure, a cancelled context), KindInvalid
// when the message itself was refused, KindInternal when the queue is
// misconfigured (missing queue, no permission). The SDK's own error stays in
// the chain for errors.As.
package sqsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/messages"
)

// API is the part of the SQS client a Queue uses; *sqs.Client satisfies it.
type API interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Queue sends messages to one SQS queue. It is safe for concurrent use.
type Queue struct {
	client API
	url    string
}

// New returns a Queue sending to queueURL through client.
func New(client API, queueURL string) *Queue {
	return &Queue{client: client, url: queueURL}
}

// URL returns the queue's URL.
func (q *Queue) URL() string { return q.url }

// maxBatch is the most entries SQS takes in one SendMessageBatch.
const maxBatch = 10

// Send puts one message on the queue, with attrs as String message
// attributes.
func (q *Queue) Send(ctx context.Context, body []byte, attrs map[string]string) error {
	const op = "sqsbus.send"
	if err := checkBody(op, body); err != nil {
		return err
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(q.url), MessageBody: aws.String(string(body))}
	if len(attrs) > 0 {
		in.MessageAttributes = make(map[string]types.MessageAttributeValue, len(attrs))
		for k, v := range attrs {
			if v == "" {
				// SQS refuses empty attribute values; say so before the round trip.
				return &aftersales.Error{Kind: aftersales.KindInvalid, Op: op, Msg: "message attribute " + k + " is empty"}
			}
			in.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	if _, err := q.client.SendMessage(ctx, in); err != nil {
		return classify(op, err)
	}
	return nil
}

// SendBatch puts bodies on the queue in SendMessageBatch calls of ten.
// Entries SQS refuses for a reason of its own (SenderFault false) are sent
// once more; entries it refuses as invalid are not, since the same body
// would be refused again. What still failed is returned as one error naming
// each body by its index. A call that fails as a whole stops the sending;
// bodies before it were sent.
func (q *Queue) SendBatch(ctx context.Context, bodies [][]byte) error {
	const op = "sqsbus.send_batch"
	var bad []string
	for i, b := range bodies {
		if err := checkBody(op, b); err != nil {
			bad = append(bad, fmt.Sprintf("#%d: %s", i, aftersales.MessageOf(err)))
		}
	}
	if len(bad) > 0 {
		return &aftersales.Error{Kind: aftersales.KindInvalid, Op: op, Msg: "invalid message bodies: " + strings.Join(bad, "; ")}
	}
	var failed []types.BatchResultErrorEntry
	for start := 0; start < len(bodies); start += maxBatch {
		idx := make([]int, 0, maxBatch)
		for i := start; i < min(start+maxBatch, len(bodies)); i++ {
			idx = append(idx, i)
		}
		f, err := q.sendChunk(ctx, bodies, idx)
		if err != nil {
			return classify(op, fmt.Errorf("sending messages #%d to #%d: %w", idx[0], idx[len(idx)-1], err))
		}
		var again []int
		for _, e := range f {
			if e.SenderFault {
				failed = append(failed, e)
				continue
			}
			i, _ := strconv.Atoi(aws.ToString(e.Id))
			again = append(again, i)
		}
		if len(again) == 0 {
			continue
		}
		f, err = q.sendChunk(ctx, bodies, again)
		if err != nil {
			return classify(op, fmt.Errorf("sending messages #%d to #%d again: %w", again[0], again[len(again)-1], err))
		}
		failed = append(failed, f...)
	}
	if len(failed) == 0 {
		return nil
	}
	return batchError(op, failed)
}

// sendChunk sends the bodies at idx in one call, with each entry's Id its
// index in bodies, and returns the entries SQS refused.
func (q *Queue) sendChunk(ctx context.Context, bodies [][]byte, idx []int) ([]types.BatchResultErrorEntry, error) {
	entries := make([]types.SendMessageBatchRequestEntry, len(idx))
	for j, i := range idx {
		entries[j] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(bodies[i]))}
	}
	out, err := q.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url), Entries: entries})
	if err != nil {
		return nil, err
	}
	return out.Failed, nil
}

// batchError reports the entries that could not be sent. It is transient if
// any of them failed on SQS's side, so the caller's retry can fix it.
func batchError(op string, failed []types.BatchResultErrorEntry) error {
	slices.SortFunc(failed, func(a, b types.BatchResultErrorEntry) int {
		x, _ := strconv.Atoi(aws.ToString(a.Id))
		y, _ := strconv.Atoi(aws.ToString(b.Id))
		return x - y
	})
	kind := aftersales.KindInvalid
	parts := make([]string, len(failed))
	for i, e := range failed {
		if !e.SenderFault {
			kind = aftersales.KindTransient
		}
		parts[i] = fmt.Sprintf("#%s %s: %s", aws.ToString(e.Id), aws.ToString(e.Code), aws.ToString(e.Message))
	}
	err := fmt.Errorf("%d messages not sent: %s", len(failed), strings.Join(parts, "; "))
	e := &aftersales.Error{Kind: kind, Op: op, Err: err}
	if kind == aftersales.KindInvalid {
		e.Msg = "the queue refused some messages"
	}
	return e
}

// checkBody refuses what SQS would refuse or garble: an empty body, and
// bytes that are not UTF-8 (the JSON protocol would replace them, and the
// SDK would then fail the MD5 check of a message SQS did enqueue).
func checkBody(op string, body []byte) error {
	switch {
	case len(body) == 0:
		return &aftersales.Error{Kind: aftersales.KindInvalid, Op: op, Msg: "the message body is empty"}
	case !utf8.Valid(body):
		return &aftersales.Error{Kind: aftersales.KindInvalid, Op: op, Msg: "the message body is not UTF-8"}
	}
	return nil
}

// invalidCodes are SQS error codes that refuse the message itself.
var invalidCodes = map[string]bool{
	"InvalidMessageContents": true,
	"InvalidParameterValue":  true,
	"MissingParameter":       true,
	"InvalidAttributeValue":  true,
}

// retryables is the SDK's own judgement of which errors a retry can fix.
var retryables = retry.IsErrorRetryables(retry.DefaultRetryables)

// classify wraps err from the SDK in the domain's error with its kind.
func classify(op string, err error) error {
	return &aftersales.Error{Kind: kindOf(err), Op: op, Err: err}
}

func kindOf(err error) aftersales.Kind {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return aftersales.KindTransient
	}
	if retryables.IsErrorRetryable(err) == aws.TrueTernary {
		return aftersales.KindTransient // throttling, 5xx, connection failures
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch {
		case ae.ErrorFault() == smithy.FaultServer:
			return aftersales.KindTransient
		case invalidCodes[ae.ErrorCode()]:
			return aftersales.KindInvalid
		}
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && (status.HTTPStatusCode() >= 500 || status.HTTPStatusCode() == 429) {
		return aftersales.KindTransient
	}
	return aftersales.KindInternal
}

// EnqueueCase sends the intake message for caseID.
func (q *Queue) EnqueueCase(ctx context.Context, caseID string) error {
	return q.ReopenCase(ctx, caseID, "")
}

// ReopenCase sends the intake message of a later run of caseID's workflow
// (run "" is the first).
func (q *Queue) ReopenCase(ctx context.Context, caseID, run string) error {
	if caseID == "" {
		return &aftersales.Error{Kind: aftersales.KindInvalid, Op: "sqsbus.enqueue_case", Msg: "the case id is empty"}
	}
	body, err := json.Marshal(messages.Intake{CaseID: caseID, Run: run})
	if err != nil {
		return &aftersales.Error{Kind: aftersales.KindInternal, Op: "sqsbus.enqueue_case", Err: err}
	}
	return q.Send(ctx, body, nil)
}
