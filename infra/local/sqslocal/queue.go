package sqslocal

import (
	"container/heap"
	"sync"
	"time"
)

// msgState is where a message is in its life.
type msgState uint8

const (
	stateVisible  msgState = iota // in the ready list, receivable
	stateInFlight                 // received, hidden until its visibility timeout
	stateDelayed                  // sent with a delay, hidden until the delay ends
	stateGone                     // deleted, purged, expired or moved; a leftover in the ready list is skipped
)

// attrValue is a message attribute as it travels on the wire.
type attrValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// message is one message of a queue. Its fields are guarded by the queue's
// lock.
type message struct {
	id          string
	body        string
	md5Body     string
	attrs       map[string]attrValue
	md5Attrs    string // "" when the message has no attributes
	traceHeader string // the AWSTraceHeader system attribute, if sent
	md5System   string
	senderID    string
	dlqSource   string // DeadLetterQueueSourceArn once redriven
	sentAt      time.Time

	receiveCount   int
	firstReceiveAt time.Time
	handle         string // receipt handle of the latest receive; "" before the first

	state     msgState
	visibleAt time.Time // for in-flight and delayed messages
	heapIndex int       // position in queue.hidden, -1 when not there
}

// received is a copy of a message as one ReceiveMessage call handed it out,
// taken under the queue's lock so that the answer cannot see later changes.
type received struct {
	id             string
	handle         string
	body           string
	md5Body        string
	attrs          map[string]attrValue
	md5Attrs       string
	traceHeader    string
	senderID       string
	dlqSource      string
	sentAt         time.Time
	firstReceiveAt time.Time
	receiveCount   int
}

// redrivePolicy is a parsed RedrivePolicy attribute.
type redrivePolicy struct {
	targetARN       string
	targetName      string
	maxReceiveCount int
}

// queueConfig holds the attributes of a queue.
type queueConfig struct {
	visibilityTimeout  int // seconds
	delaySeconds       int
	retentionSeconds   int
	maximumMessageSize int
	waitTimeSeconds    int
	redrive            *redrivePolicy
	// Attributes that sqslocal stores and reports but that change nothing
	// locally, keyed by attribute name (Policy, RedriveAllowPolicy, KMS and
	// SSE settings).
	passive map[string]string
}

// queue is one SQS queue. Every field below mu is guarded by it; a queue
// never holds another queue's lock, so moving messages to a dead-letter
// queue happens after the source queue's lock is released.
type queue struct {
	name  string
	arn   string
	clock Clock

	mu        sync.Mutex
	cfg       queueConfig
	created   time.Time
	modified  time.Time
	lastPurge time.Time
	deleted   bool

	msgs  map[string]*message
	ready []*message // visible messages in arrival order, from readyHead on
	head  int
	// hidden holds in-flight and delayed messages ordered by the time they
	// become visible; one clock timer, armed for the earliest, wakes them.
	hidden    hiddenHeap
	timerStop func() bool
	timerAt   time.Time
	timerGen  uint64

	visible, inFlight, delayed int

	// wake is closed and cleared whenever a message becomes visible, to wake
	// long polls; it is created by the first waiter.
	wake chan struct{}
}

func newQueue(name, arn string, clock Clock, cfg queueConfig) *queue {
	now := clock.Now()
	return &queue{
		name:     name,
		arn:      arn,
		clock:    clock,
		cfg:      cfg,
		created:  now,
		modified: now,
		msgs:     make(map[string]*message),
	}
}

// hiddenHeap orders hidden messages by the time they become visible.
type hiddenHeap []*message

func (h hiddenHeap) Len() int           { return len(h) }
func (h hiddenHeap) Less(i, j int) bool { return h[i].visibleAt.Before(h[j].visibleAt) }
func (h hiddenHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex = i
	h[j].heapIndex = j
}
func (h *hiddenHeap) Push(x any) {
	m := x.(*message)
	m.heapIndex = len(*h)
	*h = append(*h, m)
}
func (h *hiddenHeap) Pop() any {
	old := *h
	n := len(old)
	m := old[n-1]
	old[n-1] = nil
	m.heapIndex = -1
	*h = old[:n-1]
	return m
}

// signalLocked wakes every long poll waiting on the queue.
func (q *queue) signalLocked() {
	if q.wake != nil {
		close(q.wake)
		q.wake = nil
	}
}

// waitChanLocked returns a channel closed at the next arrival.
func (q *queue) waitChanLocked() <-chan struct{} {
	if q.wake == nil {
		q.wake = make(chan struct{})
	}
	return q.wake
}

// pushReadyLocked makes m visible at the back of the ready list.
func (q *queue) pushReadyLocked(m *message) {
	m.state = stateVisible
	q.ready = append(q.ready, m)
	q.visible++
	q.signalLocked()
}

// popReadyLocked takes the oldest visible message, skipping leftovers of
// messages deleted while visible.
func (q *queue) popReadyLocked() *message {
	for q.head < len(q.ready) {
		m := q.ready[q.head]
		q.ready[q.head] = nil
		q.head++
		if m.state == stateVisible {
			q.visible--
			q.compactLocked()
			return m
		}
	}
	q.compactLocked()
	return nil
}

// compactLocked reclaims the consumed front of the ready list so a queue
// that streams millions of messages does not keep a growing slice.
func (q *queue) compactLocked() {
	if q.head == len(q.ready) {
		q.ready = q.ready[:0]
		q.head = 0
		return
	}
	if q.head > 1024 && q.head > len(q.ready)/2 {
		n := copy(q.ready, q.ready[q.head:])
		clear(q.ready[n:])
		q.ready = q.ready[:n]
		q.head = 0
	}
}

