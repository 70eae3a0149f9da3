// Package quota models AWS's default service quotas for the local stack's
// --cloud-quotas mode: the token buckets Step Functions and API Gateway
// throttle API calls with, DynamoDB's table and partition throughput, and
// Lambda's concurrency with its scaling rate. Each limit is a field of
// Settings whose default is AWS's documented value; docs/PERFORMANCE.md
// ("Cloud quotas") cites the source of each. Every limiter takes its time
// from an injected clock, so the tests check the documented parameters
// without waiting.
package quota

import (
	"math"
	"sync"
	"time"
)

// Settings are the quotas the local services enforce. The zero value
// enforces nothing; Defaults returns AWS's default quotas.
type Settings struct {
	// StartExecution is Step Functions' StartExecution bucket (Standard
	// workflows, us-east-1, us-west-2 and eu-west-1: 1,300 burst, 300/s).
	StartExecution Rate
	// TaskTokens is the bucket of each of SendTaskSuccess, SendTaskFailure
	// and SendTaskHeartbeat (same regions: 3,000 burst, 500/s).
	TaskTokens Rate
	// HTTPAPI is API Gateway's account-level throttle for HTTP APIs
	// (10,000 requests/s steady, 5,000 burst).
	HTTPAPI Rate
	// LambdaConcurrency is the account's concurrent executions (1,000).
	LambdaConcurrency int
	// LambdaScaling is how much a function's concurrency may grow per
	// LambdaScalingEvery (1,000 every 10 s).
	LambdaScaling      int
	LambdaScalingEvery time.Duration
	// DynamoTableWrites and DynamoTableReads are an on-demand table's
	// throughput when new (4,000 write and 12,000 read units a second);
	// DynamoPartitionWrites and DynamoPartitionReads are one partition's
	// (1,000 and 3,000).
	DynamoTableWrites, DynamoTableReads         float64
	DynamoPartitionWrites, DynamoPartitionReads float64
}

// Rate is a token bucket: Burst tokens at most, refilled PerSecond.
type Rate struct {
	Burst     float64
	PerSecond float64
}

// Defaults are AWS's default quotas in the large regions (docs/PERFORMANCE.md
// cites each).
func Defaults() Settings {
	return Settings{
		StartExecution:     Rate{Burst: 1300, PerSecond: 300},
		TaskTokens:         Rate{Burst: 3000, PerSecond: 500},
		HTTPAPI:            Rate{Burst: 5000, PerSecond: 10000},
		LambdaConcurrency:  1000,
		LambdaScaling:      1000,
		LambdaScalingEvery: 10 * time.Second,
		DynamoTableWrites:  4000, DynamoTableReads: 12000,
		DynamoPartitionWrites: 1000, DynamoPartitionReads: 3000,
	}
}

// Bucket is a token bucket on an injected clock. A zero-rate bucket (nil)
// admits everything.
type Bucket struct {
	rate   Rate
	now    func() time.Time
	mu     sync.Mutex
	tokens float64
	last   time.Time
	denied int64
}

// NewBucket returns a full bucket of rate on now, or nil when rate has no
// burst (no quota).
func NewBucket(rate Rate, now func() time.Time) *Bucket {
	if rate.Burst <= 0 {
		return nil
	}
	return &Bucket{rate: rate, now: now, tokens: rate.Burst, last: now()}
}

// Take removes n tokens if the bucket holds them and reports whether it
// did; if not, it also says how long until it will (the refill at the
// bucket's rate), which callers may pass on as Retry-After.
func (b *Bucket) Take(n float64) (ok bool, wait time.Duration) {
	if b == nil {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked()
	if b.tokens >= n {
		b.tokens -= n
		return true, 0
	}
	b.denied++
	if b.rate.PerSecond <= 0 {
		return false, time.Duration(math.MaxInt64)
	}
	return false, time.Duration((n - b.tokens) / b.rate.PerSecond * float64(time.Second))
}

// Denied counts the takes refused so far.
func (b *Bucket) Denied() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.denied
}

func (b *Bucket) refillLocked() {
	now := b.now()
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.rate.Burst, b.tokens+d.Seconds()*b.rate.PerSecond)
		b.last = now
	}
}

// Concurrency is Lambda's concurrency model: an account-wide limit on
// executions running at once, and per function a scaling rate: a function
// may add Scaling execution environments per Every beyond those it already
// has. Environments it had stay usable (they are warm).
type Concurrency struct {
	limit   int
	scaling int
	every   time.Duration
	now     func() time.Time
	mu      sync.Mutex
	running int
	fns     map[string]*fnScale
	denied  int64
}

// fnScale is one function's concurrency: environments in use, environments
// it may use (warm, or allowed by the scaling rate), and when its current
// scaling window began.
type fnScale struct {
	running     int
	allowed     int
	windowStart time.Time
	added       int
}

// NewConcurrency returns Lambda's concurrency model for s, or nil when s
// sets no concurrency limit.
func NewConcurrency(s Settings, now func() time.Time) *Concurrency {
	if s.LambdaConcurrency <= 0 {
		return nil
	}
	return &Concurrency{limit: s.LambdaConcurrency, scaling: s.LambdaScaling, every: s.LambdaScalingEvery, now: now, fns: map[string]*fnScale{}}
}

// Acquire starts an execution of function and returns its release, or ok
// false when Lambda would answer TooManyRequestsException (the account's
// concurrency is used up, or the function may not scale that fast yet).
func (c *Concurrency) Acquire(function string) (release func(), ok bool) {
	if c == nil {
		return func() {}, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.fns[function]
	if f == nil {
		f = &fnScale{}
		c.fns[function] = f
	}
	if c.running >= c.limit {
		c.denied++
		return nil, false
	}
	if f.running >= f.allowed {
		now := c.now()
		if c.scaling > 0 && c.every > 0 && now.Sub(f.windowStart) >= c.every {
			f.windowStart, f.added = now, 0
		}
		if c.scaling > 0 && f.added >= c.scaling {
			c.denied++
			return nil, false
		}
		f.added++
		f.allowed++
	}
	f.running++
	c.running++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			f.running--
			c.running--
			c.mu.Unlock()
		})
	}, true
}

// Denied counts the executions refused so far.
func (c *Concurrency) Denied() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.denied
}

// Scaled returns s with every rate, burst, throughput and concurrency
// multiplied by f: a scale model of the account, for a benchmark that runs
// f times the load on the same clock (the Double 11 phase at 1/10 of its
// volume on a machine that cannot play all of it). The scaling window's
// length is kept.
func (s Settings) Scaled(f float64) Settings {
	r := func(x Rate) Rate { return Rate{Burst: x.Burst * f, PerSecond: x.PerSecond * f} }
	i := func(n int) int { return max(1, int(float64(n)*f+0.5)) }
	s.StartExecution, s.TaskTokens, s.HTTPAPI = r(s.StartExecution), r(s.TaskTokens), r(s.HTTPAPI)
	s.LambdaConcurrency, s.LambdaScaling = i(s.LambdaConcurrency), i(s.LambdaScaling)
	s.DynamoTableWrites, s.DynamoTableReads = s.DynamoTableWrites*f, s.DynamoTableReads*f
	s.DynamoPartitionWrites, s.DynamoPartitionReads = s.DynamoPartitionWrites*f, s.DynamoPartitionReads*f
	return s
}
