package kuaidi100_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aftersales/aftersales/shared/kuaidi100"
)

// seen is one request the provider double received.
type seen struct {
	path  string
	query url.Values
	form  url.Values
	ctype string
}

// provider answers every request with body and records what it got.
func provider(t *testing.T, status int, body string) (*kuaidi100.Client, *[]seen) {
	t.Helper()
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f, _ := url.ParseQuery(string(b))
		got = append(got, seen{r.URL.Path, r.URL.Query(), f, r.Header.Get("Content-Type")})
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	now := func() time.Time { return time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC) } // 10:00 in Beijing
	return kuaidi100.New(kuaidi100.Settings{Key: "KEY", Secret: "SECRET", Customer: "CUST", Base: srv.URL}, nil, now), &got
}

func TestSign(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		// md5("abc") is the RFC 1321 test vector, upper-cased as the provider writes it.
		{"one part", []string{"abc"}, "900150983CD24FB0D6963F7D28E17F72"},
		{"parts are concatenated", []string{"a", "b", "c"}, "900150983CD24FB0D6963F7D28E17F72"},
		{"empty", nil, "D41D8CD98F00B204E9800998ECF8427E"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := kuaidi100.Sign(tc.parts...); got != tc.want {
				t.Errorf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	param := `{"status":"polling","lastResult":{"nu":"SF1"}}`
	good := kuaidi100.Sign(param, "salt-1")
	tests := []struct {
		name              string
		param, salt, sign string
		want              bool
	}{
		{"signed with the salt", param, "salt-1", good, true},
		{"lower-case hex is the same signature", param, "salt-1", strings.ToLower(good), true},
		{"another salt", param, "salt-2", good, false},
		{"tampered param", strings.Replace(param, "SF1", "SF2", 1), "salt-1", good, false},
		{"no signature", param, "salt-1", "", false},
		{"signature of the param alone", param, "salt-1", kuaidi100.Sign(param), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := kuaidi100.Verify(tc.param, tc.salt, tc.sign); got != tc.want {
				t.Errorf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSubscribe(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantErr  bool
		wantCode string
		wantTemp bool
	}{
		{"accepted", 200, `{"result":true,"returnCode":"200","message":"提交成功"}`, false, "", false},
		{"a duplicate subscription is a success", 200, `{"result":false,"returnCode":"501","message":"重复订阅"}`, false, "", false},
		{"bad parameters", 200, `{"result":false,"returnCode":"700","message":"订阅请求参数错误"}`, true, "700", false},
		{"server error is temporary", 200, `{"result":false,"returnCode":"500","message":"服务器错误"}`, true, "500", true},
		{"gateway failure is temporary", 502, `bad gateway`, true, "", true},
		{"not JSON", 200, `<html>`, true, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, got := provider(t, tc.status, tc.body)
			err := c.Subscribe(context.Background(), kuaidi100.Subscription{Company: "shunfeng", Number: "SF1234567890",
				Phone: "13800000000", CallbackURL: "https://x.example/webhooks/kuaidi100?case=as_1", Salt: "s1"})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			var e *kuaidi100.Error
			if err != nil {
				if !errors.As(err, &e) || e.ReturnCode != tc.wantCode || e.Temporary() != tc.wantTemp {
					t.Errorf("err = %#v, want code %q temporary %v", err, tc.wantCode, tc.wantTemp)
				}
			}
			r := (*got)[0]
			if r.path != "/poll" || r.ctype != "application/x-www-form-urlencoded" || r.form.Get("schema") != "json" {
				t.Errorf("request %s %q schema %q", r.path, r.ctype, r.form.Get("schema"))
			}
			var p struct {
				Company, Number, Key string
				Parameters           map[string]string
			}
			if err := json.Unmarshal([]byte(r.form.Get("param")), &p); err != nil {
				t.Fatal(err)
			}
			if p.Company != "shunfeng" || p.Number != "SF1234567890" || p.Key != "KEY" ||
				p.Parameters["callbackurl"] != "https://x.example/webhooks/kuaidi100?case=as_1" || p.Parameters["salt"] != "s1" ||
				p.Parameters["phone"] != "13800000000" || p.Parameters["resultv2"] != "4" {
				t.Errorf("param = %+v", p)
			}
		})
	}
}

func TestRecognize(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr string
	}{
		{"candidates, likeliest first", `[{"comCode":"shunfeng","id":"","noCount":302236,"noPre":"9069","startTime":""},{"comCode":"yuantong","noCount":24}]`,
			[]string{"shunfeng", "yuantong"}, ""},
		{"no courier", `[]`, nil, ""},
		{"key missing", `{"returnCode":"701","message":"key缺失","result":false}`, nil, "701"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, got := provider(t, 200, tc.body)
			cs, err := c.Recognize(context.Background(), "906919164534")
			var e *kuaidi100.Error
			if tc.wantErr != "" {
				if !errors.As(err, &e) || e.ReturnCode != tc.wantErr {
					t.Fatalf("err = %v, want code %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, x := range cs {
				codes = append(codes, x.Company)
			}
			if strings.Join(codes, ",") != strings.Join(tc.want, ",") {
				t.Errorf("candidates %v, want %v", codes, tc.want)
			}
			if q := (*got)[0].query; (*got)[0].path != "/autonumber/auto" || q.Get("num") != "906919164534" || q.Get("key") != "KEY" {
				t.Errorf("request %s %v", (*got)[0].path, q)
			}
		})
	}
}

// checkSigned checks an order API's signed form.
func checkSigned(t *testing.T, r seen, method string) {
	t.Helper()
	f := r.form
	if f.Get("method") != method || f.Get("key") != "KEY" || f.Get("t") != "1796436000000" {
		t.Errorf("form method %q key %q t %q", f.Get("method"), f.Get("key"), f.Get("t"))
	}
	if want := kuaidi100.Sign(f.Get("param"), f.Get("t"), "KEY", "SECRET"); f.Get("sign") != want {
		t.Errorf("sign %s, want MD5(param+t+key+secret) %s", f.Get("sign"), want)
	}
}

func TestBook(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		start   time.Time
		want    kuaidi100.Booking
		wantDay string
		wantErr bool
	}{
		{"tomorrow's window", `{"result":true,"returnCode":"200","message":"提交成功","data":{"taskId":"T1","orderId":"O1"}}`,
			time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), kuaidi100.Booking{TaskID: "T1", OrderID: "O1"}, "明天", false},
		{"today's window", `{"result":true,"returnCode":"200","message":"ok","data":{"taskId":"T2","orderId":"O2"}}`,
			time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC), kuaidi100.Booking{TaskID: "T2", OrderID: "O2"}, "今天", false},
		{"refused", `{"result":false,"returnCode":"30002","message":"不支持该地址"}`, time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), kuaidi100.Booking{}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, got := provider(t, 200, tc.body)
			b, err := c.Book(context.Background(), kuaidi100.PickupOrder{Company: "debangkuaidi", SenderName: "王", SenderMobile: "13800000000",
				SenderAddress: "上海市浦东新区1号", RecipientName: "仓库", RecipientMobile: "02100000000", RecipientAddress: "杭州市余杭区2号",
				Cargo: "家电", WindowStart: tc.start, WindowEnd: tc.start.Add(2 * time.Hour), CallbackURL: "https://x/cb", Salt: "s",
				PollCallbackURL: "https://x/poll"})
			if (err != nil) != tc.wantErr || b != tc.want {
				t.Fatalf("Book = %+v, %v", b, err)
			}
			r := (*got)[0]
			if r.path != "/order/corderapi.do" {
				t.Errorf("path %s", r.path)
			}
			checkSigned(t, r, "cOrder")
			var p map[string]string
			if err := json.Unmarshal([]byte(r.form.Get("param")), &p); err != nil {
				t.Fatal(err)
			}
			if !tc.wantErr && (p["dayType"] != tc.wantDay || p["payment"] != "SHIPPER" || p["op"] != "1" || p["pollCallBackUrl"] != "https://x/poll" ||
				p["sendManPrintAddr"] != "上海市浦东新区1号" || p["salt"] != "s") {
				t.Errorf("param = %v", p)
			}
		})
	}
}

