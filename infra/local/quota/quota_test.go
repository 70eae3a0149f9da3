package quota

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is the injected clock: it moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// takeAll takes one token at a time until refused and returns how many it got.
func takeAll(b *Bucket) int {
	n := 0
	for {
		if ok, _ := b.Take(1); !ok {
			return n
		}
		n++
	}
}

// TestBucketsHoldTheDocumentedParameters: each default bucket admits its
// documented burst at once, then exactly its documented refill per second.
func TestBucketsHoldTheDocumentedParameters(t *testing.T) {
	d := Defaults()
	for _, tc := range []struct {
		name             string
		rate             Rate
		burst, perSecond int
	}{
		{name: "Step Functions StartExecution (large regions)", rate: d.StartExecution, burst: 1300, perSecond: 300},
		{name: "Step Functions SendTaskSuccess/Failure/Heartbeat (large regions)", rate: d.TaskTokens, burst: 3000, perSecond: 500},
		{name: "API Gateway HTTP API account throttle", rate: d.HTTPAPI, burst: 5000, perSecond: 10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			b := NewBucket(tc.rate, clk.Now)
			if got := takeAll(b); got != tc.burst {
				t.Fatalf("burst: %d admitted at once, want %d", got, tc.burst)
			}
			ok, wait := b.Take(1)
			if ok || wait <= 0 || wait > time.Second/time.Duration(tc.perSecond)+time.Nanosecond {
				t.Errorf("empty bucket: ok %v, retry after %v, want refused with about 1/%d s", ok, wait, tc.perSecond)
			}
			clk.advance(time.Second)
			got := takeAll(b)
			if want := min(tc.perSecond, tc.burst); got != want {
				t.Errorf("after 1 s: %d admitted, want %d", got, want)
			}
			clk.advance(time.Hour)
			if got := takeAll(b); got != tc.burst {
				t.Errorf("after an idle hour: %d admitted, want the burst %d (the bucket does not overfill)", got, tc.burst)
			}
			if b.Denied() != 4 { // the refused Take above and the end of each takeAll
				t.Errorf("denied %d, want 4", b.Denied())
			}
		})
	}
}

func TestNilBucketAdmitsEverything(t *testing.T) {
	b := NewBucket(Rate{}, time.Now)
	if ok, _ := b.Take(1e9); !ok || b.Denied() != 0 {
		t.Fatal("a bucket without a burst must not throttle")
	}
}

// TestLambdaConcurrencyScalesAsDocumented: 1,000 executions at once, then
// no more until the account has room; a function adds at most 1,000 new
// environments every 10 s; warm environments are reused at any time.
func TestLambdaConcurrencyScalesAsDocumented(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, c *Concurrency, clk *fakeClock)
	}{
		{name: "account limit 1,000", run: func(t *testing.T, c *Concurrency, _ *fakeClock) {
			var rel []func()
			for i := range 1000 {
				r, ok := c.Acquire("tasks")
				if !ok {
					t.Fatalf("execution %d refused below the limit", i+1)
				}
				rel = append(rel, r)
			}
			if _, ok := c.Acquire("intake"); ok {
				t.Fatal("execution 1,001 admitted: the account's concurrency is 1,000")
			}
			rel[0]()
			rel[0]() // releasing twice frees one slot only
			if _, ok := c.Acquire("tasks"); !ok {
				t.Fatal("a released slot was not reusable")
			}
			if _, ok := c.Acquire("tasks"); ok {
				t.Fatal("a double release freed two slots")
			}
		}},
		{name: "scaling 1,000 per 10 s", run: func(t *testing.T, c *Concurrency, clk *fakeClock) {
			c.limit = 3000 // a raised account limit, so that the scaling rate shows
			for i := range 1000 {
				if _, ok := c.Acquire("tasks"); !ok {
					t.Fatalf("execution %d refused", i+1)
				}
			}
			if _, ok := c.Acquire("tasks"); ok {
				t.Fatal("1,001st new environment within 10 s admitted")
			}
			if _, ok := c.Acquire("intake"); !ok {
				t.Fatal("the scaling rate is per function: another function was refused")
			}
			clk.advance(9 * time.Second)
			if _, ok := c.Acquire("tasks"); ok {
				t.Fatal("scaled again after 9 s")
			}
			clk.advance(time.Second)
			for i := range 1000 {
				if _, ok := c.Acquire("tasks"); !ok {
					t.Fatalf("after 10 s: execution %d of the next 1,000 refused", i+1)
				}
			}
			if _, ok := c.Acquire("tasks"); ok {
				t.Fatal("more than 1,000 new environments in the second window")
			}
		}},
		{name: "warm environments are reused", run: func(t *testing.T, c *Concurrency, _ *fakeClock) {
			c.limit, c.scaling = 100, 2
			r1, _ := c.Acquire("api")
			r2, _ := c.Acquire("api")
			if _, ok := c.Acquire("api"); ok {
				t.Fatal("a third new environment admitted with a scaling of 2")
			}
			r1()
			r2()
			for range 3 {
				r, ok := c.Acquire("api")
				if !ok {
					t.Fatal("a warm environment was refused")
				}
				r()
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			tc.run(t, NewConcurrency(Defaults(), clk.Now), clk)
		})
	}
}

