package dynamo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key attributes of the table and of its global secondary indexes. The CDK
// stack declares the same names; TestTableSchema pins them.
const (
	AttrPK = "pk"
	AttrSK = "sk"

	AttrGSI1PK = "gsi1pk" // BUYER#<buyer id>; refunds: REFUNDS_BY_ORDER#<order id>
	AttrGSI2PK = "gsi2pk" // STATUS#<status>#<shard>; refunds: REFUNDS_BY_PHONE#<phone>
	AttrGSI3PK = "gsi3pk" // CASES#<shard>; refunds: REFUNDS#<shard>
	// AttrGSISK is the sort key of all three indexes: an item's creation
	// time and id (aftersales.ListPosition), so every list reads newest first
	// in one order.
	AttrGSISK = "gsisk"

	// AttrTTL holds the epoch second after which DynamoDB may delete an
	// item (idempotency records, webhook receipts, declared uploads). The
	// stack enables TTL on it; code never relies on the deletion, which is
	// lazy.
	AttrTTL = "expires_at"
)

// Index names. Refund items reuse the indexes under partition keys of their
// own (see doc.go), so the names say what they serve for cases.
const (
	IndexBuyer    = "GSI1" // a buyer's cases, newest first; an order's refunds
	IndexStatus   = "GSI2" // the staff queue of one status, sharded; a phone's refunds
	IndexAllCases = "GSI3" // every case, sharded, for the staff list without a status; every refund, sharded
)

// StatusShards is the number of partitions of each status in GSI2 (and of
// GSI3). Eight spreads a promotion-day burst of new cases while keeping a
// list at eight queries; changing it moves every case to new partitions, so
// it needs a backfill.
const StatusShards = 8

// maxTransaction is DynamoDB's limit of writes in one TransactWriteItems.
const maxTransaction = 100

