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

var _ aftersales.ThreadStore = (*Store)(nil)

// AppendMessage puts m's item on condition that no message holds its place
// in the thread: two writers racing for one place get one write and one
// ErrVersionConflict, never a fork of the chain.
func (s *Store) AppendMessage(ctx context.Context, m aftersales.Message) error {
	const op = "dynamo.append_message"
	var n names
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.table, Item: messageShape.encode(&m),
		ConditionExpression:      aws.String("attribute_not_exists(" + n.name(AttrPK) + ")"),
		ExpressionAttributeNames: n.names,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return aftersales.ErrVersionConflict.For(op)
	case err != nil:
		return classify(op, err)
	}
	return nil
}

// ListMessages reads the case's thread with one strongly consistent query
// of its MSG# range, oldest first.
func (s *Store) ListMessages(ctx context.Context, caseID string) ([]aftersales.Message, error) {
	const op = "dynamo.list_messages"
	var n names
	kc := fmt.Sprintf("%s = %s AND begins_with(%s, %s)", n.name(AttrPK), n.value(avS(casePK(caseID))),
		n.name(AttrSK), n.value(avS(msgPfx)))
	in := &dynamodb.QueryInput{
		TableName: s.table, KeyConditionExpression: aws.String(kc), ConsistentRead: aws.Bool(true),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	}
	var out []aftersales.Message
	err := s.queryItems(ctx, op, in, func(_ string, it item) (bool, error) {
		m, err := decode(messageShape, it)
		if err != nil {
			return false, err
		}
		out = append(out, m)
		return len(out) < aftersales.MaxThreadMessages, nil
	})
	return out, err
}
