// Package fakewechatmsg is the local stand-in for WeChat's mini-program
// message API, speaking its wire format: POST /cgi-bin/stable_token
// ({grant_type, appid, secret, force_refresh} -> {access_token,
// expires_in} or {errcode, errmsg}) and POST
// /cgi-bin/message/subscribe/send?access_token=... (a subscribe message ->
// {errcode, errmsg, msgid}). It checks what WeChat checks that matters
// here (the app's credentials, the token, the template id, every data
// field within its type's limits: 47003 otherwise) and answers 43101 to an
// openid that did not subscribe. Fail makes it answer errcode -1 ("system
// error") to the next sends, for the "WeChat down for a while" tests;
// Messages lists what was accepted (GET /dev/wechat/messages on the
// local stack).
package fakewechatmsg

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Unsubscribed is the prefix of openids that did not subscribe: a send to
// one answers 43101.
const Unsubscribed = "unsub-"

// Message is a subscribe message the stand-in accepted.
type Message struct {
	MsgID      int64                     `json:"msgid"`
	ToUser     string                    `json:"touser"`
	TemplateID string                    `json:"template_id"`
	Page       string                    `json:"page,omitempty"`
	Lang       string                    `json:"lang,omitempty"`
	Data       map[string]map[string]any `json:"data"`
	At         time.Time                 `json:"at"`
}

// Server is the stand-in.
type Server struct {
	AppID, AppSecret, TemplateID string
	now                          func() time.Time

	mu       sync.Mutex
	token    string
	tokens   int // stable tokens drawn
	fails    int // sends still to fail
	failed   int // sends failed so far
	next     int64
	messages []Message
	handler  http.Handler
}

// New returns a stand-in for one mini-program with a fresh app secret and
// template id; now is its clock.
func New(now func() time.Time) *Server {
	s := &Server{AppID: "wxlocal" + randomHex(5), AppSecret: randomHex(16), TemplateID: "tmpl-" + randomHex(8), now: now}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", s.stableToken)
	mux.HandleFunc("POST /cgi-bin/message/subscribe/send", s.send)
	s.handler = mux
	return s
}

// Handler serves WeChat's API.
func (s *Server) Handler() http.Handler { return s.handler }

// Fail makes the next n sends answer errcode -1, as WeChat does when it is
// busy; 0 ends the failure.
func (s *Server) Fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = n
}

// Failed is how many sends failed on purpose so far.
func (s *Server) Failed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// Tokens is how many stable tokens were drawn: the sender caches its token,
// so a burst of messages draws one.
func (s *Server) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens
}

// Messages returns the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

type errorBody struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// answer writes a WeChat answer: always HTTP 200, the outcome in errcode.
func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) stableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GrantType != "client_credential" {
		answer(w, errorBody{40002, "invalid grant_type"})
		return
	}
	switch {
	case req.AppID != s.AppID:
		answer(w, errorBody{40013, "invalid appid"})
		return
	case req.Secret != s.AppSecret:
		answer(w, errorBody{40125, "invalid appsecret"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// The stable token stays the same until it expires or is forced.
	if s.token == "" || req.ForceRefresh {
		s.token = randomHex(24)
	}
	s.tokens++
	answer(w, map[string]any{"access_token": s.token, "expires_in": 7200})
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	var m Message
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		answer(w, errorBody{47001, "data format error"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.token == "" || r.URL.Query().Get("access_token") != s.token:
		answer(w, errorBody{40001, "invalid credential, access_token is invalid or not latest"})
		return
	case s.fails > 0:
		s.fails--
		s.failed++
		answer(w, errorBody{-1, "system error"})
		return
	case m.TemplateID != s.TemplateID:
		answer(w, errorBody{40037, "invalid template_id"})
		return
	case m.ToUser == "":
		answer(w, errorBody{40003, "invalid openid"})
		return
	case strings.HasPrefix(m.ToUser, Unsubscribed):
		answer(w, errorBody{43101, "user refuse to accept the msg"})
		return
	}
	for k, item := range m.Data {
		v, _ := item["value"].(string)
		if !valid(k, v) {
			answer(w, errorBody{47003, "argument invalid! data." + k + ".value invalid"})
			return
		}
	}
	s.next++
	m.MsgID, m.At = s.next, s.now().UTC()
	s.messages = append(s.messages, m)
	answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": m.MsgID})
}

// valid reports whether v is within the limits of keyword k's type.
func valid(k, v string) bool {
	n := utf8.RuneCountInString(v)
	switch {
	case v == "":
		return false
	case strings.HasPrefix(k, "thing"):
		return n <= 20
	case strings.HasPrefix(k, "phrase"):
		return n <= 5
	case strings.HasPrefix(k, "character_string"):
		return n <= 32 && isASCII(v)
	case strings.HasPrefix(k, "amount"):
		d := 0
		for _, r := range v {
			if r >= '0' && r <= '9' {
				d++
			}
		}
		return d >= 1 && d <= 10
	case strings.HasPrefix(k, "time"):
		_, err := time.Parse("2006-01-02 15:04", v)
		return err == nil
	}
	return true
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > 0x7e {
			return false
		}
	}
	return true
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
