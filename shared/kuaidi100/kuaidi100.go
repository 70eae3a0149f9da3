// Package kuaidi100 is a client of Kuaidi100 (快递100), the courier
// aggregator most Chinese shops use, speaking its wire formats: tracking
// subscriptions (poll) and their signed pushes, number recognition
// (autonumber), C-end pickup orders (corderapi, cOrder) and their
// callbacks, and interception orders (label/order, interceptOrder).
//
// Kuaidi100 serves no Go SDK; its own Go demo shows the formats. Every
// request is an application/x-www-form-urlencoded POST whose `param` field
// is JSON. Requests of the order APIs are signed with upper-case hex
// MD5(param + t + key + secret); pushes and callbacks to us are signed with
// upper-case hex MD5(param + salt), the salt being the one we gave when we
// subscribed or ordered. MD5 is the provider's scheme, not our choice: we
// compare signatures in constant time and give every subscription its own
// salt, so a leaked salt exposes one parcel only.
package kuaidi100

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The provider's production endpoints (config/url.go of its Go demo).
const (
	PollURL       = "https://poll.kuaidi100.com/poll"
	AutoNumberURL = "http://www.kuaidi100.com/autonumber/auto"
	COrderURL     = "https://order.kuaidi100.com/order/corderapi.do"
	LabelURL      = "https://api.kuaidi100.com/label/order"
)

// Settings are the merchant's Kuaidi100 account and the endpoints to call
// (the local stand-in's in the local stack; empty means production).
type Settings struct {
	Customer string // the company code of the account
	Key      string // the authorisation key (授权key)
	Secret   string // the secret of the order APIs' signatures
	// Base, when set, replaces the scheme and host of every endpoint
	// (the local stand-in); the paths stay the provider's.
	Base string
}

// Client calls Kuaidi100.
type Client struct {
	s    Settings
	http *http.Client
	now  func() time.Time
}

// New returns a client of the account s. hc nil uses a client with a 10 s
// timeout (the provider answers in well under a second); now nil uses
// time.Now (the order APIs' t is the caller's time in milliseconds).
func New(s Settings, hc *http.Client, now func() time.Time) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &Client{s: s, http: hc, now: now}
}

// Error is an answer of Kuaidi100 that is not a success.
type Error struct {
	Op         string
	ReturnCode string // the provider's code ("501", "601", "700", ...)
	Message    string
	// Status is the HTTP status when the provider did not answer with its
	// JSON at all (a gateway error), otherwise 200.
	Status int
}

func (e *Error) Error() string {
	if e.ReturnCode == "" {
		return fmt.Sprintf("kuaidi100 %s: HTTP %d: %s", e.Op, e.Status, e.Message)
	}
	return fmt.Sprintf("kuaidi100 %s: %s %s", e.Op, e.ReturnCode, e.Message)
}

// Temporary reports whether trying again later may succeed: a server error
// or a gateway failure, not a refusal of what we sent.
func (e *Error) Temporary() bool {
	return e.Status >= 500 || e.ReturnCode == "500" || e.ReturnCode == "503"
}

// Sign is Kuaidi100's signature: upper-case hex MD5 of the concatenated
// parts (param+salt for pushes; param+t+key+secret for order requests).
func Sign(parts ...string) string {
	h := md5.New()
	for _, p := range parts {
		io.WriteString(h, p)
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// Verify reports whether sign is the signature of param with salt. The
// comparison takes the same time whatever the signature, so a forger
// learns nothing from how fast a wrong one is refused.
func Verify(param, salt, sign string) bool {
	want := Sign(param, salt)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToUpper(strings.TrimSpace(sign)))) == 1
}

// endpoint is u with its scheme and host replaced by the configured base.
func (c *Client) endpoint(u string) string {
	if c.s.Base == "" {
		return u
	}
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return strings.TrimRight(c.s.Base, "/") + p.Path
}

// post sends form to u and returns the body of a 2xx answer.
func (c *Client) post(ctx context.Context, op, u string, form url.Values) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{Op: op, Status: http.StatusBadGateway, Message: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, &Error{Op: op, Status: http.StatusBadGateway, Message: err.Error()}
	}
	if resp.StatusCode/100 != 2 {
		return nil, &Error{Op: op, Status: resp.StatusCode, Message: strings.TrimSpace(string(body))}
	}
	return body, nil
}

// signedForm is the form of the order APIs: key, method, t, sign and param.
func (c *Client) signedForm(method string, param []byte) url.Values {
	t := strconv.FormatInt(c.now().UnixMilli(), 10)
	return url.Values{
		"key": {c.s.Key}, "method": {method}, "t": {t},
		"sign": {Sign(string(param), t, c.s.Key, c.s.Secret)}, "param": {string(param)},
	}
}