// hideLocked hides m until at, as in flight or delayed.
func (q *queue) hideLocked(m *message, state msgState, at time.Time) {
	m.state = state
	m.visibleAt = at
	heap.Push(&q.hidden, m)
	if state == stateInFlight {
		q.inFlight++
	} else {
		q.delayed++
	}
	q.armLocked()
}

// unhideLocked takes m out of the hidden heap and the counts.
func (q *queue) unhideLocked(m *message) {
	if m.heapIndex >= 0 {
		heap.Remove(&q.hidden, m.heapIndex)
	}
	if m.state == stateInFlight {
		q.inFlight--
	} else if m.state == stateDelayed {
		q.delayed--
	}
}

// expiredLocked reports whether m has outlived the retention period, counted
// from its first enqueue (a redriven message keeps its original age, as in
// SQS standard queues).
func (q *queue) expiredLocked(m *message, now time.Time) bool {
	return now.Sub(m.sentAt) >= time.Duration(q.cfg.retentionSeconds)*time.Second
}

// promoteLocked makes visible every hidden message whose time has come. It
// runs on every access as well as from the timer, so counts are exact even
// when a timer has not fired yet.
func (q *queue) promoteLocked(now time.Time) {
	for len(q.hidden) > 0 && !q.hidden[0].visibleAt.After(now) {
		m := heap.Pop(&q.hidden).(*message)
		if m.state == stateInFlight {
			q.inFlight--
		} else {
			q.delayed--
		}
		if q.expiredLocked(m, now) {
			m.state = stateGone
			delete(q.msgs, m.id)
			continue
		}
		q.pushReadyLocked(m)
	}
}

// armLocked makes sure a clock timer fires when the earliest hidden message
// becomes visible. One timer per queue, rather than one per message, keeps
// the clock's timer queue small at thousands of messages per second.
func (q *queue) armLocked() {
	if len(q.hidden) == 0 || q.deleted {
		return
	}
	at := q.hidden[0].visibleAt
	if q.timerStop != nil {
		if !q.timerAt.After(at) {
			return // the armed timer fires no later; it re-arms when it does
		}
		q.timerStop()
	}
	q.timerGen++
	gen := q.timerGen
	q.timerAt = at
	q.timerStop = q.clock.AfterFunc(at.Sub(q.clock.Now()), func() { q.fire(gen) })
}

// fire is the timer callback: it promotes what fell due and arms the next
// timer. It only takes the queue's lock, so it is safe to run inside a
// virtual clock's Advance.
func (q *queue) fire(gen uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if gen == q.timerGen {
		q.timerStop = nil
	}
	q.promoteLocked(q.clock.Now())
	q.armLocked()
}

// removeLocked deletes m from the queue, wherever it is.
func (q *queue) removeLocked(m *message) {
	switch m.state {
	case stateVisible:
		q.visible-- // its leftover in the ready list is skipped when reached
	case stateInFlight, stateDelayed:
		q.unhideLocked(m)
	}
	m.state = stateGone
	delete(q.msgs, m.id)
}

// clearLocked drops every message (PurgeQueue, DeleteQueue).
func (q *queue) clearLocked() {
	for _, m := range q.msgs {
		m.state = stateGone
		m.heapIndex = -1
	}
	q.msgs = make(map[string]*message)
	q.ready = nil
	q.head = 0
	q.hidden = nil
	q.visible, q.inFlight, q.delayed = 0, 0, 0
	if q.timerStop != nil {
		q.timerStop()
		q.timerStop = nil
	}
}

// addLocked enqueues m, hidden for delay if positive.
func (q *queue) addLocked(m *message, delay time.Duration, now time.Time) {
	m.heapIndex = -1
	q.msgs[m.id] = m
	if delay > 0 {
		q.hideLocked(m, stateDelayed, now.Add(delay))
		return
	}
	q.pushReadyLocked(m)
}

// takeLocked receives up to max messages, hiding each for visibility. A
// message already received maxReceiveCount times is not handed out but
// returned in moved, for the caller to put into the dead-letter queue once
// this queue's lock is released: that is the receive attempt on which SQS
// redrives. dlqExists says whether the dead-letter queue is there; without
// it the message is delivered as if there were no redrive policy.
func (q *queue) takeLocked(max int, visibility time.Duration, now time.Time, newHandle func(*message) string, dlqExists func(name string) bool) (got []received, moved []*message) {
	q.promoteLocked(now)
	var again []*message // received with a zero visibility timeout: visible at once
	for len(got) < max {
		m := q.popReadyLocked()
		if m == nil {
			break
		}
		if q.expiredLocked(m, now) {
			m.state = stateGone
			delete(q.msgs, m.id)
			continue
		}
		if rp := q.cfg.redrive; rp != nil && m.receiveCount >= rp.maxReceiveCount && dlqExists(rp.targetName) {
			m.state = stateGone
			delete(q.msgs, m.id)
			moved = append(moved, m)
			continue
		}
		m.receiveCount++
		if m.firstReceiveAt.IsZero() {
			m.firstReceiveAt = now
		}
		m.handle = newHandle(m)
		if visibility > 0 {
			q.hideLocked(m, stateInFlight, now.Add(visibility))
		} else {
			again = append(again, m)
		}
		got = append(got, received{
			id: m.id, handle: m.handle, body: m.body, md5Body: m.md5Body,
			attrs: m.attrs, md5Attrs: m.md5Attrs, traceHeader: m.traceHeader,
			senderID: m.senderID, dlqSource: m.dlqSource, sentAt: m.sentAt,
			firstReceiveAt: m.firstReceiveAt, receiveCount: m.receiveCount,
		})
	}
	for _, m := range again {
		q.pushReadyLocked(m)
	}
	return got, moved
}
