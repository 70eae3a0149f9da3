package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// ListCases returns a page of cases newest first (by creation time, then id).
//
// A buyer's list reads GSI1, one partition. The staff list reads the
// StatusShards partitions of GSI2 for one status, or of GSI3 for every
// status, and merges them. Creation time bounds are in the key condition;
// the other filters are a filter expression, so DynamoDB may return pages
// with fewer items than asked for and the loop reads on until the page is
// full or every partition is exhausted.
//
// The cursor is the list key of the last item returned, and every partition
// resumes strictly below it. Because the list key is a total order over all
// cases, this neither repeats nor skips an item, whatever the filters, and
// keeps working when that last case has since moved to another status
// partition (an ExclusiveStartKey would name an item that is gone from that
// partition; minidyn then returns nothing at all).
func (s *Store) ListCases(ctx context.Context, q aftersales.CaseQuery) (aftersales.CasePage, error) {
	const op = "dynamo.list_cases"
	limit := pageSize(q.Limit)
	var after string
	if q.Cursor != "" {
		var err error
		if after, err = aftersales.DecodeCursor(op, q.Cursor); err != nil {
			return aftersales.CasePage{}, err
		}
	}
	lo, hi := bounds(q, after)
	if lo != "" && hi != "" && hi <= lo {
		// Nothing can be in range, and DynamoDB rejects a BETWEEN whose
		// bounds are reversed.
		return aftersales.CasePage{}, nil
	}
	index, pkAttr, pks := partitions(q)
	streams := make([]*stream, len(pks))
	for i, pk := range pks {
		// One item more than the page: the merge peeks at the next case to
		// know whether there is a next page, so the last page never carries
		// a cursor to an empty one.
		streams[i] = s.newStream(q, index, pkAttr, pk, lo, hi, int32(limit+1))
	}

	var page aftersales.CasePage
	var last string
	for {
		if err := s.fill(ctx, streams); err != nil {
			return aftersales.CasePage{}, classify(op, err)
		}
		best := -1
		for i, st := range streams {
			if len(st.buf) > 0 && (best < 0 || st.buf[0].key > streams[best].buf[0].key) {
				best = i
			}
		}
		if best < 0 {
			return page, nil // every partition is exhausted: the last page
		}
		if len(page.Items) == limit {
			page.NextCursor = aftersales.EncodeCursor(last)
			return page, nil
		}
		next := streams[best].buf[0]
		streams[best].buf = streams[best].buf[1:]
		page.Items = append(page.Items, next.c)
		last = next.key
	}
}

func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return aftersales.DefaultPageSize
	case limit > aftersales.MaxPageSize:
		return aftersales.MaxPageSize
	}
	return limit
}

// bounds turns the creation-time range and the cursor into list-key bounds:
// lo inclusive, hi exclusive, "" for none. A list key starts with its
// creation time at fixed width, so "created >= From" is "key >= From" and
// "created < To" is "key < To" (a key whose time equals To is longer than
// To's string and sorts after it).
func bounds(q aftersales.CaseQuery, after string) (lo, hi string) {
	if !q.From.IsZero() {
		lo = formatTime(q.From)
	}
	if !q.To.IsZero() {
		hi = formatTime(q.To)
	}
	if after != "" && (hi == "" || after < hi) {
		hi = after
	}
	return lo, hi
}

// partitions names the index and the partition keys that hold the cases q
// can match.
func partitions(q aftersales.CaseQuery) (index, pkAttr string, pks []string) {
	switch {
	case q.BuyerID != "":
		return IndexBuyer, AttrGSI1PK, []string{buyerPK(q.BuyerID)}
	case q.Status != "":
		pks = make([]string, StatusShards)
		for i := range pks {
			pks[i] = statusPK(string(q.Status), i)
		}
		return IndexStatus, AttrGSI2PK, pks
	}
	pks = make([]string, StatusShards)
	for i := range pks {
		pks[i] = allCasesPK(i)
	}
	return IndexAllCases, AttrGSI3PK, pks
}

// listed is a case read from a list index with its list key.
type listed struct {
	key string
	c   aftersales.Case
}

// stream reads one index partition, newest first, a page at a time.
type stream struct {
	in   *dynamodb.QueryInput
	buf  []listed
	done bool
	// skip is the exclusive upper bound when the key condition could only
	// say BETWEEN (inclusive): at most one item, the cursor's own, has it.
	skip string
}

func (s *Store) newStream(q aftersales.CaseQuery, index, pkAttr, pk, lo, hi string, limit int32) *stream {
	var n names
	st := &stream{}
	kc := n.name(pkAttr) + " = " + n.value(avS(pk))
	switch {
	case lo != "" && hi != "":
		kc += fmt.Sprintf(" AND %s BETWEEN %s AND %s", n.name(AttrGSISK), n.value(avS(lo)), n.value(avS(hi)))
		st.skip = hi
	case lo != "":
		kc += fmt.Sprintf(" AND %s >= %s", n.name(AttrGSISK), n.value(avS(lo)))
	case hi != "":
		kc += fmt.Sprintf(" AND %s < %s", n.name(AttrGSISK), n.value(avS(hi)))
	}
	var filters []string
	if q.Status != "" && index != IndexStatus {
		filters = append(filters, n.name(attrStatus)+" = "+n.value(avS(string(q.Status))))
	}
	if q.Type != "" {
		filters = append(filters, n.name(attrCaseType)+" = "+n.value(avS(string(q.Type))))
	}
	if q.Reason != "" {
		filters = append(filters, n.name(attrReason)+" = "+n.value(avS(q.Reason)))
	}
	if q.Kind != "" {
		filters = append(filters, fmt.Sprintf("contains(%s, %s)", n.name(attrLineKinds), n.value(avS(string(q.Kind)))))
	}
	if q.MinAmount > 0 {
		filters = append(filters, n.name(attrRequested)+" >= "+n.value(avN(q.MinAmount)))
	}
	if q.MaxAmount > 0 {
		filters = append(filters, n.name(attrRequested)+" <= "+n.value(avN(q.MaxAmount)))
	}
	st.in = &dynamodb.QueryInput{
		TableName:                 s.table,
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String(kc),
		ExpressionAttributeNames:  n.names,
		ExpressionAttributeValues: n.values,
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(limit),
	}
	if len(filters) > 0 {
		st.in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	return st
}

// fill reads, concurrently, every partition that has nothing buffered and
// is not exhausted, until it has an item or is exhausted: the merge needs
// the head of every partition to know which case is newest.
func (s *Store) fill(ctx context.Context, streams []*stream) error {
	var wg sync.WaitGroup
	errs := make([]error, len(streams))
	for i, st := range streams {
		if len(st.buf) > 0 || st.done {
			continue
		}
		wg.Go(func() { errs[i] = s.refill(ctx, st) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Store) refill(ctx context.Context, st *stream) error {
	for len(st.buf) == 0 && !st.done {
		out, err := s.client.Query(ctx, st.in)
		if err != nil {
			return err
		}
		for _, it := range out.Items {
			key, _ := it[AttrGSISK].(*types.AttributeValueMemberS)
			if key == nil {
				return fmt.Errorf("case item without %s in %s", AttrGSISK, aws.ToString(st.in.IndexName))
			}
			if key.Value == st.skip {
				continue
			}
			c, err := caseFromItem(it)
			if err != nil {
				return err
			}
			st.buf = append(st.buf, listed{key: key.Value, c: c})
		}
		if len(out.LastEvaluatedKey) == 0 {
			st.done = true
		} else {
			st.in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return nil
}
