package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestWatchParentNoticesAnOrphan: when the parent id changes (the parent,
// `go run`, died of a SIGTERM it did not pass on), the stack is told to
// stop; while it stays, or once the stack is stopping anyway, nothing is.
func TestWatchParentNoticesAnOrphan(t *testing.T) {
	tests := []struct {
		name       string
		adoptAfter int64 // the parent id changes at this call; 0: never
		wantStop   bool
	}{
		{"parent ends", 3, true},
		{"parent stays", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			checked := make(chan struct{}) // closed at the twentieth check
			getppid := func() int {
				n := calls.Add(1)
				if n == 20 {
					close(checked)
				}
				if tc.adoptAfter > 0 && n >= tc.adoptAfter {
					return 1
				}
				return 4242
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			stopped := make(chan struct{})
			returned := make(chan struct{})
			go func() {
				watchParent(ctx, getppid, time.Millisecond, func() { close(stopped) })
				close(returned)
			}()
			deadline := time.NewTimer(10 * time.Second)
			defer deadline.Stop()
			if tc.wantStop {
				select {
				case <-stopped:
				case <-deadline.C:
					t.Fatalf("not stopped after %d checks", calls.Load())
				}
				<-returned
				return
			}
			select {
			case <-checked: // twenty checks saw the same parent
			case <-stopped:
				t.Fatal("stopped while the parent stays")
			case <-deadline.C:
				t.Fatalf("only %d checks", calls.Load())
			}
			select {
			case <-stopped:
				t.Fatal("stopped while the parent stays")
			default:
			}
			cancel()
			select {
			case <-returned:
			case <-deadline.C:
				t.Fatal("watchParent did not return when its context ended")
			}
		})
	}
}
