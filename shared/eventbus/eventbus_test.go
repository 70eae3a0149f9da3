package eventbus_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/eventbus"
)

// TestPutAll puts events through the real SDK client on a server that
// answers PutEvents as EventBridge does (AWS JSON 1.1): per-entry results,
// a failed entry with its code, or a failed call; PutAll says which entry
// failed, and what it sent is the documented detail with its version.
func TestPutAll(t *testing.T) {
	at := time.Date(2026, 11, 11, 0, 0, 0, 123456789, time.UTC)
	es := []aftersales.DomainEvent{
		{ID: "as_1:3:inventory.restock:l1", Type: aftersales.EventRestock, At: at, CaseID: "as_1", Detail: map[string]any{"sku": "S", "quantity": 1}},
		{ID: "as_1:3:inventory.restock:l2", Type: aftersales.EventRestock, At: at, CaseID: "as_1", Detail: map[string]any{"sku": "T", "quantity": 2}},
	}
	tests := []struct {
		name       string
		status     int
		answer     string
		wantErr    bool
		wantFailed []bool
	}{
		{"all put", 200, `{"FailedEntryCount":0,"Entries":[{"EventId":"e1"},{"EventId":"e2"}]}`, false, []bool{false, false}},
		{"the second refused", 200, `{"FailedEntryCount":1,"Entries":[{"EventId":"e1"},{"ErrorCode":"ThrottlingException","ErrorMessage":"slow down"}]}`, false, []bool{false, true}},
		{"an answer without the second", 200, `{"FailedEntryCount":0,"Entries":[{"EventId":"e1"}]}`, false, []bool{false, true}},
		{"the call fails", 400, `{"__type":"AccessDeniedException","message":"no"}`, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sent struct {
				Entries []struct{ Source, DetailType, Detail, EventBusName string }
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
					t.Errorf("target %q", r.Header.Get("X-Amz-Target"))
				}
				b, _ := io.ReadAll(r.Body)
				_ = json.Unmarshal(b, &sent)
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.answer)
			}))
			t.Cleanup(srv.Close)
			client := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""), RetryMaxAttempts: 1})
			failed, err := eventbus.New(client, "aftersales-test").PutAll(t.Context(), es)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			for i, want := range tc.wantFailed {
				if (failed[i] != nil) != want {
					t.Errorf("entry %d: failed %v, want failed %v", i, failed[i], want)
				}
			}
			if len(sent.Entries) != 2 || sent.Entries[0].Source != eventbus.Source || sent.Entries[0].DetailType != aftersales.EventRestock ||
				sent.Entries[0].EventBusName != "aftersales-test" {
				t.Fatalf("sent %+v", sent.Entries)
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(sent.Entries[1].Detail), &d); err != nil || d["id"] != es[1].ID || d["version"] != float64(1) ||
				d["at"] != "2026-11-11T00:00:00.123456789Z" || d["data"].(map[string]any)["quantity"] != float64(2) {
				t.Errorf("detail %s", sent.Entries[1].Detail)
			}
		})
	}
	if _, err := eventbus.New(nil, "x").PutAll(t.Context(), make([]aftersales.DomainEvent, eventbus.MaxBatch+1)); err == nil {
		t.Error("11 entries: want an error before any call")
	}
}
