// Package ulids makes the identifiers of the system: ULIDs (time-sortable,
// 128-bit, Crockford base32) behind a kind prefix, e.g. "as_01JD3...".
package ulids

import (
	"crypto/rand"
	"io"
	"sync"

	"github.com/oklog/ulid/v2"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.IDGenerator = (*Generator)(nil)

// Generator makes ULIDs from a clock and cryptographic randomness. IDs made
// in the same millisecond are monotonic, so their order is their creation order.
type Generator struct {
	clock aftersales.Clock
	mu    sync.Mutex
	rand  io.Reader
}

// New returns a generator stamping IDs with clock's time.
func New(clock aftersales.Clock) *Generator {
	return &Generator{clock: clock, rand: ulid.Monotonic(rand.Reader, 0)}
}

// NewID returns prefix + "_" + a new ULID.
func (g *Generator) NewID(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := ulid.MustNew(ulid.Timestamp(g.clock.Now()), g.rand)
	return prefix + "_" + id.String()
}
