package esm_test

import (
	"context"
	"crypto/md5"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aftersales/aftersales/infra/local/esm"
	"github.com/aftersales/aftersales/infra/local/sqslocal"
	"github.com/aftersales/aftersales/infra/local/vclock"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// env is a local SQS on a virtual clock with a real SDK client.
type env struct {
	srv    *sqslocal.Server
	clk    *vclock.Clock
	client *sqs.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clk := vclock.New(t0)
	srv := sqslocal.New(sqslocal.Options{Clock: clk})
	endpoint, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	return &env{srv: srv, clk: clk, client: client}
}

func (e *env) queue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	url, err := e.srv.CreateQueue(name, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func (e *env) send(t testing.TB, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := e.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) depth(t testing.TB, name string, wantVisible, wantInFlight int) {
	t.Helper()
	if v, f := e.srv.Depth(name); v != wantVisible || f != wantInFlight {
		t.Fatalf("Depth(%s) = %d visible, %d in flight; want %d, %d", name, v, f, wantVisible, wantInFlight)
	}
}

func start(t testing.TB, e *env, url string, h esm.Handler, o esm.Options) *esm.Mapping {
	t.Helper()
	m, err := esm.Start(context.Background(), e.client, url, h, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

func deadline(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recorder is a hand-written handler that remembers every batch.
type recorder struct {
	mu      sync.Mutex
	batches [][]events.SQSMessage
	reply   func(call int, e events.SQSEvent) (events.SQSEventResponse, error)
}

func (r *recorder) handle(_ context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
	r.mu.Lock()
	r.batches = append(r.batches, e.Records)
	call := len(r.batches)
	r.mu.Unlock()
	if r.reply == nil {
		return events.SQSEventResponse{}, nil
	}
	return r.reply(call, e)
}

func (r *recorder) bodies(call int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.batches[call-1] {
		out = append(out, rec.Body)
	}
	slices.Sort(out)
	return out
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.batches)
}

func TestRecordsLookLikeLambdas(t *testing.T) {
	e := newEnv(t)
	url := e.queue(t, "intake", nil)
	if _, err := e.client.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String(`{"case_id":"as_1"}`),
		MessageAttributes: map[string]types.MessageAttributeValue{"shop": {DataType: aws.String("String"), StringValue: aws.String("s1")}},
	}); err != nil {
		t.Fatal(err)
	}
	var got events.SQSEvent
	var requestID string
	done := make(chan struct{})
	m := start(t, e, url, func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		got = ev
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			requestID = lc.AwsRequestID
		}
		close(done)
		return events.SQSEventResponse{}, nil
	}, esm.Options{})
	if err := m.WaitIdle(deadline(t)); err != nil {
		t.Fatal(err)
	}
	<-done
	if len(got.Records) != 1 {
		t.Fatalf("%d records, want 1", len(got.Records))
	}
	r := got.Records[0]
	checks := []struct{ name, got, want string }{
		{"body", r.Body, `{"case_id":"as_1"}`},
		{"eventSource", r.EventSource, "aws:sqs"},
		{"eventSourceARN", r.EventSourceARN, "arn:aws:sqs:us-east-1:123456789012:intake"},
		{"awsRegion", r.AWSRegion, "us-east-1"},
		{"ApproximateReceiveCount", r.Attributes["ApproximateReceiveCount"], "1"},
		{"SentTimestamp", r.Attributes["SentTimestamp"], strconv.FormatInt(t0.UnixMilli(), 10)},
		{"ApproximateFirstReceiveTimestamp", r.Attributes["ApproximateFirstReceiveTimestamp"], strconv.FormatInt(t0.UnixMilli(), 10)},
		{"SenderId", r.Attributes["SenderId"], "local"},
		{"shop attribute", aws.ToString(r.MessageAttributes["shop"].StringValue), "s1"},
		{"shop dataType", r.MessageAttributes["shop"].DataType, "String"},
		{"md5OfBody", r.Md5OfBody, fmt.Sprintf("%x", md5.Sum([]byte(`{"case_id":"as_1"}`)))},
		{"request id", requestID, "esm-" + r.MessageId},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if r.MessageId == "" || r.ReceiptHandle == "" || len(r.Md5OfMessageAttributes) != 32 {
		t.Errorf("messageId %q, receiptHandle %q, md5OfMessageAttributes %q", r.MessageId, r.ReceiptHandle, r.Md5OfMessageAttributes)
	}
	// On the wire Lambda sends empty lists, not null, for attribute lists.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"stringListValues":[],"binaryListValues":[]`) {
		t.Errorf("record JSON %s lacks the empty attribute lists Lambda sends", b)
	}
}

