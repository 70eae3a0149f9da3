package payhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"

	fixtures "github.com/aftersales/aftersales/events"
)

// fakeParser plays a provider adapter: it keeps what it was given and
// answers notice, or err.
type fakeParser struct {
	notice aftersales.RefundNotice
	err    error
	parse  func(header http.Header, body []byte) (aftersales.RefundNotice, error) // replaces notice and err when set
	calls  int
	body   []byte
}

func (p *fakeParser) Parse(_ context.Context, header http.Header, body []byte) (aftersales.RefundNotice, error) {
	p.calls++
	p.body = body
	if p.parse != nil {
		return p.parse(header, body)
	}
	return p.notice, p.err
}

// fakeNotices records the notifications handed on.
type fakeNotices struct {
	duplicate bool
	err       error
	got       []aftersales.RefundNotice
}

func (n *fakeNotices) AcceptNotice(_ context.Context, notice aftersales.RefundNotice) (bool, error) {
	n.got = append(n.got, notice)
	return n.duplicate, n.err
}

var notice = aftersales.RefundNotice{Channel: aftersales.ChannelWeChatPay, NotificationID: "EV-1", OutRefundNo: "as_1-1",
	RefundResult: aftersales.RefundResult{State: aftersales.StateSucceeded, ProviderRefundID: "503"}}

// answer is what a provider is sent back.
type answer struct {
	status int
	body   string
}

// serve sends body to h behind the middleware of the webhooks function and
// returns the response and the log.
func serve(t *testing.T, h *Handler, body []byte, header http.Header) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var log bytes.Buffer
	req := httptest.NewRequest("POST", "/webhooks/"+h.Provider, bytes.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	apigw.Middleware(slog.New(slog.NewJSONHandler(&log, nil)), h).ServeHTTP(rec, req)
	return rec, log.String()
}

// TestHandler: what each outcome is answered, in WeChat Pay's way and in
// Alipay's, and whether the notification was handed on.
func TestHandler(t *testing.T) {
	tests := []struct {
		name      string
		body      []byte
		parseErr  error
		duplicate bool
		queueErr  error
		parsed    bool // the parser was called
		handed    bool // AcceptNotice was called
		wechat    answer
		alipay    answer
		log       string
	}{
		{name: "taken", body: []byte(`{}`), parsed: true, handed: true,
			wechat: answer{http.StatusNoContent, ""}, alipay: answer{http.StatusOK, "success"}, log: `"duplicate":false`},
		{name: "a duplicate is taken again", body: []byte(`{}`), duplicate: true, parsed: true, handed: true,
			wechat: answer{http.StatusNoContent, ""}, alipay: answer{http.StatusOK, "success"}, log: `"duplicate":true`},
		{name: "the signature does not verify", body: []byte(`{}`), parsed: true,
			parseErr: aftersales.E(aftersales.KindUnauthenticated, "verify", "bad signature"),
			wechat:   answer{http.StatusUnauthorized, `{"code":"FAIL","message":"signature verification failed"}`},
			alipay:   answer{http.StatusUnauthorized, "fail"}, log: "notification refused"},
		{name: "the parser finds the body malformed", body: []byte(`{}`), parsed: true,
			parseErr: aftersales.E(aftersales.KindInvalid, "decode", "the resource is not a refund"),
			wechat:   answer{http.StatusBadRequest, `{"code":"FAIL","message":"the resource is not a refund"}`},
			alipay:   answer{http.StatusBadRequest, "fail"}, log: "notification refused"},
		{name: "the parser fails unexpectedly", body: []byte(`{}`), parsed: true, parseErr: io.ErrUnexpectedEOF,
			wechat: answer{http.StatusInternalServerError, `{"code":"FAIL","message":"temporarily unavailable"}`},
			alipay: answer{http.StatusInternalServerError, "fail"}, log: "notification refused"},
		{name: "the queue is down", body: []byte(`{}`), parsed: true, handed: true,
			queueErr: aftersales.E(aftersales.KindTransient, "sqs", "throttled"),
			wechat:   answer{http.StatusInternalServerError, `{"code":"FAIL","message":"temporarily unavailable"}`},
			alipay:   answer{http.StatusInternalServerError, "fail"}, log: "the provider will retry"},
		{name: "a body over 64 KiB is not parsed", body: bytes.Repeat([]byte("x"), maxBody+1),
			wechat: answer{http.StatusBadRequest, `{"code":"FAIL","message":""}`}, alipay: answer{http.StatusBadRequest, "fail"}},
		{name: "a body of 64 KiB is", body: bytes.Repeat([]byte("x"), maxBody), parsed: true, handed: true,
			wechat: answer{http.StatusNoContent, ""}, alipay: answer{http.StatusOK, "success"}},
	}
	for _, tt := range tests {
		providers := []struct {
			name   string
			answer Answer
			want   answer
		}{{"wechatpay", WeChatPay, tt.wechat}, {"alipay", Alipay, tt.alipay}}
		for _, pr := range providers {
			t.Run(tt.name+"/"+pr.name, func(t *testing.T) {
				parser := &fakeParser{notice: notice, err: tt.parseErr}
				queue := &fakeNotices{duplicate: tt.duplicate, err: tt.queueErr}
				h := &Handler{Provider: pr.name, Parser: parser, Notices: queue, Answer: pr.answer}
				rec, log := serve(t, h, tt.body, nil)
				if rec.Code != pr.want.status || strings.TrimSpace(rec.Body.String()) != pr.want.body {
					t.Errorf("answer %d %q, want %d %q", rec.Code, rec.Body, pr.want.status, pr.want.body)
				}
				if (parser.calls == 1) != tt.parsed || (tt.parsed && !bytes.Equal(parser.body, tt.body)) {
					t.Errorf("parser called %d times with %d bytes; want parsed=%v", parser.calls, len(parser.body), tt.parsed)
				}
				if tt.handed != (len(queue.got) == 1) || (tt.handed && queue.got[0] != notice) {
					t.Errorf("handed on %+v, want handed=%v", queue.got, tt.handed)
				}
				if !strings.Contains(log, tt.log) {
					t.Errorf("log %s, want %s", log, tt.log)
				}
			})
		}
	}
}

