package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// A quota is one item, QUOTA#<key> / QUOTA, holding what was taken from it.
const (
	skQuota     = "QUOTA"
	attrTaken   = "taken"
	entityQuota = "quota"
)

func quotaPK(key string) string { return "QUOTA#" + key }

// TakeQuota adds n to every quota's count in one transaction, each on
// condition that the count stays within its limit: concurrent takes are
// serialised by the conditions, so together they never pass a limit. The
// quotas are listed in the order their failures should be reported
// (minidyn flags only the first failed condition).
//
// A count is never reset here: its key names its window, and the TTL
// deletes it once the window is over (expires_at).
func (s *Store) TakeQuota(ctx context.Context, n int, qs ...aftersales.Quota) error {
	const op = "dynamo.take_quota"
	if n < 1 {
		return aftersales.Wrap(aftersales.KindInternal, op, fmt.Errorf("take %d from a quota", n))
	}
	ops := make([]types.TransactWriteItem, 0, len(qs))
	for _, q := range qs {
		if n > q.Limit {
			// The condition below would let a first take of any size pass.
			return aftersales.Exceeded(op, q)
		}
		var x names
		taken := x.name(attrTaken)
		ops = append(ops, types.TransactWriteItem{Update: &types.Update{
			TableName: s.table, Key: s.key(quotaPK(q.Key), skQuota),
			UpdateExpression: aws.String(fmt.Sprintf("ADD %s %s SET %s = %s, %s = %s, %s = %s", taken, x.value(avN(int64(n))),
				x.name(attrEntity), x.value(avS(entityQuota)), x.name(attrExpires), x.value(avS(formatTime(q.ExpiresAt))),
				x.name(AttrTTL), x.value(avN(ttlSeconds(q.ExpiresAt))))),
			ConditionExpression:      aws.String(fmt.Sprintf("attribute_not_exists(%s) OR %s <= %s", taken, taken, x.value(avN(int64(q.Limit-n))))),
			ExpressionAttributeNames: x.names, ExpressionAttributeValues: x.values,
		}})
	}
	if len(ops) == 0 {
		return nil
	}
	reasons, err := s.transact(ctx, op, ops)
	if reasons == nil {
		return err
	}
	for i, q := range qs {
		if failedCheck(reasons, i) {
			return aftersales.Exceeded(op, q)
		}
	}
	return err
}

// ttlSeconds is t as the TTL attribute holds it: epoch seconds, rounded up
// so that DynamoDB never deletes an item before t.
func ttlSeconds(t time.Time) int64 {
	secs := t.Unix()
	if t.Nanosecond() > 0 {
		secs++
	}
	return secs
}
