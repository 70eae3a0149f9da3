package kuaidi100_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	fixtures "github.com/aftersales/aftersales/events"
	"github.com/aftersales/aftersales/shared/aftersales"
	"github.com/aftersales/aftersales/shared/apigw"
	"github.com/aftersales/aftersales/shared/kuaidi100"
)

// parcels records what the hook accepted; seen ids are duplicates.
type parcels struct {
	got  []aftersales.ParcelNotice
	seen map[string]bool
	err  error
}

func (p *parcels) AcceptParcel(_ context.Context, n aftersales.ParcelNotice) (bool, error) {
	if p.err != nil {
		return false, p.err
	}
	if p.seen[n.ID] {
		return true, nil
	}
	p.seen[n.ID] = true
	p.got = append(p.got, n)
	return false, nil
}

const collected = `{"status":"polling","billstatus":"got","message":"","lastResult":{"message":"ok","state":"103","status":"200","ischeck":"0","com":"shunfeng","nu":"SF1234567890","data":[{"context":"已揽收","time":"2026-12-05 10:00:00","ftime":"2026-12-05 10:00:00"}]}}`

func TestHook(t *testing.T) {
	salts := kuaidi100.Salts{Key: []byte("merchant salt key")}
	salt := salts.Of("as_1", "SF1234567890")
	signed := url.Values{"param": {collected}, "sign": {kuaidi100.Sign(collected, salt)}}
	tests := []struct {
		name       string
		query      string
		form       url.Values
		parcelsErr error
		status     int
		accepted   bool // the answer is the provider's success
		queued     int
	}{
		{"signed push", "case=as_1&ref=SF1234567890", signed, nil, 200, true, 1},
		{"signed with another case's salt", "case=as_2&ref=SF1234567890", signed, nil, 401, false, 0},
		{"forged signature", "case=as_1&ref=SF1234567890", url.Values{"param": {collected}, "sign": {kuaidi100.Sign(collected, "guess")}}, nil, 401, false, 0},
		{"tampered param", "case=as_1&ref=SF1234567890",
			url.Values{"param": {strings.Replace(collected, `"103"`, `"301"`, 1)}, "sign": signed["sign"]}, nil, 401, false, 0},
		{"no signature", "case=as_1&ref=SF1234567890", url.Values{"param": {collected}}, nil, 401, false, 0},
		{"no subscription in the URL", "", signed, nil, 400, false, 0},
		{"signed for the ref but about another parcel", "case=as_1&ref=SF0000000000",
			url.Values{"param": {collected}, "sign": {kuaidi100.Sign(collected, salts.Of("as_1", "SF0000000000"))}}, nil, 400, false, 0},
		{"queue down: pushed again later", "case=as_1&ref=SF1234567890", signed, errors.New("sqs down"), 500, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &parcels{seen: map[string]bool{}, err: tc.parcelsErr}
			h := &kuaidi100.Hook{Salts: salts, Parcels: p}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/kuaidi100?"+tc.query, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tc.status, rec.Body)
			}
			if got := rec.Body.String() == string(kuaidi100.Accepted); got != tc.accepted {
				t.Errorf("answer %s, accepted %v", rec.Body, tc.accepted)
			}
			if !tc.accepted && !strings.Contains(rec.Body.String(), `"result":false`) {
				t.Errorf("a refusal without result false: %s", rec.Body)
			}
			if len(p.got) != tc.queued {
				t.Fatalf("queued %d, want %d", len(p.got), tc.queued)
			}
			if tc.queued == 1 {
				n := p.got[0]
				if n.CaseID != "as_1" || n.Number != "SF1234567890" || n.Courier != "shunfeng" || n.Phase != aftersales.ParcelCollected ||
					n.Kind != aftersales.ParcelTracking || n.ID == "" || n.At.IsZero() {
					t.Errorf("notice %+v", n)
				}
			}
		})
	}
	t.Run("no salt key: nothing verifies", func(t *testing.T) {
		p := &parcels{seen: map[string]bool{}}
		h := &kuaidi100.Hook{Parcels: p}
		empty := kuaidi100.Salts{}.Of("as_1", "SF1234567890")
		form := url.Values{"param": {collected}, "sign": {kuaidi100.Sign(collected, empty)}}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/kuaidi100?case=as_1&ref=SF1234567890", strings.NewReader(form.Encode()))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || len(p.got) != 0 {
			t.Errorf("status %d, queued %d", rec.Code, len(p.got))
		}
	})
	t.Run("a replay is answered as taken and queued once", func(t *testing.T) {
		p := &parcels{seen: map[string]bool{}}
		h := &kuaidi100.Hook{Salts: salts, Parcels: p}
		for range 2 {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/kuaidi100?case=as_1&ref=SF1234567890", strings.NewReader(signed.Encode()))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Body.String() != string(kuaidi100.Accepted) {
				t.Errorf("answer %s", rec.Body)
			}
		}
		if len(p.got) != 1 {
			t.Errorf("queued %d", len(p.got))
		}
	})
	t.Run("a push without scans changes nothing", func(t *testing.T) {
		abort := `{"status":"abort","message":"3天查询无记录","lastResult":{"state":"0","com":"shunfeng","nu":"SF1234567890","data":[]}}`
		p := &parcels{seen: map[string]bool{}}
		h := &kuaidi100.Hook{Salts: salts, Parcels: p}
		form := url.Values{"param": {abort}, "sign": {kuaidi100.Sign(abort, salt)}}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/kuaidi100?case=as_1&ref=SF1234567890", strings.NewReader(form.Encode()))
		h.ServeHTTP(httptest.NewRecorder(), req)
		if len(p.got) != 1 || p.got[0].Phase != "" {
			t.Errorf("notice %+v, want one with no phase", p.got)
		}
	})
}

