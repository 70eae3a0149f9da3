package dynamo

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The ports this package implements.
var (
	_ aftersales.CaseStore        = (*Store)(nil)
	_ aftersales.IdempotencyStore = (*Store)(nil)
	_ aftersales.OrderStore       = (*Store)(nil)
)

// Store keeps cases, orders and their ledger, refunds, idempotency records,
// webhook receipts and declared uploads in one DynamoDB table. It is safe
// for concurrent use; build it once per process.
type Store struct {
	client *dynamodb.Client
	table  *string
	clock  aftersales.Clock
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that decides whether idempotency records,
// webhook receipts and uploads have expired. The local stack and tests pass their movable clock;
// by default it is the system clock.
func WithClock(c aftersales.Clock) Option { return func(s *Store) { s.clock = c } }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// New returns a Store on table through client.
func New(client *dynamodb.Client, table string, opts ...Option) *Store {
	s := &Store{client: client, table: aws.String(table), clock: systemClock{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// retryable names the service errors that a later attempt may not meet:
// throttling, capacity, service failures and conflicts with concurrent
// transactions on the same items.
var retryable = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"InternalServerError":                    true,
	"ServiceUnavailable":                     true,
	"TransactionConflictException":           true,
	"TransactionInProgressException":         true,
	// Cancellation reason codes of the same nature.
	"TransactionConflict":           true,
	"ThrottlingError":               true,
	"ProvisionedThroughputExceeded": true,
}

// classify wraps an unexpected error from the SDK with the kind that tells
// the caller (and Step Functions' Retry) whether trying again may help.
func classify(op string, err error) error {
	var ae smithy.APIError
	var send *smithyhttp.RequestSendError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return aftersales.Wrap(aftersales.KindTransient, op, err)
	case errors.As(err, &ae) && retryable[ae.ErrorCode()]:
		return aftersales.Wrap(aftersales.KindTransient, op, err)
	case errors.As(err, &send):
		return aftersales.Wrap(aftersales.KindTransient, op, err)
	}
	return aftersales.Wrap(aftersales.KindInternal, op, err)
}

// transact writes ops in one transaction. When the transaction was
// cancelled by its conditions it returns their reasons, for the caller to
// tell which condition failed, together with the classified error to return
// when none of its cases applies; reasons is nil when it committed (err
// nil) or failed for any other reason, transient cancellations included.
//
// A single write is sent as a plain conditional write, not a transaction:
// it is as atomic, and DynamoDB bills a transactional write twice. Its
// failed condition is reported as the transaction's would be.
func (s *Store) transact(ctx context.Context, op string, ops []types.TransactWriteItem) (reasons []types.CancellationReason, err error) {
	if len(ops) == 1 && (ops[0].Put != nil || ops[0].Update != nil) {
		err = s.writeOne(ctx, ops[0])
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return []types.CancellationReason{{Code: aws.String("ConditionalCheckFailed"), Item: ccf.Item}}, classify(op, err)
		}
		if err != nil {
			return nil, classify(op, err)
		}
		return nil, nil
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: ops})
	if err == nil {
		return nil, nil
	}
	reasons, ok := cancelled(err)
	if !ok || transientReason(reasons) {
		return nil, classify(op, err)
	}
	return reasons, classify(op, err)
}

// writeOne sends the Put or the Update of a transaction as a conditional
// write.
func (s *Store) writeOne(ctx context.Context, w types.TransactWriteItem) error {
	if p := w.Put; p != nil {
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item,
			ConditionExpression: p.ConditionExpression, ExpressionAttributeNames: p.ExpressionAttributeNames,
			ExpressionAttributeValues:           p.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailure(p.ReturnValuesOnConditionCheckFailure)})
		return err
	}
	u := w.Update
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key,
		UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailure(u.ReturnValuesOnConditionCheckFailure)})
	return err
}

// cancelled returns the cancellation reasons of a cancelled transaction, or
// ok false for any other error.
func cancelled(err error) (reasons []types.CancellationReason, ok bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	return tce.CancellationReasons, true
}

// failedCheck reports whether the i-th operation of a cancelled transaction
// failed its condition. Real DynamoDB flags every operation whose condition
// failed; minidyn flags only the first, so transactions list their
// operations in the order their failures should be reported.
func failedCheck(reasons []types.CancellationReason, i int) bool {
	return i < len(reasons) && aws.ToString(reasons[i].Code) == "ConditionalCheckFailed"
}

// transientReason reports whether the transaction was cancelled for a
// reason other than a condition that a retry may not meet again.
func transientReason(reasons []types.CancellationReason) bool {
	for _, r := range reasons {
		if retryable[aws.ToString(r.Code)] {
			return true
		}
	}
	return false
}

// names collects expression attribute names and values, so that every
// attribute is referred to by placeholder (reserved words such as status,
// type and version need it) and only used values are sent (DynamoDB rejects
// unused ones).
type names struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

func (n *names) name(attr string) string {
	if n.names == nil {
		n.names = map[string]string{}
	}
	p := "#" + attr
	n.names[p] = attr
	return p
}

func (n *names) value(v types.AttributeValue) string {
	if n.values == nil {
		n.values = map[string]types.AttributeValue{}
	}
	p := ":v" + strconv.Itoa(len(n.values))
	n.values[p] = v
	return p
}

func (s *Store) key(pk, sk string) item {
	return item{AttrPK: avS(pk), AttrSK: avS(sk)}
}

// read runs in, a strongly consistent query on a's partition, and decodes
// its head and its parts (in sort key order); other items in the query's
// range are skipped. A missing head is not found.
func (a aggregate[H, P]) read(ctx context.Context, s *Store, op string, in *dynamodb.QueryInput) (*H, []P, error) {
	var head *H
	var parts []P
	err := s.queryItems(ctx, op, in, func(sk string, it item) (bool, error) {
		switch {
		case sk == a.head:
			h, err := decode(a.heads, it)
			head = &h
			return true, err
		case strings.HasPrefix(sk, a.partPfx):
			p, err := decode(a.parts, it)
			parts = append(parts, p)
			return true, err
		}
		return true, nil
	})
	if err != nil {
		return nil, nil, err
	}
	if head == nil {
		return nil, nil, aftersales.NotFound(op, a.missing)
	}
	return head, parts, nil
}

// queryItems runs a query page by page and hands every item, with its sort
// key, to fn until fn says stop. Errors fn returns mean a malformed item and
// come back as KindInternal.
func (s *Store) queryItems(ctx context.Context, op string, in *dynamodb.QueryInput, fn func(sk string, it item) (more bool, err error)) error {
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return classify(op, err)
		}
		for _, it := range out.Items {
			sk, _ := it[AttrSK].(*types.AttributeValueMemberS)
			if sk == nil {
				return aftersales.Wrap(aftersales.KindInternal, op, errors.New("an item has no sort key"))
			}
			more, err := fn(sk.Value, it)
			if err != nil {
				return aftersales.Wrap(aftersales.KindInternal, op, err)
			}
			if !more {
				return nil
			}
		}
		// minidyn's in-process client ends with an empty, non-nil key; the
		// length test is right for both.
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
