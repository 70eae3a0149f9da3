package ulids

import (
	"strings"
	"testing"
	"time"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestNewIDIsPrefixedUniqueAndOrdered(t *testing.T) {
	g := New(fixedClock(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)))
	prev := ""
	seen := map[string]bool{}
	for range 1000 {
		id := g.NewID("as")
		if !strings.HasPrefix(id, "as_") || len(id) != 3+26 {
			t.Fatalf("id %q is not as_ + 26 characters", id)
		}
		if seen[id] || id <= prev {
			t.Fatalf("id %q repeats or is not after %q", id, prev)
		}
		seen[id], prev = true, id
	}
}
