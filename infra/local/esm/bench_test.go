package esm_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aftersales/aftersales/infra/local/esm"
)

// BenchmarkPipeline measures messages per second through the whole local
// path: SendMessageBatch over HTTP -> sqslocal -> long poll by the mapping ->
// handler -> DeleteMessageBatch, with two producers sending batches of ten
// 200-byte bodies. It also reports the deepest the queue got (sampled every
// millisecond), which shows whether consumers keep up with producers.
func BenchmarkPipeline(b *testing.B) {
	cases := []struct {
		concurrency int
		work        time.Duration // simulated handler time per batch
	}{
		{2, 0}, {10, 0}, {10, time.Millisecond}, {100, 5 * time.Millisecond},
	}
	for _, tc := range cases {
		b.Run(fmt.Sprintf("concurrency=%d/work=%v", tc.concurrency, tc.work), func(b *testing.B) {
			e := newEnv(b)
			url := e.queue(b, "bench", nil)
			var handled atomic.Int64
			m := start(b, e, url, func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				if tc.work > 0 {
					t := time.NewTimer(tc.work) // stands for a call to a rate-limited API
					<-t.C
				}
				handled.Add(int64(len(ev.Records)))
				return events.SQSEventResponse{}, nil
			}, esm.Options{MaximumConcurrency: tc.concurrency})

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var peak atomic.Int64
			sampling := make(chan struct{})
			var sampler sync.WaitGroup
			sampler.Go(func() {
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-sampling:
						return
					case <-tick.C:
						if v, _ := e.srv.Depth("bench"); int64(v) > peak.Load() {
							peak.Store(int64(v))
						}
					}
				}
			})
			body := strings.Repeat("x", 200)
			b.ResetTimer()
			began := time.Now()
			var producers sync.WaitGroup
			const nProducers = 2
			for p := range nProducers {
				producers.Go(func() {
					for i := p * 10; i < b.N; i += nProducers * 10 {
						var entries []types.SendMessageBatchRequestEntry
						for j := i; j < min(i+10, b.N); j++ {
							entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(j - i)), MessageBody: aws.String(body)})
						}
						if _, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			producers.Wait()
			if err := m.Await(ctx, func(s esm.Stats) bool { return s.Deleted >= int64(b.N) }); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(began)
			b.StopTimer()
			close(sampling)
			sampler.Wait()
			s := m.Stats()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(s.Messages)/float64(max(s.Batches, 1)), "msgs/batch")
			b.ReportMetric(float64(peak.Load()), "peak-depth")
			if handled.Load() != int64(b.N) {
				b.Errorf("handled %d messages, sent %d", handled.Load(), b.N)
			}
		})
	}
}