// TestOutcomes applies Lambda's deletion rules to one batch of four and
// checks which messages come back after the visibility timeout.
func TestOutcomes(t *testing.T) {
	fail := func(ids ...string) events.SQSEventResponse {
		var r events.SQSEventResponse
		for _, id := range ids {
			r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
		return r
	}
	idOf := func(e events.SQSEvent, body string) string {
		for _, r := range e.Records {
			if r.Body == body {
				return r.MessageId
			}
		}
		return "missing"
	}
	all := []string{"m0", "m1", "m2", "m3"}
	tests := []struct {
		name   string
		opts   esm.Options
		first  func(e events.SQSEvent) (events.SQSEventResponse, error)
		back   []string // messages redelivered after the timeout
		want   esm.Stats
		ignore bool
	}{
		{
			name:  "success deletes the batch",
			first: func(events.SQSEvent) (events.SQSEventResponse, error) { return events.SQSEventResponse{}, nil },
			want:  esm.Stats{Batches: 1, Messages: 4, Deleted: 4},
		},
		{
			name: "batch item failures come back, the rest is deleted",
			first: func(e events.SQSEvent) (events.SQSEventResponse, error) {
				return fail(idOf(e, "m1"), idOf(e, "m3")), nil
			},
			back: []string{"m1", "m3"},
			want: esm.Stats{Batches: 1, Messages: 4, Deleted: 2, Failed: 2},
		},
		{
			name: "a handler error brings the whole batch back",
			first: func(events.SQSEvent) (events.SQSEventResponse, error) {
				return events.SQSEventResponse{}, errors.New("boom")
			},
			back: all,
			want: esm.Stats{Batches: 1, Messages: 4, Failed: 4, HandlerErrors: 1},
		},
		{
			name: "an error wins over batch item failures",
			first: func(e events.SQSEvent) (events.SQSEventResponse, error) {
				return fail(idOf(e, "m0")), errors.New("boom")
			},
			back: all,
			want: esm.Stats{Batches: 1, Messages: 4, Failed: 4, HandlerErrors: 1},
		},
		{
			name:  "a panic brings the whole batch back",
			first: func(events.SQSEvent) (events.SQSEventResponse, error) { panic("nil map") },
			back:  all,
			want:  esm.Stats{Batches: 1, Messages: 4, Failed: 4, Panics: 1},
		},
		{
			name: "an unknown itemIdentifier fails the whole batch",
			first: func(e events.SQSEvent) (events.SQSEventResponse, error) {
				return fail(idOf(e, "m1"), "not-in-this-batch"), nil
			},
			back: all,
			want: esm.Stats{Batches: 1, Messages: 4, Failed: 4, InvalidResponses: 1},
		},
		{
			name: "an empty itemIdentifier fails the whole batch",
			first: func(events.SQSEvent) (events.SQSEventResponse, error) {
				return fail(""), nil
			},
			back: all,
			want: esm.Stats{Batches: 1, Messages: 4, Failed: 4, InvalidResponses: 1},
		},
		{
			name: "without failure reporting the response is ignored",
			opts: esm.Options{IgnoreBatchItemFailures: true},
			first: func(e events.SQSEvent) (events.SQSEventResponse, error) {
				return fail(idOf(e, "m1")), nil
			},
			want: esm.Stats{Batches: 1, Messages: 4, Deleted: 4},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			url := e.queue(t, "q", map[string]string{"VisibilityTimeout": "30"})
			e.send(t, url, all...)
			rec := &recorder{reply: func(call int, ev events.SQSEvent) (events.SQSEventResponse, error) {
				if call == 1 {
					return tc.first(ev)
				}
				return events.SQSEventResponse{}, nil
			}}
			m := start(t, e, url, rec.handle, tc.opts)
			ctx := deadline(t)
			if err := m.Await(ctx, func(s esm.Stats) bool { return s.Batches == 1 }); err != nil {
				t.Fatal(err)
			}
			if got := rec.bodies(1); !slices.Equal(got, all) {
				t.Fatalf("first batch %v, want all four in one batch", got)
			}
			got := m.Stats()
			got.MaxConcurrent = 0
			if got != tc.want {
				t.Errorf("stats %+v, want %+v", got, tc.want)
			}
			e.depth(t, "q", 0, len(tc.back))

			e.clk.Advance(30 * time.Second)
			if err := m.WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
			var back []string
			for call := 2; call <= rec.calls(); call++ {
				back = append(back, rec.bodies(call)...)
			}
			slices.Sort(back)
			if !slices.Equal(back, tc.back) {
				t.Errorf("redelivered %v, want %v", back, tc.back)
			}
		})
	}
}

