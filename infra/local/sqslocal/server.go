package sqslocal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Default identity of a Server: the region and account that appear in queue
// ARNs and URLs.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "123456789012" // the account of every local ARN (Step Functions, DynamoDB) too
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Clock drives visibility timeouts, delays, retention and the purge
	// cool-down. Nil means the wall clock.
	Clock Clock
	// Region and AccountID name the queues' ARNs and URLs; empty means
	// DefaultRegion and DefaultAccountID.
	Region    string
	AccountID string
	// BaseURL is the scheme and host of queue URLs, such as
	// "http://127.0.0.1:9324". Queues are found by the last path segment of
	// their URL, so the host is informational; empty means the listener's URL
	// after Start, else the Host of each request (and "http://localhost" for
	// the in-process helpers).
	BaseURL string
}

// Server is an in-memory SQS. It is safe for concurrent use; every queue has
// its own lock, so traffic on one queue does not slow another.
type Server struct {
	clock   Clock
	region  string
	account string

	baseMu  sync.RWMutex
	baseURL string

	mu     sync.RWMutex
	queues map[string]*queue

	handleSeq atomic.Uint64
	closed    chan struct{}
	closeOnce sync.Once
	httpSrv   *http.Server
	served    chan struct{}

	connMu sync.Mutex
	fresh  map[net.Conn]bool // connections that have not sent a request yet
}

// trackConn remembers which connections have not sent a request yet.
func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if state == http.StateNew {
		if s.fresh == nil {
			s.fresh = make(map[net.Conn]bool)
		}
		s.fresh[c] = true
		return
	}
	delete(s.fresh, c)
}

// New returns an empty Server.
func New(o Options) *Server {
	if o.Clock == nil {
		o.Clock = wallClock{}
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	return &Server{
		clock:   o.Clock,
		region:  o.Region,
		account: o.AccountID,
		baseURL: strings.TrimSuffix(o.BaseURL, "/"),
		queues:  make(map[string]*queue),
		closed:  make(chan struct{}),
	}
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves the
// Handler until Close. It returns the endpoint to give the SDK client as
// BaseEndpoint; without Options.BaseURL, queue URLs use it too.
func (s *Server) Start(addr string) (endpoint string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sqslocal: listen on %s: %w", addr, err)
	}
	endpoint = "http://" + ln.Addr().String()
	s.baseMu.Lock()
	if s.baseURL == "" {
		s.baseURL = endpoint
	}
	s.baseMu.Unlock()
	// No write timeout: long polls hold a response for up to 20 seconds.
	s.httpSrv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ConnState: s.trackConn}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		_ = s.httpSrv.Serve(ln)
	}()
	return endpoint, nil
}

// Close ends every long poll with an empty answer and, after Start, stops
// the listener. It is safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.httpSrv != nil {
			// Shutdown waits up to 5 s for connections that never sent a
			// request, which SDK clients leave behind when they cancel a
			// request while dialling; they have nothing in progress.
			s.connMu.Lock()
			for c := range s.fresh {
				_ = c.Close()
			}
			s.connMu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err = s.httpSrv.Shutdown(ctx); err != nil {
				err = errors.Join(err, s.httpSrv.Close())
			}
			<-s.served
		}
	})
	return err
}

// CreateQueue creates a queue without going through HTTP, with the same
// rules and attributes as the CreateQueue action, and returns its URL.
func (s *Server) CreateQueue(name string, attrs map[string]string) (queueURL string, err error) {
	if _, err := s.createQueue(name, attrs); err != nil {
		return "", err
	}
	return s.queueURL(s.base(""), name), nil
}

// QueueURL returns the URL of the named queue as the in-process helpers
// spell it, whether or not the queue exists.
func (s *Server) QueueURL(name string) string { return s.queueURL(s.base(""), name) }

// QueueARN returns the ARN of the named queue, whether or not it exists.
func (s *Server) QueueARN(name string) string {
	return "arn:aws:sqs:" + s.region + ":" + s.account + ":" + name
}

// Depth reports how many messages of the named queue are visible and how
// many are in flight (received and not yet deleted or timed out). Delayed
// messages count in neither. An unknown queue reports zeros. Benchmarks
// sample it to chart queue depth over time.
func (s *Server) Depth(name string) (visible, inFlight int) {
	q := s.lookup(name)
	if q == nil {
		return 0, 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.promoteLocked(s.clock.Now())
	return q.visible, q.inFlight
}

// base returns the scheme and host of queue URLs for a request to host.
func (s *Server) base(host string) string {
	s.baseMu.RLock()
	b := s.baseURL
	s.baseMu.RUnlock()
	switch {
	case b != "":
		return b
	case host != "":
		return "http://" + host
	default:
		return "http://localhost"
	}
}

func (s *Server) queueURL(base, name string) string {
	return base + "/" + s.account + "/" + name
}

// lookup returns the named queue or nil.
func (s *Server) lookup(name string) *queue {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queues[name]
}

// queueFromURL finds the queue a QueueUrl names. Like ElasticMQ and unlike
// SQS it looks at the last path segment only, so URLs built for another host
// name still work.
func (s *Server) queueFromURL(u string) (*queue, error) {
	if u == "" {
		return nil, fail(errMissingParameter, "The request must contain the parameter QueueUrl.")
	}
	name := u
	if i := strings.LastIndexByte(strings.TrimSuffix(u, "/"), '/'); i >= 0 {
		name = strings.TrimSuffix(u, "/")[i+1:]
	}
	if q := s.lookup(name); q != nil {
		return q, nil
	}
	return nil, fail(errQueueDoesNotExist, "The specified queue does not exist.")
}

// newMessageID returns a random UUID, the shape of SQS message ids.
func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// newHandle returns a receipt handle for this receive of m in q. Handles are
// opaque to clients; inside they name the queue, the message and a sequence
// number, so a handle from an earlier receive is recognised as stale.
func (s *Server) newHandle(q *queue, m *message) string {
	raw := q.name + "\x00" + m.id + "\x00" + strconv.FormatUint(s.handleSeq.Add(1), 36)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// parseHandle returns the message id a receipt handle of q names.
func parseHandle(q *queue, h string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "", fail(errReceiptHandleIsInvalid, "The input receipt handle %q is not a valid receipt handle.", h)
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[0] != q.name || parts[1] == "" {
		return "", fail(errReceiptHandleIsInvalid, "The input receipt handle %q is not a valid receipt handle.", h)
	}
	return parts[1], nil
}

// moveToDLQ puts messages that exhausted their receives on src into the
// dead-letter queue named by rp. If that queue no longer exists the messages
// go back to src as visible, rather than vanish.
func (s *Server) moveToDLQ(src *queue, rp *redrivePolicy, msgs []*message) {
	if len(msgs) == 0 {
		return
	}
	now := s.clock.Now()
	dlq := s.lookup(rp.targetName)
	target := dlq
	if target == nil {
		target = src
	}
	target.mu.Lock()
	defer target.mu.Unlock()
	if target.deleted {
		return
	}
	for _, m := range msgs {
		n := *m
		n.handle = ""
		n.heapIndex = -1
		if dlq != nil {
			n.dlqSource = src.arn
		}
		target.addLocked(&n, 0, now)
	}
}

// sortedNames returns the queue names with prefix, sorted.
func (s *Server) sortedNames(prefix string) []string {
	s.mu.RLock()
	names := make([]string, 0, len(s.queues))
	for n := range s.queues {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	s.mu.RUnlock()
	sort.Strings(names)
	return names
}
