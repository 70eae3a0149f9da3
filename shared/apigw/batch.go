package apigw

import (
	"net/http"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

type batchFilterJSON struct {
	Status    string     `json:"status,omitempty"`
	Type      string     `json:"type,omitempty"`
	Kind      string     `json:"kind,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	From      *time.Time `json:"from,omitempty"`
	To        *time.Time `json:"to,omitempty"`
	MinAmount int64      `json:"min_amount,omitempty"`
	MaxAmount int64      `json:"max_amount,omitempty"`
}

type batchRequest struct {
	CaseIDs  []string         `json:"case_ids,omitempty" max:"10000"`
	Filter   *batchFilterJSON `json:"filter,omitempty"`
	Decision string           `json:"decision"`
	Reason   string           `json:"reason,omitempty"`
}

type jobJSON struct {
	ID        string        `json:"id"`
	Status    string        `json:"status"`
	Decision  string        `json:"decision"`
	Total     int           `json:"total"`
	Succeeded int           `json:"succeeded"`
	Failed    int           `json:"failed"`
	Failures  []failureJSON `json:"failures"`
	CreatedAt time.Time     `json:"created_at"`
}

type failureJSON struct {
	CaseID string `json:"case_id"`
	Error  string `json:"error"`
}

func toJobJSON(j *aftersales.ReviewJob) jobJSON {
	out := jobJSON{ID: j.ID, Status: "running", Decision: j.Decision, Total: j.Total, Succeeded: j.Succeeded,
		Failed: j.Failed, Failures: make([]failureJSON, 0, len(j.Failures)), CreatedAt: j.CreatedAt.UTC()}
	if j.Done() {
		out.Status = "done"
	}
	for _, f := range j.Failures {
		out.Failures = append(out.Failures, failureJSON{f.CaseID, f.Error})
	}
	return out
}

// startBatchReview serves POST /v1/staff/reviews: 202 with the job.
func (s *Server) startBatchReview(w http.ResponseWriter, r *http.Request) error {
	var req batchRequest
	if err := decodeLimit(r, &req, maxBatchBodyBytes); err != nil {
		return err
	}
	br := aftersales.BatchReview{CaseIDs: req.CaseIDs, Decision: req.Decision, Reason: req.Reason}
	if f := req.Filter; f != nil {
		q := aftersales.CaseQuery{Status: aftersales.Status(f.Status), Type: aftersales.CaseType(f.Type),
			Kind: aftersales.LineKind(f.Kind), Reason: f.Reason, MinAmount: f.MinAmount, MaxAmount: f.MaxAmount}
		if f.From != nil {
			q.From = *f.From
		}
		if f.To != nil {
			q.To = *f.To
		}
		br.Filter = &q
	}
	job, err := s.svc.Reviews.StartBatchReview(r.Context(), principal(r.Context()), br)
	if err != nil {
		return err
	}
	Logger(r.Context()).Info("batch review started", "job_id", job.ID, "total", job.Total, "decision", job.Decision)
	w.Header().Set("Location", "/v1/staff/reviews/"+job.ID)
	WriteJSON(w, http.StatusAccepted, toJobJSON(job))
	return nil
}

func (s *Server) getBatchReview(w http.ResponseWriter, r *http.Request) error {
	job, err := s.svc.Reviews.GetReviewJob(r.Context(), principal(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toJobJSON(job))
	return nil
}
