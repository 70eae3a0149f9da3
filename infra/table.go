package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	sdkdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/jsii-runtime-go"

	"github.com/aftersales/aftersales/shared/config"
	"github.com/aftersales/aftersales/shared/dynamo"
)

// table mirrors dynamo.TableSchema: the keys, attribute types and indexes
// are read from it, so the code and the deployed table cannot drift.
func (b *builder) table() awsdynamodb.Table {
	schema := dynamo.TableSchema("unused")
	keys := tableKeys(schema.AttributeDefinitions)
	pk, sk := keys(schema.KeySchema)
	table := awsdynamodb.NewTable(b.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: pk,
		SortKey:      sk,
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection:  jsii.Bool(true),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
		TimeToLiveAttribute: jsii.String(dynamo.AttrTTL),
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		// The transactional outbox's publisher reads new items (issue 15).
		Stream: awsdynamodb.StreamViewType_NEW_IMAGE,
	})
	for _, g := range schema.GlobalSecondaryIndexes {
		gpk, gsk := keys(g.KeySchema)
		gsi := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      g.IndexName,
			PartitionKey:   gpk,
			SortKey:        gsk,
			ProjectionType: projectionType(g.Projection.ProjectionType),
		}
		if len(g.Projection.NonKeyAttributes) > 0 {
			gsi.NonKeyAttributes = jsii.Strings(g.Projection.NonKeyAttributes...)
		}
		table.AddGlobalSecondaryIndex(gsi)
	}
	b.env[config.EnvTableName] = table.TableName()
	return table
}

// tableKeys returns a function that turns a key schema of the table into
// CDK's partition and sort key attributes, typed as defs declare them.
func tableKeys(defs []sdkdynamodb.AttributeDefinition) func([]sdkdynamodb.KeySchemaElement) (pk, sk *awsdynamodb.Attribute) {
	types := map[string]awsdynamodb.AttributeType{}
	for _, d := range defs {
		t := awsdynamodb.AttributeType_STRING
		switch d.AttributeType {
		case sdkdynamodb.ScalarAttributeTypeN:
			t = awsdynamodb.AttributeType_NUMBER
		case sdkdynamodb.ScalarAttributeTypeB:
			t = awsdynamodb.AttributeType_BINARY
		}
		types[*d.AttributeName] = t
	}
	return func(ks []sdkdynamodb.KeySchemaElement) (pk, sk *awsdynamodb.Attribute) {
		for _, k := range ks {
			a := &awsdynamodb.Attribute{Name: k.AttributeName, Type: types[*k.AttributeName]}
			if k.KeyType == sdkdynamodb.KeyTypeHash {
				pk = a
			} else {
				sk = a
			}
		}
		return pk, sk
	}
}

// projectionType is CDK's name for an index projection of the schema.
func projectionType(t sdkdynamodb.ProjectionType) awsdynamodb.ProjectionType {
	switch t {
	case sdkdynamodb.ProjectionTypeKeysOnly:
		return awsdynamodb.ProjectionType_KEYS_ONLY
	case sdkdynamodb.ProjectionTypeInclude:
		return awsdynamodb.ProjectionType_INCLUDE
	}
	return awsdynamodb.ProjectionType_ALL
}

// grantTable gives each function the access to the table its code needs.
func (b *builder) grantTable(table awsdynamodb.Table) {
	for _, name := range []string{"api", "webhooks", "tasks", "intake", "inbound", "reviews", "evidence"} {
		table.GrantReadWriteData(b.fns[name])
	}
	// Lists cases; writes reminders and missed review promises (with their
	// points events, in the outbox).
	table.GrantReadWriteData(b.fns["sweeper"])
	// Reads the case and the order, writes the inbox and the send records.
	table.GrantReadWriteData(b.fns["notifier"])
}
