// Package vclock provides the controllable clock of the local stack.
//
// Every component that waits in the local stack (the Step Functions
// interpreter's Wait states, retry intervals and task timeouts, and the
// application's domain clock) reads time from one Clock, so a developer or a
// test can jump 48 hours ahead and see every timer that fell due fire in
// deadline order, exactly as if the time had really passed.
//
// A Clock runs in one of two modes:
//
//   - virtual (New): time stands still until Advance or AdvanceTo moves it;
//     timers fire synchronously inside Advance, in deadline order, ties in
//     creation order.
//   - real (Real, Accelerated): time follows the wall clock, optionally sped
//     up by a factor, and timers fire on their own. Advance still works and
//     shifts the clock forward, which lets a demo skip a long wait.
//
// Periodic timers (Every) stand for schedules such as EventBridge
// Scheduler's rate(5 minutes). Like those schedules they do not catch up on
// missed runs: when the clock jumps over many periods at once, a periodic
// timer fires once, at the last period it passed, so advancing a virtual
// clock by three months costs one run of each schedule, not 26,000. One-shot
// timers (AfterFunc: deadlines, Step Functions waits, retries) all fire, in
// deadline order, however far the clock jumps.
//
// Consumers that hand work from timer callbacks to other goroutines register
// a settle function with OnSettle; Advance calls it before looking at the
// timer queue and after every fired timer, so that timers scheduled by that
// work are seen within the same Advance and the effects are observable once
// Advance returns.
package vclock

import (
	"container/heap"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// Clock is a source of time with timers. The zero value is not usable; build
// one with New, Real or Accelerated. A Clock is safe for concurrent use.
type Clock struct {
	mu       sync.Mutex
	virtual  bool
	now      time.Time // virtual mode: the current time
	wallBase time.Time // real mode: wall time when base was taken
	base     time.Time // real mode: clock time at wallBase
	factor   float64   // real mode: clock seconds per wall second
	timers   timerHeap
	seq      uint64
	loop     bool          // real mode: a firing goroutine is running
	wake     chan struct{} // real mode: nudges the firing goroutine

	settleMu sync.Mutex
	settlers map[uint64]func()
	settleID uint64

	// advanceMu serialises Advance so two concurrent calls cannot
	// interleave their firing sequences and break deadline order.
	advanceMu sync.Mutex
}

type timer struct {
	at    time.Time
	seq   uint64
	f     func()
	index int // position in the heap, -1 once removed
	// period is how often a periodic timer (Every) fires; 0 for a one-shot
	// timer. stopped keeps a periodic timer whose callback is running from
	// being scheduled again once its stop function was called.
	period  time.Duration
	stopped bool
}

// lastDue returns the last firing time of t that is not after now: its
// deadline for a one-shot timer, the last period boundary passed for a
// periodic one, which is when a schedule that does not catch up runs.
func (t *timer) lastDue(now time.Time) time.Time {
	if t.period <= 0 || now.Before(t.at) {
		return t.at
	}
	return t.at.Add(now.Sub(t.at) / t.period * t.period)
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}

// New returns a virtual clock standing at start. A zero start means the
// current wall time truncated to the millisecond, which keeps timestamps
// rendered with millisecond precision (as Step Functions does) exact.
func New(start time.Time) *Clock {
	if start.IsZero() {
		start = time.Now().UTC().Truncate(time.Millisecond)
	}
	return &Clock{virtual: true, now: start}
}

// Real returns a clock that follows wall time. It is what the local stack
// uses for a live demo: timers fire by themselves, and Advance can still skip
// ahead.
func Real() *Clock { return Accelerated(1) }

// Accelerated returns a real-time clock that runs factor times faster than
// the wall clock (factor 60 turns a minute into a second). A factor <= 0 is
// treated as 1.
func Accelerated(factor float64) *Clock {
	if factor <= 0 {
		factor = 1
	}
	now := time.Now()
	return &Clock{factor: factor, wallBase: now, base: now, wake: make(chan struct{}, 1)}
}

// Virtual reports whether the clock only moves when told to.
func (c *Clock) Virtual() bool { return c.virtual }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.virtual {
		return c.now
	}
	elapsed := time.Since(c.wallBase)
	return c.base.Add(time.Duration(float64(elapsed) * c.factor))
}

