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

// ClaimAmount computes a claim's amount from its details, capped by what is
// refundable, with a note saying how; invalid details are recorded in v.
func ClaimAmount(cd *ClaimDetails, lines []CaseLine, refundable int64, v *Validation) (int64, string) {
	var qty int
	for _, l := range lines {
		qty += l.Quantity
	}
	switch {
	case cd.SpoiledQuantity > 0 && cd.SpoiledWeight > 0:
		v.Add("claim", "give spoiled_quantity or spoiled_weight, not both")
	case cd.SpoiledQuantity > 0:
		if v.Check(cd.SpoiledQuantity <= qty, "claim.spoiled_quantity", "must be at most %d, the claimed quantity", qty) {
			return ProRata(refundable, cd.SpoiledQuantity, qty), fmt.Sprintf("%d of %d spoiled", cd.SpoiledQuantity, qty)
		}
	case cd.SpoiledWeight > 0:
		if v.Check(cd.TotalWeight >= cd.SpoiledWeight, "claim.total_weight", "must be at least the spoiled weight") {
			return refundable * cd.SpoiledWeight / cd.TotalWeight, fmt.Sprintf("%d g of %d g spoiled", cd.SpoiledWeight, cd.TotalWeight)
		}
	default:
		v.Add("claim", "give spoiled_quantity, or spoiled_weight with total_weight")
	}
	return 0, ""
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
