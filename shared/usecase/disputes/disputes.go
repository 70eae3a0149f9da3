// Package disputes is the use case of the after-sales conversation (F15,
// F25): the buyer disputes a rejection or a partial refund, both sides write
// in an append-only, hash-chained thread, either side proposes a refund and
// the other accepts it, and the platform's arbitrator decides what the
// deadlines escalate. Every change is a case change through casework: on
// the timeline with its actor, and resuming the workflow where it ends a
// wait.
package disputes

import (
	"context"
	"errors"
	"fmt"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/casework"
	"github.com/aftersales/aftersales/shared/usecase/workflow"
)

// Service serves disputes.
type Service struct {
	Cases    aftersales.CaseStore
	Threads  aftersales.ThreadStore
	Rules    aftersales.RuleSetStore
	Intake   aftersales.Intake        // reopens a completed case's workflow
	Files    aftersales.EvidenceStore // files attached to threads
	Workflow casework.Resumer
	Clock    aftersales.Clock
	IDs      aftersales.IDGenerator
}

// Open opens the buyer's dispute of their case (POST /v1/cases/{id}/dispute).
// A rejected case is waiting for exactly this; a completed one is reopened
// in a new execution of the workflow.
func (s *Service) Open(ctx context.Context, p aftersales.Principal, caseID string, r aftersales.DisputeRequest) (*aftersales.Case, error) {
	const op = "case.dispute"
	if err := requireBuyer(p, op); err != nil {
		return nil, err
	}
	if err := r.Validate(op); err != nil {
		return nil, err
	}
	c, err := casework.Visible(ctx, s.Cases, p, caseID)
	if err != nil {
		return nil, err
	}
	if !c.OwnedBy(p.ID) {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only the case's buyer disputes it")
	}
	if _, err := s.checkUploads(ctx, p, aftersales.PartyBuyer, "evidence_ids", r.EvidenceIDs, caseID, op); err != nil {
		return nil, err
	}
	rs, err := casework.RuleSet(ctx, s.Rules)
	if err != nil {
		return nil, err
	}
	open := func(c *aftersales.Case) error {
		if !c.OwnedBy(p.ID) {
			return aftersales.E(aftersales.KindForbidden, op, "only the case's buyer disputes it")
		}
		return c.OpenDispute(r, actorOf(p, aftersales.PartyBuyer), s.Clock.Now(), rs.Deadlines.Dispute)
	}
	if c.Status == aftersales.StatusRejected {
		return casework.EndWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitDispute, open)
	}
	c, _, err = casework.Update(ctx, s.Cases, caseID, casework.VisibleTo(s.Cases, p), open)
	if err != nil {
		return nil, err
	}
	// The dispute stands once written. Should the queue refuse it now, the
	// sweeper finds a disputed case with no wait and reopens it then.
	if err := s.Intake.ReopenCase(ctx, c.ID, workflow.RunDispute); err != nil {
		return c, nil //nolint:nilerr // the sweeper's to repair, not the buyer's
	}
	return c, nil
}

// checkUploads checks that every id names an upload declared by p
// speaking for party (for staff, a document declared for caseID) and
// returns them.
func (s *Service) checkUploads(ctx context.Context, p aftersales.Principal, party aftersales.Party, field string, ids []string, caseID, op string) ([]aftersales.Upload, error) {
	var v aftersales.Validation
	ups := make([]aftersales.Upload, 0, len(ids))
	for i, id := range ids {
		up, err := s.Cases.GetUpload(ctx, id)
		switch {
		case errors.Is(err, aftersales.ErrNotFound) || (err == nil && up.BuyerID != uploader(p, party)) ||
			(err == nil && party != aftersales.PartyBuyer && up.CaseID != caseID):
			v.Add(fmt.Sprintf("%s[%d]", field, i), "no upload %s of yours for this case (upload it first)", id)
		case err != nil:
			return nil, err
		default:
			ups = append(ups, up)
		}
	}
	return ups, v.Err(op)
}

