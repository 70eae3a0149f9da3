package dynamo_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/dynamo"
	"github.com/aftersales/aftersales/shared/storetest"
)

// openStores returns a Store on a table of its own as every port the
// suites of Run and RunRefunds hold to account, judging expiry by a
// FakeClock at storetest.Epoch.
func openStores(t *testing.T, client *dynamodb.Client) storetest.RefundStores {
	clock := storetest.NewFakeClock(storetest.Epoch)
	s := dynamo.New(client, dynamo.NewTable(t, client), dynamo.WithClock(clock))
	return storetest.RefundStores{
		Stores:  storetest.Stores{Cases: s, Idempotency: s, Orders: s, Clock: clock},
		Refunds: s, Notifications: s,
	}
}

func TestConformance(t *testing.T) {
	client := dynamo.StartMinidyn(t).Client()
	storetest.Run(t, func(t *testing.T) storetest.Stores { return openStores(t, client).Stores })
}

// TestOutboxConformance holds the outbox to the suite through the real
// SDK: the events share the case's transaction on minidyn.
func TestOutboxConformance(t *testing.T) {
	client := dynamo.StartMinidyn(t).Client()
	storetest.RunOutbox(t, func(t *testing.T) storetest.OutboxStores {
		stores := openStores(t, client)
		return storetest.OutboxStores{Stores: stores.Stores, Outbox: stores.Cases.(*dynamo.Store)}
	})
}

// TestRefundConformance holds the refund ledger to the suite through the
// real SDK: the over-refund conditions are minidyn's to enforce.
func TestRefundConformance(t *testing.T) {
	client := dynamo.StartMinidyn(t).Client()
	storetest.RunRefunds(t, func(t *testing.T) storetest.RefundStores { return openStores(t, client) })
}

func TestReviewJobConformance(t *testing.T) {
	d := dynamo.StartMinidyn(t)
	client := d.Client()
	storetest.RunJobs(t, func(t *testing.T) aftersales.ReviewJobStore {
		return dynamo.New(client, dynamo.NewTable(t, client))
	})
}

func TestRuleSetStore(t *testing.T) {
	d := dynamo.StartMinidyn(t)
	client := d.Client()
	storetest.RunRuleSets(t, func(t *testing.T) aftersales.RuleSetStore {
		return dynamo.New(client, dynamo.NewTable(t, client))
	})
}

// TestTableSchema pins the layout that the CDK stack mirrors: renaming a
// key or an index here without changing the stack would break production.
func TestTableSchema(t *testing.T) {
	in := dynamo.TableSchema("aftersales")
	keys := func(ks []types.KeySchemaElement) string {
		var out []string
		for _, k := range ks {
			out = append(out, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		return strings.Join(out, ",")
	}
	if got := keys(in.KeySchema); got != "pk:HASH,sk:RANGE" {
		t.Errorf("table keys %s", got)
	}
	if in.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode %s", in.BillingMode)
	}
	want := map[string]string{
		"GSI1": "gsi1pk:HASH,gsisk:RANGE",
		"GSI2": "gsi2pk:HASH,gsisk:RANGE",
		"GSI3": "gsi3pk:HASH,gsisk:RANGE",
	}
	got := map[string]string{}
	for _, g := range in.GlobalSecondaryIndexes {
		got[aws.ToString(g.IndexName)] = keys(g.KeySchema)
		if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("%s does not project all attributes; list pages are whole cases", aws.ToString(g.IndexName))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("indexes %v, want %v", got, want)
	}

	d := dynamo.StartMinidyn(t)
	client := d.Client()
	table := dynamo.NewTable(t, client)
	out, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Table.GlobalSecondaryIndexes); n != 3 {
		t.Errorf("created table has %d indexes, want 3", n)
	}
	if err := dynamo.CreateTable(t.Context(), client, table); err == nil {
		t.Error("creating an existing table succeeded; a stale schema would be reused silently")
	}
}