func TestIntercept(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    string
		wantErr bool
	}{
		{"filed", `{"success":true,"code":200,"message":"success","data":{"taskId":"IT1"}}`, "IT1", false},
		{"refused", `{"success":false,"code":30001,"message":"该单号不支持拦截"}`, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, got := provider(t, 200, tc.body)
			id, err := c.Intercept(context.Background(), kuaidi100.Interception{Company: "zhongtong", Number: "ZT1", Reason: "退款",
				OrderID: "as_1", CallbackURL: "https://x/cb", Salt: "s"})
			if (err != nil) != tc.wantErr || id != tc.want {
				t.Fatalf("Intercept = %q, %v", id, err)
			}
			checkSigned(t, (*got)[0], "interceptOrder")
			var p map[string]string
			_ = json.Unmarshal([]byte((*got)[0].form.Get("param")), &p)
			if p["interceptType"] != "RETURN_SEND_ADDR" || p["kuaidinum"] != "ZT1" || p["callbackUrl"] != "https://x/cb" {
				t.Errorf("param = %v", p)
			}
		})
	}
}

func TestParsePush(t *testing.T) {
	tests := []struct {
		name    string
		param   string
		phase   kuaidi100.Phase
		at      time.Time
		wantErr bool
	}{
		{"collected, state as a string", `{"status":"polling","lastResult":{"state":"103","com":"shunfeng","nu":"SF1","data":[{"context":"已揽收","time":"2026-12-05 10:00:00"}]}}`,
			kuaidi100.PhaseCollected, time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC), false},
		{"signed, state as a number", `{"status":"shutdown","lastResult":{"state":3,"ischeck":1,"com":"shunfeng","nu":"SF1","data":[{"context":"已签收","time":"2026-12-07 09:00:00"},{"context":"派件","time":"2026-12-07 08:00:00"}]}}`,
			kuaidi100.PhaseSigned, time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC), false},
		{"no traces", `{"status":"abort","message":"3天查询无记录","lastResult":{"state":"0","nu":"SF1","data":[]}}`, kuaidi100.PhaseInTransit, time.Time{}, false},
		{"no parcel", `{"status":"polling","lastResult":{}}`, "", time.Time{}, true},
		{"not JSON", `status=polling`, "", time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := kuaidi100.ParsePush(tc.param)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && (p.Phase() != tc.phase || !p.LatestAt().Equal(tc.at)) {
				t.Errorf("phase %q at %v, want %q at %v", p.Phase(), p.LatestAt(), tc.phase, tc.at)
			}
		})
	}
}

