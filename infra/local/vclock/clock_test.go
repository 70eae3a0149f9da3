package vclock

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// The clock is the application's domain clock too, so it must satisfy the
// minimal interface domain code depends on.
var _ interface{ Now() time.Time } = (*Clock)(nil)

func TestAdvanceFiresInDeadlineOrder(t *testing.T) {
	tests := []struct {
		name    string
		timers  []time.Duration // scheduled in this order, labelled by index
		advance time.Duration
		want    []int
	}{
		{"deadline order", []time.Duration{3 * time.Second, 1 * time.Second, 2 * time.Second}, 5 * time.Second, []int{1, 2, 0}},
		{"ties in creation order", []time.Duration{time.Second, time.Second, 0, time.Second}, time.Second, []int{2, 0, 1, 3}},
		{"only what is due", []time.Duration{time.Second, time.Hour}, time.Minute, []int{0}},
		{"boundary is inclusive", []time.Duration{48 * time.Hour}, 48 * time.Hour, []int{0}},
		{"nothing due", []time.Duration{time.Hour}, time.Second, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(t0)
			var got []int
			for i, d := range tc.timers {
				c.AfterFunc(d, func() { got = append(got, i) })
			}
			now := c.Advance(tc.advance)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fired %v, want %v", got, tc.want)
			}
			if want := t0.Add(tc.advance); !now.Equal(want) || !c.Now().Equal(want) {
				t.Errorf("Advance returned %v, Now %v, want %v", now, c.Now(), want)
			}
			if c.Pending() != len(tc.timers)-len(tc.want) {
				t.Errorf("Pending = %d, want %d", c.Pending(), len(tc.timers)-len(tc.want))
			}
		})
	}
}

func TestCallbackSeesItsDeadlineAndChainsWithinWindow(t *testing.T) {
	c := New(t0)
	var fired []time.Duration
	var schedule func(d time.Duration)
	schedule = func(d time.Duration) {
		c.AfterFunc(d, func() {
			fired = append(fired, c.Since(t0))
			if d < 8*time.Second {
				schedule(d * 2) // a retry with backoff, scheduled by the callback
			}
		})
	}
	schedule(2 * time.Second)
	c.Advance(13 * time.Second)
	want := []time.Duration{2 * time.Second, 6 * time.Second}
	if !reflect.DeepEqual(fired, want) {
		t.Fatalf("fired at %v, want %v", fired, want)
	}
	c.Advance(time.Second) // 14s: the 8s timer scheduled at 6s is due
	want = append(want, 14*time.Second)
	if !reflect.DeepEqual(fired, want) {
		t.Fatalf("fired at %v, want %v", fired, want)
	}
}

func TestStop(t *testing.T) {
	c := New(t0)
	fired := false
	stop := c.AfterFunc(time.Second, func() { fired = true })
	if !stop() {
		t.Fatal("first stop reported the timer as not pending")
	}
	if stop() {
		t.Fatal("second stop reported the timer as pending")
	}
	c.Advance(time.Minute)
	if fired {
		t.Fatal("a stopped timer fired")
	}
	stop2 := c.AfterFunc(time.Second, func() {})
	c.Advance(time.Second)
	if stop2() {
		t.Fatal("stop after firing reported success")
	}
}

func TestSettleRunsBeforeAndAfterEachTimer(t *testing.T) {
	c := New(t0)
	var log []string
	remove := c.OnSettle(func() { log = append(log, "settle") })
	c.AfterFunc(time.Second, func() { log = append(log, "a") })
	c.AfterFunc(2*time.Second, func() { log = append(log, "b") })
	c.Advance(time.Minute)
	want := []string{"settle", "a", "settle", "b", "settle"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("sequence %v, want %v", log, want)
	}
	remove()
	log = nil
	c.Advance(time.Second)
	if len(log) != 0 {
		t.Fatalf("removed settler still ran: %v", log)
	}
}

// TestSettleSeesWorkHandedOff models the interpreter: a timer callback hands
// work to a goroutine, which schedules the next timer; the settler waits
// for it, so chained timers inside the window fire at exact times.
func TestSettleSeesWorkHandedOff(t *testing.T) {
	c := New(t0)
	var wg sync.WaitGroup
	c.OnSettle(wg.Wait)
	var mu sync.Mutex
	var fired []time.Duration
	var step func(n int)
	step = func(n int) {
		c.AfterFunc(time.Duration(n)*time.Second, func() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mu.Lock()
				fired = append(fired, c.Since(t0))
				mu.Unlock()
				if n < 4 {
					step(n + 1)
				}
			}()
		})
	}
	step(1)
	c.Advance(time.Hour)
	mu.Lock()
	defer mu.Unlock()
	want := []time.Duration{1 * time.Second, 3 * time.Second, 6 * time.Second, 10 * time.Second}
	if !reflect.DeepEqual(fired, want) {
		t.Fatalf("fired at %v, want %v", fired, want)
	}
}

