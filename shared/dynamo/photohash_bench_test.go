package dynamo_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/dynamo"
)

// BenchmarkSimilarPhotos is the reuse look-up through the real SDK client
// against minidyn (the local stack's DynamoDB), with 2,000 photos stored
// (8,000 items: minidyn copies its table in every transaction, so loading
// a million would take hours; docs/PERFORMANCE.md has the million on the
// memory store, which reads the same keys). queries/op counts the Query
// calls a look-up makes; p99 is the local stack's latency.
func BenchmarkSimilarPhotos(b *testing.B) {
	const stored = 2000
	var queries atomic.Int64
	d := dynamo.StartMinidyn(b)
	client := dynamodb.New(d.Client().Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countQueries",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if _, ok := in.Parameters.(*dynamodb.QueryInput); ok {
						queries.Add(1)
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	})
	s := dynamo.New(client, dynamo.NewTable(b, client))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range stored {
		if err := s.PutPhotoHash(b.Context(), aftersales.PhotoHash{Hash: rng.Uint64(), EvidenceID: "ev_" + strconv.Itoa(i),
			CaseID: "as", BuyerID: "b", OrderID: "o"}); err != nil {
			b.Fatal(err)
		}
	}
	for _, dist := range []int{3, 6} {
		b.Run("distance_"+strconv.Itoa(dist), func(b *testing.B) {
			queries.Store(0)
			var took []time.Duration
			for b.Loop() {
				t := time.Now()
				if _, err := s.SimilarPhotos(b.Context(), rng.Uint64(), dist); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t))
			}
			slices.Sort(took)
			b.ReportMetric(float64(queries.Load())/float64(len(took)), "queries/op")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}