// Since returns the clock time elapsed since t.
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// AfterFunc arranges for f to be called once the clock reaches Now()+d. The
// returned stop function cancels the timer and reports whether it did so
// before f was called.
//
// In virtual mode f runs on the goroutine calling Advance, so f must not
// block on anything that needs Advance to return; handing work to another
// goroutine is the intended use. A timer with d <= 0 is due immediately and
// fires on the next Advance (Advance(0) included), never from AfterFunc
// itself, so callers holding locks cannot deadlock on their own callback.
func (c *Clock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	if d < 0 {
		d = 0
	}
	c.seq++
	t := &timer{at: c.nowLocked().Add(d), seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	if !c.virtual {
		c.kickLocked()
	}
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.index < 0 {
			return false
		}
		heap.Remove(&c.timers, t.index)
		return true
	}
}

// Every arranges for f to be called every period on the clock, first at
// Now()+period, as a schedule such as EventBridge Scheduler's rate(5
// minutes) calls its target. Missed periods are not caught up: however far
// one Advance (or a real clock that fell behind) moves, f runs at most once
// for it, at the last period boundary passed, after the one-shot timers due
// before that boundary and before those due after it. The next run is the
// following boundary, so the schedule keeps its phase.
//
// f runs where AfterFunc's callbacks run, under the same rules. The
// returned stop function cancels every later run, even from inside f, and
// reports whether the timer was still running. A period <= 0 is an error
// of the caller's: Every panics.
func (c *Clock) Every(period time.Duration, f func()) (stop func() bool) {
	if period <= 0 {
		panic("vclock: Every needs a positive period")
	}
	c.mu.Lock()
	c.seq++
	t := &timer{at: c.nowLocked().Add(period), seq: c.seq, f: f, period: period}
	heap.Push(&c.timers, t)
	if !c.virtual {
		c.kickLocked()
	}
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.stopped {
			return false
		}
		t.stopped = true
		if t.index >= 0 {
			heap.Remove(&c.timers, t.index)
		}
		return true
	}
}

// rearmLocked schedules a periodic timer that has just fired for its next
// period after now, unless it was stopped meanwhile.
func (c *Clock) rearmLocked(t *timer, now time.Time) {
	if t.period <= 0 || t.stopped {
		return
	}
	t.at = t.lastDue(now).Add(t.period)
	c.seq++
	t.seq = c.seq
	heap.Push(&c.timers, t)
}

// Pending returns the number of timers that have not fired or been stopped.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next returns the deadline of the earliest pending timer.
func (c *Clock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].at, true
}

// OnSettle registers f to be called by Advance before it inspects the timer
// queue and after each timer it fires. f should return once the work handed
// off by timer callbacks has been processed (for the Step Functions
// interpreter: when no execution has runnable work). The returned function
// unregisters f.
func (c *Clock) OnSettle(f func()) (remove func()) {
	c.settleMu.Lock()
	defer c.settleMu.Unlock()
	if c.settlers == nil {
		c.settlers = make(map[uint64]func())
	}
	c.settleID++
	id := c.settleID
	c.settlers[id] = f
	return func() {
		c.settleMu.Lock()
		defer c.settleMu.Unlock()
		delete(c.settlers, id)
	}
}

