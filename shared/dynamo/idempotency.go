package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// ClaimIdempotency writes the claim on condition that the key has no item,
// or only an expired one: DynamoDB evaluates the condition and the write as
// one step, so of requests claiming one key at once exactly one succeeds.
func (s *Store) ClaimIdempotency(ctx context.Context, claim aftersales.IdempotencyRecord) error {
	const op = "dynamo.claim_idempotency"
	var n names
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table, Item: idemShape.encode(&claim), ConditionExpression: aws.String(s.idemFree(&n)),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return aftersales.ErrIdempotencyKeyTaken.For(op)
	case err != nil:
		return classify(op, err)
	}
	return nil
}

// ReleaseIdempotency deletes the key's item on condition that it is still
// the claim made for caseID: never an answer, nor the claim of a request
// that took the key over.
func (s *Store) ReleaseIdempotency(ctx context.Context, scope, key, caseID string) error {
	const op = "dynamo.release_idempotency"
	var n names
	cond := fmt.Sprintf("%s = %s AND %s = %s", n.name(attrCaseID), n.value(avS(caseID)),
		n.name(attrStatusCode), n.value(avN(0)))
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: s.table, Key: s.key(idemPK(scope, key), skIdem), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return classify(op, err)
	}
	return nil
}

// idemFree is the condition that an idempotency key may be written: no
// item, or an expired one (TTL deletes late, minidyn never, so an expired
// record is overwritten rather than blocking its key).
func (s *Store) idemFree(n *names) string {
	return fmt.Sprintf("attribute_not_exists(%s) OR %s <= %s",
		n.name(AttrPK), n.name(attrExpires), n.value(avS(formatTime(s.clock.Now()))))
}