// answer is the envelope of the poll and order APIs' answers:
// {"result":true,"returnCode":"200","message":"提交成功","data":{...}}. The
// label APIs answer {"success":true,"code":200,"message":...,"data":...};
// both read into it.
type answer struct {
	Result     *bool           `json:"result"`
	ReturnCode json.RawMessage `json:"returnCode"`
	Success    *bool           `json:"success"`
	Code       json.RawMessage `json:"code"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
}

// code is a code the provider writes as a string or a number.
func code(raw json.RawMessage) string {
	return strings.Trim(string(bytes.TrimSpace(raw)), `"`)
}

// decode reads an answer; anything but a success is an *Error.
func decode(op string, body []byte) (answer, error) {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return a, &Error{Op: op, Status: http.StatusBadGateway, Message: "not JSON: " + truncate(string(body))}
	}
	ok := (a.Result != nil && *a.Result) || (a.Success != nil && *a.Success)
	rc := code(a.ReturnCode)
	if rc == "" {
		rc = code(a.Code)
	}
	if !ok {
		if rc == "" {
			rc = "500"
		}
		return a, &Error{Op: op, ReturnCode: rc, Message: a.Message, Status: http.StatusOK}
	}
	return a, nil
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// Subscription asks Kuaidi100 to push a parcel's tracking to CallbackURL.
type Subscription struct {
	Company     string // courier code, lower case ("shunfeng", "yuantong")
	Number      string // the waybill number
	Phone       string // the sender's or receiver's phone; SF Express requires it
	From, To    string // optional cities, which sharpen the signed-for detection
	CallbackURL string
	// Salt signs every push of this subscription: sign = MD5(param+salt).
	Salt string
}

type pollParam struct {
	Company    string         `json:"company"`
	Number     string         `json:"number"`
	From       string         `json:"from,omitempty"`
	To         string         `json:"to,omitempty"`
	Key        string         `json:"key"`
	Parameters pollParameters `json:"parameters"`
}

type pollParameters struct {
	CallbackURL string `json:"callbackurl"`
	Salt        string `json:"salt,omitempty"`
	Phone       string `json:"phone,omitempty"`
	// ResultV2 "4" asks for the detailed states (101 ordered, 103
	// collected, 301 signed, ...), which say "collected" reliably.
	ResultV2 string `json:"resultv2"`
}

// Subscribe subscribes to a parcel's pushes. A duplicate subscription
// (returnCode 501: the same parcel already subscribed) is a success: the
// pushes already come.
func (c *Client) Subscribe(ctx context.Context, s Subscription) error {
	const op = "poll"
	param, err := json.Marshal(pollParam{Company: s.Company, Number: s.Number, From: s.From, To: s.To, Key: c.s.Key,
		Parameters: pollParameters{CallbackURL: s.CallbackURL, Salt: s.Salt, Phone: s.Phone, ResultV2: "4"}})
	if err != nil {
		return err
	}
	body, err := c.post(ctx, op, c.endpoint(PollURL), url.Values{"schema": {"json"}, "param": {string(param)}})
	if err != nil {
		return err
	}
	_, err = decode(op, body)
	var e *Error
	if errors.As(err, &e) && e.ReturnCode == "501" {
		return nil
	}
	return err
}

// Candidate is a courier a number may belong to, likeliest first.
type Candidate struct {
	Company string `json:"comCode"`
	Name    string `json:"name,omitempty"`
}

// Recognize asks which couriers number may belong to (智能单号识别). An
// empty list means no courier issues numbers like it.
func (c *Client) Recognize(ctx context.Context, number string) ([]Candidate, error) {
	const op = "autonumber"
	u := c.endpoint(AutoNumberURL) + "?" + url.Values{"num": {number}, "key": {c.s.Key}}.Encode()
	body, err := c.post(ctx, op, u, url.Values{})
	if err != nil {
		return nil, err
	}
	// Success is a JSON array; failure the usual envelope.
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		var out []Candidate
		if err := json.Unmarshal(t, &out); err != nil {
			return nil, &Error{Op: op, Status: http.StatusBadGateway, Message: "not JSON: " + truncate(string(body))}
		}
		return out, nil
	}
	_, err = decode(op, body)
	if err == nil {
		return nil, nil
	}
	return nil, err
}

// PickupOrder books a courier to collect a parcel at the sender's address
// (C端寄件, method cOrder). Times are the pickup window.
type PickupOrder struct {
	Company          string // courier code
	SenderName       string
	SenderMobile     string
	SenderAddress    string
	RecipientName    string
	RecipientMobile  string
	RecipientAddress string
	Cargo            string // what is sent ("家电")
	WeightKg         string
	Remark           string
	WindowStart      time.Time
	WindowEnd        time.Time
	// CallbackURL receives the order's progress, the waybill number
	// among it, signed with Salt.
	CallbackURL string
	Salt        string
	// PollCallbackURL, when set, subscribes the waybill's tracking at
	// once, its pushes signed with Salt too.
	PollCallbackURL string
}

