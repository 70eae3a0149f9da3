package dynamo

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// TestCasesExistAsksAgainForUnprocessedKeys: DynamoDB may leave part of a
// BatchGetItem unprocessed when it throttles; CasesExist asks again for
// those keys, and gives up with a transient error when its context ends.
// The conformance suite cannot make the service throttle, so minidyn is
// told to.
func TestCasesExistAsksAgainForUnprocessedKeys(t *testing.T) {
	d := StartMinidyn(t)
	client := d.Client()
	table := NewTable(t, client)
	s := New(client, table)
	ids := make([]string, 130)
	want := map[string]bool{}
	for i := range ids {
		ids[i] = fmt.Sprintf("as_%03d", i)
		if i%3 == 0 { // a third of them exist, in both batches
			want[ids[i]] = true
			if _, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: s.table, Item: s.key(casePK(ids[i]), skCase)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name      string
		leave     func(asked int) bool // leave a key unprocessed when it was asked for this many times before
		timeout   time.Duration
		wantAsked int  // times each key is asked for
		transient bool // a transient error is wanted instead
	}{
		{"every key throttled once", func(asked int) bool { return asked == 0 }, time.Minute, 2, false},
		{"every key throttled three times", func(asked int) bool { return asked < 3 }, time.Minute, 4, false},
		{"throttled until the context ends", func(int) bool { return true }, 100 * time.Millisecond, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			asked := map[string]int{}
			d.LeaveUnprocessed(table, func(key map[string]string) bool {
				mu.Lock()
				defer mu.Unlock()
				pk := key[AttrPK]
				leave := tc.leave(asked[pk])
				asked[pk]++
				return leave
			})
			t.Cleanup(func() { d.LeaveUnprocessed(table, nil) })
			ctx, cancel := context.WithTimeout(t.Context(), tc.timeout)
			defer cancel()
			got, err := s.CasesExist(ctx, ids)
			if tc.transient {
				if aftersales.KindOf(err) != aftersales.KindTransient {
					t.Fatalf("got %d found, %v; want a transient error", len(got), err)
				}
				return
			}
			if err != nil || !maps.Equal(got, want) {
				t.Fatalf("found %d of %d: %v", len(got), len(want), err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if n := asked[casePK(id)]; n != tc.wantAsked {
					t.Fatalf("%s asked for %d times, want %d", id, n, tc.wantAsked)
				}
			}
		})
	}
}