func TestAdvanceToAndNext(t *testing.T) {
	c := New(t0)
	if _, ok := c.Next(); ok {
		t.Fatal("Next reported a timer on an empty clock")
	}
	c.AfterFunc(90*time.Second, func() {})
	next, ok := c.Next()
	if !ok || !next.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("Next = %v, %v", next, ok)
	}
	if got := c.AdvanceTo(next); !got.Equal(next) || c.Pending() != 0 {
		t.Fatalf("AdvanceTo = %v, pending %d", got, c.Pending())
	}
	if got := c.AdvanceTo(t0); !got.Equal(next) {
		t.Fatalf("AdvanceTo the past moved the clock to %v", got)
	}
	if got := c.Advance(-time.Hour); !got.Equal(next) {
		t.Fatalf("negative Advance moved the clock to %v", got)
	}
}

func TestZeroDelayFiresOnNextAdvance(t *testing.T) {
	c := New(t0)
	fired := 0
	c.AfterFunc(0, func() { fired++ })
	c.AfterFunc(-time.Second, func() { fired++ })
	if fired != 0 {
		t.Fatal("a virtual timer fired inside AfterFunc")
	}
	c.Advance(0)
	if fired != 2 {
		t.Fatalf("fired %d timers, want 2", fired)
	}
}

func TestNewZeroStartIsNow(t *testing.T) {
	before := time.Now().Add(-time.Second)
	c := New(time.Time{})
	if c.Now().Before(before) || !c.Virtual() {
		t.Fatalf("New(zero) = %v (virtual %v)", c.Now(), c.Virtual())
	}
	if c.Now() != c.Now() {
		t.Fatal("virtual time moved by itself")
	}
}

func TestRealClockFiresTimers(t *testing.T) {
	c := Accelerated(1000) // one clock second per wall millisecond
	if c.Virtual() {
		t.Fatal("accelerated clock reports virtual")
	}
	done := make(chan time.Time, 1)
	start := c.Now()
	c.AfterFunc(20*time.Second, func() { done <- c.Now() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case at := <-done:
		if at.Sub(start) < 20*time.Second {
			t.Fatalf("fired after %v of clock time, want >= 20s", at.Sub(start))
		}
	case <-ctx.Done():
		t.Fatal("real-time timer did not fire")
	}
}

func TestRealClockAdvanceSkipsAhead(t *testing.T) {
	c := Real()
	fired := make(chan struct{})
	start := c.Now()
	c.AfterFunc(48*time.Hour, func() { close(fired) })
	now := c.Advance(48 * time.Hour)
	select {
	case <-fired:
	default:
		t.Fatal("Advance did not fire the due timer in real mode")
	}
	if now.Sub(start) < 48*time.Hour || c.Now().Sub(start) < 48*time.Hour {
		t.Fatalf("real clock only moved %v", c.Now().Sub(start))
	}
	// The wall clock keeps running after the jump.
	if c.Now().Before(now) {
		t.Fatal("real clock went backwards after Advance")
	}
}

func TestRealClockStopAndNoGoroutineWhenIdle(t *testing.T) {
	c := Real()
	stop := c.AfterFunc(time.Hour, func() { t.Error("stopped timer fired") })
	if !stop() {
		t.Fatal("stop failed")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		running := c.loop
		c.mu.Unlock()
		if !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("firing goroutine still running with no timer pending")
		}
		c.mu.Lock()
		c.kickLocked()
		c.mu.Unlock()
		runtime.Gosched() // polling a goroutine's exit, bounded by deadline
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(t0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				c.AfterFunc(time.Duration(j)*time.Millisecond, func() {
					mu.Lock()
					count++
					mu.Unlock()
				})
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	c.Advance(time.Second)
	if count != 800 {
		t.Fatalf("fired %d timers, want 800", count)
	}
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		body     string
		wantCode int
		wantNow  time.Time
		wantFire bool
	}{
		{"get reports now", http.MethodGet, "", http.StatusOK, t0, false},
		{"advance by duration", http.MethodPost, `{"advance":"48h"}`, http.StatusOK, t0.Add(48 * time.Hour), true},
		{"advance to time", http.MethodPost, `{"to":"2026-01-03T00:00:00Z"}`, http.StatusOK, t0.Add(48 * time.Hour), true},
		{"too short", http.MethodPost, `{"advance":"1h"}`, http.StatusOK, t0.Add(time.Hour), false},
		{"bad duration", http.MethodPost, `{"advance":"two days"}`, http.StatusBadRequest, t0, false},
		{"negative duration", http.MethodPost, `{"advance":"-1h"}`, http.StatusBadRequest, t0, false},
		{"both fields", http.MethodPost, `{"advance":"1h","to":"2026-01-03T00:00:00Z"}`, http.StatusBadRequest, t0, false},
		{"not JSON", http.MethodPost, `advance=1h`, http.StatusBadRequest, t0, false},
		{"wrong method", http.MethodDelete, "", http.StatusMethodNotAllowed, t0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(t0)
			fired := false
			c.AfterFunc(48*time.Hour, func() { fired = true })
			rec := httptest.NewRecorder()
			c.Handler().ServeHTTP(rec, httptest.NewRequest(tc.method, "/dev/clock", strings.NewReader(tc.body)))
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantCode, rec.Body)
			}
			if !c.Now().Equal(tc.wantNow) || fired != tc.wantFire {
				t.Fatalf("now %v fired %v, want %v %v", c.Now(), fired, tc.wantNow, tc.wantFire)
			}
			if rec.Code == http.StatusOK {
				var out struct{ Now time.Time }
				if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || !out.Now.Equal(tc.wantNow) {
					t.Fatalf("body %s", rec.Body)
				}
			}
		})
	}
}

