package quota

import (
	"sync"
	"time"
)

// Table is DynamoDB's throughput on one on-demand table: a table-wide
// budget of write and read units a second and, within it, one per
// partition (a partition key's items live in one partition; DynamoDB
// splits hot partitions, which this model does not, so it is strict).
// Buckets hold one second of capacity.
type Table struct {
	now        func() time.Time
	writes     *Bucket
	reads      *Bucket
	pw, pr     float64
	mu         sync.Mutex
	partitions map[string][2]*Bucket
}

// Errors DynamoDB answers when a table or a partition is over its
// throughput; the SDK's retryer classifies both as throttling.
const (
	// ErrTableThroughput: the on-demand table is over its throughput.
	ErrTableThroughput = "ThrottlingException"
	// ErrPartitionThroughput: one partition is over 1,000 WCU or 3,000 RCU.
	ErrPartitionThroughput = "ProvisionedThroughputExceededException"
)

// NewTable returns the throughput model of an on-demand table for s, or
// nil when s sets no table throughput.
func NewTable(s Settings, now func() time.Time) *Table {
	if s.DynamoTableWrites <= 0 && s.DynamoTableReads <= 0 {
		return nil
	}
	return &Table{now: now,
		writes: NewBucket(Rate{Burst: s.DynamoTableWrites, PerSecond: s.DynamoTableWrites}, now),
		reads:  NewBucket(Rate{Burst: s.DynamoTableReads, PerSecond: s.DynamoTableReads}, now),
		pw:     s.DynamoPartitionWrites, pr: s.DynamoPartitionReads, partitions: map[string][2]*Bucket{}}
}

// Consume charges write and read units to the partitions named (the
// units split evenly among them) and to the table; it returns "" when the
// request may proceed, else the error code DynamoDB would answer. A
// refused request consumes nothing.
func (t *Table) Consume(partitions []string, writeUnits, readUnits float64) string {
	if t == nil || (writeUnits <= 0 && readUnits <= 0) {
		return ""
	}
	n := float64(max(len(partitions), 1))
	t.mu.Lock()
	defer t.mu.Unlock()
	var taken []func()
	undo := func() {
		for _, f := range taken {
			f()
		}
	}
	for _, p := range partitions {
		b := t.partitions[p]
		if b[0] == nil {
			b = [2]*Bucket{NewBucket(Rate{Burst: t.pw, PerSecond: t.pw}, t.now), NewBucket(Rate{Burst: t.pr, PerSecond: t.pr}, t.now)}
			t.partitions[p] = b
		}
		for i, units := range []float64{writeUnits / n, readUnits / n} {
			if units <= 0 {
				continue
			}
			if ok, _ := b[i].Take(units); !ok {
				undo()
				return ErrPartitionThroughput
			}
			bk, u := b[i], units
			taken = append(taken, func() { bk.give(u) })
		}
	}
	for i, units := range []float64{writeUnits, readUnits} {
		bk := [2]*Bucket{t.writes, t.reads}[i]
		if units <= 0 {
			continue
		}
		if ok, _ := bk.Take(units); !ok {
			undo()
			return ErrTableThroughput
		}
		u := units
		taken = append(taken, func() { bk.give(u) })
	}
	return ""
}

// give puts n tokens back (a request refused further on consumes nothing).
func (b *Bucket) give(n float64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.tokens = min(b.rate.Burst, b.tokens+n)
	b.mu.Unlock()
}