func (c *Clock) settle() {
	c.settleMu.Lock()
	fs := make([]func(), 0, len(c.settlers))
	for _, f := range c.settlers {
		fs = append(fs, f)
	}
	c.settleMu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Advance moves the clock forward by d and returns the new time. Every
// one-shot timer due within the window fires in deadline order (ties in
// creation order), with Now() equal to that timer's deadline while it runs,
// so work scheduled by a callback is timed from the moment the callback
// fired, and such work also fires within this Advance if it falls due
// inside the window. A periodic timer (Every) fires once, at the last of its
// periods within the window. Settle functions run before the first timer
// and after each one. A negative d is treated as 0.
//
// In real mode Advance shifts the clock forward by d and fires the timers
// that became due the same way.
func (c *Clock) Advance(d time.Duration) time.Time {
	if d < 0 {
		d = 0
	}
	c.advanceMu.Lock()
	defer c.advanceMu.Unlock()
	c.mu.Lock()
	target := c.nowLocked().Add(d)
	c.mu.Unlock()
	return c.advanceTo(target)
}

// AdvanceTo moves the clock forward to t, like Advance. A t that is not
// after Now() fires the timers already due and leaves the time unchanged.
func (c *Clock) AdvanceTo(t time.Time) time.Time {
	c.advanceMu.Lock()
	defer c.advanceMu.Unlock()
	return c.advanceTo(t)
}

func (c *Clock) advanceTo(target time.Time) time.Time {
	c.settle()
	for {
		c.mu.Lock()
		now := c.nowLocked()
		if target.Before(now) {
			target = now
		}
		if len(c.timers) == 0 || c.timers[0].at.After(target) {
			c.setNowLocked(target)
			c.mu.Unlock()
			return target
		}
		t := heap.Pop(&c.timers).(*timer)
		if last := t.lastDue(target); last.After(t.at) {
			// A periodic timer that missed periods runs once, at the last
			// one: back in the queue at that time, behind the one-shot
			// timers due before it.
			t.at = last
			heap.Push(&c.timers, t)
			c.mu.Unlock()
			continue
		}
		if t.at.After(now) {
			c.setNowLocked(t.at)
		}
		c.mu.Unlock()
		t.f()
		c.mu.Lock()
		c.rearmLocked(t, t.at)
		c.mu.Unlock()
		c.settle()
	}
}

// setNowLocked moves the clock to t; in real mode it rebases the mapping
// from wall time so that Now() continues from t.
func (c *Clock) setNowLocked(t time.Time) {
	if c.virtual {
		c.now = t
		return
	}
	if t.After(c.nowLocked()) {
		c.wallBase = time.Now()
		c.base = t
		c.kickLocked()
	}
}

// kickLocked makes sure a real-mode firing goroutine is running and looks at
// the queue again. The goroutine exits when no timer is pending, so an idle
// real clock holds no goroutine.
func (c *Clock) kickLocked() {
	if c.loop {
		select {
		case c.wake <- struct{}{}:
		default:
		}
		return
	}
	if len(c.timers) == 0 {
		return
	}
	c.loop = true
	go c.run()
}

// run is the real-mode firing loop.
func (c *Clock) run() {
	for {
		c.mu.Lock()
		if len(c.timers) == 0 {
			c.loop = false
			c.mu.Unlock()
			return
		}
		now := c.nowLocked()
		next := c.timers[0]
		if !next.at.After(now) {
			heap.Pop(&c.timers)
			c.mu.Unlock()
			next.f()
			c.mu.Lock()
			// A periodic timer that fell behind (a suspended laptop, an
			// Advance racing this loop) skips to its next period from now.
			c.rearmLocked(next, c.nowLocked())
			c.mu.Unlock()
			continue
		}
		wait := time.Duration(float64(next.at.Sub(now)) / c.factor)
		c.mu.Unlock()
		tm := time.NewTimer(wait)
		select {
		case <-tm.C:
		case <-c.wake:
			tm.Stop()
		}
	}
}

// Handler returns the clock's control endpoint for the local stack (mount
// it at, for example, /dev/clock). GET reports the time; POST with
// {"advance":"48h"} (a Go duration) or {"to":"2026-03-01T00:00:00Z"} moves
// the clock and fires what fell due, then reports the new time. Both answer
// {"now":"<RFC 3339>"}.
func (c *Clock) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var req struct {
				Advance string `json:"advance"`
				To      string `json:"to"`
			}
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
				http.Error(w, `{"message":"body must be {\"advance\":\"48h\"} or {\"to\":\"<RFC 3339>\"}"}`, http.StatusBadRequest)
				return
			}
			switch {
			case req.Advance != "" && req.To == "":
				d, err := time.ParseDuration(req.Advance)
				if err != nil || d < 0 {
					http.Error(w, `{"message":"advance must be a non-negative Go duration such as 90s or 48h"}`, http.StatusBadRequest)
					return
				}
				c.Advance(d)
			case req.To != "" && req.Advance == "":
				t, err := time.Parse(time.RFC3339Nano, req.To)
				if err != nil {
					http.Error(w, `{"message":"to must be an RFC 3339 time"}`, http.StatusBadRequest)
					return
				}
				c.AdvanceTo(t)
			default:
				http.Error(w, `{"message":"give exactly one of advance and to"}`, http.StatusBadRequest)
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, `{"message":"use GET or POST"}`, http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"now": c.Now().UTC().Format(time.RFC3339Nano)})
	})
}