// TestEveryDoesNotCatchUp pins the schedule semantics of Every: a jump over
// many periods runs the callback once, at the last period passed, in
// deadline order with the one-shot timers, and the schedule keeps its phase.
func TestEveryDoesNotCatchUp(t *testing.T) {
	type fire struct {
		what string
		at   time.Duration // since t0
	}
	tests := []struct {
		name     string
		oneShots []time.Duration
		advances []time.Duration
		want     []fire
	}{
		{"three months run the schedule once", nil, []time.Duration{2161 * time.Hour},
			[]fire{{"every", 2161 * time.Hour}}},
		{"one-shot timers all fire, in order, the schedule once after them", []time.Duration{3 * time.Hour, time.Hour, 72 * time.Hour},
			[]time.Duration{2161 * time.Hour},
			[]fire{{"once", time.Hour}, {"once", 3 * time.Hour}, {"once", 72 * time.Hour}, {"every", 2161 * time.Hour}}},
		{"a one-shot timer after the last boundary fires after the schedule", []time.Duration{12 * time.Minute},
			[]time.Duration{13 * time.Minute},
			[]fire{{"every", 10 * time.Minute}, {"once", 12 * time.Minute}}},
		{"less than a period runs nothing", nil, []time.Duration{4 * time.Minute}, nil},
		{"a period at a time runs each", nil, []time.Duration{5 * time.Minute, 5 * time.Minute, 5 * time.Minute},
			[]fire{{"every", 5 * time.Minute}, {"every", 10 * time.Minute}, {"every", 15 * time.Minute}}},
		{"the schedule keeps its phase", nil, []time.Duration{7 * time.Minute, 4 * time.Minute, 3 * time.Minute},
			[]fire{{"every", 5 * time.Minute}, {"every", 10 * time.Minute}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(t0)
			var got []fire
			c.Every(5*time.Minute, func() { got = append(got, fire{"every", c.Since(t0)}) })
			for _, d := range tc.oneShots {
				c.AfterFunc(d, func() { got = append(got, fire{"once", c.Since(t0)}) })
			}
			var total time.Duration
			for _, d := range tc.advances {
				total += d
				if now := c.Advance(d); !now.Equal(t0.Add(total)) {
					t.Fatalf("Advance returned %v, want %v", now, t0.Add(total))
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fired %v, want %v", got, tc.want)
			}
			if next, ok := c.Next(); !ok || next.Sub(t0)%(5*time.Minute) != 0 || !next.After(c.Now()) || next.Sub(c.Now()) > 5*time.Minute {
				t.Errorf("next run at %v (now %v), want the next 5-minute boundary", next.Sub(t0), c.Since(t0))
			}
		})
	}
}

func TestEveryStop(t *testing.T) {
	t.Run("before it runs", func(t *testing.T) {
		c := New(t0)
		stop := c.Every(time.Minute, func() { t.Error("a stopped schedule ran") })
		if !stop() || stop() {
			t.Fatal("stop should report true once, then false")
		}
		c.Advance(time.Hour)
		if c.Pending() != 0 {
			t.Fatalf("%d timers pending", c.Pending())
		}
	})
	t.Run("from inside its callback", func(t *testing.T) {
		c := New(t0)
		runs := 0
		var stop func() bool
		stop = c.Every(time.Minute, func() {
			runs++
			if !stop() {
				t.Error("stop inside the callback reported the schedule stopped already")
			}
		})
		c.Advance(time.Minute)
		c.Advance(time.Hour)
		if runs != 1 || c.Pending() != 0 {
			t.Fatalf("%d runs, %d pending; want 1 run and nothing pending", runs, c.Pending())
		}
	})
	t.Run("a zero period is refused", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("Every(0) did not panic")
			}
		}()
		New(t0).Every(0, func() {})
	})
}

// TestRealClockEveryDoesNotCatchUp: a real clock skipping three months
// (what POST /dev/clock does to `go run ./infra/local`) runs a schedule
// once too.
func TestRealClockEveryDoesNotCatchUp(t *testing.T) {
	c := Real()
	runs := 0
	c.Every(5*time.Minute, func() { runs++ })
	c.Advance(2161 * time.Hour)
	if runs != 1 {
		t.Fatalf("%d runs for a 2161h advance, want 1", runs)
	}
}