// Item attributes that are not keys. Names are lower snake case like the
// API's JSON; reserved words (status, type, version, ...) are always written
// through expression attribute names.
const (
	attrEntity       = "entity" // what the item is: case, event, refund, order, line, idem, hook, upload, ...
	attrID           = "id"
	attrOrderID      = "order_id"
	attrBuyerID      = "buyer_id"
	attrShopID       = "shop_id"
	attrCaseType     = "case_type"
	attrReason       = "reason"
	attrDescription  = "description"
	attrLines        = "lines"
	attrLineKinds    = "line_kinds" // string set of the kinds of the case's lines (staff filter)
	attrCurrency     = "currency"
	attrRequested    = "requested"
	attrApproved     = "approved"
	attrRefunded     = "refunded"
	attrRefundTo     = "refund_to"
	attrStatus       = "status"
	attrVersion      = "version"
	attrEventID      = "event_id"      // the mall's event that carried an order snapshot
	attrOrderVersion = "order_version" // the snapshot version that last wrote an order line item
	attrEvidence     = "evidence"
	attrDecision     = "decision"
	attrWaitingFor   = "waiting_for"
	attrTaskToken    = "task_token"
	attrDeadline     = "deadline"
	attrCreatedAt    = "created_at"
	attrUpdatedAt    = "updated_at"
	attrCaseID       = "case_id"
	attrSeq          = "seq"
	attrAt           = "at"
	attrActor        = "actor"
	attrAction       = "action"
	attrFromStatus   = "from_status"
	attrToStatus     = "to_status"
	attrNote         = "note"
	attrLineID       = "line_id"
	attrSKU          = "sku"
	attrName         = "name"
	attrKind         = "kind"
	attrCategory     = "category"
	attrBundle       = "bundle"
	attrComponents   = "components" // the other cases of a bundle's application (F20)
	// F19: a presale order's payments, a presale case's refunds.
	attrPresale         = "presale"
	attrDeposit         = "deposit"
	attrDepositPaidAt   = "deposit_paid_at"
	attrBalance         = "balance"
	attrBalancePaidAt   = "balance_paid_at"
	attrTranches        = "tranches"
	attrStage           = "stage"
	attrRedeemed        = "redeemed"
	attrReturn          = "return_shipment"
	attrReturnCondition = "return_condition"
	attrPromisedBy      = "promised_by"
	attrRemindedFor     = "reminded_for"
	attrReplacement     = "replacement"
	attrCourier         = "courier"
	attrTracking        = "tracking_number"
	attrTracked         = "tracked"      // 1 when the courier aggregator follows the parcel (issue 15)
	attrPhase           = "phase"        // the parcel's newest scan, as a phase
	attrScan            = "scan"         // the parcel's newest scan's text
	attrCollectedAt     = "collected_at" // when the courier collected the parcel
	attrMovedAt         = "moved_at"     // the parcel's newest scan's time
	attrAlertedAt       = "alerted_at"   // when a stalled parcel was last reported
	attrPickup          = "pickup"       // a courier pickup of the return (F21)
	attrOutbound        = "outbound"     // an order's parcel to the buyer (F30)
	attrInterception    = "interception" // the interception of that parcel (F30)
	attrRequestedAt     = "requested_at"
	attrRefundAt        = "refund_at"
	attrTaskID          = "task_id"
	attrAddress         = "address"
	attrWindowStart     = "window_start"
	attrWindowEnd       = "window_end"
	attrLevel           = "level"
	attrQuantity        = "quantity"
	attrAmount          = "amount"
	attrUnitPrice       = "unit_price"
	attrPaidAmount      = "paid_amount"
	attrDiscount        = "discount"
	attrActiveCase      = "active_case"
	attrContentType     = "content_type"
	attrSize            = "size"
	attrChecks          = "checks"      // the verification's findings of an evidence file (issue 16)
	attrReusedFrom      = "reused_from" // the case whose photo an evidence file nearly duplicates
	attrThumbnail       = "thumbnail"   // 1 when an evidence photo has a thumbnail, left out otherwise
	attrLabels          = "labels"      // what image recognition saw on an evidence photo
	attrDamage          = "damage"      // 1 when image recognition saw damage, left out otherwise
	attrPhotoHash       = "phash"       // a photo's perceptual hash, 16 hex digits
	attrOutcome         = "outcome"
	attrBy              = "by"
	attrRuleID          = "rule_id"
	attrRuleSetVer      = "ruleset_version"
	attrBuyerPhone      = "buyer_phone"
	attrPaidAt          = "paid_at"
	attrShippedAt       = "shipped_at"
	attrDeliveredAt     = "delivered_at"
	attrPayment         = "payment"
	attrChannel         = "channel"
	attrTransaction     = "transaction_id"
	attrMemberTier      = "member_tier"
	attrFees            = "fees"
	attrShipping        = "shipping"
	attrTariff          = "tariff"
	attrScope           = "scope"
	attrKey             = "idem_key"
	attrRequestHash     = "request_hash"
	attrStatusCode      = "status_code"
	attrResponse        = "response"
	attrExpires         = "expires" // exact expiry (timeLayout), compared in conditions
	attrObjectKey       = "object_key"
	attrRefundSeq       = "refund_seq"
	attrRefundFailed    = "refund_failed" // 1 when set, left out otherwise
	attrRefundManual    = "refund_manual" // 1 when set, left out otherwise
	attrOutRefundNo     = "out_refund_no"
	attrShares          = "shares" // map line id -> amount booked on it
	attrDestination     = "destination"
	attrOrderTotal      = "order_total"
	attrProviderRefund  = "provider_refund_id"
	attrAccount         = "account"
	attrQueries         = "queries"
	attrApprovedBy      = "approved_by"
	attrApprovedAt      = "approved_at"
	attrArrivedAt       = "arrived_at"
	attrPaidBy          = "paid_by" // who marked a manual refund paid
	attrSandbox         = "sandbox" // 1 when a sandbox route answered, left out otherwise
	attrProvider        = "provider"
	attrNotificationID  = "notification_id"
	attrDecisionOf      = "decision_kind" // a review job's decision
	attrByID            = "by_id"
	attrByRoles         = "by_roles"
	attrTotal           = "total"
	attrSucceeded       = "succeeded"
	attrFailed          = "failed"
	attrFailure         = "failure"
	attrKnownFailures   = "known_failures" // a review job's failures known at its start
	attrDocument        = "document"       // a rule set's JSON document
	attrUpdatedBy       = "updated_by"
	attrDispute         = "dispute"
	// A case's charges (F29).
	attrCharges        = "charges"
	attrShippingPaidBy = "shipping_paid_by"
	attrPostageCap     = "postage_cap"
	attrFreeShipping   = "free_shipping"
	attrRestockingFee  = "restocking_fee"
	attrRestockingNote = "restocking_note"
	attrDeducted       = "deducted"
	attrPostagePaid    = "postage_paid"
	attrPostageRepaid  = "postage_reimbursed"
	attrSlot           = "slot" // an evidence file's named slot (F16)
	attrProposals      = "proposals"
	attrOpenedAt       = "opened_at"
	attrAnsweredAt     = "answered_at"
	attrEvidenceIDs    = "evidence_ids"
	attrParty          = "party"
	attrText           = "text"
	attrPrevHash       = "prev_hash"
	attrHash           = "hash"
	entityCase         = "case"
	entityEvent        = "event"
	entityOrder        = "order"
	entityLine         = "line"
	entityIdempotent   = "idem"
	entityUpload       = "upload"
	entityRefund       = "refund"
	entityHook         = "hook"
	entityJob          = "review_job"
	entityJobItem      = "review_item"
	entityRuleSet      = "ruleset"
	entityMessage      = "message"
)

// lineFree is the active_case of a line whose case has ended. Releasing a
// line sets it rather than removing the attribute because minidyn ignores
// REMOVE in update expressions; a line item that never had a case has no
// active_case at all, and both read as free.
const lineFree = ""