func TestSalts(t *testing.T) {
	a := kuaidi100.Salts{Key: []byte("k1")}
	b := kuaidi100.Salts{Key: []byte("k2")}
	tests := []struct {
		name string
		x, y string
		same bool
	}{
		{"deterministic", a.Of("as_1", "SF1"), a.Of("as_1", "SF1"), true},
		{"per parcel", a.Of("as_1", "SF1"), a.Of("as_1", "SF2"), false},
		{"per case", a.Of("as_1", "SF1"), a.Of("as_2", "SF1"), false},
		{"per key", a.Of("as_1", "SF1"), b.Of("as_1", "SF1"), false},
		{"no ambiguity in the joint", a.Of("as_1x", "SF1"), a.Of("as_1", "xSF1"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.x == tc.y) != tc.same || len(tc.x) != 32 {
				t.Errorf("%s vs %s", tc.x, tc.y)
			}
		})
	}
	if got := kuaidi100.CallbackURL("https://h/webhooks/kuaidi100", "as_1", "SF1"); got != "https://h/webhooks/kuaidi100?case=as_1&ref=SF1" {
		t.Errorf("CallbackURL = %s", got)
	}
}

// TestReplayFixtures replays the Kuaidi100 callbacks of events/webhooks
// through the hook as API Gateway delivers them, each signed with the salt
// of its subscription: a tracking push and an interception's outcome.
func TestReplayFixtures(t *testing.T) {
	salts := kuaidi100.Salts{Key: []byte("fixture key")}
	tests := map[string]struct {
		ref  string // the subscription whose salt signs it
		want aftersales.ParcelNotice
	}{
		"webhooks/kuaidi100-push.json": {"SF1234567890", aftersales.ParcelNotice{Kind: aftersales.ParcelTracking, CaseID: "as_fixture",
			Courier: "shunfeng", Number: "SF1234567890", Phase: aftersales.ParcelCollected, Scan: "[深圳市]顺丰速运 已收取快件"}},
		"webhooks/kuaidi100-intercept.json": {kuaidi100.InterceptRef, aftersales.ParcelNotice{Kind: aftersales.ParcelInterception,
			CaseID: "as_fixture", Courier: "zhongtong", Number: "731400001014", OrderID: "as_fixture", Intercepted: true,
			Phase: aftersales.ParcelReturned, Scan: "拦截成功，快件将退回寄件地址"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			fixtures.Load(t, name, func(key string) (string, bool) { return "as_fixture", key == "case_id" }, &ev)
			form, err := url.ParseQuery(ev.Body)
			if err != nil {
				t.Fatal(err)
			}
			form.Set("sign", kuaidi100.Sign(form.Get("param"), salts.Of("as_fixture", tc.ref)))
			ev.Body = form.Encode()
			req, err := apigw.RequestFromEvent(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			p := &parcels{seen: map[string]bool{}}
			rec := httptest.NewRecorder()
			(&kuaidi100.Hook{Salts: salts, Parcels: p}).ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.String() != string(kuaidi100.Accepted) {
				t.Fatalf("answer %d %s", rec.Code, rec.Body)
			}
			if len(p.got) != 1 {
				t.Fatalf("handed on %d notices, want 1", len(p.got))
			}
			got := p.got[0]
			got.ID, got.At = "", time.Time{} // a digest of the body and the scan's time: not what this checks
			if got != tc.want {
				t.Errorf("handed on %+v\nwant       %+v", got, tc.want)
			}
		})
	}
}

// TestHookInterception: an interception's result callback, verified with
// the case's interception salt, becomes an interception notice with its
// outcome; one signed with another salt is refused.
func TestHookInterception(t *testing.T) {
	salts := kuaidi100.Salts{Key: []byte("merchant salt key")}
	const query = "case=as_1&ref=intercept&kind=intercept"
	tests := []struct {
		name        string
		param       string
		salt        string
		status      int
		intercepted bool
		phase       aftersales.ParcelPhase
	}{
		{"succeeded", `{"kuaidicom":"zhongtong","kuaidinum":"ZT1","orderId":"as_1","interceptStatus":"SUCCESS","message":"拦截成功"}`,
			salts.Of("as_1", kuaidi100.InterceptRef), 200, true, aftersales.ParcelReturned},
		{"failed", `{"kuaidicom":"zhongtong","kuaidinum":"ZT1","orderId":"as_1","interceptStatus":"FAIL","message":"已签收"}`,
			salts.Of("as_1", kuaidi100.InterceptRef), 200, false, aftersales.ParcelSigned},
		{"still processing", `{"kuaidicom":"zhongtong","kuaidinum":"ZT1","orderId":"as_1","interceptStatus":"PROCESSING"}`,
			salts.Of("as_1", kuaidi100.InterceptRef), 200, false, ""},
		{"signed with the tracking salt", `{"kuaidicom":"zhongtong","kuaidinum":"ZT1","interceptStatus":"SUCCESS"}`,
			salts.Of("as_1", "ZT1"), 401, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &parcels{seen: map[string]bool{}}
			h := &kuaidi100.Hook{Salts: salts, Parcels: p}
			form := url.Values{"param": {tc.param}, "sign": {kuaidi100.Sign(tc.param, tc.salt)}}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/kuaidi100?"+query, strings.NewReader(form.Encode()))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.status, rec.Body)
			}
			if tc.status != 200 {
				if len(p.got) != 0 {
					t.Errorf("queued %+v", p.got)
				}
				return
			}
			if len(p.got) != 1 {
				t.Fatalf("queued %d", len(p.got))
			}
			n := p.got[0]
			if n.Kind != aftersales.ParcelInterception || n.CaseID != "as_1" || n.Number != "ZT1" || n.Intercepted != tc.intercepted || n.Phase != tc.phase {
				t.Errorf("notice %+v", n)
			}
		})
	}
}
