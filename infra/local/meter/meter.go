// Package meter counts what a run of the local stack would be billed for
// in AWS: function invocations and their duration, SDK requests by
// operation, DynamoDB read and write request units computed from item
// sizes, SQS requests, S3 requests and workflow provider calls. The
// benchmark (infra/local/bench) reads a snapshot before and after a set of
// cases and prices the difference.
//
// It is an SDK middleware and a function observer, so what it counts is
// exactly what the real handlers asked of the real SDK clients; nothing is
// estimated from code paths.
package meter

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
)

// Meter accumulates counts; the zero value is not usable, see New.
type Meter struct {
	table atomic.Pointer[Table] // nil: DynamoDB calls are counted, not priced in units

	mu sync.Mutex
	c  Counts
}

// New returns a meter that counts requests; see Price for request units.
func New() *Meter {
	return &Meter{c: newCounts()}
}

// Price makes the meter compute DynamoDB request units for requests to
// table from then on (its items are read before and after each write
// through an unmetered client, to size them).
func (m *Meter) Price(table *Table) { m.table.Store(table) }

// Counts are what a meter has seen. Maps are keyed by function name (for
// invocations) or "service.Operation" (for requests).
type Counts struct {
	// Invocations and Duration are per function; Duration sums each
	// invocation's wall time rounded up to the millisecond, as Lambda bills.
	Invocations map[string]int64
	Duration    map[string]time.Duration
	// Calls are the outbound calls made inside a function's invocations,
	// by function: AWS requests and payment provider calls (what a cloud
	// invocation would wait on the network for).
	AWSCalls      map[string]int64
	ProviderCalls map[string]int64
	// CallTime is the wall time a function's invocations spent waiting on
	// those calls (and on the meter's own sizing reads): locally the
	// stand-ins' time, which the cost model replaces with cloud latencies.
	CallTime map[string]time.Duration
	// Requests counts every SDK request by operation, e.g.
	// "dynamodb.TransactWriteItems", "sqs.SendMessage".
	Requests map[string]int64
	// EmptyReceives are SQS receives that returned no message: in the cloud
	// they are the pollers' fixed cost, not a case's.
	EmptyReceives int64
	// ReadUnits and WriteUnits are DynamoDB on-demand request units, in
	// all and by operation.
	ReadUnits, WriteUnits float64
	ReadByOp, WriteByOp   map[string]float64
	// S3Put and S3Get are S3 requests by price class (PUT, COPY, POST,
	// LIST, ... versus GET, HEAD and the rest).
	S3Put, S3Get int64
}

func newCounts() Counts {
	return Counts{Invocations: map[string]int64{}, Duration: map[string]time.Duration{}, AWSCalls: map[string]int64{},
		ProviderCalls: map[string]int64{}, CallTime: map[string]time.Duration{}, Requests: map[string]int64{}, ReadByOp: map[string]float64{}, WriteByOp: map[string]float64{}}
}

// Snapshot returns a copy of the counts so far.
func (m *Meter) Snapshot() Counts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Counts{Invocations: maps.Clone(m.c.Invocations), Duration: maps.Clone(m.c.Duration), AWSCalls: maps.Clone(m.c.AWSCalls),
		ProviderCalls: maps.Clone(m.c.ProviderCalls), CallTime: maps.Clone(m.c.CallTime), Requests: maps.Clone(m.c.Requests), EmptyReceives: m.c.EmptyReceives,
		ReadUnits: m.c.ReadUnits, WriteUnits: m.c.WriteUnits, ReadByOp: maps.Clone(m.c.ReadByOp), WriteByOp: maps.Clone(m.c.WriteByOp),
		S3Put: m.c.S3Put, S3Get: m.c.S3Get}
}

// Sub returns c minus prev: what happened between two snapshots.
func (c Counts) Sub(prev Counts) Counts {
	return Counts{
		Invocations: subMap(c.Invocations, prev.Invocations), Duration: subMap(c.Duration, prev.Duration),
		AWSCalls: subMap(c.AWSCalls, prev.AWSCalls), ProviderCalls: subMap(c.ProviderCalls, prev.ProviderCalls),
		CallTime: subMap(c.CallTime, prev.CallTime), Requests: subMap(c.Requests, prev.Requests),
		EmptyReceives: c.EmptyReceives - prev.EmptyReceives,
		ReadUnits:     c.ReadUnits - prev.ReadUnits, WriteUnits: c.WriteUnits - prev.WriteUnits,
		ReadByOp: subMap(c.ReadByOp, prev.ReadByOp), WriteByOp: subMap(c.WriteByOp, prev.WriteByOp),
		S3Put: c.S3Put - prev.S3Put, S3Get: c.S3Get - prev.S3Get,
	}
}

