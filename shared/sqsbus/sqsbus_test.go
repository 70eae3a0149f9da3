package sqsbus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aftersales/aftersales/infra/local/sqslocal"
	"github.com/aftersales/aftersales/infra/local/vclock"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/sqsbus"
)

// faults sits in front of sqslocal and misbehaves on demand, the way SQS
// can: whole calls answered with an error status, or one batch entry
// refused on the service's side.
type faults struct {
	next http.Handler

	mu        sync.Mutex
	calls     map[string]int
	status    int    // answer every call with this status...
	errType   string // ...and this error shape
	failEntry string // refuse the SendMessageBatch entry with this Id...
	failTimes int    // ...this many times (-1: always)
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls[action]++
	status, errType := f.status, f.errType
	var req map[string]any
	dropped := false
	if action == "SendMessageBatch" && f.failEntry != "" && f.failTimes != 0 {
		// Drop the entry before SQS sees it; it is reported as failed by SQS.
		_ = json.Unmarshal(body, &req)
		entries, _ := req["Entries"].([]any)
		kept := []any{}
		for _, e := range entries {
			if e.(map[string]any)["Id"] == f.failEntry {
				dropped = true
				continue
			}
			kept = append(kept, e)
		}
		if dropped {
			req["Entries"] = kept
			if f.failTimes > 0 {
				f.failTimes--
			}
		}
	}
	failEntry := f.failEntry
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if status != 0 {
		w.Header().Set("x-amzn-query-error", errType+";Receiver")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.sqs#%s","message":"injected"}`, errType)
		return
	}
	if !dropped {
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.next.ServeHTTP(w, r)
		return
	}
	resp := map[string]any{"Successful": []any{}, "Failed": []any{}}
	if len(req["Entries"].([]any)) > 0 {
		body, _ = json.Marshal(req)
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r2)
		_ = json.Unmarshal(rec.Body.Bytes(), &resp)
	}
	resp["Failed"] = append(resp["Failed"].([]any), map[string]any{"Id": failEntry, "SenderFault": false, "Code": "InternalError", "Message": "injected"})
	out, _ := json.Marshal(resp)
	_, _ = w.Write(out)
}

// set changes the faults under the lock the handler reads them with.
func (f *faults) set(change func(f *faults)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *faults) count(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[action]
}

type env struct {
	srv    *sqslocal.Server
	faults *faults
	client *sqs.Client
	url    string
}

// newClient builds an SDK client for endpoint that retries once without
// waiting, so failures show up fast and still pass through the retryer.
func newClient(endpoint string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := sqslocal.New(sqslocal.Options{Clock: vclock.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))})
	f := &faults{next: srv.Handler(), calls: map[string]int{}}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	t.Cleanup(func() { _ = srv.Close() })
	url, err := srv.CreateQueue("intake", nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, faults: f, client: newClient(hs.URL), url: url}
}

// drain receives every visible message. The virtual clock never moves, so
// nothing comes back and each message is seen once.
func (e *env) drain(t *testing.T) []types.Message {
	t.Helper()
	var all []types.Message
	for {
		out, err := e.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(e.url), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		all = append(all, out.Messages...)
	}
}

func bodiesOf(msgs []types.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	slices.Sort(out)
	return out
}

func checkKind(t *testing.T, err error, wantKind aftersales.Kind, wantOp string) {
	t.Helper()
	var ae *aftersales.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *aftersales.Error", err, err)
	}
	if ae.Kind != wantKind || ae.Op != wantOp {
		t.Errorf("got %s from %s (%v), want %s from %s", ae.Kind, ae.Op, err, wantKind, wantOp)
	}
}

func TestSend(t *testing.T) {
	e := newEnv(t)
	q := sqsbus.New(e.client, e.url)
	if err := q.Send(context.Background(), []byte(`{"hello":"world"}`), map[string]string{"shop": "s1"}); err != nil {
		t.Fatal(err)
	}
	got := e.drain(t)
	if len(got) != 1 || aws.ToString(got[0].Body) != `{"hello":"world"}` || aws.ToString(got[0].MessageAttributes["shop"].StringValue) != "s1" {
		t.Fatalf("queue holds %+v", got)
	}
}

