package sfnlocal

import (
	"context"
	"sync"
	"time"
)

// pool runs the interpreter's work on bounded sets of goroutines, in two
// lanes: interpreter steps, and task handler calls. Handlers get their own
// lane so that handlers blocked until their timeout can never starve the
// steps that process that timeout. Workers start on demand and exit as soon
// as their lane is empty, so an interpreter whose executions all wait (on a
// timer or a task token) holds no goroutine at all. The pool also tracks
// quiescence for WaitIdle and for the clock's settle hook.
type pool struct {
	mu        sync.Mutex
	lanes     [2]lane
	busy      int // queued + running items, both lanes
	inHandler int // running items currently inside a task handler
	waiters   []chan struct{}
	closed    bool
}

const (
	stepLane    = 0
	handlerLane = 1
)

type lane struct {
	queue   []func()
	head    int
	workers int
	max     int
	running int
}

func (l *lane) empty() bool { return l.head == len(l.queue) }

func newPool(steps, handlers int) *pool {
	p := &pool{}
	p.lanes[stepLane].max = max(steps, 1)
	p.lanes[handlerLane].max = max(handlers, 1)
	return p
}

// submit queues an interpreter step. It never blocks, so it is safe from
// timer callbacks and from code holding an execution's lock.
func (p *pool) submit(f func()) { p.enqueue(stepLane, f) }

// submitHandler queues a task handler call.
func (p *pool) submitHandler(f func()) { p.enqueue(handlerLane, f) }

func (p *pool) enqueue(i int, f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	l := &p.lanes[i]
	l.queue = append(l.queue, f)
	p.busy++
	if l.workers < l.max {
		l.workers++
		go p.work(l)
	}
}

func (p *pool) work(l *lane) {
	for {
		p.mu.Lock()
		if l.empty() {
			l.workers--
			p.notifyLocked()
			p.mu.Unlock()
			return
		}
		f := l.queue[l.head]
		l.queue[l.head] = nil
		l.head++
		if l.empty() {
			l.queue = l.queue[:0]
			l.head = 0
		}
		l.running++
		p.mu.Unlock()

		f()

		p.mu.Lock()
		l.running--
		p.busy--
		p.notifyLocked()
		p.mu.Unlock()
	}
}

// handler brackets the call of a task handler proper, which the settle hook
// may stop waiting for (see settle).
func (p *pool) handler(inside bool) {
	p.mu.Lock()
	if inside {
		p.inHandler++
	} else {
		p.inHandler--
	}
	p.notifyLocked()
	p.mu.Unlock()
}

func (p *pool) notifyLocked() {
	for _, c := range p.waiters {
		close(c)
	}
	p.waiters = p.waiters[:0]
}

// waitLocked returns a channel closed at the next change of the counters.
func (p *pool) waitLocked() chan struct{} {
	c := make(chan struct{})
	p.waiters = append(p.waiters, c)
	return c
}

// onlyBlockedHandlersLocked reports whether the only outstanding work is
// handlers in flight (plus handler calls that cannot start because every
// handler worker is taken).
func (p *pool) onlyBlockedHandlersLocked() bool {
	s, h := &p.lanes[stepLane], &p.lanes[handlerLane]
	return p.inHandler > 0 && s.running == 0 && s.empty() &&
		p.inHandler == h.running && (h.empty() || h.running >= h.max)
}

// settle waits for quiescence: no work queued or running. A task handler
// still running after grace (real time) is taken to be blocked on something
// only the clock can end (its timeout cancels its context), so settle stops
// waiting for it; this lets Advance go on and fire that timeout instead of
// deadlocking.
func (p *pool) settle(ctx context.Context, grace time.Duration) error {
	deadline := time.Now().Add(grace)
	for {
		p.mu.Lock()
		if p.busy == 0 || p.closed {
			p.mu.Unlock()
			return nil
		}
		onlyHandlers := p.onlyBlockedHandlersLocked()
		left := time.Until(deadline)
		if onlyHandlers && left <= 0 {
			p.mu.Unlock()
			return nil
		}
		c := p.waitLocked()
		p.mu.Unlock()
		var timeout <-chan time.Time
		var t *time.Timer
		if onlyHandlers {
			t = time.NewTimer(left)
			timeout = t.C
		}
		select {
		case <-c:
		case <-timeout:
		case <-ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// close drops queued work and refuses new work; running items finish.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for i := range p.lanes {
		l := &p.lanes[i]
		p.busy -= len(l.queue) - l.head
		l.queue = nil
		l.head = 0
	}
	p.notifyLocked()
}

// workerCount reports live worker goroutines of both lanes.
func (p *pool) workerCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lanes[stepLane].workers + p.lanes[handlerLane].workers
}
