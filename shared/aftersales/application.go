package aftersales

import "fmt"

// Application is a buyer's request to open a case (F2).
type Application struct {
	OrderID     string
	Type        CaseType
	Reason      string
	Description string
	Lines       []LineRequest
	Amount      *int64 // nil: the refundable amount of the lines
	RefundTo    RefundDestination
	EvidenceIDs []string
	Claim       *ClaimDetails // claims: what was damaged, from which the amount is computed (F16)
}

// LineRequest names an order line and how many of its units the case is about.
type LineRequest struct {
	LineID   string
	Quantity int
}

// MaxDescriptionRunes bounds the free text of an application and of staff
// notes.
const MaxDescriptionRunes = 500

// MaxCaseLines bounds the order lines one case names: more than any real
// return, and within what one store transaction can hold a line for
// (shared/dynamo: at most 97).
const MaxCaseLines = 50

// ClaimDetails say how much of the claimed goods is affected: a count of
// spoiled items, or a spoiled weight out of the delivered weight ("5 jin of
// strawberries, 1 jin bad: 20%").
type ClaimDetails struct {
	SpoiledQuantity int
	SpoiledWeight   int64 // grams
	TotalWeight     int64 // grams
}

// MaxClaimWeight bounds the weights of a claim: 10^8 g, a hundred tonnes,
// far above any parcel a buyer receives. Weights are refused above it, not
// trusted: a claim's amount must come from quantities a buyer can have.
const MaxClaimWeight int64 = 100_000_000

// ClaimAmount computes a claim's amount from its details, capped by what is
// refundable, with a note saying how; invalid details are recorded in v,
// and so are details that make the claim worth nothing (less than one
// minor unit), since a claim of nothing cannot be paid.
func ClaimAmount(cd *ClaimDetails, lines []CaseLine, refundable int64, v *Validation) (int64, string) {
	var qty int
	for _, l := range lines {
		qty += l.Quantity
	}
	var amount int64
	var field, note string
	switch byQty, byWeight := cd.SpoiledQuantity != 0, cd.SpoiledWeight != 0 || cd.TotalWeight != 0; {
	case byQty && byWeight:
		v.Add("claim", "give spoiled_quantity or spoiled_weight, not both")
		return 0, ""
	case byQty:
		field = "claim.spoiled_quantity"
		if !v.Check(cd.SpoiledQuantity >= 1 && cd.SpoiledQuantity <= qty, field, "must be between 1 and %d, the claimed quantity", qty) {
			return 0, ""
		}
		amount, note = ProRata(refundable, cd.SpoiledQuantity, qty), fmt.Sprintf("%d of %d spoiled", cd.SpoiledQuantity, qty)
	case byWeight:
		field = "claim.spoiled_weight"
		upper := MaxClaimWeight
		totalOK := v.Check(cd.TotalWeight >= 1 && cd.TotalWeight <= MaxClaimWeight, "claim.total_weight", "must be between 1 and %d grams", MaxClaimWeight)
		if totalOK {
			upper = cd.TotalWeight
		}
		spoiledOK := v.Check(cd.SpoiledWeight >= 1 && cd.SpoiledWeight <= upper, field, "must be between 1 and %d grams, and at most total_weight", upper)
		if !totalOK || !spoiledOK {
			return 0, ""
		}
		amount, note = Share(refundable, cd.SpoiledWeight, cd.TotalWeight), fmt.Sprintf("%d g of %d g spoiled", cd.SpoiledWeight, cd.TotalWeight)
	default:
		v.Add("claim", "give spoiled_quantity, or spoiled_weight with total_weight")
		return 0, ""
	}
	if !v.Check(amount > 0, field, "is too small a share: %s of %d (minor units) is worth less than one minor unit", note, refundable) {
		return 0, ""
	}
	return amount, note
}

// IdempotentRequest makes case creation idempotent on a client key: Render
// turns the created case into the response remembered for replays.
type IdempotentRequest struct {
	Key         string
	RequestHash string
	Render      func(*Case) (status int, body []byte, err error)
}

// CreateResult is the outcome of opening a case: a new case, or the
// remembered response of an earlier identical request.
type CreateResult struct {
	Case     *Case
	Replayed *IdempotencyRecord
	// EnqueueErr is set when the case was written but could not be handed
	// to the workflow; the sweeper will hand it over later, so the request
	// still succeeded.
	EnqueueErr error
}
