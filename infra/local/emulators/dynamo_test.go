package emulators

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

func startDynamo(t *testing.T, addr string) *Dynamo {
	t.Helper()
	d, err := StartDynamo(addr)
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

func createTable(t *testing.T, c *dynamodb.Client, name string) {
	t.Helper()
	_, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// TestStartDynamoListensOnLoopback: an address without a host never binds
// every interface, because the emulator accepts any credentials.
func TestStartDynamoListensOnLoopback(t *testing.T) {
	for _, addr := range []string{":0", "127.0.0.1:0"} {
		t.Run(addr, func(t *testing.T) {
			d := startDynamo(t, addr)
			u, err := url.Parse(d.URL())
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "0" || u.Port() == "" {
				t.Fatalf("URL %s, want http://127.0.0.1:<port>", d.URL())
			}
		})
	}
	t.Run("a taken port", func(t *testing.T) {
		d := startDynamo(t, "127.0.0.1:0")
		if _, err := StartDynamo(strings.TrimPrefix(d.URL(), "http://")); err == nil {
			t.Fatal("a second emulator started on a port in use")
		}
	})
}

// TestDynamoClient: the ready-made client reaches the emulator with the real
// SDK (no CRC32 from minidyn, no credentials from the environment), and a
// query's last page ends with no LastEvaluatedKey, so pagination loops end.
func TestDynamoClient(t *testing.T) {
	d := startDynamo(t, "127.0.0.1:0")
	c := d.Client()
	createTable(t, c, "t")
	for i := range 3 {
		it := key("p", fmt.Sprintf("s%d", i))
		it["n"] = &types.AttributeValueMemberN{Value: fmt.Sprint(i)}
		if _, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("t"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key("p", "s1")})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := got.Item["n"].(*types.AttributeValueMemberN); !ok || n.Value != "1" {
		t.Fatalf("got item %v", got.Item)
	}

	in := &dynamodb.QueryInput{
		TableName: aws.String("t"), KeyConditionExpression: aws.String("pk = :p"), Limit: aws.Int32(2),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "p"}},
	}
	p := dynamodb.NewQueryPaginator(c, in)
	var items, pages int
	for p.HasMorePages() {
		if pages++; pages > 3 {
			t.Fatal("the paginator does not end")
		}
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		items += len(out.Items)
	}
	if items != 3 {
		t.Fatalf("paged through %d items, want 3", items)
	}
}

// TestDynamoTableOpsAreSerialised: creating tables while other tables are
// written is safe (minidyn alone writes its table map without a lock; run
// with -race to see it).
func TestDynamoTableOpsAreSerialised(t *testing.T) {
	d := startDynamo(t, "127.0.0.1:0")
	c := d.Client()
	createTable(t, c, "busy")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
				TableName:            aws.String(fmt.Sprintf("t%d", i)),
				BillingMode:          types.BillingModePayPerRequest,
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
			})
		})
		wg.Go(func() {
			_, errs[n+i] = c.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("busy"), Item: key("p", fmt.Sprint(i))})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := c.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(fmt.Sprintf("t%d", i))}); err != nil {
			t.Errorf("table t%d: %v", i, err)
		}
	}
}

// TestDynamoFailRequests: injected failures look like DynamoDB's own 500s
// and stop when turned off.
func TestDynamoFailRequests(t *testing.T) {
	d := startDynamo(t, "127.0.0.1:0")
	c := d.Client(func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	createTable(t, c, "t")
	get := func() error {
		_, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key("p", "s")})
		return err
	}
	tests := []struct {
		name     string
		fail     bool
		wantCode string
	}{
		{"failing", true, "InternalServerError"},
		{"working again", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d.FailRequests(tc.fail)
			err := get()
			var ae smithy.APIError
			switch {
			case tc.wantCode == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tc.wantCode != "" && (!errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode):
				t.Fatalf("got %v, want %s", err, tc.wantCode)
			}
		})
	}
}

// TestDynamoClose: Close stops serving, frees the port, and may be called
// again (the cleanup registered by startDynamo calls it a second time).
func TestDynamoClose(t *testing.T) {
	d := startDynamo(t, "127.0.0.1:0")
	c := d.Client(func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	if err := d.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := c.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("t")}); err == nil {
		t.Fatal("a closed emulator answered")
	}
	ln, err := net.Listen("tcp", strings.TrimPrefix(d.URL(), "http://"))
	if err != nil {
		t.Fatalf("port still taken after Close: %v", err)
	}
	ln.Close()
}

// TestDynamoThrottle: a throttled request is answered with DynamoDB's own
// error, which the SDK classifies as a throttle and retries; clearing the
// throttle lets everything through.
func TestDynamoThrottle(t *testing.T) {
	d := startDynamo(t, "127.0.0.1:0")
	c := d.Client(func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	createTable(t, c, "t")
	for _, tc := range []struct {
		name     string
		code     string // what the throttle answers
		wantCode string
	}{
		{"hot partition", "ProvisionedThroughputExceededException", "ProvisionedThroughputExceededException"},
		{"table over its throughput", "ThrottlingException", "ThrottlingException"},
		{"cleared", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen string
			if tc.code != "" {
				d.Throttle(func(op string, body []byte) string {
					seen = op + " " + string(body)
					return tc.code
				})
			} else {
				d.Throttle(nil)
			}
			_, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key("p", "s")})
			var ae smithy.APIError
			switch {
			case tc.wantCode == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tc.wantCode != "" && (!errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode):
				t.Fatalf("got %v, want %s", err, tc.wantCode)
			case tc.wantCode != "" && !strings.Contains(seen, "GetItem {"):
				t.Fatalf("the throttle saw %q, want the operation and its body", seen)
			case tc.wantCode != "" && !(retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}).IsErrorThrottle(err).Bool():
				t.Fatalf("the SDK does not classify %v as a throttle", err)
			}
		})
	}
}
