package apigw

import (
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// The wire shapes of docs/API.md. They live here, not on domain types, so the
// domain can change its fields without breaking clients and vice versa.

type caseJSON struct {
	ID          string         `json:"id"`
	OrderID     string         `json:"order_id"`
	BuyerID     string         `json:"buyer_id"`
	ShopID      string         `json:"shop_id,omitempty"`
	Type        string         `json:"type"`
	Reason      string         `json:"reason"`
	Description string         `json:"description"`
	Lines       []caseLineJSON `json:"lines"`
	Requested   int64          `json:"requested_amount"`
	Approved    int64          `json:"approved_amount"`
	Refunded    int64          `json:"refunded_amount"`
	Currency    string         `json:"currency"`
	RefundTo    string         `json:"refund_to"`
	Status      string         `json:"status"`
	Version     int            `json:"version"`
	Evidence    []evidenceJSON `json:"evidence"`
	Decision    *decisionJSON  `json:"decision"`
	Next        *nextJSON      `json:"next"`
	Timeline    []timelineJSON `json:"timeline,omitempty"`
	Return      *shipmentJSON  `json:"return,omitempty"`
	Condition   string         `json:"return_condition,omitempty"`
	Replacement *shipmentJSON  `json:"replacement,omitempty"`
	Pickup      *pickupJSON    `json:"pickup,omitempty"`
	// Interception is the interception of the order's parcel (F30).
	Interception *interceptionJSON `json:"interception,omitempty"`
	Dispute      *disputeJSON      `json:"dispute,omitempty"`
	Charges      *chargesJSON      `json:"charges,omitempty"`
	// Bundle and Components link the cases one application returning a
	// bundle was split into (F20); each shows its own progress.
	Bundle     string    `json:"bundle,omitempty"`
	Components []string  `json:"components,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type shipmentJSON struct {
	Courier        string    `json:"courier"`
	TrackingNumber string    `json:"tracking_number"`
	At             time.Time `json:"at"`
	// The courier's tracking (issue 15), when the parcel is followed.
	Tracked     bool      `json:"tracked,omitempty"`
	Phase       string    `json:"phase,omitempty"`
	Scan        string    `json:"scan,omitempty"`
	CollectedAt time.Time `json:"collected_at,omitzero"`
	MovedAt     time.Time `json:"moved_at,omitzero"`
}

func toShipmentJSON(sh *aftersales.Shipment) *shipmentJSON {
	if sh == nil {
		return nil
	}
	return &shipmentJSON{Courier: sh.Courier, TrackingNumber: sh.TrackingNumber, At: sh.At.UTC(), Tracked: sh.Tracked,
		Phase: string(sh.Phase), Scan: sh.Scan, CollectedAt: sh.CollectedAt.UTC(), MovedAt: sh.MovedAt.UTC()}
}

type caseLineJSON struct {
	LineID   string `json:"line_id"`
	SKU      string `json:"sku"`
	Name     string `json:"name,omitempty"`
	Kind     string `json:"kind"`
	Category string `json:"category,omitempty"`
	Quantity int    `json:"quantity"`
	Amount   int64  `json:"amount"`
}

type evidenceJSON struct {
	ID          string   `json:"id"`
	ContentType string   `json:"content_type"`
	Size        int64    `json:"size"`
	Status      string   `json:"status"`
	Checks      []string `json:"checks,omitempty"`
	ReusedFrom  string   `json:"reused_from,omitempty"`
	Slot        string   `json:"slot,omitempty"`
	// ViewURL is a presigned GET of the file, in the case view only.
	ViewURL       string     `json:"view_url,omitempty"`
	ThumbnailURL  string     `json:"thumbnail_url,omitempty"`
	ViewExpiresAt *time.Time `json:"view_expires_at,omitempty"`
}

type decisionJSON struct {
	Outcome        string `json:"outcome"`
	By             string `json:"by"`
	RuleID         string `json:"rule_id,omitempty"`
	RuleSetVersion int    `json:"ruleset_version,omitempty"`
	Reason         string `json:"reason,omitempty"`
}

type nextJSON struct {
	Actor     string     `json:"actor"`
	Action    string     `json:"action"`
	Deadline  *time.Time `json:"deadline,omitempty"`
	DefaultAt *time.Time `json:"default_at,omitempty"`
}

type timelineJSON struct {
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Note   string    `json:"note"`
}

func toCaseJSON(c *aftersales.Case) caseJSON {
	out := caseJSON{
		ID: c.ID, OrderID: c.OrderID, BuyerID: c.BuyerID, ShopID: c.ShopID, Type: string(c.Type), Reason: c.Reason,
		Description: c.Description, Requested: c.Requested, Approved: c.Approved, Refunded: c.Refunded,
		Currency: c.Currency, RefundTo: string(c.RefundTo), Status: string(c.Status), Version: c.Version,
		Lines: make([]caseLineJSON, 0, len(c.Lines)), Evidence: make([]evidenceJSON, 0, len(c.Evidence)),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
		Return: toShipmentJSON(c.Return), Condition: c.ReturnCondition, Replacement: toShipmentJSON(c.Replacement),
		Pickup:       toPickupJSON(c.Pickup),
		Interception: toInterceptionJSON(c.Interception),
		Dispute:      toDisputeJSON(c.Dispute), Charges: toChargesJSON(c.Charges), Bundle: c.Bundle, Components: c.Components,
	}
	for _, l := range c.Lines {
		out.Lines = append(out.Lines, caseLineJSON{l.LineID, l.SKU, l.Name, string(l.Kind), l.Category, l.Quantity, l.Amount})
	}
	for _, e := range c.Evidence {
		out.Evidence = append(out.Evidence, evidenceJSON{ID: e.ID, ContentType: e.ContentType, Size: e.Size, Status: e.Status,
			Checks: e.Checks, ReusedFrom: e.ReusedFrom, Slot: e.Slot})
	}
	if d := c.Decision; d != nil {
		out.Decision = &decisionJSON{d.Outcome, d.By, d.RuleID, d.RuleSetVersion, d.Reason}
	}
	if n := c.Next(); n != nil {
		out.Next = &nextJSON{Actor: string(n.Actor), Action: n.Action}
		if !n.Deadline.IsZero() {
			d := n.Deadline.UTC()
			out.Next.Deadline = &d
		}
		if !n.DefaultAt.IsZero() {
			d := n.DefaultAt.UTC()
			out.Next.DefaultAt = &d
		}
	}
	for _, e := range c.Timeline {
		out.Timeline = append(out.Timeline, timelineJSON{e.Seq, e.At.UTC(), e.Actor, string(e.Action), string(e.From), string(e.To), e.Note})
	}
	return out
}

// chargesJSON are a return's fees and perks (F29, F24), shown before the
// buyer ships.
type chargesJSON struct {
	ReturnShippingPaidBy string `json:"return_shipping_paid_by"`
	// ReturnPostageCap is the most the merchant reimburses of the return
	// postage; absent when it pays in full or does not pay.
	ReturnPostageCap   int64  `json:"return_postage_cap,omitempty"`
	FreeReturnShipping bool   `json:"free_return_shipping"`
	RestockingFee      int64  `json:"restocking_fee"`
	RestockingNote     string `json:"restocking_note,omitempty"`
	// RestockingDeducted is the fee taken off the refund, once it was made.
	RestockingDeducted int64 `json:"restocking_deducted"`
	// PostagePaid is the return postage the buyer stated with the waybill;
	// PostageReimbursed what the merchant pays back of it with the refund
	// (F29). Absent until stated (and when 0).
	PostagePaid       int64 `json:"postage_paid,omitempty"`
	PostageReimbursed int64 `json:"postage_reimbursed,omitempty"`
}

func toChargesJSON(ch *aftersales.Charges) *chargesJSON {
	if ch == nil {
		return nil
	}
	return &chargesJSON{ReturnShippingPaidBy: string(ch.ReturnShippingPaidBy), ReturnPostageCap: ch.ReturnPostageCap,
		FreeReturnShipping: ch.FreeReturnShipping, RestockingFee: ch.RestockingFee, RestockingNote: ch.RestockingNote,
		RestockingDeducted: ch.Deducted, PostagePaid: ch.PostagePaid, PostageReimbursed: ch.PostageReimbursed}
}

type pageJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Request bodies. A list field's `max` tag bounds its items, checked by
// decode before anything else is done with the body (the domain's limits:
// TestListLimitsAreTheDomains pins each to its constant).

type createCaseRequest struct {
	OrderID     string            `json:"order_id"`
	Type        string            `json:"type"`
	Reason      string            `json:"reason"`
	Description string            `json:"description,omitempty"`
	Lines       []lineRequestJSON `json:"lines" max:"50"`
	Amount      *int64            `json:"amount,omitempty"`
	RefundTo    string            `json:"refund_to,omitempty"`
	Evidence    []string          `json:"evidence,omitempty" max:"9"`
	Claim       *claimJSON        `json:"claim,omitempty"`
}

type claimJSON struct {
	SpoiledQuantity int   `json:"spoiled_quantity,omitempty"`
	SpoiledWeight   int64 `json:"spoiled_weight,omitempty"`
	TotalWeight     int64 `json:"total_weight,omitempty"`
}

type lineRequestJSON struct {
	LineID   string `json:"line_id"`
	Quantity int    `json:"quantity"`
}

func (r createCaseRequest) application() aftersales.Application {
	app := aftersales.Application{
		OrderID: r.OrderID, Type: aftersales.CaseType(r.Type), Reason: r.Reason, Description: r.Description,
		Amount: r.Amount, RefundTo: aftersales.RefundDestination(r.RefundTo), EvidenceIDs: r.Evidence,
	}
	for _, l := range r.Lines {
		app.Lines = append(app.Lines, aftersales.LineRequest{LineID: l.LineID, Quantity: l.Quantity})
	}
	if c := r.Claim; c != nil {
		app.Claim = &aftersales.ClaimDetails{SpoiledQuantity: c.SpoiledQuantity, SpoiledWeight: c.SpoiledWeight, TotalWeight: c.TotalWeight}
	}
	return app
}

type uploadsRequest struct {
	Files []struct {
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		Slot        string `json:"slot,omitempty"`
	} `json:"files" max:"9"`
}

type uploadJSON struct {
	EvidenceID string            `json:"evidence_id"`
	URL        string            `json:"url"`
	Method     string            `json:"method"`
	Headers    map[string]string `json:"headers"`
	ExpiresAt  time.Time         `json:"expires_at"`
}

type attachRequest struct {
	EvidenceIDs []string `json:"evidence_ids" max:"9"`
}

type reasonJSON struct {
	Code             string `json:"code"`
	Type             string `json:"type"`
	LabelZH          string `json:"label_zh"`
	LabelEN          string `json:"label_en"`
	EvidenceRequired bool   `json:"evidence_required"`
}
