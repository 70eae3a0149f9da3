// Package fakeevents is the local stand-in of Amazon EventBridge's
// PutEvents (AWS JSON 1.1, X-Amz-Target AWSEvents.PutEvents): what a state
// machine's events:putEvents task (or any SDK client) puts is recorded
// where GET /dev/events shows the domain events, as the cloud's bus would
// route it. It checks what EventBridge checks of an entry (source, detail
// type, a detail that is a JSON object, at most 10 entries a call) and
// answers an event id per entry.
package fakeevents

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aftersales/aftersales/shared/aftersales"
)

// Publisher records an event put on the bus.
type Publisher interface {
	Publish(ctx context.Context, e aftersales.DomainEvent) error
}

// Server answers PutEvents.
type Server struct {
	Sink  Publisher
	Clock aftersales.Clock
}

type entry struct {
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
	Time         *float64
}

type result struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// maxEntries is PutEvents' limit of entries per call.
const maxEntries = 10

// Handler serves the PutEvents API.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if target := r.Header.Get("X-Amz-Target"); target != "AWSEvents.PutEvents" {
			fail(w, http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("operation %q is not supported by the local EventBridge", target))
			return
		}
		var in struct{ Entries []entry }
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || json.Unmarshal(body, &in) != nil {
			fail(w, http.StatusBadRequest, "SerializationException", "the request is not PutEvents JSON")
			return
		}
		if len(in.Entries) < 1 || len(in.Entries) > maxEntries {
			fail(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf("Entries must hold 1 to %d entries", maxEntries))
			return
		}
		out := struct {
			Entries          []result
			FailedEntryCount int
		}{}
		for _, e := range in.Entries {
			res := s.put(r.Context(), e)
			if res.ErrorCode != "" {
				out.FailedEntryCount++
			}
			out.Entries = append(out.Entries, res)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// put records one entry, or answers why EventBridge would refuse it.
func (s *Server) put(ctx context.Context, e entry) result {
	var detail map[string]any
	switch {
	case e.Source == "" || e.DetailType == "":
		return result{ErrorCode: "InvalidArgument", ErrorMessage: "Source and DetailType are required"}
	case json.Unmarshal([]byte(e.Detail), &detail) != nil || detail == nil:
		return result{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is not a JSON object"}
	}
	at := s.Clock.Now()
	if e.Time != nil {
		at = time.Unix(int64(*e.Time), 0)
	}
	ev := aftersales.DomainEvent{ID: newID(), Type: e.DetailType, At: at.UTC(), Detail: detail}
	// Our own events carry their id, case and order in the detail
	// (eventbus.Detail); keep them so /dev/events shows them as published.
	if id, ok := detail["id"].(string); ok && id != "" {
		ev.ID = id
	}
	ev.CaseID, _ = detail["case_id"].(string)
	ev.OrderID, _ = detail["order_id"].(string)
	ev.BuyerID, _ = detail["buyer_id"].(string)
	if _, ours := detail["id"].(string); ours {
		// Unwrap ours: the recorder shows their data and schema version
		// as the bus carried them, and the instant to the nanosecond.
		ev.Detail, _ = detail["data"].(map[string]any)
		if v, ok := detail["version"].(float64); ok {
			ev.Version = int(v)
		}
		if at, ok := detail["at"].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
				ev.At = t.UTC()
			}
		}
	}
	if err := s.Sink.Publish(ctx, ev); err != nil {
		return result{ErrorCode: "InternalFailure", ErrorMessage: err.Error()}
	}
	return result{EventID: ev.ID}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