// subMap is a minus b, key by key, without the keys that did not change.
func subMap[V int64 | float64 | time.Duration](a, b map[string]V) map[string]V {
	d := make(map[string]V, len(a))
	for k, v := range a {
		if v -= b[k]; v != 0 {
			d[k] = v
		}
	}
	return d
}

// SQSRequests is the number of SQS requests in c that a case pays for
// (every SQS request except the receives that found nothing).
func (c Counts) SQSRequests() int64 {
	var n int64
	for op, v := range c.Requests {
		if strings.HasPrefix(op, "sqs.") {
			n += v
		}
	}
	return n - c.EmptyReceives
}

type functionKey struct{}

// Observe is a stack.Observer: it tags the context with the function's name
// (so SDK requests made inside are attributed to it) and times the call.
func (m *Meter) Observe(ctx context.Context, function string) (context.Context, func()) {
	began := time.Now()
	return context.WithValue(ctx, functionKey{}, function), func() {
		took := time.Since(began)
		billed := took.Round(time.Millisecond)
		if billed < took {
			billed += time.Millisecond
		}
		m.mu.Lock()
		m.c.Invocations[function]++
		m.c.Duration[function] += billed
		m.mu.Unlock()
	}
}

// ProviderCall records a call to a payment provider made with ctx that
// took took.
func (m *Meter) ProviderCall(ctx context.Context, took time.Duration) {
	fn, _ := ctx.Value(functionKey{}).(string)
	m.mu.Lock()
	m.c.ProviderCalls[fn]++
	if fn != "" {
		m.c.CallTime[fn] += took
	}
	m.mu.Unlock()
}

// S3Upload records an S3 PUT the SDK does not make: a client's upload to
// a presigned URL.
func (m *Meter) S3Upload() {
	m.mu.Lock()
	m.c.S3Put++
	m.mu.Unlock()
}

// APIOption adds the meter to an SDK client's middleware stack (for
// aws.Config.APIOptions).
func (m *Meter) APIOption(stack *middleware.Stack) error {
	// After the SDK's own initialize steps, so parameters are final; one
	// record per operation, however many times the SDK retries it.
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("aftersales.meter", m.handle), middleware.After)
}

func (m *Meter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	began := time.Now()
	op := operationOf(in.Parameters)
	table := m.table.Load()
	if !strings.HasPrefix(op, "dynamodb.") {
		table = nil
	}
	var before []write
	if table != nil {
		before = table.writesOf(ctx, in.Parameters)
	}
	out, md, err := next.HandleInitialize(ctx, in)
	if _, ok := out.Result.(*v4.PresignedHTTPRequest); ok {
		return out, md, err // a presigned URL: signed locally, nothing sent
	}

	var read, written float64
	if table != nil {
		read = readUnits(in.Parameters, out.Result, err)
		written = table.writeUnits(ctx, before, err)
	}
	fn, _ := ctx.Value(functionKey{}).(string)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c.Requests[op]++
	if fn != "" {
		m.c.AWSCalls[fn]++
		m.c.CallTime[fn] += time.Since(began)
	}
	if table != nil {
		m.c.ReadUnits += read
		m.c.WriteUnits += written
		m.c.ReadByOp[op] += read
		m.c.WriteByOp[op] += written
	}
	if r, ok := out.Result.(*sqs.ReceiveMessageOutput); ok && err == nil && len(r.Messages) == 0 {
		m.c.EmptyReceives++
	}
	if strings.HasPrefix(op, "s3.") {
		if s3PutClass(op) {
			m.c.S3Put++
		} else {
			m.c.S3Get++
		}
	}
	return out, md, err
}

// operationOf names an operation by its input type: *dynamodb.PutItemInput
// is "dynamodb.PutItem".
func operationOf(params any) string {
	return strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", params), "*"), "Input")
}

// s3PutClass reports whether an S3 operation is billed at the PUT rate
// (PUT, COPY, POST, LIST requests).
func s3PutClass(op string) bool {
	name := strings.TrimPrefix(op, "s3.")
	for _, p := range []string{"Put", "Copy", "Post", "List", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
