// Package dynamo is the DynamoDB adapter of the after-sales domain: one
// Store implements aftersales.CaseStore, IdempotencyStore, OrderStore,
// RefundStore, NotificationStore, ReviewJobStore, RuleSetStore, InboxStore,
// DeliveryStore and OutboxStore on a
// single table. The CDK stack and the local stack create the table as
// TableSchema describes it; this comment is the reference for both.
//
// # Keys
//
// The table has string keys pk (partition) and sk (sort):
//
//	item             pk                          sk                    notes
//	case             CASE#<case id>              CASE                    the whole case but its timeline; list index keys
//	timeline entry   CASE#<case id>              EVT#<seq, 10 digits>    immutable; seq = the case version it produced
//	refund           CASE#<case id>              REFUND#<out_refund_no>  the whole refund, shares as a map; ledger list keys
//	order snapshot   ORDER#<order id>            ORDER                   the mall's snapshot (version, event_id), lines without ledger
//	order line       ORDER#<order id>            LINE#<line id>          ledger: paid_amount, quantity, refunded, active_case, order_version
//	idempotency      IDEM#<scope>#<key>          IDEM                    TTL; '#' and '%' of the scope are %-escaped
//	webhook receipt  HOOK#<provider>#<id>        HOOK                    TTL 30 days; the provider %-escaped like a scope
//	declared upload  UPLOAD#<evidence id>        UPLOAD                  TTL
//	quota            QUOTA#<quota key>           QUOTA                   TTL; taken, a count (see quota.go)
//	review job       JOB#<job id>                JOB, ITEM#<case id>     see jobs.go
//	rule set         RULESET                     V#<version, 10 digits>  see rulesets.go
//	inbox item       INBOX#<recipient>           NOTE#<id>, UNREAD       see inbox.go; listed on GSI1
//	send record      SEND#<event id>#<channel>   SEND                    see inbox.go; TTL 30 days
//	photo hash       PHASH#<band>#<4 hex>        EV#<evidence id>        one per band of a photo's hash; see photohash.go
//	outbox event     OUTBOX#<0..7>               <at>#<event id>         a domain event to publish; see outbox.go
//
// Every item has an entity attribute (case, event, refund, order, line,
// idem, hook, upload, quota, review_job, review_item, ruleset, outbox) so that exports and
// streams can tell items apart without parsing keys. Refund keys sort after
// the timeline (EVT$), so reading a case never reads its refunds. Times are strings in UTC with nine fraction digits
// (2006-01-02T15:04:05.000000000Z), so that they sort as instants do.
// Amounts are integer minor units.
//
// # Global secondary indexes
//
// All three project ALL attributes (a list page is made of whole cases or
// whole refunds) and share the sort key gsisk = <created_at>#<id> (the case
// id, or the refund's out_refund_no), which orders every list newest first
// when read backwards and gives ties a stable order. Only case and refund
// items carry these attributes, each under partition keys of its own, so
// the ledger needs no index of its own:
//
//	index  partition key                          serves
//	GSI1   gsi1pk = BUYER#<buyer id>              a buyer's cases
//	       gsi1pk = REFUNDS_BY_ORDER#<order id>   an order's refunds
//	GSI2   gsi2pk = STATUS#<status>#<0..7>        the staff queue of one status
//	       gsi2pk = REFUNDS_BY_PHONE#<phone>      the refunds of a buyer's phone
//	GSI3   gsi3pk = CASES#<0..7>                  the staff list of every status
//	       gsi3pk = REFUNDS#<0..7>                the whole ledger (date ranges)
//
// The shard (0..StatusShards-1) is an FNV-1a hash of the case id (of the
// out_refund_no for refunds), so that a promotion-day burst spreads over
// eight partitions; lists query the eight and merge them. Creation-time
// ranges are key conditions on gsisk; other filters are filter expressions.
// Case and refund items are always written whole (Put), so a change of
// status moves a case between GSI2 partitions by itself. A refund without
// an order id or phone has no GSI1 or GSI2 key and is in those lists under
// no key at all.
//
// TTL is enabled on expires_at (epoch seconds, rounded up). DynamoDB deletes
// expired items days late and minidyn never does, so reads compare the exact
// expires attribute with the clock, and a create overwrites an expired
// idempotency record (or webhook receipt) instead of being blocked by it.
//
// # Invariants kept by the database
//
//   - ClaimIdempotency puts the claim of a request on its key unless a live
//     record exists; ReleaseIdempotency deletes it on condition that it is
//     still that request's claim (case_id, status_code 0).
//   - CreateCase is one transaction: the idempotency record (if any) unless
//     a live record of another request exists (one whose case_id is not
//     this case's), every named line item on condition that it exists
//     and is free (no active_case, or an empty one), the case item and its
//     timeline entries on condition that they do not exist.
//   - UpdateCase is one transaction: the case item on condition that its
//     version is the one read, the new timeline entries on condition that
//     they do not exist, and, when the change ended the case, the release of
//     its line items (active_case set to "") on condition that this case
//     held them. It never writes refunded: only refunds book the ledger.
//   - CreateCase and UpdateCase put the events the change raised
//     (Case.Raised) as outbox items in their transaction, unconditionally
//     (an event of the same id is the same fact): an event exists if and
//     only if its change does. Only MarkPublished deletes one; outbox items
//     have no TTL.
//   - BeginRefund is one transaction: the refund item on condition that it
//     does not exist, and for every line with a positive share, ADD share
//     to refunded on condition that paid_amount = :paid AND paid_amount >=
//     :share AND (attribute_not_exists(refunded) OR refunded <= :paid -
//     :share), :paid being the paid amount read just before (expressions
//     cannot add, so the bound is computed by the client and the value it
//     was computed from is pinned). Refunds can never take a line past what
//     was paid, however many race: the loser's condition sees the winner's
//     booking. A missing line fails the condition too.
//   - UpdateRefund is one transaction: the refund item on condition that its
//     status is the one read, and, when it closes an open (requested or
//     processing) refund, ADD -share to refunded of each line on condition
//     that refunded >= share. A closed refund never changes status again.
//   - RecordNotification puts the receipt on condition that none exists or
//     the stored one has expired.
//   - PutOrder never writes refunded or active_case of an existing line item.
//     It puts the snapshot on condition that none exists or the stored one
//     has a lower version (none: 0) and another event_id, and carries that
//     condition into each of its transactions (a ConditionCheck before the
//     last); each line item on condition that its order_version is not
//     above the snapshot's. An older snapshot never overwrites a newer one,
//     however they race (ErrOrderNotNewer).
//
// A transaction holds at most 100 writes, so a case names at most 97 lines
// and a refund touches at most 99.
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
