package fakewechatmsg

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// post sends v as JSON to path and decodes WeChat's answer.
func post(t *testing.T, url string, v any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(v)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("HTTP %d: WeChat answers 200 and puts the outcome in errcode", res.StatusCode)
	}
	var got map[string]any
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

// errcode is the answer's errcode (0 when absent, as in a token answer).
func errcode(got map[string]any) int {
	n, _ := got["errcode"].(float64)
	return int(n)
}

// TestStableToken checks the token endpoint's checks and that the stable
// token stays the same until it is forced.
func TestStableToken(t *testing.T) {
	s := New(time.Now)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	url := srv.URL + "/cgi-bin/stable_token"
	tests := []struct {
		name string
		req  map[string]any
		want int
	}{
		{"wrong grant", map[string]any{"grant_type": "password", "appid": s.AppID, "secret": s.AppSecret}, 40002},
		{"wrong app", map[string]any{"grant_type": "client_credential", "appid": "wxother", "secret": s.AppSecret}, 40013},
		{"wrong secret", map[string]any{"grant_type": "client_credential", "appid": s.AppID, "secret": "nope"}, 40125},
		{"granted", map[string]any{"grant_type": "client_credential", "appid": s.AppID, "secret": s.AppSecret}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(t, url, tt.req); errcode(got) != tt.want {
				t.Fatalf("answer %v, want errcode %d", got, tt.want)
			}
		})
	}
	ok := map[string]any{"grant_type": "client_credential", "appid": s.AppID, "secret": s.AppSecret}
	first, second := post(t, url, ok)["access_token"], post(t, url, ok)["access_token"]
	ok["force_refresh"] = true
	forced := post(t, url, ok)["access_token"]
	if first == nil || first != second || forced == first {
		t.Errorf("tokens %v, %v, forced %v: want the same stable token until forced", first, second, forced)
	}
	if s.Tokens() != 4 {
		t.Errorf("Tokens() = %d, want 4 granted", s.Tokens())
	}
}

// TestSubscribeSend checks each refusal of the send endpoint, the failure
// switch and that only accepted messages are recorded.
func TestSubscribeSend(t *testing.T) {
	s := New(func() time.Time { return time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC) })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	token := post(t, srv.URL+"/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": s.AppID, "secret": s.AppSecret})["access_token"].(string)
	msg := func(to, tmpl string, data map[string]string) map[string]any {
		d := map[string]any{}
		for k, v := range data {
			d[k] = map[string]any{"value": v}
		}
		return map[string]any{"touser": to, "template_id": tmpl, "page": "pages/case?id=c-1", "data": d}
	}
	good := map[string]string{"character_string1": "c-1", "thing2": "退款已到账", "amount3": "¥12.50", "time4": "2026-11-11 09:00", "phrase5": "已完成"}
	tests := []struct {
		name  string
		token string
		body  map[string]any
		fail  int
		want  int
	}{
		{"accepted", token, msg("o-buyer", s.TemplateID, good), 0, 0},
		{"bad token", "nope", msg("o-buyer", s.TemplateID, good), 0, 40001},
		{"WeChat busy", token, msg("o-buyer", s.TemplateID, good), 1, -1},
		{"wrong template", token, msg("o-buyer", "tmpl-other", good), 0, 40037},
		{"no openid", token, msg("", s.TemplateID, good), 0, 40003},
		{"not subscribed", token, msg(Unsubscribed+"buyer", s.TemplateID, good), 0, 43101},
		{"thing over 20 characters", token, msg("o-buyer", s.TemplateID, map[string]string{"thing2": "一二三四五六七八九十一二三四五六七八九十一"}), 0, 47003},
		{"phrase over 5", token, msg("o-buyer", s.TemplateID, map[string]string{"phrase5": "一二三四五六"}), 0, 47003},
		{"character_string not ASCII", token, msg("o-buyer", s.TemplateID, map[string]string{"character_string1": "单号"}), 0, 47003},
		{"amount without digits", token, msg("o-buyer", s.TemplateID, map[string]string{"amount3": "¥"}), 0, 47003},
		{"time in another layout", token, msg("o-buyer", s.TemplateID, map[string]string{"time4": "11/11 9:00"}), 0, 47003},
		{"empty value", token, msg("o-buyer", s.TemplateID, map[string]string{"thing2": ""}), 0, 47003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.Fail(tt.fail)
			got := post(t, srv.URL+"/cgi-bin/message/subscribe/send?access_token="+tt.token, tt.body)
			if errcode(got) != tt.want {
				t.Fatalf("answer %v, want errcode %d", got, tt.want)
			}
			if tt.want == 0 && got["msgid"] == nil {
				t.Fatalf("accepted without a msgid: %v", got)
			}
		})
	}
	if s.Failed() != 1 {
		t.Errorf("Failed() = %d, want 1", s.Failed())
	}
	msgs := s.Messages()
	if len(msgs) != 1 || msgs[0].ToUser != "o-buyer" || msgs[0].Data["thing2"]["value"] != "退款已到账" {
		t.Errorf("recorded %+v, want the accepted message only", msgs)
	}
}