// TestServiceFailures: errors of the service reach callers classified, so
// that the API answers 503 and Step Functions retries Transient ones only.
func TestServiceFailures(t *testing.T) {
	d := dynamo.StartMinidyn(t)
	// One attempt: the SDK would otherwise retry a 500 with backoff.
	client := d.Client(func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	clock := storetest.NewFakeClock(storetest.Epoch)
	s := dynamo.New(client, dynamo.NewTable(t, client), dynamo.WithClock(clock))
	missing := dynamo.New(client, "no-such-table", dynamo.WithClock(clock))
	c := &aftersales.Case{ID: "as_1", OrderID: "o-1", BuyerID: "b", Status: aftersales.StatusSubmitted, Version: 1}
	refund := &aftersales.Refund{OutRefundNo: "as_1-1", CaseID: "as_1", OrderID: "o-1",
		Amount: aftersales.Money{Amount: 100, Currency: aftersales.CNY}, Shares: map[string]int64{"l1": 100},
		Status: aftersales.RefundRequested, CreatedAt: storetest.Epoch}
	closed := *refund
	closed.Status = aftersales.RefundClosed
	calls := []struct {
		name string
		call func(s *dynamo.Store) error
	}{
		{"CreateCase", func(s *dynamo.Store) error { return s.CreateCase(t.Context(), c, nil) }},
		{"GetCase", func(s *dynamo.Store) error { _, err := s.GetCase(t.Context(), "as_1"); return err }},
		{"UpdateCase", func(s *dynamo.Store) error { return s.UpdateCase(t.Context(), c, 1) }},
		{"ListCases", func(s *dynamo.Store) error { _, err := s.ListCases(t.Context(), aftersales.CaseQuery{}); return err }},
		{"PutUploads", func(s *dynamo.Store) error { return s.PutUploads(t.Context(), []aftersales.Upload{{ID: "ev_1"}}) }},
		{"GetUpload", func(s *dynamo.Store) error { _, err := s.GetUpload(t.Context(), "ev_1"); return err }},
		{"GetIdempotency", func(s *dynamo.Store) error { _, err := s.GetIdempotency(t.Context(), "b", "k"); return err }},
		{"ClaimIdempotency", func(s *dynamo.Store) error {
			return s.ClaimIdempotency(t.Context(), aftersales.IdempotencyRecord{Scope: "b", Key: "k", CaseID: "as_1"})
		}},
		{"ReleaseIdempotency", func(s *dynamo.Store) error { return s.ReleaseIdempotency(t.Context(), "b", "k", "as_1") }},
		{"PutOrder", func(s *dynamo.Store) error { return s.PutOrder(t.Context(), &aftersales.Order{ID: "o-1"}) }},
		{"GetOrder", func(s *dynamo.Store) error { _, err := s.GetOrder(t.Context(), "o-1"); return err }},
		{"BeginRefund", func(s *dynamo.Store) error { return s.BeginRefund(t.Context(), refund) }},
		{"GetRefund", func(s *dynamo.Store) error {
			_, err := s.GetRefund(t.Context(), "as_1", refund.OutRefundNo)
			return err
		}},
		{"UpdateRefund", func(s *dynamo.Store) error { return s.UpdateRefund(t.Context(), &closed, aftersales.RefundRequested) }},
		{"ListRefunds", func(s *dynamo.Store) error {
			_, err := s.ListRefunds(t.Context(), aftersales.RefundQuery{})
			return err
		}},
		{"NotificationSeen", func(s *dynamo.Store) error { _, err := s.NotificationSeen(t.Context(), "wechatpay", "n1"); return err }},
		{"RecordNotification", func(s *dynamo.Store) error {
			_, err := s.RecordNotification(t.Context(), "wechatpay", "n1", storetest.Epoch)
			return err
		}},
	}
	for _, call := range calls {
		t.Run(call.name+" while the service fails", func(t *testing.T) {
			d.FailRequests(true)
			defer d.FailRequests(false)
			if err := call.call(s); aftersales.KindOf(err) != aftersales.KindTransient {
				t.Fatalf("got %v (kind %v), want KindTransient", err, aftersales.KindOf(err))
			}
		})
		t.Run(call.name+" on a missing table", func(t *testing.T) {
			if err := call.call(missing); aftersales.KindOf(err) != aftersales.KindInternal {
				t.Fatalf("got %v (kind %v), want KindInternal", err, aftersales.KindOf(err))
			}
		})
	}
	t.Run("a cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.GetCase(ctx, "as_1"); aftersales.KindOf(err) != aftersales.KindTransient {
			t.Fatalf("got %v (kind %v), want KindTransient", err, aftersales.KindOf(err))
		}
	})
}

// TestThreadConformance tampers with a stored message by a raw UpdateItem,
// as anyone with write access to the table could.
func TestThreadConformance(t *testing.T) {
	client := dynamo.StartMinidyn(t).Client()
	storetest.RunThreads(t, func(t *testing.T) storetest.ThreadStores {
		table := dynamo.NewTable(t, client)
		return storetest.ThreadStores{Threads: dynamo.New(client, table), Clock: storetest.NewFakeClock(storetest.Epoch),
			Tamper: func(t *testing.T, caseID string, seq int, text string) {
				_, err := client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
					TableName: aws.String(table),
					Key: map[string]types.AttributeValue{
						dynamo.AttrPK: &types.AttributeValueMemberS{Value: "CASE#" + caseID},
						dynamo.AttrSK: &types.AttributeValueMemberS{Value: fmt.Sprintf("MSG#%010d", seq)},
					},
					UpdateExpression:          aws.String("SET #t = :t"),
					ExpressionAttributeNames:  map[string]string{"#t": "text"},
					ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: text}},
				})
				if err != nil {
					t.Fatal(err)
				}
			}}
	})
}

func TestInboxConformance(t *testing.T) {
	client := dynamo.StartMinidyn(t).Client()
	storetest.RunInbox(t, func(t *testing.T) storetest.InboxStores {
		s := dynamo.New(client, dynamo.NewTable(t, client))
		return storetest.InboxStores{Inbox: s, Deliveries: s}
	})
}

func TestPhotoHashStore(t *testing.T) {
	d := dynamo.StartMinidyn(t)
	client := d.Client()
	storetest.RunPhotoHashes(t, func(t *testing.T) aftersales.PhotoHashStore {
		return dynamo.New(client, dynamo.NewTable(t, client))
	})
}
