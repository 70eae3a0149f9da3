package dynamo

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/aftersales/aftersales/infra/local/emulators"
)

// The helpers of this file serve the package's internal tests and, being
// exported from a _test file, its external tests and benchmarks too; they
// are no part of the package's API.

// StartMinidyn runs minidyn in server mode for the test; the adapter talks
// to it through the real SDK client, as it talks to DynamoDB.
func StartMinidyn(t testing.TB) *emulators.Dynamo {
	t.Helper()
	d, err := emulators.StartDynamo("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

var tables atomic.Int64

// NewTable creates a table of its own for a test, so tests share no items.
func NewTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("aftersales-%d", tables.Add(1))
	if err := CreateTable(t.Context(), client, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// newTestStore returns a Store on a table of its own in a minidyn of its own.
func newTestStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	client := StartMinidyn(t).Client()
	return New(client, NewTable(t, client), opts...)
}
