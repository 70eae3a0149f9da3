package stack

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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