func TestPoisonMessageEndsInTheDLQ(t *testing.T) {
	e := newEnv(t)
	e.queue(t, "intake-dlq", nil)
	url := e.queue(t, "intake", map[string]string{
		"VisibilityTimeout": "30",
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + e.srv.QueueARN("intake-dlq") + `","maxReceiveCount":"5"}`,
	})
	e.send(t, url, "poison", "fine")
	var counts []string
	rec := &recorder{reply: func(_ int, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			if r.Body == "poison" {
				counts = append(counts, r.Attributes["ApproximateReceiveCount"])
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}}
	m := start(t, e, url, rec.handle, esm.Options{})
	ctx := deadline(t)
	for i := int64(1); i <= 5; i++ {
		if err := m.Await(ctx, func(s esm.Stats) bool { return s.Failed == i }); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(30 * time.Second)
	}
	if err := m.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	e.depth(t, "intake", 0, 0)
	e.depth(t, "intake-dlq", 1, 0)
	if want := []string{"1", "2", "3", "4", "5"}; !slices.Equal(counts, want) {
		t.Errorf("the poison message was handled with receive counts %v, want %v", counts, want)
	}
	if s := m.Stats(); s.Deleted != 1 || s.Failed != 5 {
		t.Errorf("stats %+v, want the good message deleted and 5 failures", s)
	}
}

// TestMaximumConcurrency blocks every handler call and checks that exactly
// MaximumConcurrency run at once and that no further message is taken off
// the queue meanwhile.
func TestMaximumConcurrency(t *testing.T) {
	for _, limit := range []int{2, 3, 10} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			e := newEnv(t)
			url := e.queue(t, "q", nil)
			total := 4 * limit
			for i := range total {
				e.send(t, url, strconv.Itoa(i))
			}
			var mu sync.Mutex
			current, peak := 0, 0
			gate := make(chan struct{})
			var release sync.Once
			open := func() { release.Do(func() { close(gate) }) }
			m := start(t, e, url, func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
				mu.Lock()
				current++
				peak = max(peak, current)
				mu.Unlock()
				<-gate
				mu.Lock()
				current--
				mu.Unlock()
				return events.SQSEventResponse{}, nil
			}, esm.Options{BatchSize: 1, MaximumConcurrency: limit})
			t.Cleanup(open) // runs before the mapping's Stop, even on failure

			waitFor(t, "every slot to run a handler", func() bool { mu.Lock(); defer mu.Unlock(); return current >= limit })
			// Every slot is taken, so no poller may be receiving.
			e.depth(t, "q", total-limit, limit)
			open()
			if err := m.WaitIdle(deadline(t)); err != nil {
				t.Fatal(err)
			}
			if peak != limit {
				t.Errorf("peak concurrency %d, want %d", peak, limit)
			}
			if s := m.Stats(); s.MaxConcurrent != int64(limit) || s.Deleted != int64(total) || s.Batches != int64(total) {
				t.Errorf("stats %+v, want MaxConcurrent %d and %d batches deleted", s, limit, total)
			}
		})
	}
}

// goroutinesIn counts the goroutines running a function whose name starts
// with fn (a "created by" line does not count: the goroutine may have left
// its creator long ago).
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, line := range strings.Split(g, "\n") {
			if strings.HasPrefix(line, "github.com/aftersales/aftersales/"+fn) {
				n++
				break
			}
		}
	}
	return n
}

// waitFor polls cond until it holds, failing after a deadline. It waits for
// other goroutines to reach a state, never for time to pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	stop := time.NewTimer(10 * time.Second)
	defer stop.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-stop.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

