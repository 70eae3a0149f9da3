package fakesms

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSendTextMessage sends raw requests of the service's JSON protocol and
// checks the stand-in refuses what the service refuses, with the service's
// error types, and records only what it accepts.
func TestSendTextMessage(t *testing.T) {
	at := time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)
	s := New(func() time.Time { return at })
	s.OptOut("+8613900000000")
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	const signed = "AWS4-HMAC-SHA256 Credential=local/20261111/us-east-1/sms-voice/aws4_request, SignedHeaders=host, Signature=00"
	body := func(dest, origin, text string) string {
		b, _ := json.Marshal(map[string]any{"DestinationPhoneNumber": dest, "OriginationIdentity": origin, "MessageBody": text,
			"MessageType": "TRANSACTIONAL", "Context": map[string]string{"case": "c-1"}})
		return string(b)
	}
	tests := []struct {
		name             string
		target, auth     string
		body             string
		wantStatus       int
		wantType, reason string
	}{
		{"accepted", Target, signed, body("+8613800000000", s.Origination, "退款已到账"), 200, "", ""},
		{"another operation", "PinpointSMSVoiceV2.SendVoiceMessage", signed, body("+8613800000000", s.Origination, "x"), 400, "UnknownOperationException", ""},
		{"unsigned", Target, "", body("+8613800000000", s.Origination, "x"), 403, "AccessDeniedException", ""},
		{"not JSON", Target, signed, "{", 400, "ValidationException", "CANNOT_PARSE"},
		{"not E.164", Target, signed, body("13800000000", s.Origination, "x"), 400, "ValidationException", "INVALID_PARAMETER"},
		{"unknown sender", Target, signed, body("+8613800000000", "SOMEONE", "x"), 404, "ResourceNotFoundException", ""},
		{"empty body", Target, signed, body("+8613800000000", s.Origination, ""), 400, "ValidationException", "MISSING_PARAMETER"},
		{"opted out", Target, signed, body("+8613900000000", s.Origination, "x"), 400, "ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(tt.body))
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got map[string]string
			if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.wantStatus || got["__type"] != tt.wantType || got["Reason"] != tt.reason {
				t.Fatalf("answer %d %v, want %d %s %s", res.StatusCode, got, tt.wantStatus, tt.wantType, tt.reason)
			}
			if tt.wantType == "" && got["MessageId"] == "" {
				t.Fatalf("accepted without a MessageId: %v", got)
			}
		})
	}
	msgs := s.Messages()
	if len(msgs) != 1 {
		t.Fatalf("recorded %d messages, want only the accepted one: %+v", len(msgs), msgs)
	}
	if m := msgs[0]; m.Destination != "+8613800000000" || m.Body != "退款已到账" || m.Context["case"] != "c-1" || !m.At.Equal(at) {
		t.Errorf("recorded %+v", m)
	}
}
