package emulators

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestDynamoAnswersTheCLIsCommands: the operations the AWS CLI's common
// commands and the SDK's waiters use answer as DynamoDB does.
func TestDynamoAnswersTheCLIsCommands(t *testing.T) {
	d := startDynamo(t, "127.0.0.1:0")
	c := d.Client(func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	for _, name := range []string{"orders", "cases", "audit"} {
		createTable(t, c, name)
	}

	t.Run("table exists waiter", func(t *testing.T) {
		err := dynamodb.NewTableExistsWaiter(c).Wait(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("cases")}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("cases")})
		if err != nil {
			t.Fatal(err)
		}
		tb := out.Table
		if tb.TableStatus != types.TableStatusActive || aws.ToString(tb.TableArn) != "arn:aws:dynamodb:us-east-1:123456789012:table/cases" ||
			tb.CreationDateTime == nil || time.Since(*tb.CreationDateTime) > time.Minute || len(aws.ToString(tb.TableId)) != 36 {
			t.Fatalf("table %s status %q arn %q created %v id %q", aws.ToString(tb.TableName), tb.TableStatus, aws.ToString(tb.TableArn), tb.CreationDateTime, aws.ToString(tb.TableId))
		}
	})

	t.Run("list tables, in pages", func(t *testing.T) {
		var all []string
		p := dynamodb.NewListTablesPaginator(c, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			pages++
			all = append(all, out.TableNames...)
		}
		if want := []string{"audit", "cases", "orders"}; !slices.Equal(all, want) || pages != 2 {
			t.Fatalf("tables %v in %d pages, want %v in 2", all, pages, want)
		}
		_, err := c.ListTables(t.Context(), &dynamodb.ListTablesInput{Limit: aws.Int32(101)})
		if !isCode(err, "ValidationException") {
			t.Fatalf("limit 101: %v, want ValidationException", err)
		}
	})

	t.Run("time to live", func(t *testing.T) {
		ttl := func() *types.TimeToLiveDescription {
			t.Helper()
			out, err := c.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("orders")})
			if err != nil {
				t.Fatal(err)
			}
			return out.TimeToLiveDescription
		}
		if d := ttl(); d.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
			t.Fatalf("new table: %+v, want disabled", d)
		}
		spec := &types.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)}
		if _, err := c.UpdateTimeToLive(t.Context(), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("orders"), TimeToLiveSpecification: spec}); err != nil {
			t.Fatal(err)
		}
		if d := ttl(); d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "expires_at" {
			t.Fatalf("after enabling: %+v", d)
		}
		if _, err := c.UpdateTimeToLive(t.Context(), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("orders"), TimeToLiveSpecification: spec}); !isCode(err, "ValidationException") {
			t.Fatalf("enabling twice: %v, want ValidationException", err)
		}
		if _, err := c.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("nope")}); !isCode(err, "ResourceNotFoundException") {
			t.Fatalf("no such table: %v, want ResourceNotFoundException", err)
		}
	})

	t.Run("select count", func(t *testing.T) {
		for i := range 5 {
			if _, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("audit"), Item: key("p", fmt.Sprint(i))}); err != nil {
				t.Fatal(err)
			}
		}
		scan, err := c.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String("audit"), Select: types.SelectCount})
		if err != nil {
			t.Fatal(err)
		}
		if scan.Count != 5 || scan.ScannedCount != 5 || scan.Items != nil {
			t.Fatalf("scan COUNT: count %d scanned %d items %d, want 5, 5 and none", scan.Count, scan.ScannedCount, len(scan.Items))
		}
		q, err := c.Query(t.Context(), &dynamodb.QueryInput{TableName: aws.String("audit"), Select: types.SelectCount,
			KeyConditionExpression:    aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "p"}}})
		if err != nil {
			t.Fatal(err)
		}
		if q.Count != 5 || q.Items != nil {
			t.Fatalf("query COUNT: count %d items %d, want 5 and none", q.Count, len(q.Items))
		}
		all, err := c.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String("audit")})
		if err != nil || len(all.Items) != 5 || all.ScannedCount != 5 {
			t.Fatalf("plain scan: %d items, scanned %d, %v", len(all.Items), all.ScannedCount, err)
		}
	})

	t.Run("deleted table", func(t *testing.T) {
		out, err := c.DeleteTable(t.Context(), &dynamodb.DeleteTableInput{TableName: aws.String("orders")})
		if err != nil {
			t.Fatal(err)
		}
		if out.TableDescription.TableStatus != types.TableStatusDeleting {
			t.Fatalf("delete answered %q, want DELETING", out.TableDescription.TableStatus)
		}
		if err := dynamodb.NewTableNotExistsWaiter(c).Wait(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("orders")}, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		list, err := c.ListTables(t.Context(), &dynamodb.ListTablesInput{})
		if err != nil || slices.Contains(list.TableNames, "orders") {
			t.Fatalf("tables after delete %v, %v", list.TableNames, err)
		}
	})
}

func isCode(err error, code string) bool {
	var api interface{ ErrorCode() string }
	return errors.As(err, &api) && api.ErrorCode() == code
}