func TestStopDrainsInFlightBatches(t *testing.T) {
	e := newEnv(t)
	url := e.queue(t, "q", nil)
	e.send(t, url, "a", "b", "c", "d", "e")
	var mu sync.Mutex
	entered := 0
	gate := make(chan struct{})
	var release sync.Once
	m, err := esm.Start(context.Background(), e.client, url, func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		entered++
		mu.Unlock()
		<-gate
		return events.SQSEventResponse{}, nil
	}, esm.Options{BatchSize: 1, MaximumConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	t.Cleanup(func() { release.Do(func() { close(gate) }) }) // runs before Stop
	waitFor(t, "two handlers to start", func() bool { mu.Lock(); defer mu.Unlock(); return entered == 2 })

	stopped := make(chan struct{})
	go func() { m.Stop(); close(stopped) }()
	waitFor(t, "the pollers to stop", func() bool { return goroutinesIn("infra/local/esm.(*Mapping).poll") == 0 })
	select {
	case <-stopped:
		t.Fatal("Stop returned while handlers were still running")
	default:
	}
	release.Do(func() { close(gate) })
	<-stopped
	// The two batches in hand were settled; the rest was never taken.
	e.depth(t, "q", 3, 0)
	if s := m.Stats(); s.Deleted != 2 || s.Batches != 2 {
		t.Errorf("stats %+v, want 2 batches deleted", s)
	}
	// A goroutine that signalled it was done may still be returning.
	waitFor(t, "the mapping's goroutines to end", func() bool { return goroutinesIn("infra/local/esm.(*Mapping)") == 0 })
}

// TestShutdownCancelsWhatOutlivesItsDeadline: Shutdown waits for the
// invocations in progress until its context ends, then cancels theirs (as
// Lambda ends a function at its timeout) and returns once they did; their
// messages stay on the queue, to come back like those of a timed-out
// function.
func TestShutdownCancelsWhatOutlivesItsDeadline(t *testing.T) {
	e := newEnv(t)
	url := e.queue(t, "q", nil)
	e.send(t, url, "a", "b", "c")
	started := make(chan struct{}, 2)
	m, err := esm.Start(context.Background(), e.client, url, func(ctx context.Context, _ events.SQSEvent) (events.SQSEventResponse, error) {
		started <- struct{}{}
		<-ctx.Done() // a long batch that honours cancellation
		return events.SQSEventResponse{}, ctx.Err()
	}, esm.Options{BatchSize: 1, MaximumConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	for range 2 {
		select {
		case <-started:
		case <-deadline(t).Done():
			t.Fatal("the handlers did not start")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := m.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the deadline's error", err)
	}
	if s := m.Stats(); s.Batches != 2 || s.HandlerErrors != 2 || s.Deleted != 0 {
		t.Errorf("stats %+v, want 2 cancelled batches and nothing deleted", s)
	}
	e.depth(t, "q", 1, 2) // the cancelled two wait out their visibility timeout
	waitFor(t, "the mapping's goroutines to end", func() bool { return goroutinesIn("infra/local/esm.(*Mapping)") == 0 })
}

func TestNoGoroutineLeak(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		// A queue per mapping: a long poll that Stop cancels may still take
		// a message on the server (as in SQS), which would then wait out its
		// visibility timeout instead of reaching the next mapping.
		url := e.queue(t, "q"+strconv.Itoa(i), nil)
		e.send(t, url, strconv.Itoa(i))
		m, err := esm.Start(context.Background(), e.client, url, func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}, esm.Options{MaximumConcurrency: 5})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Stop)
		if err := m.WaitIdle(deadline(t)); err != nil {
			t.Fatal(err)
		}
		if s := m.Stats(); s.Deleted != 1 {
			t.Fatalf("mapping %d deleted %d messages, want 1", i, s.Deleted)
		}
		m.Stop()
		m.Stop() // idempotent
	}
	waitFor(t, "the package's goroutines to end", func() bool { return goroutinesIn("infra/local/esm.") == 0 })
}

func TestStartChecks(t *testing.T) {
	e := newEnv(t)
	url := e.queue(t, "q", nil)
	ok := func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{}, nil
	}
	tests := []struct {
		name    string
		url     string
		handler esm.Handler
		opts    esm.Options
		want    string
	}{
		{"missing queue", e.srv.QueueURL("nope"), ok, esm.Options{}, "NonExistentQueue"},
		{"nil handler", url, nil, esm.Options{}, "handler is nil"},
		{"batch size above 10 without a window", url, ok, esm.Options{BatchSize: 11}, "needs a MaximumBatchingWindow"},
		{"batch size too big", url, ok, esm.Options{BatchSize: 10001, MaximumBatchingWindow: time.Second}, "outside 1..10000"},
		{"concurrency of one", url, ok, esm.Options{MaximumConcurrency: 1}, "outside 2..1000"},
		{"concurrency above 1000", url, ok, esm.Options{MaximumConcurrency: 1001}, "outside 2..1000"},
		{"window above 5 minutes", url, ok, esm.Options{MaximumBatchingWindow: 301 * time.Second}, "outside 0..5m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := esm.Start(context.Background(), e.client, tc.url, tc.handler, tc.opts)
			if err == nil {
				m.Stop()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
