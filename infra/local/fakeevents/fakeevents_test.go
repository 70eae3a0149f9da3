package fakeevents_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/aftersales/aftersales/infra/local/fakeevents"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/eventbus"
)

type clock struct{ t time.Time }

func (c clock) Now() time.Time { return c.t }

// TestPutEventsThroughTheSDK: the real EventBridge client puts events on
// the stand-in; ours keep their id and case, a detail that is not a JSON
// object fails its entry alone.
func TestPutEventsThroughTheSDK(t *testing.T) {
	rec := &eventbus.Recorder{}
	srv := httptest.NewServer((&fakeevents.Server{Sink: rec, Clock: clock{time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)}}).Handler())
	t.Cleanup(srv.Close)
	client := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")})

	bus := eventbus.New(client, "aftersales")
	if err := bus.Publish(t.Context(), aftersales.DomainEvent{ID: "ev-1", Type: aftersales.EventBalanceCredited, CaseID: "as_1",
		At: time.Date(2026, 11, 11, 1, 0, 0, 0, time.UTC), Detail: map[string]any{"amount": 100}}); err != nil {
		t.Fatal(err)
	}
	out, err := client.PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("states"), DetailType: aws.String("workflow.step"), Detail: aws.String(`{"step":"refund"}`)},
		{Source: aws.String("states"), DetailType: aws.String("broken"), Detail: aws.String(`[1,2]`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 1 || aws.ToString(out.Entries[1].ErrorCode) != "MalformedDetail" || aws.ToString(out.Entries[0].EventId) == "" {
		t.Fatalf("answer %+v", out)
	}
	got := rec.Events()
	if len(got) != 2 || got[0].ID != "ev-1" || got[0].CaseID != "as_1" || got[0].Type != aftersales.EventBalanceCredited || got[1].Type != "workflow.step" {
		t.Fatalf("recorded %+v", got)
	}
	if got[0].Data["amount"] != float64(100) || got[0].Version != 1 || got[1].Data["step"] != "refund" {
		t.Fatalf("recorded data %+v and %+v, want ours unwrapped (version 1), theirs whole", got[0], got[1])
	}
	if _, err := client.PutEvents(t.Context(), &eventbridge.PutEventsInput{}); err == nil {
		t.Error("no entries: want a ValidationException")
	}
}
