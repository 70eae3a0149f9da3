package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aftersales/aftersales/shared/aftersales"
)

var _ aftersales.PhotoHashStore = (*Store)(nil)

// Photo hashes (issue 16): one item per band of the hash,
// PHASH#<band>#<band value, 4 hex digits> / EV#<evidence id>, each holding
// the whole hash and whose photo it is. A look-up queries the partitions
// of aftersales.BandProbes and nothing else, so it reads the photos that
// share a band value (or one within a bit or two) with the one checked:
// about HashBands x probes x N/65536 items for N stored photos whose bands
// spread evenly (docs/PERFORMANCE.md).

const entityPhotoHash = "phash"

func photoHashPK(band int, v uint16) string { return fmt.Sprintf("PHASH#%d#%04x", band, v) }

// PutPhotoHash writes h under each of its bands in one transaction, so a
// look-up never sees some bands of a photo and not the others.
func (s *Store) PutPhotoHash(ctx context.Context, h aftersales.PhotoHash) error {
	const op = "dynamo.put_photo_hash"
	ops := make([]types.TransactWriteItem, 0, aftersales.HashBands)
	for b := range aftersales.HashBands {
		it := item{}
		w := writer(it)
		w.str(AttrPK, photoHashPK(b, aftersales.HashBand(h.Hash, b)))
		w.str(AttrSK, "EV#"+h.EvidenceID)
		w.str(attrEntity, entityPhotoHash)
		w.str(attrPhotoHash, fmt.Sprintf("%016x", h.Hash))
		w.str(attrID, h.EvidenceID)
		w.str(attrCaseID, h.CaseID)
		w.str(attrBuyerID, h.BuyerID)
		w.str(attrOrderID, h.OrderID)
		w.time(attrAt, h.At)
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{TableName: s.table, Item: it}})
	}
	_, err := s.transact(ctx, op, ops)
	return err
}

// SimilarPhotos queries the probed band partitions and keeps the photos
// within maxDistance, nearest first (then oldest first: the original).
func (s *Store) SimilarPhotos(ctx context.Context, hash uint64, maxDistance int) ([]aftersales.PhotoHash, error) {
	const op = "dynamo.similar_photos"
	if maxDistance < 0 || maxDistance > aftersales.MaxReuseMaxDistance {
		return nil, aftersales.Wrap(aftersales.KindInternal, op, fmt.Errorf("max distance %d is out of 0..%d", maxDistance, aftersales.MaxReuseMaxDistance))
	}
	seen := map[string]bool{}
	var out []aftersales.PhotoHash
	for b, probes := range aftersales.BandProbes(hash, maxDistance) {
		for _, v := range probes {
			var n names
			in := &dynamodb.QueryInput{TableName: s.table,
				KeyConditionExpression:    aws.String(n.name(AttrPK) + " = " + n.value(avS(photoHashPK(b, v)))),
				ExpressionAttributeNames:  n.names,
				ExpressionAttributeValues: n.values,
			}
			err := s.queryItems(ctx, op, in, func(_ string, it item) (bool, error) {
				r := &reader{it: it}
				h, err := strconv.ParseUint(r.str(attrPhotoHash), 16, 64)
				if err != nil {
					return false, err
				}
				p := aftersales.PhotoHash{Hash: h, EvidenceID: r.str(attrID), CaseID: r.str(attrCaseID),
					BuyerID: r.str(attrBuyerID), OrderID: r.str(attrOrderID), At: r.time(attrAt)}
				if r.err != nil {
					return false, r.err
				}
				if !seen[p.EvidenceID] && aftersales.HashDistance(h, hash) <= maxDistance {
					out = append(out, p)
				}
				seen[p.EvidenceID] = true
				return true, nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	sortSimilar(out, hash)
	return out, nil
}

func sortSimilar(ps []aftersales.PhotoHash, hash uint64) {
	slices.SortStableFunc(ps, func(a, b aftersales.PhotoHash) int {
		if d := aftersales.HashDistance(a.Hash, hash) - aftersales.HashDistance(b.Hash, hash); d != 0 {
			return d
		}
		return a.At.Compare(b.At)
	})
}
