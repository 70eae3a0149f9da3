package stack

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/aftersales/aftersales/shared/dynamo"
)

// TestEndpointsAnswerTheSDKsCommonCalls: what a developer's first AWS CLI
// or SDK calls against the local stack use works as against AWS: the
// table-exists waiter, ListTables, the table's TTL setting, a COUNT scan,
// and listing the evidence bucket.
func TestEndpointsAnswerTheSDKsCommonCalls(t *testing.T) {
	st := startStack(t)
	db := st.dynamo.Client()
	if err := dynamodb.NewTableExistsWaiter(db).Wait(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(TableName)}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	tables, err := db.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil || !slices.Equal(tables.TableNames, []string{TableName}) {
		t.Fatalf("tables %v, %v", tables, err)
	}
	ttl, err := db.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(TableName)})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled ||
		aws.ToString(ttl.TimeToLiveDescription.AttributeName) != dynamo.AttrTTL {
		t.Fatalf("TTL %+v, %v; want enabled on %s as the deployed table", ttl, err, dynamo.AttrTTL)
	}
	count, err := db.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(TableName), Select: types.SelectCount})
	if err != nil || count.Count == 0 || count.Items != nil || count.ScannedCount != count.Count {
		t.Fatalf("COUNT scan: count %d scanned %d items %d, %v", count.Count, count.ScannedCount, len(count.Items), err)
	}

	objects, err := st.s3.Client().ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(EvidenceBucket)})
	if err != nil || aws.ToString(objects.Name) != EvidenceBucket || objects.KeyCount == nil || *objects.KeyCount != 0 {
		t.Fatalf("evidence bucket listing: %+v, %v", objects, err)
	}
}

// TestStateMachinePutsEventsOnTheLocalBus: a state machine's
// events:putEvents task reaches the local EventBridge stand-in through
// the local Step Functions, and what it put shows in /dev/events.
func TestStateMachinePutsEventsOnTheLocalBus(t *testing.T) {
	st := startStack(t)
	client := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(st.SFNURL()),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")})
	def := `{"StartAt":"Put","States":{"Put":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents",` +
		`"Parameters":{"Entries":[{"Source":"local.test","DetailType":"parcel.ping","Detail":{"case_id":"as_x","n":1}}]},"End":true}}}`
	sm, err := client.CreateStateMachine(t.Context(), &sfn.CreateStateMachineInput{Name: aws.String("put-events"),
		Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::123456789012:role/x")})
	if err != nil {
		t.Fatal(err)
	}
	run, err := client.StartExecution(t.Context(), &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	st.settle(t)
	ex, err := client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: run.ExecutionArn})
	if err != nil || ex.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %+v, %v", ex, err)
	}
	found := false
	for _, e := range st.Events.Events() {
		found = found || (e.Type == "parcel.ping" && e.CaseID == "as_x")
	}
	if !found {
		t.Fatalf("the bus has %+v, want the state machine's parcel.ping", st.Events.Events())
	}
}