type corderParam struct {
	Kuaidicom        string `json:"kuaidicom"`
	RecManName       string `json:"recManName"`
	RecManMobile     string `json:"recManMobile"`
	RecManPrintAddr  string `json:"recManPrintAddr"`
	SendManName      string `json:"sendManName"`
	SendManMobile    string `json:"sendManMobile"`
	SendManPrintAddr string `json:"sendManPrintAddr"`
	Cargo            string `json:"cargo"`
	CallBackURL      string `json:"callBackUrl"`
	Payment          string `json:"payment"`
	Weight           string `json:"weight,omitempty"`
	Remark           string `json:"remark,omitempty"`
	Salt             string `json:"salt,omitempty"`
	DayType          string `json:"dayType,omitempty"`
	PickupStartTime  string `json:"pickupStartTime,omitempty"`
	PickupEndTime    string `json:"pickupEndTime,omitempty"`
	Op               string `json:"op"`
	PollCallBackURL  string `json:"pollCallBackUrl,omitempty"`
	ResultV2         string `json:"resultv2,omitempty"`
}

// Booking is Kuaidi100's receipt of a pickup order.
type Booking struct {
	TaskID  string `json:"taskId"`
	OrderID string `json:"orderId"`
}

// chinaTime is the provider's clock: its dates are Beijing time.
var chinaTime = time.FixedZone("CST", 8*3600)

// Book places a pickup order. The merchant pays (payment SHIPPER): a
// buyer returning goods does not pay the courier at the door.
func (c *Client) Book(ctx context.Context, o PickupOrder) (Booking, error) {
	const op = "cOrder"
	p := corderParam{Kuaidicom: o.Company, RecManName: o.RecipientName, RecManMobile: o.RecipientMobile,
		RecManPrintAddr: o.RecipientAddress, SendManName: o.SenderName, SendManMobile: o.SenderMobile,
		SendManPrintAddr: o.SenderAddress, Cargo: o.Cargo, CallBackURL: o.CallbackURL, Payment: "SHIPPER",
		Weight: o.WeightKg, Remark: o.Remark, Salt: o.Salt, Op: "0"}
	if !o.WindowStart.IsZero() {
		s, e := o.WindowStart.In(chinaTime), o.WindowEnd.In(chinaTime)
		p.DayType = dayType(c.now().In(chinaTime), s)
		p.PickupStartTime, p.PickupEndTime = s.Format("15:04"), e.Format("15:04")
	}
	if o.PollCallbackURL != "" {
		p.Op, p.PollCallBackURL, p.ResultV2 = "1", o.PollCallbackURL, "4"
	}
	param, err := json.Marshal(p)
	if err != nil {
		return Booking{}, err
	}
	body, err := c.post(ctx, op, c.endpoint(COrderURL), c.signedForm(op, param))
	if err != nil {
		return Booking{}, err
	}
	a, err := decode(op, body)
	if err != nil {
		return Booking{}, err
	}
	var b Booking
	if len(a.Data) > 0 {
		if err := json.Unmarshal(a.Data, &b); err != nil {
			return Booking{}, &Error{Op: op, Status: http.StatusBadGateway, Message: "data: " + err.Error()}
		}
	}
	return b, nil
}

// dayType names the pickup day the way cOrder wants it: 今天, 明天 or 后天.
func dayType(today, day time.Time) string {
	y1, m1, d1 := today.Date()
	y2, m2, d2 := day.Date()
	days := int(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	switch {
	case days <= 0:
		return "今天"
	case days == 1:
		return "明天"
	}
	return "后天"
}

// Interception asks the courier to stop a parcel in transit and send it
// back to the sender (拦截, interceptOrder with RETURN_SEND_ADDR).
type Interception struct {
	Company     string
	Number      string
	Reason      string
	OrderID     string // ours, echoed in the result callback
	CallbackURL string
	Salt        string
}

type interceptParam struct {
	Kuaidicom     string `json:"kuaidicom"`
	Kuaidinum     string `json:"kuaidinum"`
	InterceptType string `json:"interceptType"`
	Reason        string `json:"reason,omitempty"`
	OrderID       string `json:"orderId,omitempty"`
	Salt          string `json:"salt,omitempty"`
	CallbackURL   string `json:"callbackUrl,omitempty"`
}

// Intercept files an interception; its outcome arrives by callback.
func (c *Client) Intercept(ctx context.Context, i Interception) (taskID string, err error) {
	const op = "interceptOrder"
	param, err := json.Marshal(interceptParam{Kuaidicom: i.Company, Kuaidinum: i.Number, InterceptType: "RETURN_SEND_ADDR",
		Reason: i.Reason, OrderID: i.OrderID, Salt: i.Salt, CallbackURL: i.CallbackURL})
	if err != nil {
		return "", err
	}
	body, err := c.post(ctx, op, c.endpoint(LabelURL), c.signedForm(op, param))
	if err != nil {
		return "", err
	}
	a, err := decode(op, body)
	if err != nil {
		return "", err
	}
	var d struct {
		TaskID string `json:"taskId"`
	}
	_ = json.Unmarshal(a.Data, &d) // the task id is informative only
	return d.TaskID, nil
}
