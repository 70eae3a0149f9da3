package sqslocal_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestTypedErrors checks that each failure reaches the SDK as the typed
// error, ErrorCode and HTTP status that SQS itself produces, because callers
// branch on them (errors.As(err, &*types.QueueDoesNotExist)).
func TestTypedErrors(t *testing.T) {
	ctx := context.Background()
	batchOf := func(n int) []types.SendMessageBatchRequestEntry {
		out := make([]types.SendMessageBatchRequestEntry, n)
		for i := range out {
			out[i] = types.SendMessageBatchRequestEntry{Id: aws.String("e" + strconv.Itoa(i)), MessageBody: aws.String("x")}
		}
		return out
	}
	tests := []struct {
		name       string
		call       func(e *env, url string) error
		as         func(error) bool // the typed error, nil for an unmodelled one
		wantCode   string
		wantStatus int
	}{
		{
			name: "GetQueueUrl of a missing queue",
			call: func(e *env, _ string) error {
				_, err := e.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
				return err
			},
			as:       func(err error) bool { var x *types.QueueDoesNotExist; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.NonExistentQueue", wantStatus: 400,
		},
		{
			name: "SendMessage to a deleted queue",
			call: func(e *env, url string) error {
				if _, err := e.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
					return err
				}
				_, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
				return err
			},
			as:       func(err error) bool { var x *types.QueueDoesNotExist; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.NonExistentQueue", wantStatus: 400,
		},
		{
			name: "CreateQueue again with another visibility timeout",
			call: func(e *env, _ string) error {
				_, err := e.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"VisibilityTimeout": "31"}})
				return err
			},
			as:       func(err error) bool { var x *types.QueueNameExists; return errors.As(err, &x) },
			wantCode: "QueueAlreadyExists", wantStatus: 400,
		},
		{
			name: "CreateQueue of a FIFO queue",
			call: func(e *env, _ string) error {
				_, err := e.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
				return err
			},
			as:       func(err error) bool { var x *types.UnsupportedOperation; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.UnsupportedOperation", wantStatus: 400,
		},
		{
			name: "CreateQueue with an invalid name",
			call: func(e *env, _ string) error {
				_, err := e.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("has space")})
				return err
			},
			wantCode: "InvalidParameterValue", wantStatus: 400,
		},
		{
			name: "CreateQueue with an out-of-range attribute",
			call: func(e *env, _ string) error {
				_, err := e.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("r"), Attributes: map[string]string{"VisibilityTimeout": "43201"}})
				return err
			},
			as:       func(err error) bool { var x *types.InvalidAttributeValue; return errors.As(err, &x) },
			wantCode: "InvalidAttributeValue", wantStatus: 400,
		},
		{
			name: "CreateQueue with an unknown attribute",
			call: func(e *env, _ string) error {
				_, err := e.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("r"), Attributes: map[string]string{"Colour": "blue"}})
				return err
			},
			as:       func(err error) bool { var x *types.InvalidAttributeName; return errors.As(err, &x) },
			wantCode: "InvalidAttributeName", wantStatus: 400,
		},
		{
			name: "CreateQueue redriving to a missing queue",
			call: func(e *env, _ string) error {
				_, err := e.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("r"), Attributes: map[string]string{
					"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:missing","maxReceiveCount":"5"}`,
				}})
				return err
			},
			wantCode: "InvalidParameterValue", wantStatus: 400,
		},
		{
			name: "SetQueueAttributes redriving a queue into itself",
			call: func(e *env, url string) error {
				_, err := e.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{
					"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:q","maxReceiveCount":"5"}`,
				}})
				return err
			},
			wantCode: "InvalidParameterValue", wantStatus: 400,
		},
		{
			name: "GetQueueAttributes of an unknown attribute",
			call: func(e *env, url string) error {
				_, err := e.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"Colour"}})
				return err
			},
			as:       func(err error) bool { var x *types.InvalidAttributeName; return errors.As(err, &x) },
			wantCode: "InvalidAttributeName", wantStatus: 400,
		},
		{
			name: "DeleteMessage with a malformed receipt handle",
			call: func(e *env, url string) error {
				_, err := e.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("not-a-handle!")})
				return err
			},
			as:       func(err error) bool { var x *types.ReceiptHandleIsInvalid; return errors.As(err, &x) },
			wantCode: "ReceiptHandleIsInvalid", wantStatus: 404,
		},
		{
			name: "ChangeMessageVisibility of a message no longer in flight",
			call: func(e *env, url string) error {
				if _, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("m")}); err != nil {
					return err
				}
				got, err := e.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
				if err != nil {
					return err
				}
				h := got.Messages[0].ReceiptHandle
				if _, err := e.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: h, VisibilityTimeout: 0}); err != nil {
					return err
				}
				_, err = e.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: h, VisibilityTimeout: 10})
				return err
			},
			as:       func(err error) bool { var x *types.MessageNotInflight; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.MessageNotInflight", wantStatus: 400,
		},
		{
			name: "PurgeQueue twice within 60 seconds",
			call: func(e *env, url string) error {
				if _, err := e.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
					return err
				}
				_, err := e.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
				return err
			},
			as:       func(err error) bool { var x *types.PurgeQueueInProgress; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.PurgeQueueInProgress", wantStatus: 403,
		},
		{
			name: "SendMessageBatch without entries",
			call: func(e *env, url string) error {
				_, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{}})
				return err
			},
			as:       func(err error) bool { var x *types.EmptyBatchRequest; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.EmptyBatchRequest", wantStatus: 400,
		},
		{
			name: "SendMessageBatch with 11 entries",
			call: func(e *env, url string) error {
				_, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: batchOf(11)})
				return err
			},
			as:       func(err error) bool { var x *types.TooManyEntriesInBatchRequest; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", wantStatus: 400,
		},
		{
			name: "SendMessageBatch with a repeated id",
			call: func(e *env, url string) error {
				entries := batchOf(2)
				entries[1].Id = entries[0].Id
				_, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				return err
			},
			as:       func(err error) bool { var x *types.BatchEntryIdsNotDistinct; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", wantStatus: 400,
		},
		{
			name: "SendMessageBatch with an invalid id",
			call: func(e *env, url string) error {
				entries := batchOf(1)
				entries[0].Id = aws.String("a b")
				_, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				return err
			},
			as:       func(err error) bool { var x *types.InvalidBatchEntryId; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.InvalidBatchEntryId", wantStatus: 400,
		},
		{
			name: "SendMessageBatch over 1 MiB in total",
			call: func(e *env, url string) error {
				entries := batchOf(2)
				big := strings.Repeat("a", 600<<10)
				entries[0].MessageBody, entries[1].MessageBody = aws.String(big), aws.String(big)
				_, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				return err
			},
			as:       func(err error) bool { var x *types.BatchRequestTooLong; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.BatchRequestTooLong", wantStatus: 400,
		},
		{
			name: "SendMessage of a body with a NUL character",
			call: func(e *env, url string) error {
				_, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("a\x00b")})
				return err
			},
			as:       func(err error) bool { var x *types.InvalidMessageContents; return errors.As(err, &x) },
			wantCode: "InvalidMessageContents", wantStatus: 400,
		},
		{
			name: "SendMessage over the queue's maximum size",
			call: func(e *env, url string) error {
				_, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("a", 1<<20+1))})
				return err
			},
			wantCode: "InvalidParameterValue", wantStatus: 400,
		},
		{
			name: "ReceiveMessage of more than 10 messages",
			call: func(e *env, url string) error {
				_, err := e.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
				return err
			},
			wantCode: "InvalidParameterValue", wantStatus: 400,
		},
		{
			name: "an action sqslocal does not model",
			call: func(e *env, url string) error {
				_, err := e.client.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"team": "x"}})
				return err
			},
			as:       func(err error) bool { var x *types.UnsupportedOperation; return errors.As(err, &x) },
			wantCode: "AWS.SimpleQueueService.UnsupportedOperation", wantStatus: 400,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			url := e.createQueue(t, "q", nil)
			err := tc.call(e, url)
			if err == nil {
				t.Fatal("got no error")
			}
			if tc.as != nil && !tc.as(err) {
				t.Errorf("error %T (%v) is not the typed error", err, err)
			}
			if got := errorCode(err); got != tc.wantCode {
				t.Errorf("ErrorCode() = %q, want %q", got, tc.wantCode)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tc.wantStatus {
				t.Errorf("status: got %v, want %d", err, tc.wantStatus)
			}
		})
	}
}

// TestNonJSONRequests checks that a client speaking another protocol gets a
// clear refusal rather than a confusing success.
func TestNonJSONRequests(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		method string
		target string
		body   string
		want   string
	}{
		{"query protocol form post", http.MethodPost, "", "Action=ListQueues&Version=2012-11-05", "InvalidAction;Sender"},
		{"GET", http.MethodGet, "AmazonSQS.ListQueues", "", "InvalidAction;Sender"},
		{"unknown action", http.MethodPost, "AmazonSQS.FlyToTheMoon", "{}", "InvalidAction;Sender"},
		{"broken JSON", http.MethodPost, "AmazonSQS.ListQueues", "{", "SerializationException;Sender"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.endpoint+"/", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
				req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
			if got := resp.Header.Get("x-amzn-query-error"); got != tc.want {
				t.Errorf("x-amzn-query-error %q, want %q (body %s)", got, tc.want, body)
			}
			if !strings.Contains(string(body), `"__type":"com.amazonaws.sqs#`) {
				t.Errorf("body %s has no __type", body)
			}
		})
	}
}
