package sqslocal_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

type pollResult struct {
	msgs    []types.Message
	err     error
	elapsed time.Duration
}

// longPoll starts a ReceiveMessage that waits up to wait seconds (0: the
// queue's default) and returns the channel its answer arrives on.
func longPoll(e *env, url string, wait int32) <-chan pollResult {
	ch := make(chan pollResult, 1)
	go func() {
		start := time.Now()
		out, err := e.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), WaitTimeSeconds: wait, MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		r := pollResult{err: err, elapsed: time.Since(start)}
		if out != nil {
			r.msgs = out.Messages
		}
		ch <- r
	}()
	return ch
}

func await(t *testing.T, ch <-chan pollResult) pollResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("the long poll did not return")
		return pollResult{}
	}
}

func TestLongPolling(t *testing.T) {
	tests := []struct {
		name      string
		queueWait string // ReceiveMessageWaitTimeSeconds of the queue
		wait      int32  // WaitTimeSeconds of the request
		before    func(t *testing.T, e *env, url string)
		wake      func(t *testing.T, e *env, url string)
		wantMsgs  int
		wantCount string // ApproximateReceiveCount of the message, if any
	}{
		{
			name: "wakes when a message is sent",
			wait: 20,
			wake: func(t *testing.T, e *env, url string) { e.send(t, url, "hello") },
			// 20 s is the wait; the answer must come long before.
			wantMsgs: 1, wantCount: "1",
		},
		{
			name:      "the queue's wait time applies when the request names none",
			queueWait: "20",
			wake:      func(t *testing.T, e *env, url string) { e.send(t, url, "hello") },
			wantMsgs:  1, wantCount: "1",
		},
		{
			name: "wakes when a visibility timeout ends",
			wait: 20,
			before: func(t *testing.T, e *env, url string) {
				e.send(t, url, "m")
				e.receive(t, url, 1)
			},
			wake:     func(_ *testing.T, e *env, _ string) { e.clk.Advance(30 * time.Second) },
			wantMsgs: 1, wantCount: "2",
		},
		{
			name: "wakes when a delay ends",
			wait: 20,
			before: func(_ *testing.T, e *env, url string) {
				_, _ = e.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("m"), DelaySeconds: 5})
			},
			wake:     func(_ *testing.T, e *env, _ string) { e.clk.Advance(5 * time.Second) },
			wantMsgs: 1, wantCount: "1",
		},
		{
			name: "returns empty when the server closes",
			wait: 20,
			wake: func(t *testing.T, e *env, _ string) {
				if err := e.srv.Close(); err != nil {
					t.Error(err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			attrs := map[string]string{"VisibilityTimeout": "30"}
			if tc.queueWait != "" {
				attrs["ReceiveMessageWaitTimeSeconds"] = tc.queueWait
			}
			url := e.createQueue(t, "q", attrs)
			if tc.before != nil {
				tc.before(t, e, url)
			}
			ch := longPoll(e, url, tc.wait)
			eventually(t, "the long poll to park", func() bool { return e.srv.Waiting("q") })
			tc.wake(t, e, url)
			r := await(t, ch)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if len(r.msgs) != tc.wantMsgs {
				t.Fatalf("got %d messages, want %d", len(r.msgs), tc.wantMsgs)
			}
			if r.elapsed >= 10*time.Second {
				t.Errorf("the poll took %v: it waited out its time instead of waking", r.elapsed)
			}
			if tc.wantMsgs > 0 && r.msgs[0].Attributes["ApproximateReceiveCount"] != tc.wantCount {
				t.Errorf("ApproximateReceiveCount %s, want %s", r.msgs[0].Attributes["ApproximateReceiveCount"], tc.wantCount)
			}
		})
	}
	t.Run("returns empty once the wait time is over", func(t *testing.T) {
		e := newEnv(t)
		url := e.createQueue(t, "q", nil)
		r := await(t, longPoll(e, url, 1))
		if r.err != nil || len(r.msgs) != 0 {
			t.Fatalf("got %d messages, %v; want none", len(r.msgs), r.err)
		}
		if r.elapsed < time.Second {
			t.Errorf("returned after %v, before the 1 s wait", r.elapsed)
		}
	})
}

// TestConcurrentSendersAndReceivers drives one queue from many goroutines at
// once. The virtual clock never moves, so no visibility timeout can end and
// every message must be received and deleted exactly once.
func TestConcurrentSendersAndReceivers(t *testing.T) {
	const senders, perSender, receivers = 4, 250, 4
	total := senders * perSender
	e := newEnv(t)
	url := e.createQueue(t, "q", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var (
		mu       sync.Mutex
		received = map[string]int{}
		deleted  = map[string]int{}
		errs     []error
	)
	record := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := 0; i < perSender; {
				if i%2 == 0 && i+10 <= perSender { // half in batches of 10
					var entries []types.SendMessageBatchRequestEntry
					for j := range 10 {
						entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(j)), MessageBody: aws.String(fmt.Sprintf("s%d-m%d", s, i+j))})
					}
					out, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
					if err != nil || len(out.Failed) > 0 {
						record(fmt.Errorf("SendMessageBatch: %v %v", err, out))
						return
					}
					i += 10
					continue
				}
				if _, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("s%d-m%d", s, i))}); err != nil {
					record(err)
					return
				}
				i++
			}
		})
	}
	for range receivers {
		wg.Go(func() {
			for {
				mu.Lock()
				done := len(deleted) == total
				mu.Unlock()
				if done || ctx.Err() != nil {
					return
				}
				out, err := e.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					if ctx.Err() == nil {
						record(err)
					}
					return
				}
				if len(out.Messages) == 0 {
					continue
				}
				var entries []types.DeleteMessageBatchRequestEntry
				mu.Lock()
				for i, m := range out.Messages {
					received[aws.ToString(m.Body)]++
					entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
				}
				mu.Unlock()
				del, err := e.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				if err != nil || len(del.Failed) > 0 {
					record(fmt.Errorf("DeleteMessageBatch: %v %v", err, del))
					return
				}
				mu.Lock()
				for _, m := range out.Messages {
					deleted[aws.ToString(m.Body)]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(received) != total || len(deleted) != total {
		t.Fatalf("received %d distinct, deleted %d distinct, want %d", len(received), len(deleted), total)
	}
	for body, n := range received {
		if n != 1 || deleted[body] != 1 {
			t.Errorf("%s received %d times, deleted %d times; want once each", body, n, deleted[body])
		}
	}
	e.depth(t, "q", 0, 0)
}