func TestPhaseOf(t *testing.T) {
	tests := []struct {
		state string
		want  kuaidi100.Phase
	}{
		{"0", kuaidi100.PhaseInTransit}, {"1001", kuaidi100.PhaseInTransit}, {"1", kuaidi100.PhaseCollected},
		{"101", kuaidi100.PhaseOrdered}, {"102", kuaidi100.PhaseOrdered}, {"103", kuaidi100.PhaseCollected},
		{"2", kuaidi100.PhaseProblem}, {"201", kuaidi100.PhaseProblem}, {"3", kuaidi100.PhaseSigned}, {"301", kuaidi100.PhaseSigned},
		{"4", kuaidi100.PhaseReturned}, {"6", kuaidi100.PhaseReturned}, {"5", kuaidi100.PhaseDelivering},
		{"8", kuaidi100.PhaseInTransit}, {"14", kuaidi100.PhaseRejected}, {"", kuaidi100.PhaseUnknown}, {"x", kuaidi100.PhaseUnknown},
	}
	for _, tc := range tests {
		t.Run("state "+tc.state, func(t *testing.T) {
			if got := kuaidi100.PhaseOf(tc.state); got != tc.want {
				t.Errorf("PhaseOf(%q) = %q, want %q", tc.state, got, tc.want)
			}
		})
	}
}

func TestCallbacks(t *testing.T) {
	t.Run("order callback with its waybill", func(t *testing.T) {
		cb, err := kuaidi100.ParseOrderCallback(`{"kuaidicom":"debangkuaidi","kuaidinum":"DPK1","status":"200","message":"成功","data":{"orderId":"O1","status":10,"courierName":"李"}}`)
		if err != nil || cb.Number != "DPK1" || cb.OrderStatus() != kuaidi100.OrderCollected || cb.Data.OrderID != "O1" {
			t.Errorf("%+v %v", cb, err)
		}
	})
	t.Run("order callback without an order", func(t *testing.T) {
		if _, err := kuaidi100.ParseOrderCallback(`{"kuaidinum":"DPK1","data":{}}`); err == nil {
			t.Error("accepted")
		}
	})
	t.Run("interception outcome", func(t *testing.T) {
		cb, err := kuaidi100.ParseInterceptCallback(`{"kuaidicom":"zhongtong","kuaidinum":"ZT1","orderId":"as_1","interceptStatus":"FAIL","message":"已签收"}`)
		if err != nil || cb.Status != kuaidi100.InterceptFailed || cb.OrderID != "as_1" {
			t.Errorf("%+v %v", cb, err)
		}
	})
	t.Run("interception without outcome", func(t *testing.T) {
		if _, err := kuaidi100.ParseInterceptCallback(`{"kuaidinum":"ZT1"}`); err == nil {
			t.Error("accepted")
		}
	})
	t.Run("the accepted answer is exactly the provider's", func(t *testing.T) {
		if string(kuaidi100.Accepted) != `{"result":true,"returnCode":"200","message":"成功"}` {
			t.Errorf("%s", kuaidi100.Accepted)
		}
		if got := string(kuaidi100.Refused("401", "bad sign")); got != `{"result":false,"returnCode":"401","message":"bad sign"}` {
			t.Errorf("%s", got)
		}
	})
}
