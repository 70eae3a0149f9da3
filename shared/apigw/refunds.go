package apigw

import (
	"net/http"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw/ledgercsv"
)

// refundJSON is a row of the refund ledger (F13).
type refundJSON struct {
	ID          string `json:"id"`
	OutRefundNo string `json:"out_refund_no"`
	CaseID      string `json:"case_id"`
	OrderID     string `json:"order_id"`
	BuyerID     string `json:"buyer_id"`
	BuyerPhone  string `json:"buyer_phone,omitempty"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Channel     string `json:"channel"`
	// TransactionID is the payment refunded against: a presale order's
	// deposit and balance are two (F19).
	TransactionID    string     `json:"transaction_id,omitempty"`
	Destination      string     `json:"destination"`
	Status           string     `json:"status"`
	ProviderRefundID string     `json:"provider_refund_id,omitempty"`
	Account          string     `json:"account,omitempty"`
	ApprovedBy       string     `json:"approved_by,omitempty"`
	ApprovedAt       *time.Time `json:"approved_at,omitempty"`
	PaidBy           string     `json:"paid_by,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	ArrivedAt        *time.Time `json:"arrived_at,omitempty"`
	// Sandbox is always written: a reader of the ledger must never have to
	// guess whether money moved.
	Sandbox bool `json:"sandbox"`
}

func toRefundJSON(r *aftersales.Refund) refundJSON {
	return refundJSON{
		ID: r.ID(), OutRefundNo: r.OutRefundNo, CaseID: r.CaseID, OrderID: r.OrderID, BuyerID: r.BuyerID,
		BuyerPhone: r.BuyerPhone, Amount: r.Amount.Amount, Currency: r.Amount.Currency, Channel: string(r.Channel),
		TransactionID: r.TransactionID, Destination: string(r.Destination), Status: string(r.Status), ProviderRefundID: r.ProviderRefundID,
		Account: r.Account, ApprovedBy: r.ApprovedBy, ApprovedAt: timePtr(r.ApprovedAt), PaidBy: r.PaidBy,
		CreatedAt: r.CreatedAt.UTC(), ArrivedAt: timePtr(r.ArrivedAt), Sandbox: r.Sandbox,
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// parseRefundQuery reads the ledger's filters, naming each bad one
// (queryParams has refused any other parameter).
func parseRefundQuery(r *http.Request) (aftersales.RefundQuery, error) {
	qs := r.URL.Query()
	var v aftersales.Validation
	q := aftersales.RefundQuery{OrderID: qs.Get("order_id"), Phone: qs.Get("phone"), Cursor: qs.Get("cursor")}
	q.From = parseTime(&v, qs, "from")
	q.To = parseTime(&v, qs, "to")
	q.Limit = parseInt(&v, qs, "limit")
	return q, v.Err("refund.list")
}

func (s *Server) listRefunds(w http.ResponseWriter, r *http.Request) error {
	q, err := parseRefundQuery(r)
	if err != nil {
		return err
	}
	page, err := s.svc.Refunds.ListRefunds(r.Context(), principal(r.Context()), q)
	if err != nil {
		return err
	}
	out := pageJSON[refundJSON]{Items: make([]refundJSON, 0, len(page.Items)), NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Items = append(out.Items, toRefundJSON(&page.Items[i]))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// exportRefunds streams the ledger of [from, to) as CSV, page by page, so
// memory stays flat however many refunds the range holds. The first page
// is read before anything is written: a refused request still gets a
// problem+json answer.
func (s *Server) exportRefunds(w http.ResponseWriter, r *http.Request) error {
	q, err := parseRefundQuery(r)
	if err != nil {
		return err
	}
	q.Limit = aftersales.MaxPageSize
	p := principal(r.Context())
	page, err := s.svc.Refunds.ListRefunds(r.Context(), p, q)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="refunds.csv"`)
	w.WriteHeader(http.StatusOK)
	cw, err := ledgercsv.NewWriter(w)
	if err != nil {
		return nil // the client went away
	}
	for {
		for i := range page.Items {
			if err := cw.Write(&page.Items[i]); err != nil {
				return nil
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
		if page, err = s.svc.Refunds.ListRefunds(r.Context(), p, q); err != nil {
			// The status is sent: end the file without totals, so it cannot
			// pass for a complete export, and log why.
			Logger(r.Context()).Error("refund export cut short", "err", err.Error())
			return nil
		}
	}
	_ = cw.Close()
	return nil
}

type retryRefundRequest struct {
	RefundTo string `json:"refund_to,omitempty"`
}

func (s *Server) retryRefund(r *http.Request, p aftersales.Principal, id string, b retryRefundRequest) (*aftersales.Case, error) {
	return s.svc.Refunds.RetryRefund(r.Context(), p, id, aftersales.RefundDestination(b.RefundTo))
}

type markRefundPaidRequest struct {
	Reference string `json:"reference"`
}

// markRefundPaid records that finance paid a manual refund by hand.
func (s *Server) markRefundPaid(r *http.Request, p aftersales.Principal, id string, b markRefundPaidRequest) (*aftersales.Case, error) {
	return s.svc.Refunds.MarkRefundPaid(r.Context(), p, id, b.Reference)
}
