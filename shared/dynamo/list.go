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
	w, err := q.Window(op)
	if err != nil {
		return aftersales.CasePage{}, err
	}
	lq := listQuery{window: w, filters: func(n *names) []string { return caseFilters(q, n) }}
	lq.index, lq.pkAttr, lq.pks = partitions(q)
	items, next, err := readList(ctx, s, lq, decoder(caseShape))
	if err != nil {
		return aftersales.CasePage{}, classify(op, err)
	}
	return aftersales.CasePage{Items: items, NextCursor: next}, nil
}

// partitions names the index and the partition keys that hold the cases q
// can match.
func partitions(q aftersales.CaseQuery) (index, pkAttr string, pks []string) {
	switch {
	case q.BuyerID != "":
		return IndexBuyer, AttrGSI1PK, []string{buyerPK(q.BuyerID)}
	case q.Status != "":
		return IndexStatus, AttrGSI2PK, shards(func(i int) string { return statusPK(string(q.Status), i) })
	}
	return IndexAllCases, AttrGSI3PK, shards(allCasesPK)
}

func shards(pk func(int) string) []string {
	pks := make([]string, StatusShards)
	for i := range pks {
		pks[i] = pk(i)
	}
	return pks
}

// caseFilters are the conditions of q that the key condition cannot say.
func caseFilters(q aftersales.CaseQuery, n *names) []string {
	var filters []string
	if q.Status != "" && q.BuyerID != "" {
		// The buyer's partition holds every status (the status index would
		// have made this the key condition).
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
	return filters
}

// listQuery is one list read: the partitions of an index that can hold the
// items, the window of the page (its bounds are list keys) and the
// conditions on other attributes.
type listQuery struct {
	index, pkAttr string
	pks           []string
	window        aftersales.ListWindow
	filters       func(n *names) []string
}

// readList reads one page of a list, newest first, merging the partitions
// of lq, and returns the cursor of the next page ("" on the last one).
// Errors are the SDK's or a malformed item's, for the caller to classify.
func readList[T any](ctx context.Context, s *Store, lq listQuery, decode func(item) (T, error)) ([]T, string, error) {
	if lq.window.Empty() {
		// Nothing can be in range, and DynamoDB rejects a BETWEEN whose
		// bounds are reversed.
		return nil, "", nil
	}
	limit := lq.window.Limit
	streams := make([]*stream[T], len(lq.pks))
	for i, pk := range lq.pks {
		// One item more than the page: the merge peeks at the next item to
		// know whether there is a next page, so the last page never carries
		// a cursor to an empty one.
		streams[i] = newStream(s, lq, pk, int32(limit+1), decode)
	}
	var items []T
	var last string
	for {
		if err := fill(ctx, s, streams); err != nil {
			return nil, "", err
		}
		best := -1
		for i, st := range streams {
			if len(st.buf) > 0 && (best < 0 || st.buf[0].key > streams[best].buf[0].key) {
				best = i
			}
		}
		if best < 0 {
			return items, "", nil // every partition is exhausted: the last page
		}
		if len(items) == limit {
			return items, aftersales.EncodeCursor(last), nil
		}
		next := streams[best].buf[0]
		streams[best].buf = streams[best].buf[1:]
		items = append(items, next.v)
		last = next.key
	}
}

// listed is an item read from a list index with its list key.
type listed[T any] struct {
	key string
	v   T
}

// stream reads one index partition, newest first, a page at a time.
type stream[T any] struct {
	in     *dynamodb.QueryInput
	decode func(item) (T, error)
	buf    []listed[T]
	done   bool
	// skip is the exclusive upper bound when the key condition could only
	// say BETWEEN (inclusive): at most one item, the cursor's own, has it.
	skip string
}

func newStream[T any](s *Store, lq listQuery, pk string, limit int32, decode func(item) (T, error)) *stream[T] {
	var n names
	st := &stream[T]{decode: decode}
	kc := n.name(lq.pkAttr) + " = " + n.value(avS(pk))
	lo, hi := lq.window.Lo, lq.window.Hi
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
	if lq.filters != nil {
		filters = lq.filters(&n)
	}
	st.in = &dynamodb.QueryInput{
		TableName:                 s.table,
		IndexName:                 aws.String(lq.index),
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
// the head of every partition to know which item is newest.
func fill[T any](ctx context.Context, s *Store, streams []*stream[T]) error {
	var wg sync.WaitGroup
	errs := make([]error, len(streams))
	for i, st := range streams {
		if len(st.buf) > 0 || st.done {
			continue
		}
		wg.Go(func() { errs[i] = st.refill(ctx, s) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (st *stream[T]) refill(ctx context.Context, s *Store) error {
	for len(st.buf) == 0 && !st.done {
		out, err := s.client.Query(ctx, st.in)
		if err != nil {
			return err
		}
		for _, it := range out.Items {
			key, _ := it[AttrGSISK].(*types.AttributeValueMemberS)
			if key == nil {
				return fmt.Errorf("list item without %s in %s", AttrGSISK, aws.ToString(st.in.IndexName))
			}
			if key.Value == st.skip {
				continue
			}
			v, err := st.decode(it)
			if err != nil {
				return err
			}
			st.buf = append(st.buf, listed[T]{key: key.Value, v: v})
		}
		if len(out.LastEvaluatedKey) == 0 {
			st.done = true
		} else {
			st.in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return nil
}