// Key values and prefixes.
const (
	skCase   = "CASE"
	skOrder  = "ORDER"
	skIdem   = "IDEM"
	skUpload = "UPLOAD"
	skHook   = "HOOK"
	skJob    = "JOB"
	// pkRuleSet is the one partition of rule set versions.
	pkRuleSet = "RULESET"
	evtPfx    = "EVT#"
	linePfx   = "LINE#"
	// refundPfx sorts after evtEnd, so reading a case and its timeline never
	// reads its refunds.
	refundPfx = "REFUND#"
	// evtEnd sorts after every EVT# key ('$' follows '#'), bounding the
	// query that reads a case and its timeline.
	evtEnd = "EVT$"
	// jobItemPfx begins the sort keys of a review job's results.
	jobItemPfx = "ITEM#"
	ruleSetPfx = "V#"
	// msgPfx begins the sort keys of a case's dispute thread; it sorts
	// after evtEnd, so reading a case never reads its thread.
	msgPfx = "MSG#"
)

func casePK(id string) string   { return "CASE#" + id }
func orderPK(id string) string  { return "ORDER#" + id }
func uploadPK(id string) string { return "UPLOAD#" + id }
func lineSK(id string) string   { return linePfx + id }
func refundSK(no string) string { return refundPfx + no }
func jobPK(id string) string    { return "JOB#" + id }

// ruleSetSK zero-pads the version so that keys sort as versions do.
func ruleSetSK(v int) string { return fmt.Sprintf("%s%010d", ruleSetPfx, v) }

// messageSK zero-pads the thread position so that keys sort as numbers do.
func messageSK(seq int) string { return fmt.Sprintf("%s%010d", msgPfx, seq) }

// eventSK zero-pads the sequence so that keys sort as numbers do.
func eventSK(seq int) string { return fmt.Sprintf("%s%010d", evtPfx, seq) }

// idemScopeEscaper keeps '#' out of the scope so that the boundary between
// scope and key is unambiguous: without it buyer "a" with key "b#c" and
// buyer "a#b" with key "c" would share a record.
var idemScopeEscaper = strings.NewReplacer("%", "%25", "#", "%23")

func idemPK(scope, key string) string {
	return "IDEM#" + idemScopeEscaper.Replace(scope) + "#" + key
}

// hookPK escapes the provider as idemPK escapes a scope, so that provider
// "a#b" with id "c" and provider "a" with id "b#c" keep apart.
func hookPK(provider, id string) string {
	return "HOOK#" + idemScopeEscaper.Replace(provider) + "#" + id
}

func buyerPK(buyer string) string { return "BUYER#" + buyer }

// Refund partitions of the list indexes. Their prefixes differ from every
// case partition (BUYER#, STATUS#, CASES#), so a case list never meets a
// refund and the other way round.
func refundsByOrderPK(order string) string { return "REFUNDS_BY_ORDER#" + order }
func refundsByPhonePK(phone string) string { return "REFUNDS_BY_PHONE#" + phone }
func allRefundsPK(shard int) string        { return "REFUNDS#" + strconv.Itoa(shard) }

func statusPK(status string, shard int) string {
	return "STATUS#" + status + "#" + strconv.Itoa(shard)
}

func allCasesPK(shard int) string { return "CASES#" + strconv.Itoa(shard) }

// shardOf spreads cases (and refunds) over the index partitions by a hash of
// their id, so that a promotion-day burst of new cases writes StatusShards
// partitions of the "submitted" queue instead of one hot partition.
func shardOf(caseID string) int {
	h := fnv.New32a()
	h.Write([]byte(caseID))
	return int(h.Sum32() % StatusShards)
}

// TableSchema describes the single table: string keys pk/sk, three GSIs
// projecting all attributes (list pages carry whole cases), on-demand
// billing. TTL on AttrTTL is a separate call (UpdateTimeToLive), made by
// CreateTable.
func TableSchema(table string) *dynamodb.CreateTableInput {
	key := func(pk, sk string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		}
	}
	gsi := func(name, pk string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName:  aws.String(name),
			KeySchema:  key(pk, AttrGSISK),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	var defs []types.AttributeDefinition
	for _, a := range []string{AttrPK, AttrSK, AttrGSI1PK, AttrGSI2PK, AttrGSI3PK, AttrGSISK} {
		defs = append(defs, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
	}
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: defs,
		KeySchema:            key(AttrPK, AttrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			gsi(IndexBuyer, AttrGSI1PK),
			gsi(IndexStatus, AttrGSI2PK),
			gsi(IndexAllCases, AttrGSI3PK),
		},
	}
}

// CreateTable creates the table as TableSchema describes it. It is for the
// local stack and tests; in AWS the CDK stack owns the table. It fails if the
// table exists, so that a stale schema is never silently reused.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	if _, err := client.CreateTable(ctx, TableSchema(table)); err != nil {
		return fmt.Errorf("dynamo: create table %s: %w", table, err)
	}
	// As the deployed table: expired idempotency records, quota items and
	// receipts are collected by DynamoDB (reads check expiry themselves).
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(AttrTTL), Enabled: aws.Bool(true)}})
	if err != nil {
		return fmt.Errorf("dynamo: enable TTL on %s: %w", table, err)
	}
	return nil
}
