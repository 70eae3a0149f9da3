package apigw

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/usecase/disputes"
)

// Disputes serves the after-sales conversation: opening a dispute, the
// thread, proposals and the arbitrator's verdict.
type Disputes interface {
	Open(ctx context.Context, p aftersales.Principal, caseID string, r aftersales.DisputeRequest) (*aftersales.Case, error)
	Post(ctx context.Context, p aftersales.Principal, side aftersales.Party, caseID string, r aftersales.MessageRequest) (aftersales.Message, error)
	Thread(ctx context.Context, p aftersales.Principal, side aftersales.Party, caseID string) (disputes.Thread, error)
	Propose(ctx context.Context, p aftersales.Principal, side aftersales.Party, caseID string, amount int64, note string) (*aftersales.Case, error)
	Accept(ctx context.Context, p aftersales.Principal, side aftersales.Party, caseID, proposalID string) (*aftersales.Case, error)
	Arbitrate(ctx context.Context, p aftersales.Principal, caseID, verdict string, amount int64, note string) (*aftersales.Case, error)
	RequestDocuments(ctx context.Context, p aftersales.Principal, caseID string, files []aftersales.UploadFile) ([]aftersales.PresignedUpload, error)
}

type disputeRequest struct {
	Reason      string   `json:"reason"`
	Description string   `json:"description"`
	EvidenceIDs []string `json:"evidence_ids,omitempty" max:"9"`
}

type messageRequest struct {
	Text        string   `json:"text"`
	EvidenceIDs []string `json:"evidence_ids,omitempty" max:"9"`
}

type proposalRequest struct {
	Amount int64  `json:"amount"`
	Note   string `json:"note,omitempty"`
}

type arbitrateRequest struct {
	Outcome string `json:"outcome"`
	Amount  int64  `json:"amount,omitempty"`
	Note    string `json:"note"`
}

type disputeJSON struct {
	Kind        string         `json:"kind"`
	Reason      string         `json:"reason"`
	Description string         `json:"description"`
	EvidenceIDs []string       `json:"evidence_ids"`
	OpenedAt    time.Time      `json:"opened_at"`
	AnsweredAt  *time.Time     `json:"answered_at,omitempty"`
	Proposals   []proposalJSON `json:"proposals"`
	Outcome     string         `json:"outcome,omitempty"`
}

type proposalJSON struct {
	ID     string    `json:"id"`
	By     string    `json:"by"`
	Amount int64     `json:"amount"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
	Status string    `json:"status"`
}

func toDisputeJSON(d *aftersales.Dispute) *disputeJSON {
	if d == nil {
		return nil
	}
	out := &disputeJSON{Kind: string(d.Kind), Reason: d.Reason, Description: d.Description,
		EvidenceIDs: append([]string{}, d.EvidenceIDs...), OpenedAt: d.OpenedAt.UTC(),
		Proposals: make([]proposalJSON, 0, len(d.Proposals)), Outcome: d.Outcome}
	if !d.AnsweredAt.IsZero() {
		at := d.AnsweredAt.UTC()
		out.AnsweredAt = &at
	}
	for _, p := range d.Proposals {
		out.Proposals = append(out.Proposals, proposalJSON{p.ID, string(p.By), p.Amount, p.Note, p.At.UTC(), string(p.Status)})
	}
	return out
}

type messageJSON struct {
	// Files are short-lived links to the files attached (never logged).
	Files       []fileLinkJSON `json:"files,omitempty"`
	ID          string         `json:"id"`
	Seq         int            `json:"seq"`
	Author      string         `json:"author"`
	Party       string         `json:"party"`
	Text        string         `json:"text"`
	EvidenceIDs []string       `json:"evidence_ids"`
	At          time.Time      `json:"at"`
	PrevHash    string         `json:"prev_hash"`
	Hash        string         `json:"hash"`
}

type fileLinkJSON struct {
	ID      string `json:"id"`
	ViewURL string `json:"view_url"`
}

func toMessageJSON(m aftersales.Message) messageJSON {
	return messageJSON{ID: m.ID, Seq: m.Seq, Author: m.Author, Party: string(m.Party), Text: m.Text,
		EvidenceIDs: append([]string{}, m.EvidenceIDs...), At: m.At.UTC(), PrevHash: m.PrevHash, Hash: m.Hash}
}

type threadJSON struct {
	Items []messageJSON `json:"items"`
	// Verified: every message's hash and link were checked on this read.
	Verified bool `json:"verified"`
}

func (s *Server) openDispute(r *http.Request, p aftersales.Principal, id string, b disputeRequest) (*aftersales.Case, error) {
	return s.svc.Disputes.Open(r.Context(), p, id,
		aftersales.DisputeRequest{Reason: b.Reason, Description: b.Description, EvidenceIDs: b.EvidenceIDs})
}

// side is the party a dispute route speaks for: the buyer on /v1/cases,
// the merchant (or, for an arbitrator, the platform) on /v1/staff. One
// person holding the buyer and a staff role is the buyer on buyer routes.
func side(r *http.Request, p aftersales.Principal) aftersales.Party {
	if strings.HasPrefix(r.URL.Path, "/v1/staff/") {
		return aftersales.PartyOf(p)
	}
	return aftersales.PartyBuyer
}

func (s *Server) propose(r *http.Request, p aftersales.Principal, id string, b proposalRequest) (*aftersales.Case, error) {
	return s.svc.Disputes.Propose(r.Context(), p, side(r, p), id, b.Amount, b.Note)
}

// acceptProposal takes no body: the path names everything.
func (s *Server) acceptProposal(w http.ResponseWriter, r *http.Request) error {
	p := principal(r.Context())
	c, err := s.svc.Disputes.Accept(r.Context(), p, side(r, p), r.PathValue("id"), r.PathValue("proposal_id"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toCaseJSON(c))
	return nil
}

func (s *Server) arbitrate(r *http.Request, p aftersales.Principal, id string, b arbitrateRequest) (*aftersales.Case, error) {
	return s.svc.Disputes.Arbitrate(r.Context(), p, id, b.Outcome, b.Amount, b.Note)
}

// postMessage appends to the thread and answers 201 with the message.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) error {
	var b messageRequest
	if err := decode(r, &b); err != nil {
		return err
	}
	p := principal(r.Context())
	m, err := s.svc.Disputes.Post(r.Context(), p, side(r, p), r.PathValue("id"),
		aftersales.MessageRequest{Text: b.Text, EvidenceIDs: b.EvidenceIDs})
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, toMessageJSON(m))
	return nil
}

// listMessages answers the verified thread, oldest first.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	p := principal(r.Context())
	th, err := s.svc.Disputes.Thread(r.Context(), p, side(r, p), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := threadJSON{Items: make([]messageJSON, 0, len(th.Messages)), Verified: th.Verified}
	for _, m := range th.Messages {
		mj := toMessageJSON(m)
		for _, id := range m.EvidenceIDs {
			if url, ok := th.Links[id]; ok {
				mj.Files = append(mj.Files, fileLinkJSON{id, url})
			}
		}
		out.Items = append(out.Items, mj)
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}
