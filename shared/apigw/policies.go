package apigw

import (
	"net/http"
	"time"

	"github.com/aftersales/aftersales/shared/usecase/policies"
)

// The policy shown up front and the preview of an application (F14).

type policyJSON struct {
	Lang           string              `json:"lang"`
	RuleSetVersion int                 `json:"ruleset_version"`
	Kind           string              `json:"kind,omitempty"`
	Category       string              `json:"category,omitempty"`
	Tier           string              `json:"tier,omitempty"`
	Sections       []policySectionJSON `json:"sections"`
}

type policySectionJSON struct {
	Topic string           `json:"topic"`
	Title string           `json:"title"`
	Lines []policyLineJSON `json:"lines"`
}

type policyLineJSON struct {
	Text   string   `json:"text"`
	RuleID string   `json:"rule_id,omitempty"`
	Tags   []string `json:"tags,omitempty"`
}

func toPolicyJSON(p policies.Policy) policyJSON {
	out := policyJSON{Lang: string(p.Lang), RuleSetVersion: p.RuleSetVersion, Kind: string(p.Filter.Kind),
		Category: p.Filter.Category, Tier: p.Filter.Tier, Sections: make([]policySectionJSON, len(p.Sections))}
	for i, s := range p.Sections {
		sj := policySectionJSON{Topic: s.Topic, Title: s.Title, Lines: make([]policyLineJSON, len(s.Lines))}
		for j, l := range s.Lines {
			sj.Lines[j] = policyLineJSON{Text: l.Text, RuleID: l.RuleID, Tags: l.Tags}
		}
		out.Sections[i] = sj
	}
	return out
}

// getPolicies answers GET /v1/policies: the rules in force, in words.
func (s *Server) getPolicies(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	p, err := s.svc.Policies.Policies(r.Context(), principal(r.Context()), policies.Query{
		Kind: qs.Get("kind"), Category: qs.Get("category"), Tier: qs.Get("tier"), Lang: qs.Get("lang")})
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toPolicyJSON(p))
	return nil
}

// previewJSON is what would happen to an application: the case as the
// rules would leave it (no id: it is not stored), the decision, the next
// step and a summary in words.
type previewJSON struct {
	Lang      string         `json:"lang"`
	Summary   string         `json:"summary"`
	Type      string         `json:"type"`
	Status    string         `json:"status"`
	Lines     []caseLineJSON `json:"lines"`
	Requested int64          `json:"requested_amount"`
	Approved  int64          `json:"approved_amount"`
	Currency  string         `json:"currency"`
	RefundTo  string         `json:"refund_to"`
	Decision  previewDecJSON `json:"decision"`
	Next      *nextJSON      `json:"next"`
	// Charges are what a return would cost (F29); absent for cases that
	// return nothing.
	Charges *chargesJSON `json:"charges,omitempty"`
}

// previewDecJSON is a case's decision with the level of a manual review:
// who would review it.
type previewDecJSON struct {
	decisionJSON
	Level string `json:"level,omitempty"`
}

func toPreviewJSON(pv policies.Preview) previewJSON {
	c, d := pv.Case, pv.Decision
	out := previewJSON{Lang: string(pv.Lang), Summary: pv.Summary, Type: string(c.Type), Status: string(c.Status),
		Lines: make([]caseLineJSON, 0, len(c.Lines)), Requested: c.Requested, Approved: c.Approved, Currency: c.Currency,
		RefundTo: string(c.RefundTo),
		Decision: previewDecJSON{decisionJSON{d.Outcome, d.By, d.RuleID, d.RuleSetVersion, d.Reason}, string(d.Level)},
		Charges:  toChargesJSON(c.Charges)}
	for _, l := range c.Lines {
		out.Lines = append(out.Lines, caseLineJSON{l.LineID, l.SKU, l.Name, string(l.Kind), l.Category, l.Quantity, l.Amount})
	}
	if n := pv.Next; n != nil {
		out.Next = &nextJSON{Actor: string(n.Actor), Action: n.Action, Deadline: utcOrNil(n.Deadline), DefaultAt: utcOrNil(n.DefaultAt)}
	}
	return out
}

func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// previewCase answers POST /v1/cases/preview: the body of POST /v1/cases,
// decoded and refused the same way, previewed without storing anything.
// No Idempotency-Key is needed: nothing is created, so a repeat is
// harmless.
func (s *Server) previewCase(w http.ResponseWriter, r *http.Request) error {
	var req createCaseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	pv, err := s.svc.Policies.Preview(r.Context(), principal(r.Context()), req.application(), r.URL.Query().Get("lang"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toPreviewJSON(pv))
	return nil
}
