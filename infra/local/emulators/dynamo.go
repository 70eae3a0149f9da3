package emulators

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	miniserver "github.com/truora/minidyn/server"
)

// DynamoRegion is the region the local DynamoDB's clients sign for. The
// emulator checks no signature; the SDK only needs a region to build requests.
const DynamoRegion = "us-east-1"

// Dynamo is an in-memory DynamoDB: minidyn in its HTTP server mode, so that
// the real SDK client and the real dynamo adapter are what gets exercised
// (minidyn's in-process client differs from the service, e.g. it ends every
// query with an empty, non-nil LastEvaluatedKey).
//
// What minidyn does not do, and so what the adapters must not rely on here:
// TTL (items never expire: code checks expiry itself; the TTL setting is
// kept and reported), Streams, consumed capacity, the 1 MB page limit and
// eventually consistent GSIs. What the AWS CLI and the SDK's waiters need
// and minidyn lacks (ListTables, the TTL setting, TableStatus and TableArn,
// Select COUNT) is answered by a thin layer in front of it
// (dynamoFidelity).
type Dynamo struct {
	srv    *http.Server
	url    string
	mini   *miniserver.Server
	guard  *dynamoTableGuard
	served chan error

	closeOnce sync.Once
	closeErr  error
}

// StartDynamo listens on addr and serves an empty DynamoDB until Close. An
// address without a host (":0", ":8000") listens on 127.0.0.1 rather than on
// every interface: the emulator accepts any credentials. "127.0.0.1:0" picks
// a free port; the local stack uses 127.0.0.1:8000, DynamoDB Local's port.
func StartDynamo(addr string) (*Dynamo, error) {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulators: dynamodb: %w", err)
	}
	mini := miniserver.NewServer()
	guard := &dynamoTableGuard{next: newDynamoFidelity(mini, time.Now)}
	d := &Dynamo{
		srv:    &http.Server{Handler: guard, ReadHeaderTimeout: 10 * time.Second},
		url:    "http://" + ln.Addr().String(),
		mini:   mini,
		guard:  guard,
		served: make(chan error, 1),
	}
	go func() { d.served <- d.srv.Serve(ln) }()
	return d, nil
}

// URL is the endpoint of the emulator, e.g. "http://127.0.0.1:8000".
func (d *Dynamo) URL() string { return d.url }

// Client returns a new SDK client for the emulator; optFns adjust it (tests
// that provoke failures turn retries off, for instance). The client is built
// field by field rather than from config.LoadDefaultConfig, which reads the
// machine's AWS_* environment (a CA bundle, profiles) that has no business
// with a loopback endpoint.
func (d *Dynamo) Client(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       DynamoRegion,
		BaseEndpoint: aws.String(d.url),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		// minidyn sends no X-Amz-Crc32 header; the SDK would reject every answer.
		DisableValidateResponseChecksum: true,
	}, optFns...)
}

// FailRequests makes every data request fail with an InternalServerError
// (on) or work again (off), so that tests can check how adapters classify a
// service failure.
func (d *Dynamo) FailRequests(on bool) {
	cond := miniserver.FailureConditionNone
	if on {
		cond = miniserver.FailureConditionInternalServerError
	}
	// minidyn sets the flag without a lock; taking the guard exclusively
	// orders the change after every request in flight.
	d.guard.mu.Lock()
	defer d.guard.mu.Unlock()
	d.mini.EmulateFailure(cond)
}

// LeaveUnprocessed makes BatchGetItem and BatchWriteItem on table leave the
// sub-requests for which match is true unprocessed (in UnprocessedKeys or
// UnprocessedItems), as DynamoDB does with part of a batch it throttles, so
// that tests can check how adapters ask again. match sees each requested
// key, or each item to write, as its string attributes; nil clears it.
func (d *Dynamo) LeaveUnprocessed(table string, match func(strs map[string]string) bool) {
	d.guard.mu.Lock()
	defer d.guard.mu.Unlock()
	if match == nil {
		d.mini.EmulateUnprocessedItems(table, nil)
		return
	}
	d.mini.EmulateUnprocessedItems(table, func(_ int, raw map[string]*miniserver.AttributeValue) bool {
		strs := make(map[string]string, len(raw))
		for name, v := range raw {
			if v != nil && v.S != nil {
				strs[name] = *v.S
			}
		}
		return match(strs)
	})
}

// Close stops the server, dropping open connections, and waits until it has
// stopped serving. The tables are gone. Closing again returns the first
// result, so a test can both close explicitly and register Close as cleanup.
func (d *Dynamo) Close() error {
	d.closeOnce.Do(func() {
		d.closeErr = d.srv.Close()
		if serr := <-d.served; !errors.Is(serr, http.ErrServerClosed) {
			d.closeErr = errors.Join(d.closeErr, serr)
		}
	})
	return d.closeErr
}

// dynamoTableGuard serialises table management against everything else.
// minidyn locks its item operations but reads and writes its map of tables
// without a lock in CreateTable, DeleteTable, UpdateTable and DescribeTable,
// so a test creating its own table while another test writes to its table
// would be a data race (and can crash the process with a concurrent map
// write). Item operations still run concurrently with each other.
type dynamoTableGuard struct {
	mu       sync.RWMutex
	next     http.Handler
	throttle atomic.Pointer[func(op string, body []byte) string]
}

// Throttle has every data request asked about first: f sees the operation
// and the request body and returns "" to let it run, or the error code
// DynamoDB would answer (ThrottlingException,
// ProvisionedThroughputExceededException), sent with status 400 as the
// service does; the SDK retries both as throttles. The local stack's
// --cloud-quotas mode sets it (infra/local/quota); nil clears it.
func (d *Dynamo) Throttle(f func(op string, body []byte) string) {
	if f == nil {
		d.guard.throttle.Store(nil)
		return
	}
	d.guard.throttle.Store(&f)
}

func (g *dynamoTableGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndexByte(target, '.')+1:]
	switch op {
	case "CreateTable", "DeleteTable", "UpdateTable", "DescribeTable", "UpdateTimeToLive":
		g.mu.Lock()
		defer g.mu.Unlock()
	default:
		if f := g.throttle.Load(); f != nil {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if code := (*f)(op, body); code != "" {
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.Header().Set("X-Amzn-ErrorType", code)
				w.WriteHeader(http.StatusBadRequest)
				msg := "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly."
				if code == "ProvisionedThroughputExceededException" {
					msg = "The level of configured provisioned throughput for the table was exceeded."
				}
				fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, code, msg)
				return
			}
		}
		g.mu.RLock()
		defer g.mu.RUnlock()
	}
	g.next.ServeHTTP(w, r)
}
