package esm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// fakeClient is a scripted SQS: each ReceiveMessage answers the next step
// of the script; once the script is used up, a long poll blocks until its
// context ends and a short poll answers nothing.
type fakeClient struct {
	mu        sync.Mutex
	script    []step
	asked     []int32 // MaxNumberOfMessages of each ReceiveMessage
	deleteErr error
	failOn    map[string]bool // receipt handles whose deletion fails
}

type step struct {
	msgs []types.Message
	err  error
}

func msgs(from, n int) []types.Message {
	out := make([]types.Message, n)
	for i := range out {
		id := strconv.Itoa(from + i)
		out[i] = types.Message{MessageId: aws.String("id-" + id), ReceiptHandle: aws.String("rh-" + id), Body: aws.String("b-" + id)}
	}
	return out
}

func (f *fakeClient) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.mu.Lock()
	f.asked = append(f.asked, in.MaxNumberOfMessages)
	if len(f.script) > 0 {
		s := f.script[0]
		f.script = f.script[1:]
		if len(s.msgs) > int(in.MaxNumberOfMessages) {
			// Keep what the call could not take for the next one.
			f.script = append([]step{{msgs: s.msgs[in.MaxNumberOfMessages:]}}, f.script...)
			s.msgs = s.msgs[:in.MaxNumberOfMessages]
		}
		f.mu.Unlock()
		return &sqs.ReceiveMessageOutput{Messages: s.msgs}, s.err
	}
	f.mu.Unlock()
	if in.WaitTimeSeconds == 0 {
		return &sqs.ReceiveMessageOutput{}, nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *fakeClient) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if f.deleteErr != nil {
		return nil, f.deleteErr
	}
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		if f.failOn[aws.ToString(e.ReceiptHandle)] {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), SenderFault: false})
			continue
		}
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func (f *fakeClient) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{
		"QueueArn": "arn:aws:sqs:eu-west-1:123456789012:q", "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
	}}, nil
}

func TestGatherBatches(t *testing.T) {
	boom := errors.New("connection reset")
	tests := []struct {
		name      string
		size      int
		window    time.Duration
		script    []step
		wantLen   int
		wantAsked []int32
		wantErr   error
	}{
		{
			name: "without a window one receive makes the batch",
			size: 10, script: []step{{msgs: msgs(0, 3)}, {msgs: msgs(3, 4)}},
			wantLen: 3, wantAsked: []int32{10},
		},
		{
			name: "a window keeps receiving until the batch is full",
			size: 12, window: time.Minute, script: []step{{msgs: msgs(0, 10)}, {msgs: msgs(10, 5)}},
			wantLen: 12, wantAsked: []int32{10, 2},
		},
		{
			name: "a batch size below 10 asks for no more",
			size: 3, script: []step{{msgs: msgs(0, 10)}},
			wantLen: 3, wantAsked: []int32{3},
		},
		{
			name: "a window ends with what arrived",
			size: 25, window: 50 * time.Millisecond, script: []step{{msgs: msgs(0, 10)}, {msgs: msgs(10, 5)}},
			wantLen: 15,
		},
		{
			name: "messages received before an error are kept",
			size: 20, window: time.Minute, script: []step{{msgs: msgs(0, 4)}, {err: boom}},
			wantLen: 4, wantAsked: []int32{10, 10}, wantErr: boom,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeClient{script: tc.script}
			m := &Mapping{
				client: f, url: "q", opts: Options{BatchSize: tc.size, MaximumBatchingWindow: tc.window},
				pollCtx: context.Background(), log: slog.New(slog.DiscardHandler), changed: make(chan struct{}),
			}
			batch, err := m.gather()
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if len(batch) != tc.wantLen {
				t.Errorf("batch of %d, want %d", len(batch), tc.wantLen)
			}
			if tc.wantAsked != nil && fmt.Sprint(f.asked) != fmt.Sprint(tc.wantAsked) {
				t.Errorf("MaxNumberOfMessages asked %v, want %v", f.asked, tc.wantAsked)
			}
		})
	}
}

func TestFailedDeletionsAndReceives(t *testing.T) {
	tests := []struct {
		name string
		f    *fakeClient
		want Stats
	}{
		{
			name: "a message whose deletion fails is counted, not deleted",
			f:    &fakeClient{script: []step{{msgs: msgs(0, 3)}}, failOn: map[string]bool{"rh-1": true}},
			want: Stats{Batches: 1, Messages: 3, Deleted: 2, DeleteErrors: 1, MaxConcurrent: 1},
		},
		{
			name: "a failed DeleteMessageBatch call counts the whole chunk",
			f:    &fakeClient{script: []step{{msgs: msgs(0, 3)}}, deleteErr: errors.New("503")},
			want: Stats{Batches: 1, Messages: 3, DeleteErrors: 3, MaxConcurrent: 1},
		},
		{
			name: "a failed receive is retried",
			f:    &fakeClient{script: []step{{err: errors.New("connection refused")}, {msgs: msgs(0, 2)}}},
			want: Stats{Batches: 1, Messages: 2, Deleted: 2, ReceiveErrors: 1, MaxConcurrent: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			m, err := Start(ctx, tc.f, "q", func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
				return events.SQSEventResponse{}, nil
			}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Await(ctx, func(s Stats) bool { return s.Batches == 1 }); err != nil {
				t.Fatal(err)
			}
			m.Stop()
			if got := m.Stats(); got != tc.want {
				t.Errorf("stats %+v, want %+v", got, tc.want)
			}
			if m.region != "eu-west-1" || m.QueueARN() != "arn:aws:sqs:eu-west-1:123456789012:q" {
				t.Errorf("region %q, ARN %q: not taken from the queue's ARN", m.region, m.QueueARN())
			}
		})
	}
}
