package apigw

import (
	"io"
	"net/http"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/ruleset"
)

type approveRequest struct {
	Amount *int64 `json:"amount,omitempty"`
	Note   string `json:"note,omitempty"`
}

type rejectRequest struct {
	Reason string `json:"reason"`
}

type noteRequest struct {
	Note string `json:"note"`
}

type receiptRequest struct {
	Condition string `json:"condition"`
	Note      string `json:"note,omitempty"`
}

type shipmentRequest struct {
	Courier        string `json:"courier"`
	TrackingNumber string `json:"tracking_number"`
}

// returnShipmentRequest is the buyer's return waybill, with what the buyer
// paid the courier (F29, minor units; optional, 0 when not stated): only a
// return parcel has postage the merchant may reimburse.
type returnShipmentRequest struct {
	Courier        string `json:"courier"`
	TrackingNumber string `json:"tracking_number"`
	Postage        int64  `json:"postage"`
}

func (r shipmentRequest) shipment() aftersales.Shipment {
	return aftersales.Shipment{Courier: r.Courier, TrackingNumber: r.TrackingNumber}
}

// caseAction decodes a request body into T, runs fn and answers the case.
func caseAction[T any](fn func(r *http.Request, p aftersales.Principal, id string, body T) (*aftersales.Case, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var body T
		if err := decode(r, &body); err != nil {
			return err
		}
		c, err := fn(r, principal(r.Context()), r.PathValue("id"), body)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, toCaseJSON(c))
		return nil
	}
}

func (s *Server) approve(r *http.Request, p aftersales.Principal, id string, b approveRequest) (*aftersales.Case, error) {
	return s.svc.Reviews.Approve(r.Context(), p, id, aftersales.Approval{Amount: b.Amount, Note: b.Note})
}

func (s *Server) reject(r *http.Request, p aftersales.Principal, id string, b rejectRequest) (*aftersales.Case, error) {
	return s.svc.Reviews.Reject(r.Context(), p, id, b.Reason)
}

func (s *Server) requestEvidence(r *http.Request, p aftersales.Principal, id string, b noteRequest) (*aftersales.Case, error) {
	return s.svc.Reviews.RequestEvidence(r.Context(), p, id, b.Note)
}

func (s *Server) receipt(r *http.Request, p aftersales.Principal, id string, b receiptRequest) (*aftersales.Case, error) {
	return s.svc.Returns.ConfirmReceipt(r.Context(), p, id, b.Condition, b.Note)
}

func (s *Server) reship(r *http.Request, p aftersales.Principal, id string, b shipmentRequest) (*aftersales.Case, error) {
	return s.svc.Returns.Reship(r.Context(), p, id, b.shipment())
}

func (s *Server) returnShipment(r *http.Request, p aftersales.Principal, id string, b returnShipmentRequest) (*aftersales.Case, error) {
	return s.svc.Returns.ShipReturn(r.Context(), p, id, shipmentRequest{b.Courier, b.TrackingNumber}.shipment(), b.Postage)
}

func (s *Server) getRuleSet(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.svc.RuleSets.CurrentRuleSet(r.Context())
	if err != nil {
		return err
	}
	return writeRuleSet(w, http.StatusOK, rs)
}

// putRuleSet stores a new version of the rule set. The body is the whole rule
// set; its version, if sent, must be the current one (a lost update otherwise).
func (s *Server) putRuleSet(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxBodyBytes {
		var v aftersales.Validation
		v.Add("body", "must be at most %d bytes", maxBodyBytes)
		return v.Err("ruleset.put")
	}
	// The rule set codec names syntax errors by line and column itself;
	// a body that parses must hold fit text in every string.
	if tree, err := parseJSON(body); err == nil {
		if err := checkText(body, tree); err != nil {
			return err
		}
	}
	rs, err := ruleset.Decode(body)
	if err != nil {
		return err
	}
	saved, err := s.svc.RuleSets.PutRuleSet(r.Context(), principal(r.Context()), rs)
	if err != nil {
		return err
	}
	return writeRuleSet(w, http.StatusOK, saved)
}

func writeRuleSet(w http.ResponseWriter, status int, rs *aftersales.RuleSet) error {
	b, err := ruleset.Encode(rs)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}