// uploader is who an upload of p's speaking for party is recorded as
// declared by: a buyer by id, staff and arbitrators by their timeline
// actor, so that no buyer id can name a staff member's documents.
func uploader(p aftersales.Principal, party aftersales.Party) string {
	if party == aftersales.PartyBuyer {
		return p.ID
	}
	return p.Actor()
}

// RequestDocuments declares files staff (or an arbitrator) attach to a
// case's thread and returns presigned URLs to upload them (POST
// /v1/staff/cases/{id}/documents): inspection reports (PDF) and
// screenshots. They are uploaded straight under the thread's prefix and
// named in a message's evidence_ids.
func (s *Service) RequestDocuments(ctx context.Context, p aftersales.Principal, caseID string, files []aftersales.UploadFile) ([]aftersales.PresignedUpload, error) {
	const op = "thread.documents"
	if !p.ReadsAllCases() {
		return nil, aftersales.E(aftersales.KindForbidden, op, "only staff and arbitrators attach documents; buyers upload evidence")
	}
	if err := aftersales.ValidateDocuments(files); err != nil {
		return nil, err
	}
	c, err := s.threadCase(ctx, p, aftersales.PartyOf(p), caseID, op)
	if err != nil {
		return nil, err
	}
	if err := casework.RequireNotOwnCase(p, c, op); err != nil {
		return nil, err
	}
	if c.Dispute == nil || (c.Status != aftersales.StatusDisputed && c.Status != aftersales.StatusEscalated) {
		return nil, aftersales.E(aftersales.KindConflict, op, "only an open dispute takes documents")
	}
	now := s.Clock.Now().UTC()
	if err := s.Cases.TakeQuota(ctx, len(files), aftersales.UploadQuotas(uploader(p, aftersales.PartyOf(p)), caseID, now)...); err != nil {
		return nil, aftersales.Invalid(op, "files", "the upload quota of this case or of this hour is spent")
	}
	return casework.DeclareUploads(ctx, s.Cases, s.Files, s.IDs, now, uploader(p, aftersales.PartyOf(p)), caseID, files,
		func(id string) string { return aftersales.ThreadObjectKey(caseID, id) })
}

// Propose records a proposal to settle the dispute for amount, by the
// buyer (POST /v1/cases/{id}/proposals) or the merchant (POST
// /v1/staff/cases/{id}/proposals): party is the route's side. A merchant's
// first proposal is their answer: the workflow then waits for the
// agreement deadline instead.
func (s *Service) Propose(ctx context.Context, p aftersales.Principal, party aftersales.Party, caseID string, amount int64, note string) (*aftersales.Case, error) {
	const op = "case.propose"
	if party == aftersales.PartyPlatform {
		return nil, aftersales.E(aftersales.KindForbidden, op, "the arbitrator decides an escalated dispute; the parties propose")
	}
	if err := speaksFor(p, party, op); err != nil {
		return nil, err
	}
	propose := func(c *aftersales.Case) error {
		if party == aftersales.PartyBuyer && !c.OwnedBy(p.ID) {
			return aftersales.E(aftersales.KindForbidden, op, "only the case's buyer proposes for the buyer")
		}
		return c.Propose(aftersales.Proposal{ID: s.IDs.NewID("pr"), By: party, Actor: actorOf(p, party), Amount: amount,
			Note: note, At: s.Clock.Now()})
	}
	return s.change(ctx, p, party, caseID, op, propose)
}

