package meter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/infra/local/emulators"
	"github.com/aftersales/aftersales/shared/awsenv"
	"github.com/aftersales/aftersales/shared/dynamo"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func TestItemSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"empty", nil, 0},
		{"string: name plus bytes", map[string]types.AttributeValue{"pk": s("CASE#1")}, 2 + 6},
		{"utf-8 string counts bytes", map[string]types.AttributeValue{"r": s("退款")}, 1 + 6},
		{"number: digits halved plus one", map[string]types.AttributeValue{"amt": n("9900")}, 3 + 2},
		{"number: zeros do not count", map[string]types.AttributeValue{"a": n("-0.0500")}, 1 + 2},
		{"bool and null", map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true}}, 1 + 1 + 1 + 1},
		{"list: 3 plus one per element", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("ab"), n("7")}}}, 1 + 3 + (1 + 2) + (1 + 2)},
		{"map: keys count", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": s("v")}}}, 1 + 3 + (1 + 1 + 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ItemSize(tc.item); got != tc.want {
				t.Errorf("ItemSize = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestDynamoUnits meters requests of a real SDK client against the local
// DynamoDB and checks the units DynamoDB's rules give for them.
func TestDynamoUnits(t *testing.T) {
	ctx := context.Background()
	db, err := emulators.StartDynamo("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := dynamo.TableSchema("metered")
	if _, err := db.Client().CreateTable(ctx, schema); err != nil {
		t.Fatal(err)
	}
	m := New()
	m.Price(NewTable(db.Client(), schema))
	ac := awsenv.Local("us-east-1")
	ac.APIOptions = append(ac.APIOptions, m.APIOption)
	c := awsenv.DynamoDB(ac, db.URL())
	table := aws.String("metered")
	big := strings.Repeat("x", 1500) // a 1.5 KB item: 2 write units, 1 read unit
	item := func(id, status string) map[string]types.AttributeValue {
		it := map[string]types.AttributeValue{dynamo.AttrPK: s("CASE#" + id), dynamo.AttrSK: s("CASE"), "blob": s(big)}
		if status != "" {
			it[dynamo.AttrGSI2PK], it[dynamo.AttrGSISK] = s(status), s("t")
		}
		return it
	}
	key := func(id string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{dynamo.AttrPK: s("CASE#" + id), dynamo.AttrSK: s("CASE")}
	}
	ctxFn, done := m.Observe(ctx, "api")

	steps := []struct {
		name        string
		do          func() error
		read, write float64
	}{
		{"put, in one index", func() error {
			_, err := c.PutItem(ctxFn, &dynamodb.PutItemInput{TableName: table, Item: item("1", "submitted")})
			return err
		}, 0, 2 + 2},
		{"update moving the index key: delete and put in the index", func() error {
			_, err := c.UpdateItem(ctxFn, &dynamodb.UpdateItemInput{TableName: table, Key: key("1"),
				UpdateExpression: aws.String("SET #g = :v"), ExpressionAttributeNames: map[string]string{"#g": dynamo.AttrGSI2PK},
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("pending_review")}})
			return err
		}, 0, 2 + 2 + 2},
		{"transactional put outside any index, with a condition check", func() error {
			_, err := c.TransactWriteItems(ctxFn, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: table, Item: item("2", "")}},
				{ConditionCheck: &types.ConditionCheck{TableName: table, Key: key("1"), ConditionExpression: aws.String("attribute_exists(pk)")}},
			}})
			return err
		}, 0, 2*2 + 2*2},
		{"refused conditional put: one unit", func() error {
			_, err := c.PutItem(ctxFn, &dynamodb.PutItemInput{TableName: table, Item: item("2", ""), ConditionExpression: aws.String("attribute_not_exists(pk)")})
			if err == nil {
				t.Error("the condition should have failed")
			}
			return nil
		}, 0, 2},
		{"eventually consistent get", func() error {
			_, err := c.GetItem(ctxFn, &dynamodb.GetItemInput{TableName: table, Key: key("1")})
			return err
		}, 0.5, 0},
		{"strongly consistent get of a missing item", func() error {
			_, err := c.GetItem(ctxFn, &dynamodb.GetItemInput{TableName: table, Key: key("404"), ConsistentRead: aws.Bool(true)})
			return err
		}, 1, 0},
		{"query of the index", func() error {
			_, err := c.Query(ctxFn, &dynamodb.QueryInput{TableName: table, IndexName: aws.String(dynamo.IndexStatus),
				KeyConditionExpression: aws.String("#g = :v"), ExpressionAttributeNames: map[string]string{"#g": dynamo.AttrGSI2PK},
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("pending_review")}})
			return err
		}, 0.5, 0},
	}
	for _, st := range steps {
		before := m.Snapshot()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		d := m.Snapshot().Sub(before)
		if d.ReadUnits != st.read || d.WriteUnits != st.write {
			t.Errorf("%s: %.1f read and %.1f write units, want %.1f and %.1f", st.name, d.ReadUnits, d.WriteUnits, st.read, st.write)
		}
	}
	done()
	all := m.Snapshot()
	if all.Invocations["api"] != 1 || all.Duration["api"] < time.Millisecond || all.AWSCalls["api"] != int64(len(steps)) {
		t.Errorf("invocations %v, duration %v, calls %v", all.Invocations, all.Duration, all.AWSCalls)
	}
	// The invocation waited on its calls for part of its (rounded-up) time.
	if wait := all.CallTime["api"]; wait <= 0 || wait > all.Duration["api"] {
		t.Errorf("call time %v of an invocation of %v", wait, all.Duration["api"])
	}
	if all.Requests["dynamodb.PutItem"] != 2 || all.Requests["dynamodb.TransactWriteItems"] != 1 || all.Requests["dynamodb.GetItem"] != 2 {
		t.Errorf("requests %v (sizing reads must not be counted)", all.Requests)
	}
}

func TestS3PriceClass(t *testing.T) {
	for op, put := range map[string]bool{"s3.PutObject": true, "s3.ListObjectsV2": true, "s3.CopyObject": true, "s3.HeadObject": false, "s3.GetObject": false} {
		if s3PutClass(op) != put {
			t.Errorf("%s: PUT class %v, want %v", op, !put, put)
		}
	}
}
