package stack

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aftersales/aftersales/infra/local/quota"
)

// quotas are AWS's default quotas as the local services enforce them in
// --cloud-quotas mode (Options.CloudQuotas): Step Functions' StartExecution
// and task-token buckets, the HTTP API's account throttle, Lambda's
// concurrency and scaling rate for every function invocation, and the
// on-demand table's throughput in front of the emulated DynamoDB. A nil
// *quotas enforces nothing. Every refusal is counted by kind (Throttled).
type quotas struct {
	sfn    map[string]*quota.Bucket // by API action
	api    *quota.Bucket
	lambda *quota.Concurrency
	table  *quota.Table
	counts sync.Map // kind -> *atomic.Int64
}

// newQuotas builds the limiters of s on the clock now (wall time: quotas
// are per second of real time whatever the stack's virtual clock does).
func newQuotas(s *quota.Settings, now func() time.Time) *quotas {
	if s == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	q := &quotas{sfn: map[string]*quota.Bucket{"StartExecution": quota.NewBucket(s.StartExecution, now)},
		api: quota.NewBucket(s.HTTPAPI, now), lambda: quota.NewConcurrency(*s, now), table: quota.NewTable(*s, now)}
	// Each task-token action has its own bucket of the same size.
	for _, op := range []string{"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"} {
		q.sfn[op] = quota.NewBucket(s.TaskTokens, now)
	}
	return q
}

func (q *quotas) count(kind string) {
	c, _ := q.counts.LoadOrStore(kind, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

// sfnThrottle is sfnlocal's Throttle: one token per call of a limited
// action.
func (q *quotas) sfnThrottle(op string) bool {
	if ok, _ := q.sfn[op].Take(1); !ok {
		q.count("Step Functions " + op + ": ThrottlingException")
		return false
	}
	return true
}

// dynamoThrottle is the emulated DynamoDB's Throttle.
func (q *quotas) dynamoThrottle(op string, body []byte) string {
	p, w, r := quota.DynamoRequest(op, body)
	code := q.table.Consume(p, w, r)
	if code != "" {
		q.count("DynamoDB " + op + ": " + code)
	}
	return code
}

// httpAPI answers 429 once the account's request rate is used up, with
// API Gateway's own body; HTTP APIs send no Retry-After, so clients back
// off on their own (the mini-program and the benchmark's clients retry
// with exponential back-off and jitter, with the same Idempotency-Key).
func (q *quotas) httpAPI(next http.Handler) http.Handler {
	if q == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, _ := q.api.Take(1); !ok {
			kind := "HTTP API: 429 Too Many Requests"
			if strings.HasPrefix(r.URL.Path, "/webhooks/") {
				// Counted apart: a provider's notification refused here
				// is sent again on the provider's schedule, not the
				// buyer's, and a refund waits for it meanwhile.
				kind += " (provider notifications)"
			}
			q.count(kind)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", requestIDOf(r))
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"Too Many Requests"}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errLambdaThrottled is an invocation Lambda refused (TooManyRequestsException).
var errLambdaThrottled = errors.New("Lambda.TooManyRequestsException: Rate Exceeded")

// invoke runs f as an invocation of function within Lambda's concurrency:
// errLambdaThrottled, and f not run, when Lambda would refuse it.
func (s *Stack) invoke(ctx context.Context, function string, f func(context.Context)) error {
	if q := s.quotas; q != nil {
		release, ok := q.lambda.Acquire(function)
		if !ok {
			q.count("Lambda " + function + ": TooManyRequestsException")
			return errLambdaThrottled
		}
		defer release()
	}
	s.observe(ctx, function, f)
	return nil
}

// Throttled returns how many calls each quota refused so far, by kind
// ("Step Functions StartExecution: ThrottlingException", ...); empty
// without --cloud-quotas. Retries are counted too: each refusal is one
// answer the caller had to absorb.
func (s *Stack) Throttled() map[string]int64 {
	out := map[string]int64{}
	if s.quotas == nil {
		return out
	}
	s.quotas.counts.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// ThrottledKinds lists the kinds of Throttled in order.
func ThrottledKinds(m map[string]int64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