// TestDynamoThroughput: a new on-demand table takes 4,000 write units a
// second, one partition 1,000; the errors are DynamoDB's.
func TestDynamoThroughput(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, tb *Table, clk *fakeClock)
	}{
		{name: "one hot partition: 1,000 WCU/s", run: func(t *testing.T, tb *Table, clk *fakeClock) {
			for i := range 1000 {
				if e := tb.Consume([]string{"CASE#1"}, 1, 0); e != "" {
					t.Fatalf("write %d: %s", i+1, e)
				}
			}
			if e := tb.Consume([]string{"CASE#1"}, 1, 0); e != ErrPartitionThroughput {
				t.Fatalf("write 1,001 to one partition: %q, want %s", e, ErrPartitionThroughput)
			}
			if e := tb.Consume([]string{"CASE#2"}, 1, 0); e != "" {
				t.Fatalf("another partition throttled: %s", e)
			}
			clk.advance(time.Second)
			if e := tb.Consume([]string{"CASE#1"}, 1000, 0); e != "" {
				t.Fatalf("after 1 s the partition has 1,000 units again: %s", e)
			}
		}},
		{name: "table: 4,000 WCU/s over many partitions", run: func(t *testing.T, tb *Table, clk *fakeClock) {
			for i := range 4000 {
				if e := tb.Consume([]string{"P" + string(rune('a'+i%26))}, 1, 0); e != "" {
					t.Fatalf("write %d: %s", i+1, e)
				}
			}
			if e := tb.Consume([]string{"Pz"}, 1, 0); e != ErrTableThroughput {
				t.Fatalf("write 4,001 in one second: %q, want %s", e, ErrTableThroughput)
			}
			if e := tb.Consume([]string{"Pa"}, 0, 3000); e != "" {
				t.Fatalf("reads have their own 12,000 RCU: %s", e)
			}
		}},
		{name: "a refused transaction consumes nothing", run: func(t *testing.T, tb *Table, clk *fakeClock) {
			if e := tb.Consume([]string{"A"}, 999, 0); e != "" {
				t.Fatal(e)
			}
			if e := tb.Consume([]string{"B", "A"}, 4, 0); e != ErrPartitionThroughput {
				t.Fatalf("2 units more to A: %q", e)
			}
			if e := tb.Consume([]string{"B"}, 1000, 0); e != "" {
				t.Fatalf("B was charged for the refused transaction: %s", e)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			tc.run(t, NewTable(Defaults(), clk.Now), clk)
		})
	}
}

// TestDynamoRequest: the units and partitions charged for each kind of
// request, before it runs.
func TestDynamoRequest(t *testing.T) {
	big := `"x":{"S":"` + strings.Repeat("a", 1500) + `"}`
	for _, tc := range []struct {
		name       string
		op, body   string
		partitions []string
		wcu, rcu   float64
	}{
		{name: "put of a small item", op: "PutItem", body: `{"TableName":"t","Item":{"pk":{"S":"CASE#1"},"sk":{"S":"A"}}}`,
			partitions: []string{"CASE#1"}, wcu: 1},
		{name: "put of a 1.5 KB item", op: "PutItem", body: `{"TableName":"t","Item":{"pk":{"S":"CASE#1"},` + big + `}}`,
			partitions: []string{"CASE#1"}, wcu: 2},
		{name: "transaction of a put and an update: twice each", op: "TransactWriteItems",
			body:       `{"TransactItems":[{"Put":{"TableName":"t","Item":{"pk":{"S":"CASE#1"}}}},{"Update":{"TableName":"t","Key":{"pk":{"S":"CASE#2"}}}}]}`,
			partitions: []string{"CASE#1", "CASE#2"}, wcu: 4},
		{name: "batch write", op: "BatchWriteItem",
			body:       `{"RequestItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"A"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"B"}}}}]}}`,
			partitions: []string{"A", "B"}, wcu: 2},
		{name: "get", op: "GetItem", body: `{"Key":{"pk":{"S":"CASE#1"},"sk":{"S":"A"}}}`, partitions: []string{"CASE#1"}, rcu: 1},
		{name: "query names its partition by the key condition's value", op: "Query",
			body:       `{"KeyConditionExpression":"#p = :p","ExpressionAttributeValues":{":p":{"S":"STATUS#pending_review#3"}}}`,
			partitions: []string{"STATUS#pending_review#3"}, rcu: 1},
		{name: "not JSON", op: "PutItem", body: `{`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, w, r := DynamoRequest(tc.op, []byte(tc.body))
			if !slices.Equal(p, tc.partitions) || w != tc.wcu || r != tc.rcu {
				t.Errorf("got %v %v WCU %v RCU, want %v %v %v", p, w, r, tc.partitions, tc.wcu, tc.rcu)
			}
		})
	}
}

func TestScaled(t *testing.T) {
	s := Defaults().Scaled(0.1)
	if s.StartExecution != (Rate{Burst: 130, PerSecond: 30}) || s.TaskTokens != (Rate{Burst: 300, PerSecond: 50}) ||
		s.HTTPAPI != (Rate{Burst: 500, PerSecond: 1000}) || s.LambdaConcurrency != 100 || s.LambdaScaling != 100 ||
		s.LambdaScalingEvery != 10*time.Second || s.DynamoTableWrites != 400 || s.DynamoPartitionWrites != 100 {
		t.Errorf("a tenth of the defaults: %+v", s)
	}
}
