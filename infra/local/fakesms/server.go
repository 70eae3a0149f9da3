// Package fakesms is the local stand-in for AWS End User Messaging SMS
// (pinpoint-sms-voice-v2), speaking the AWS JSON 1.0 protocol the SDK
// uses: POST / with X-Amz-Target PinpointSMSVoiceV2.SendTextMessage and a
// JSON body, answered with {"MessageId": ...} or an error document
// ({"__type": ..., "message": ..., "Reason": ...}, HTTP 400). It accepts
// only the origination identity it was made with and E.164 numbers, and
// answers ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT for the
// numbers opted out; Messages lists what was sent (GET /dev/sms on the
// local stack). Signatures are not checked: the SDK signs every request
// with SigV4 and the stand-in only requires that it did.
package fakesms

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Target is the operation the stand-in serves.
const Target = "PinpointSMSVoiceV2.SendTextMessage"

// Message is a text message the stand-in accepted.
type Message struct {
	MessageID   string            `json:"message_id"`
	Destination string            `json:"destination"`
	Origination string            `json:"origination"`
	Body        string            `json:"body"`
	MessageType string            `json:"message_type,omitempty"`
	Context     map[string]string `json:"context,omitempty"`
	At          time.Time         `json:"at"`
}

// Server is the stand-in.
type Server struct {
	Origination string
	now         func() time.Time

	mu       sync.Mutex
	optedOut map[string]bool
	messages []Message
}

// New returns a stand-in with a fresh origination identity (a sender id).
func New(now func() time.Time) *Server {
	return &Server{Origination: "AFTERSALES", now: now, optedOut: map[string]bool{}}
}

// OptOut makes sends to phone (E.164) answer the opted-out conflict.
func (s *Server) OptOut(phone string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.optedOut[phone] = true
}

// Messages returns the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,18}$`)

// Handler serves the service's JSON protocol.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, typ, msg, reason string) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(status)
			body := map[string]string{"__type": typ, "message": msg}
			if reason != "" {
				body["Reason"] = reason
			}
			_ = json.NewEncoder(w).Encode(body)
		}
		switch {
		case r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != Target:
			fail(http.StatusBadRequest, "UnknownOperationException", "only "+Target+" is served here", "")
			return
		case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
			fail(http.StatusForbidden, "AccessDeniedException", "the request is not signed", "")
			return
		}
		var in struct {
			DestinationPhoneNumber string
			OriginationIdentity    string
			MessageBody            string
			MessageType            string
			Context                map[string]string
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			fail(http.StatusBadRequest, "ValidationException", "the body is not JSON", "CANNOT_PARSE")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case !e164.MatchString(in.DestinationPhoneNumber):
			fail(http.StatusBadRequest, "ValidationException", "DestinationPhoneNumber is not E.164", "INVALID_PARAMETER")
			return
		case in.OriginationIdentity != s.Origination:
			fail(http.StatusNotFound, "ResourceNotFoundException", "no such origination identity", "")
			return
		case in.MessageBody == "":
			fail(http.StatusBadRequest, "ValidationException", "MessageBody is required", "MISSING_PARAMETER")
			return
		case s.optedOut[in.DestinationPhoneNumber]:
			fail(http.StatusBadRequest, "ConflictException", "the destination phone number opted out", "DESTINATION_PHONE_NUMBER_OPTED_OUT")
			return
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		m := Message{MessageID: hex.EncodeToString(b), Destination: in.DestinationPhoneNumber, Origination: in.OriginationIdentity,
			Body: in.MessageBody, MessageType: in.MessageType, Context: in.Context, At: s.now().UTC()}
		s.messages = append(s.messages, m)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": m.MessageID})
	})
}
