package aftersales

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Service is the case application service: what the API does with cases,
// written against the ports so that every entry point (HTTP, tasks, the local
// stack) shares one implementation.
type Service struct {
	Cases       CaseStore
	Orders      OrderStore
	Idempotency IdempotencyStore
	Evidence    EvidenceStore
	Clock       Clock
	IDs         IDGenerator

	// The workflow's ports.
	Rules   RuleSetStore
	Waits   Waits
	Intake  Intake
	Reviews ReviewQueue
	Jobs    ReviewJobStore

	// The refund ports (F11-F13): the ledger, the payment routes by
	// channel (wechatpay, alipay, balance), and provider notification
	// receipts.
	Refunds       RefundStore
	Payments      map[PaymentChannel]RefundProvider
	Notifications NotificationStore
	Notices       NoticeQueue
	Events        EventPublisher // domain events; nil publishes none
}

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

// ClaimDetails say how much of the claimed goods is affected: a count of
// spoiled items, or a spoiled weight out of the delivered weight ("5 jin of
// strawberries, 1 jin bad: 20%").
type ClaimDetails struct {
	SpoiledQuantity int
	SpoiledWeight   int64 // grams
	TotalWeight     int64 // grams
}

// claimAmount computes a claim's amount from its details, capped by what is
// refundable; ok is false when the details are invalid (recorded in v).
func claimAmount(cd *ClaimDetails, lines []CaseLine, refundable int64, v *Validation) (int64, string) {
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

// LineRequest names an order line and how many of its units the case is about.
type LineRequest struct {
	LineID   string
	Quantity int
}

// IdempotentRequest makes CreateCase idempotent on a client key: Render turns
// the created case into the response remembered for replays.
type IdempotentRequest struct {
	Key         string
	RequestHash string
	Render      func(*Case) (status int, body []byte, err error)
}

// CreateResult is the outcome of CreateCase: a new case, or the remembered
// response of an earlier identical request.
type CreateResult struct {
	Case     *Case
	Replayed *IdempotencyRecord
	// EnqueueErr is set when the case was written but could not be handed
	// to the workflow; the sweeper will hand it over later, so the request
	// still succeeded.
	EnqueueErr error
}

// MaxDescriptionRunes bounds the free text of an application.
const MaxDescriptionRunes = 500

// CreateCase opens a case for the buyer p. It validates the application
// against the order, defaults the amount to what is refundable, and writes
// the case, its line holds and the idempotency record in one step.
func (s *Service) CreateCase(ctx context.Context, p Principal, app Application, idem *IdempotentRequest) (CreateResult, error) {
	const op = "case.create"
	if idem != nil {
		if res, done, err := s.replay(ctx, p, idem); done {
			return res, err
		}
	}
	c, err := s.newCase(ctx, p, app)
	if err != nil {
		return CreateResult{}, err
	}
	var rec *IdempotencyRecord
	if idem != nil {
		status, body, err := idem.Render(c)
		if err != nil {
			return CreateResult{}, Wrap(KindInternal, op, err)
		}
		now := s.Clock.Now().UTC()
		rec = &IdempotencyRecord{Scope: p.ID, Key: idem.Key, RequestHash: idem.RequestHash, CaseID: c.ID,
			StatusCode: status, Response: body, CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL)}
	}
	switch err := s.Cases.CreateCase(ctx, c, rec); {
	case errors.Is(err, ErrIdempotencyKeyTaken):
		// A concurrent twin won the race: answer as if we had come second.
		if res, done, err := s.replay(ctx, p, idem); done {
			return res, err
		}
		return CreateResult{}, Wrap(KindTransient, op, err)
	case err != nil:
		return CreateResult{}, err
	}
	res := CreateResult{Case: c}
	if s.Intake != nil {
		res.EnqueueErr = s.Intake.EnqueueCase(ctx, c.ID)
	}
	return res, nil
}

// replay answers a request whose idempotency key was seen before; done is
// false when the key is new.
func (s *Service) replay(ctx context.Context, p Principal, idem *IdempotentRequest) (res CreateResult, done bool, err error) {
	rec, err := s.Idempotency.GetIdempotency(ctx, p.ID, idem.Key)
	switch {
	case errors.Is(err, ErrNotFound):
		return CreateResult{}, false, nil
	case err != nil:
		return CreateResult{}, true, err
	case rec.RequestHash != idem.RequestHash:
		var v Validation
		v.Add("Idempotency-Key", "was already used with a different request body; use a new key")
		return CreateResult{}, true, v.Err("case.create")
	}
	return CreateResult{Replayed: &rec}, true, nil
}

