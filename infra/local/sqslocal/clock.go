package sqslocal

import "time"

// Clock is the time source of a Server. The project's virtual clock
// (*vclock.Clock) satisfies it, which lets tests move visibility timeouts and
// delays forward without waiting.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once the clock has moved d forward. The returned stop
	// function cancels the call and reports whether it did so in time.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// wallClock is the default Clock: real time.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
