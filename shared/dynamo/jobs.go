package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.ReviewJobStore = (*Store)(nil)

// Batch review jobs: JOB#<id> / JOB holds the request and the counters;
// JOB#<id> / ITEM#<case id> holds one case's result, written once (its
// attribute_not_exists condition makes a redelivered item a no-op) in the
// same transaction that bumps the counter.

// CreateReviewJob stores a new job, with the failures known at its start
// in the job item: one write however many ids named no case.
func (s *Store) CreateReviewJob(ctx context.Context, j *aftersales.ReviewJob) error {
	const op = "dynamo.create_review_job"
	// A new job has no results of its items yet, whatever the caller's
	// counters say; Failed counts the failures known at its start.
	fresh := *j
	fresh.Succeeded, fresh.Failed = 0, max(j.Failed, len(j.Failures))
	fresh.Failures = j.Failures[:min(len(j.Failures), aftersales.MaxListedFailures)]
	it := reviewJobShape.encode(&fresh)
	var n names
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: it,
		ConditionExpression: aws.String("attribute_not_exists(" + n.name(AttrPK) + ")"), ExpressionAttributeNames: n.names})
	if err != nil {
		return classify(op, err)
	}
	return nil
}

// GetReviewJob reads the job and its first failures: those known at its
// start, then those its items recorded. The result items are queried only
// when some failures were recorded by items and the list has room for them,
// so the consumers, which read the job for every item, do not pay for a
// list they do not use when every failure was known at the start.
func (s *Store) GetReviewJob(ctx context.Context, id string) (*aftersales.ReviewJob, error) {
	const op = "dynamo.get_review_job"
	j, err := getRecord(ctx, s, op, jobPK(id), skJob, "no such review job", reviewJobShape)
	if err != nil || j.Failed <= len(j.Failures) || len(j.Failures) >= aftersales.MaxListedFailures {
		return j, err
	}
	var n names
	in := &dynamodb.QueryInput{
		TableName: s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String(fmt.Sprintf("%s = %s AND begins_with(%s, %s)",
			n.name(AttrPK), n.value(avS(jobPK(id))), n.name(AttrSK), n.value(avS(jobItemPfx)))),
		FilterExpression:         aws.String("attribute_exists(" + n.name(attrFailure) + ")"),
		ExpressionAttributeNames: n.names, ExpressionAttributeValues: n.values,
	}
	err = s.queryItems(ctx, op, in, func(_ string, it item) (bool, error) {
		res, err := decode(reviewResultShape, it)
		j.Failures = append(j.Failures, res.ReviewFailure)
		return len(j.Failures) < aftersales.MaxListedFailures, err
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// RecordReviewResult writes one case's result and bumps the job's counter in
// one transaction; a result already written makes it a no-op.
func (s *Store) RecordReviewResult(ctx context.Context, jobID, caseID, failure string) (bool, error) {
	const op = "dynamo.record_review_result"
	it := reviewResultShape.encode(&reviewResult{jobID: jobID, ReviewFailure: aftersales.ReviewFailure{CaseID: caseID, Error: failure}})
	counter := attrSucceeded
	if failure != "" {
		counter = attrFailed
	}
	var pn, un names
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: it,
			ConditionExpression: aws.String("attribute_not_exists(" + pn.name(AttrPK) + ")"), ExpressionAttributeNames: pn.names}},
		{Update: &types.Update{TableName: s.table, Key: s.key(jobPK(jobID), skJob),
			UpdateExpression:         aws.String("ADD " + un.name(counter) + " " + un.value(avN(1))),
			ConditionExpression:      aws.String("attribute_exists(" + un.name(AttrPK) + ")"),
			ExpressionAttributeNames: un.names, ExpressionAttributeValues: un.values}},
	}})
	if err == nil {
		return true, nil
	}
	reasons, ok := cancelled(err)
	switch {
	case ok && failedCheck(reasons, 0):
		return false, nil
	case ok && failedCheck(reasons, 1):
		return false, aftersales.NotFound(op, "no such review job")
	}
	return false, classify(op, err)
}