// newCase validates app and builds the case; it writes nothing.
func (s *Service) newCase(ctx context.Context, p Principal, app Application) (*Case, error) {
	const op = "case.create"
	var v Validation
	if !p.Has(RoleBuyer) {
		return nil, E(KindForbidden, op, "only buyers open cases")
	}
	typeOK := v.Check(app.Type.Valid(), "type", "must be one of refund_only, return_refund, exchange, claim")
	if typeOK {
		_, ok := LookupReason(app.Type, app.Reason)
		v.Check(ok, "reason", "is not a preset reason for %s (see GET /v1/reasons?type=%s)", app.Type, app.Type)
	}
	v.Check(utf8.RuneCountInString(app.Description) <= MaxDescriptionRunes, "description", "must be at most %d characters", MaxDescriptionRunes)
	if app.RefundTo == "" {
		app.RefundTo = RefundOriginal
	}
	v.Check(app.RefundTo == RefundOriginal || app.RefundTo == RefundBalance, "refund_to", "must be original or balance")

	order, err := s.Orders.GetOrder(ctx, app.OrderID)
	switch {
	case app.OrderID == "":
		v.Add("order_id", "is required")
		order = nil
	case errors.Is(err, ErrNotFound) || (err == nil && order.BuyerID != p.ID):
		// Another buyer's order looks exactly like a missing one.
		v.Add("order_id", "no order %q of yours is known", app.OrderID)
		order = nil
	case err != nil:
		return nil, err
	}
	if order != nil && typeOK && app.Type.ReturnsGoods() && order.Status == OrderPaid {
		v.Add("type", "the order has not shipped; apply for refund_only")
	}

	now := s.Clock.Now().UTC()
	c := &Case{
		ID: s.IDs.NewID("as"), OrderID: app.OrderID, BuyerID: p.ID, Type: app.Type, Reason: app.Reason,
		Description: app.Description, RefundTo: app.RefundTo, CreatedAt: now, UpdatedAt: now,
	}
	held, claimNote := false, ""
	if len(app.Lines) == 0 {
		v.Add("lines", "must name at least one order line")
	}
	seen := map[string]bool{}
	var refundable int64
	for i, lr := range app.Lines {
		p := fmt.Sprintf("lines[%d]", i)
		if !v.Check(lr.LineID != "", p+".line_id", "is required") || order == nil {
			continue
		}
		if !v.Check(!seen[lr.LineID], p+".line_id", "names line %q twice", lr.LineID) {
			continue
		}
		seen[lr.LineID] = true
		ol, ok := order.Line(lr.LineID)
		if !v.Check(ok, p+".line_id", "order %s has no line %q", order.ID, lr.LineID) {
			continue
		}
		if !v.Check(lr.Quantity >= 1 && lr.Quantity <= ol.Quantity, p+".quantity", "must be between 1 and %d", ol.Quantity) {
			continue
		}
		held = held || ol.ActiveCaseID != ""
		amount := ol.Refundable(lr.Quantity)
		refundable += amount
		c.Lines = append(c.Lines, CaseLine{LineID: ol.LineID, SKU: ol.SKU, Name: ol.Name, Kind: ol.Kind,
			Category: ol.Category, Quantity: lr.Quantity, Amount: amount})
	}
	if order != nil && v.Valid() {
		c.ShopID, c.Currency = order.ShopID, order.Currency
		switch {
		case held:
			// Reported after field errors: fix the request first, then the conflict.
		case app.Type == Exchange:
			v.Check(app.Amount == nil || *app.Amount == 0, "amount", "an exchange refunds no money; leave it out")
		case refundable == 0:
			v.Add("lines", "nothing is left to refund on these lines")
		case app.Claim != nil && app.Type != Claim:
			v.Add("claim", "only claims carry claim details")
		case app.Claim != nil && app.Amount != nil:
			v.Add("amount", "a claim with details has its amount computed from them; leave it out")
		case app.Claim != nil:
			c.Requested, claimNote = claimAmount(app.Claim, c.Lines, refundable, &v)
		case app.Amount == nil:
			c.Requested = refundable
		default:
			if v.Check(*app.Amount >= 1 && *app.Amount <= refundable, "amount", "must be between 1 and %d, the refundable amount of these lines", refundable) {
				c.Requested = *app.Amount
			}
		}
	}
	evs, err := s.checkUploads(ctx, p, app.EvidenceIDs, "evidence", &v)
	if err != nil {
		return nil, err
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	if held {
		return nil, &Error{Kind: KindConflict, Op: op, Msg: ErrLineHeld.Msg, Err: ErrLineHeld}
	}
	if claimNote != "" {
		claimNote = fmt.Sprintf("claim computed: %s, %s", claimNote, Money{c.Requested, c.Currency})
	}
	if err := c.Apply(Change{Action: ActSubmit, Actor: p.Actor(), At: now, Note: claimNote}); err != nil {
		return nil, err
	}
	for _, e := range evs {
		e.Status = "uploaded"
		c.Evidence = append(c.Evidence, e)
	}
	if len(c.Evidence) > MaxEvidencePerCase {
		v.Add("evidence", "a case holds at most %d files", MaxEvidencePerCase)
		return nil, v.Err(op)
	}
	return c, nil
}

// checkUploads resolves evidence ids to uploads of p's that are really in
// object storage as declared, recording a field error for each that is not.
//
// Only "not found" becomes a field error: a storage outage is the caller's
// to retry, not the buyer's to fix.
func (s *Service) checkUploads(ctx context.Context, p Principal, ids []string, field string, v *Validation) ([]Evidence, error) {
	var out []Evidence
	seen := map[string]bool{}
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !v.Check(!seen[id], f, "names %s twice", id) {
			continue
		}
		seen[id] = true
		up, err := s.Cases.GetUpload(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if err != nil || up.BuyerID != p.ID || !s.Clock.Now().Before(up.ExpiresAt) {
			v.Add(f, "no upload %q of yours is known", id)
			continue
		}
		info, err := s.Evidence.Stat(ctx, up.ObjectKey)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if err != nil {
			v.Add(f, "%s has not been uploaded yet", id)
			continue
		}
		if !v.Check(info.ContentType == up.ContentType && info.Size == up.Size, f,
			"%s was declared as %s of %d bytes but %s of %d bytes was uploaded", id, up.ContentType, up.Size, info.ContentType, info.Size) {
			continue
		}
		out = append(out, Evidence{ID: id, ContentType: up.ContentType, Size: up.Size})
	}
	return out, nil
}

// GetCase returns a case the principal may see: a buyer only their own (a
// stranger's case is not found, never forbidden, so ids reveal nothing).
func (s *Service) GetCase(ctx context.Context, p Principal, id string) (*Case, error) {
	c, err := s.Cases.GetCase(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.IsStaff() && !c.OwnedBy(p.ID) {
		return nil, &Error{Kind: KindNotFound, Op: "case.get", Msg: "no such case", Err: ErrNotFound}
	}
	return c, nil
}

// ListCases returns a page of cases: a buyer's own, or the staff queue.
func (s *Service) ListCases(ctx context.Context, p Principal, q CaseQuery) (CasePage, error) {
	if !p.IsStaff() {
		q = CaseQuery{BuyerID: p.ID, Status: q.Status, Cursor: q.Cursor, Limit: q.Limit}
	}
	var v Validation
	v.Check(q.Status == "" || q.Status.Valid(), "status", "is not a case status")
	v.Check(q.Type == "" || q.Type.Valid(), "type", "must be one of refund_only, return_refund, exchange, claim")
	v.Check(q.Limit >= 0 && q.Limit <= MaxPageSize, "limit", "must be between 1 and %d", MaxPageSize)
	v.Check(q.MinAmount >= 0, "min_amount", "must not be negative")
	v.Check(q.MaxAmount >= 0 && (q.MaxAmount == 0 || q.MaxAmount >= q.MinAmount), "max_amount", "must not be below min_amount")
	v.Check(q.From.IsZero() || q.To.IsZero() || q.From.Before(q.To), "to", "must be after from")
	if err := v.Err("case.list"); err != nil {
		return CasePage{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	return s.Cases.ListCases(ctx, q)
}

// RequestUploads declares evidence files and returns presigned URLs to upload
// them straight to object storage (F3). caseID is empty for files uploaded
// while the buyer is still filling in the application.
func (s *Service) RequestUploads(ctx context.Context, p Principal, caseID string, files []UploadFile) ([]PresignedUpload, error) {
	already := 0
	if caseID != "" {
		c, err := s.GetCase(ctx, p, caseID)
		if err != nil {
			return nil, err
		}
		if !c.OwnedBy(p.ID) {
			return nil, E(KindForbidden, "evidence.upload", "only the buyer uploads evidence")
		}
		if _, ok := Next(c.Status, ActAttachEvidence, c.Type); !ok {
			return nil, E(KindConflict, "evidence.upload", fmt.Sprintf("a case that is %s takes no more evidence", c.Status))
		}
		already = len(c.Evidence)
	}
	if err := ValidateUploadFiles(files, already); err != nil {
		return nil, err
	}
	now := s.Clock.Now().UTC()
	ups := make([]Upload, len(files))
	out := make([]PresignedUpload, len(files))
	for i, f := range files {
		id := s.IDs.NewID("ev")
		ups[i] = Upload{ID: id, BuyerID: p.ID, CaseID: caseID, ObjectKey: EvidenceObjectKey(p.ID, id),
			ContentType: f.ContentType, Size: f.Size, CreatedAt: now, ExpiresAt: now.Add(UploadRecordTTL)}
		pu, err := s.Evidence.PresignPut(ctx, ups[i].ObjectKey, f.ContentType, f.Size, UploadURLLifetime)
		if err != nil {
			return nil, err
		}
		pu.EvidenceID = id
		out[i] = pu
	}
	if err := s.Cases.PutUploads(ctx, ups); err != nil {
		return nil, err
	}
	return out, nil
}

// AttachEvidence attaches uploaded files to the buyer's case, from any
// terminal (F4).
func (s *Service) AttachEvidence(ctx context.Context, p Principal, caseID string, ids []string) (*Case, error) {
	var v Validation
	v.Check(len(ids) > 0, "evidence_ids", "must list at least one evidence id")
	evs, err := s.checkUploads(ctx, p, ids, "evidence_ids", &v)
	if err != nil {
		return nil, err
	}
	if err := v.Err("case.attach_evidence"); err != nil {
		return nil, err
	}
	return s.change(ctx, p, caseID, true, func(c *Case) error {
		return c.AttachEvidence(evs, p.Actor(), s.Clock.Now())
	})
}

// Cancel withdraws the buyer's case while nothing irreversible has happened.
func (s *Service) Cancel(ctx context.Context, p Principal, caseID string) (*Case, error) {
	return s.change(ctx, p, caseID, true, func(c *Case) error {
		return c.Apply(Change{Action: ActCancel, Actor: p.Actor(), At: s.Clock.Now()})
	})
}

// PutOrder validates and stores an order snapshot from the mall.
func (s *Service) PutOrder(ctx context.Context, o *Order) error {
	if err := o.Validate(); err != nil {
		return err
	}
	o.UpdatedAt = s.Clock.Now().UTC()
	return s.Orders.PutOrder(ctx, o)
}

// maxChangeAttempts bounds optimistic-lock retries: a case is changed by a
// handful of actors, so more than a few lost races means something is wrong.
const maxChangeAttempts = 3

// errNoChange is what an update's fn returns to write nothing.
var errNoChange = errors.New("no change")

// update is the one optimistic-lock loop of the service: it loads the case
// with load, lets fn change it, writes it conditionally on the version it
// read, and starts over from a fresh read when a concurrent writer won. fn
// returns errNoChange to write nothing; wrote says whether a write happened.
// The returned case is as written, or as read when nothing was written.
func (s *Service) update(ctx context.Context, caseID string, load func(context.Context, string) (*Case, error), fn func(*Case) error) (c *Case, wrote bool, err error) {
	for attempt := 1; ; attempt++ {
		if c, err = load(ctx, caseID); err != nil {
			return nil, false, err
		}
		prev := c.Version
		switch err := fn(c); {
		case errors.Is(err, errNoChange):
			return c, false, nil
		case err != nil:
			return nil, false, err
		}
		err = s.Cases.UpdateCase(ctx, c, prev)
		if errors.Is(err, ErrVersionConflict) && attempt < maxChangeAttempts {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return c, true, nil
	}
}

// resume hands the case back to the workflow waiting on token, with the
// deadline of the wait its status is in now.
func (s *Service) resume(ctx context.Context, token string, c *Case) error {
	res, err := s.step(ctx, c)
	if err != nil {
		return err
	}
	return s.complete(ctx, token, res)
}

// change is update for a principal: the case must be visible to p (and,
// with buyerOnly, be p's own). When the change moved the case out of a wait
// (a cancellation, evidence that answers a request), the waiting workflow is
// resumed at once rather than at the wait's deadline.
func (s *Service) change(ctx context.Context, p Principal, caseID string, buyerOnly bool, fn func(*Case) error) (*Case, error) {
	var token string
	c, _, err := s.update(ctx, caseID, func(ctx context.Context, id string) (*Case, error) { return s.GetCase(ctx, p, id) },
		func(c *Case) error {
			if buyerOnly && !c.OwnedBy(p.ID) {
				return E(KindForbidden, "case.change", "only the case's buyer may do this")
			}
			token = c.TaskToken
			return fn(c)
		})
	if err != nil || token == "" || c.TaskToken != "" || s.Waits == nil {
		return c, err
	}
	return c, s.resume(ctx, token, c)
}
