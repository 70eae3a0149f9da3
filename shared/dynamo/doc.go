// Package dynamo is the DynamoDB adapter of the after-sales domain: one
// Store implements aftersales.CaseStore, IdempotencyStore and OrderStore on a
// single table. The CDK stack and the local stack create the table as
// TableSchema describes it; this comment is the reference for both.
//
// # Keys
//
// The table has string keys pk (partition) and sk (sort):
//
//	item             pk                          sk                    notes
//	case             CASE#<case id>              CASE                  the whole case but its timeline; list index keys
//	timeline entry   CASE#<case id>              EVT#<seq, 10 digits>  immutable; seq = the case version it produced
//	order snapshot   ORDER#<order id>            ORDER                 the mall's snapshot, lines without ledger
//	order line       ORDER#<order id>            LINE#<line id>        ledger: paid_amount, quantity, refunded, active_case
//	idempotency      IDEM#<scope>#<key>          IDEM                  TTL; '#' and '%' of the scope are %-escaped
//	declared upload  UPLOAD#<evidence id>        UPLOAD                TTL
//
// Every item has an entity attribute (case, event, order, line, idem,
// upload) so that exports and streams can tell items apart without parsing
// keys. Times are strings in UTC with nine fraction digits
// (2006-01-02T15:04:05.000000000Z), so that they sort as instants do.
// Amounts are integer minor units.
//
// # Global secondary indexes
//
// All three project ALL attributes (a list page is made of whole cases) and
// share the sort key gsisk = <created_at>#<case id>, which orders every case
// list newest first when read backwards and gives ties a stable order.
// Only case items carry these attributes.
//
//	index  partition key                          serves
//	GSI1   gsi1pk = BUYER#<buyer id>              a buyer's cases
//	GSI2   gsi2pk = STATUS#<status>#<0..7>        the staff queue of one status
//	GSI3   gsi3pk = CASES#<0..7>                  the staff list of every status
//
// The shard (0..StatusShards-1) is an FNV-1a hash of the case id, so that a
// promotion-day burst spreads over eight partitions; lists query the eight
// and merge them. A case item is always written whole (Put), so a change of
// status moves it between GSI2 partitions by itself.
//
// TTL is enabled on expires_at (epoch seconds, rounded up). DynamoDB deletes
// expired items days late and minidyn never does, so reads compare the exact
// expires attribute with the clock, and a create overwrites an expired
// idempotency record instead of being blocked by it.
//
// # Invariants kept by the database
//
//   - CreateCase is one transaction: the idempotency record (if any) unless
//     a live one exists, every named line item on condition that it exists
//     and is free (no active_case, or an empty one), the case item and its
//     timeline entries on condition that they do not exist.
//   - UpdateCase is one transaction: the case item on condition that its
//     version is the one read, the new timeline entries on condition that
//     they do not exist, and, when the change ended the case, the release of
//     its line items (active_case set to "") on condition that this case
//     held them.
//   - PutOrder never writes refunded or active_case of an existing line item.
//
// A transaction holds at most 100 writes, so a case names at most 97 lines.
//
// # minidyn
//
// Tests and the local stack run against minidyn in server mode. Besides
// TTL, it differs from DynamoDB in ways this package works around rather
// than relies on:
//
//   - REMOVE in an update expression does nothing: a released line gets an
//     empty active_case instead, which DynamoDB stores as well.
//   - A cancelled transaction flags only its first failed condition:
//     operations are listed in the order their failures should be reported.
//   - A failed Put in a transaction returns no old item: UpdateCase reads the
//     case to tell "not found" from "conflict" (DynamoDB returns the item).
//   - An ExclusiveStartKey naming an item that moved or is gone returns
//     nothing: list cursors are list keys, not ExclusiveStartKeys.
//   - UpdateItem that adds index keys to an item that had none corrupts the
//     index: case items are written whole with their keys (Put).
//   - Empty lists and maps come back mangled: empty values are left out.
//   - Numbers in expressions are float64: times are compared as strings.
//   - It accepts what DynamoDB rejects (a BETWEEN with reversed bounds, a
//     consistent read on a GSI): the adapter never sends either.
package dynamo