func TestSendErrors(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadEndpoint := "http://" + closed.Addr().String()
	closed.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name      string
		setup     func(e *env) *sqsbus.Queue
		ctx       context.Context
		body      string
		attrs     map[string]string
		wantKind  aftersales.Kind
		wantCalls int // SendMessage calls that reached the server
		check     func(t *testing.T, err error)
	}{
		{
			name:     "missing queue",
			setup:    func(e *env) *sqsbus.Queue { return sqsbus.New(e.client, e.srv.QueueURL("nope")) },
			body:     "x",
			wantKind: aftersales.KindInternal, wantCalls: 1,
			check: func(t *testing.T, err error) {
				var x *types.QueueDoesNotExist
				if !errors.As(err, &x) {
					t.Errorf("the SDK's typed error is not in the chain: %v", err)
				}
			},
		},
		{
			name: "server error",
			setup: func(e *env) *sqsbus.Queue {
				e.faults.set(func(f *faults) { f.status, f.errType = 500, "InternalError" })
				return sqsbus.New(e.client, e.url)
			},
			body:     "x",
			wantKind: aftersales.KindTransient, wantCalls: 2, // the SDK retried once
		},
		{
			name: "throttled",
			setup: func(e *env) *sqsbus.Queue {
				e.faults.set(func(f *faults) { f.status, f.errType = 403, "RequestThrottled" })
				return sqsbus.New(e.client, e.url)
			},
			body:     "x",
			wantKind: aftersales.KindTransient, wantCalls: 2,
		},
		{
			name:     "connection refused",
			setup:    func(*env) *sqsbus.Queue { return sqsbus.New(newClient(deadEndpoint), "http://x/123456789012/intake") },
			body:     "x",
			wantKind: aftersales.KindTransient,
		},
		{
			name:     "cancelled context",
			setup:    func(e *env) *sqsbus.Queue { return sqsbus.New(e.client, e.url) },
			ctx:      cancelled,
			body:     "x",
			wantKind: aftersales.KindTransient,
		},
		{
			name:     "body SQS refuses",
			setup:    func(e *env) *sqsbus.Queue { return sqsbus.New(e.client, e.url) },
			body:     "nul\x00",
			wantKind: aftersales.KindInvalid, wantCalls: 1,
		},
		{
			name:     "empty body",
			setup:    func(e *env) *sqsbus.Queue { return sqsbus.New(e.client, e.url) },
			body:     "",
			wantKind: aftersales.KindInvalid,
		},
		{
			name:     "body that is not UTF-8",
			setup:    func(e *env) *sqsbus.Queue { return sqsbus.New(e.client, e.url) },
			body:     "\xff\xfe",
			wantKind: aftersales.KindInvalid,
		},
		{
			name:     "empty attribute value",
			setup:    func(e *env) *sqsbus.Queue { return sqsbus.New(e.client, e.url) },
			body:     "x",
			attrs:    map[string]string{"shop": ""},
			wantKind: aftersales.KindInvalid,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			q := tc.setup(e)
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			err := q.Send(ctx, []byte(tc.body), tc.attrs)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			checkKind(t, err, tc.wantKind, "sqsbus.send")
			if got := e.faults.count("SendMessage"); got != tc.wantCalls {
				t.Errorf("%d SendMessage calls reached the server, want %d", got, tc.wantCalls)
			}
			if tc.check != nil {
				tc.check(t, err)
			}
		})
	}
}

func TestSendBatch(t *testing.T) {
	bodies := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = fmt.Appendf(nil, "m%02d", i)
		}
		return out
	}
	tests := []struct {
		name      string
		bodies    [][]byte
		faults    func(f *faults)
		wantErr   bool
		wantKind  aftersales.Kind
		wantIn    string // the error names this
		wantCalls int
		wantSent  int
	}{
		{name: "nothing to send", bodies: nil},
		{name: "25 bodies go in calls of 10, 10 and 5", bodies: bodies(25), wantCalls: 3, wantSent: 25},
		{
			name: "an entry SQS fails once is sent again", bodies: bodies(25),
			faults:    func(f *faults) { f.failEntry, f.failTimes = "13", 1 },
			wantCalls: 4, wantSent: 25,
		},
		{
			name: "an entry SQS keeps failing is reported", bodies: bodies(25),
			faults:  func(f *faults) { f.failEntry, f.failTimes = "13", -1 },
			wantErr: true, wantKind: aftersales.KindTransient, wantIn: "#13 InternalError",
			wantCalls: 4, wantSent: 24,
		},
		{
			name:    "an entry SQS refuses as invalid is reported, not retried",
			bodies:  append(bodies(2), []byte("nul\x00"), []byte("m03")),
			wantErr: true, wantKind: aftersales.KindInvalid, wantIn: "#2 InvalidMessageContents",
			wantCalls: 1, wantSent: 3,
		},
		{
			name:    "a body that is not UTF-8 stops everything",
			bodies:  append(bodies(12), []byte("\xff")),
			wantErr: true, wantKind: aftersales.KindInvalid, wantIn: "#12",
		},
		{
			name: "a failing call is transient", bodies: bodies(3),
			faults:  func(f *faults) { f.status, f.errType = 503, "ServiceUnavailable" },
			wantErr: true, wantKind: aftersales.KindTransient, wantCalls: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.faults != nil {
				e.faults.set(tc.faults)
			}
			err := sqsbus.New(e.client, e.url).SendBatch(context.Background(), tc.bodies)
			if (err != nil) != tc.wantErr {
				t.Fatalf("SendBatch error %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				checkKind(t, err, tc.wantKind, "sqsbus.send_batch")
				if !strings.Contains(err.Error(), tc.wantIn) {
					t.Errorf("error %q does not name %q", err, tc.wantIn)
				}
			}
			if got := e.faults.count("SendMessageBatch"); got != tc.wantCalls {
				t.Errorf("%d SendMessageBatch calls, want %d", got, tc.wantCalls)
			}
			e.faults.set(func(f *faults) { f.status = 0 })
			got := bodiesOf(e.drain(t))
			if len(got) != tc.wantSent {
				t.Fatalf("queue holds %d messages, want %d", len(got), tc.wantSent)
			}
			if len(got) != len(slices.Compact(slices.Clone(got))) {
				t.Errorf("a body was enqueued twice: %v", got)
			}
		})
	}
}

func TestEnqueueCase(t *testing.T) {
	e := newEnv(t)
	q := sqsbus.New(e.client, e.url)
	if err := q.EnqueueCase(context.Background(), "as_01JNX5Q0N6V6M6ZK4B6W3H6S8Y"); err != nil {
		t.Fatal(err)
	}
	got := e.drain(t)
	if len(got) != 1 {
		t.Fatalf("queue holds %d messages", len(got))
	}
	body := aws.ToString(got[0].Body)
	if body != `{"case_id":"as_01JNX5Q0N6V6M6ZK4B6W3H6S8Y"}` {
		t.Errorf("body %s", body)
	}
	checkKind(t, q.EnqueueCase(context.Background(), ""), aftersales.KindInvalid, "sqsbus.enqueue_case")
}
