package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/ruleset"
)

var _ aftersales.RuleSetStore = (*Store)(nil)

// Rule sets are items RULESET / V#<version, 10 digits>, each holding the
// rule set's JSON document (the same format as PUT /v1/staff/ruleset) plus
// its version and audit fields. Versions are never overwritten, so every
// decision's rule set version can be looked up later (F8).

// GetRuleSet returns the newest rule set: one query, newest first, limit 1.
func (s *Store) GetRuleSet(ctx context.Context) (*aftersales.RuleSet, error) {
	const op = "dynamo.get_ruleset"
	var n names
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName: s.table,
		KeyConditionExpression: aws.String(fmt.Sprintf("%s = %s AND begins_with(%s, %s)",
			n.name(AttrPK), n.value(avS(pkRuleSet)), n.name(AttrSK), n.value(avS(ruleSetPfx)))),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(1), ConsistentRead: aws.Bool(true),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	})
	if err != nil {
		return nil, classify(op, err)
	}
	if len(out.Items) == 0 {
		return nil, aftersales.NotFound(op, "no rule set stored")
	}
	v, err := decode(ruleSetShape, out.Items[0])
	if err != nil {
		return nil, aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	rs, err := ruleset.Decode(v.document)
	if err != nil {
		return nil, aftersales.Wrap(aftersales.KindInternal, op, fmt.Errorf("stored rule set: %w", err))
	}
	rs.Restamp(v.RuleSetStamp)
	return rs, nil
}

// PutRuleSet writes rs as a new version; a version that exists already means
// someone else saved first (ErrVersionConflict).
func (s *Store) PutRuleSet(ctx context.Context, rs *aftersales.RuleSet) error {
	const op = "dynamo.put_ruleset"
	doc, err := ruleset.Encode(rs)
	if err != nil {
		return aftersales.Wrap(aftersales.KindInternal, op, err)
	}
	it := ruleSetShape.encode(&ruleSetVersion{document: doc, RuleSetStamp: rs.Stamp()})
	var n names
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table, Item: it,
		ConditionExpression:      aws.String("attribute_not_exists(" + n.name(AttrPK) + ")"),
		ExpressionAttributeNames: n.names,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return aftersales.ErrVersionConflict.For(op)
	}
	if err != nil {
		return classify(op, err)
	}
	return nil
}