// Accept settles the dispute on the other side's open proposal: the case
// refunds its amount through the refund path (POST
// /v1/cases/{id}/proposals/{proposal_id}/accept and its staff twin).
func (s *Service) Accept(ctx context.Context, p aftersales.Principal, party aftersales.Party, caseID, proposalID string) (*aftersales.Case, error) {
	const op = "case.accept_proposal"
	if err := speaksFor(p, party, op); err != nil {
		return nil, err
	}
	accept := func(c *aftersales.Case) error {
		if party == aftersales.PartyBuyer && !c.OwnedBy(p.ID) {
			return aftersales.E(aftersales.KindForbidden, op, "only the case's buyer accepts for the buyer")
		}
		return c.AcceptProposal(proposalID, party, actorOf(p, party), s.Clock.Now())
	}
	switch party {
	case aftersales.PartyMerchant:
		return casework.EndStaffWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitResolution, op, accept)
	case aftersales.PartyBuyer:
		return casework.EndWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitResolution, accept)
	}
	return nil, aftersales.E(aftersales.KindForbidden, op, "the arbitrator decides an escalated dispute; the parties accept proposals")
}

// Arbitrate records the platform's verdict on an escalated dispute (POST
// /v1/staff/cases/{id}/arbitrate): a refund of amount, paid through the
// refund path, or dismissal, which closes the case.
func (s *Service) Arbitrate(ctx context.Context, p aftersales.Principal, caseID, verdict string, amount int64, note string) (*aftersales.Case, error) {
	const op = "case.arbitrate"
	return casework.EndArbiterWait(ctx, s.Cases, s.Workflow, p, caseID, aftersales.WaitArbitration, op, func(c *aftersales.Case) error {
		return c.Arbitrate(verdict, amount, note, p.Actor(), s.Clock.Now())
	})
}

// change applies fn to the case for p speaking for party. A change that
// answers the dispute (the merchant's first word) ends the workflow's
// resolution wait, so the workflow begins it again with the agreement's
// deadline.
func (s *Service) change(ctx context.Context, p aftersales.Principal, party aftersales.Party, caseID, op string, fn func(*aftersales.Case) error) (*aftersales.Case, error) {
	load := casework.VisibleTo(s.Cases, p)
	if party != aftersales.PartyBuyer {
		load = casework.ForStaff(s.Cases, p, op)
	}
	var token string
	c, _, err := casework.Update(ctx, s.Cases, caseID, load, func(c *aftersales.Case) error {
		answered := c.Dispute != nil && !c.Dispute.AnsweredAt.IsZero()
		token = ""
		if err := fn(c); err != nil {
			return err
		}
		if !answered && c.Dispute != nil && !c.Dispute.AnsweredAt.IsZero() && c.TaskToken != "" {
			// The wait's deadline was the answer's: end it. The token is
			// taken off the case with the change, so no other caller
			// resumes the same wait.
			token, c.TaskToken = c.TaskToken, ""
		}
		return nil
	})
	if err != nil || token == "" {
		return c, err
	}
	return c, s.Workflow.Resume(ctx, token, c)
}

// speaksFor refuses p speaking for a party it is not: the buyer side needs
// the buyer role, the merchant's staff, the platform an arbitrator. The
// route says which side a call is made for, so that one person holding
// both the buyer and a staff role speaks as the buyer on buyer routes.
func speaksFor(p aftersales.Principal, party aftersales.Party, op string) error {
	ok := false
	switch party {
	case aftersales.PartyBuyer:
		ok = p.Has(aftersales.RoleBuyer)
	case aftersales.PartyMerchant:
		ok = p.IsStaff()
	case aftersales.PartyPlatform:
		ok = p.Has(aftersales.RoleArbitrator)
	}
	if !ok {
		return aftersales.E(aftersales.KindForbidden, op, fmt.Sprintf("the caller may not speak for the %s here", party))
	}
	return nil
}

// actorOf is how p appears on the timeline when speaking for party.
func actorOf(p aftersales.Principal, party aftersales.Party) string {
	if party == aftersales.PartyBuyer {
		return "buyer:" + p.ID
	}
	return p.Actor()
}

// requireBuyer refuses callers who are not buyers.
func requireBuyer(p aftersales.Principal, op string) error {
	if !p.Has(aftersales.RoleBuyer) {
		return aftersales.E(aftersales.KindForbidden, op, "only buyers do this")
	}
	return nil
}