// TestAnswerContentTypes: WeChat Pay reads JSON failures, Alipay plain text.
func TestAnswerContentTypes(t *testing.T) {
	failure := aftersales.E(aftersales.KindTransient, "op", "down")
	tests := []struct {
		name   string
		answer Answer
		err    error
		want   string
	}{
		{"wechatpay failure", WeChatPay, failure, "application/json"},
		{"alipay success", Alipay, nil, "text/plain; charset=utf-8"},
		{"alipay failure", Alipay, failure, "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.answer(rec, httptest.NewRequest("POST", "/", nil), tt.err)
			if got := rec.Header().Get("Content-Type"); got != tt.want {
				t.Errorf("Content-Type %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReplayFixtures sends the providers' notification fixtures through the
// handler as API Gateway delivers them. The signatures cannot be checked
// without the providers' keys, so a fake parser reads the few fields it
// needs from the body, which proves the body arrived whole.
func TestReplayFixtures(t *testing.T) {
	type replay struct {
		skip     string // why this test does not replay the fixture
		provider string
		answer   Answer
		parse    func(header http.Header, body []byte) (aftersales.RefundNotice, error)
		want     aftersales.RefundNotice
		reply    answer
	}
	tests := map[string]replay{
		"webhooks/mall-order.json":                        {skip: "mallhook's TestReplayFixture replays it"},
		"webhooks/kuaidi100-push.json":                    {skip: "kuaidi100's TestReplayFixtures replays it"},
		"webhooks/kuaidi100-intercept.json":               {skip: "kuaidi100's TestReplayFixtures replays it"},
		"webhooks/mall-customs.json":                      {skip: "the local stack's TestReplayFixtures replays it; mallhook's TestCustomsHandler tests its handler"},
		"webhooks/wechatpay-refund-success.resource.json": {skip: "the plaintext of the WeChat Pay fixture's encrypted resource, not an event"},
		"webhooks/wechatpay-refund-success.json": {provider: "wechatpay", answer: WeChatPay,
			parse: func(header http.Header, body []byte) (aftersales.RefundNotice, error) {
				var n struct {
					ID        string `json:"id"`
					EventType string `json:"event_type"`
				}
				if header.Get("Wechatpay-Signature") == "" || json.Unmarshal(body, &n) != nil || n.EventType != "REFUND.SUCCESS" {
					return aftersales.RefundNotice{}, aftersales.E(aftersales.KindUnauthenticated, "fake", "not a signed refund notification")
				}
				return aftersales.RefundNotice{Channel: aftersales.ChannelWeChatPay, NotificationID: n.ID, OutRefundNo: "as_1-1"}, nil
			},
			want:  aftersales.RefundNotice{Channel: aftersales.ChannelWeChatPay, NotificationID: "EV-2026112710350000000001", OutRefundNo: "as_1-1"},
			reply: answer{http.StatusNoContent, ""}},
		"webhooks/alipay-refund.json": {provider: "alipay", answer: Alipay,
			parse: func(header http.Header, body []byte) (aftersales.RefundNotice, error) {
				form, err := url.ParseQuery(string(body))
				if err != nil || !strings.HasPrefix(header.Get("Content-Type"), "application/x-www-form-urlencoded") {
					return aftersales.RefundNotice{}, aftersales.E(aftersales.KindInvalid, "fake", "not a form")
				}
				return aftersales.RefundNotice{Channel: aftersales.ChannelAlipay, NotificationID: form.Get("notify_id"),
					OutRefundNo: form.Get("out_biz_no")}, nil
			},
			want: aftersales.RefundNotice{Channel: aftersales.ChannelAlipay, NotificationID: "2026112700222180012345678901234567",
				OutRefundNo: "as_fixture-1"},
			reply: answer{http.StatusOK, "success"}},
	}
	fixtures.Each(t, "webhooks", tests, func(t *testing.T, name string, tt replay) {
		if tt.skip != "" {
			t.Skip(tt.skip)
		}
		var ev events.APIGatewayV2HTTPRequest
		fixtures.Load(t, name, func(key string) (string, bool) { return "as_fixture", key == "case_id" }, &ev)
		req, err := apigw.RequestFromEvent(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		queue := &fakeNotices{}
		h := &Handler{Provider: tt.provider, Parser: &fakeParser{parse: tt.parse}, Notices: queue, Answer: tt.answer}
		rec, _ := serve(t, h, []byte(ev.Body), req.Header)
		if rec.Code != tt.reply.status || rec.Body.String() != tt.reply.body {
			t.Errorf("answer %d %q, want %d %q", rec.Code, rec.Body, tt.reply.status, tt.reply.body)
		}
		if len(queue.got) != 1 || queue.got[0] != tt.want {
			t.Errorf("handed on %+v, want %+v", queue.got, tt.want)
		}
	})
}
