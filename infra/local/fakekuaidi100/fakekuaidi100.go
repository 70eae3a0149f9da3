// Package fakekuaidi100 is the local stand-in for Kuaidi100 (快递100),
// speaking its wire: form posts whose `param` is JSON, answered with the
// provider's envelopes, and signed pushes and callbacks to the URLs it was
// given.
//
// It serves
//   - POST /poll: tracking subscriptions (key checked, duplicate
//     subscriptions answered 501 as the provider does);
//   - POST /autonumber/auto?num=&key=: number recognition, plausible per
//     courier (SF Express numbers start with SF, YTO's with YT, ZTO's are
//     12 to 14 digits starting with 7 or 6, ...);
//   - POST /order/corderapi.do (method cOrder): C-end pickup orders, signed
//     MD5(param+t+key+secret); the order's progress comes back by callback,
//     the waybill the courier assigns among it, and its tracking is
//     subscribed at once when pollCallBackUrl was given;
//   - POST /label/order (method interceptOrder): interceptions, whose
//     outcome (success unless told otherwise) comes back by callback.
//
// Every push and callback is posted as the provider posts it: a form with
// param and sign = upper-case MD5(param + salt).
//
// Parcels follow a journey on the clock it is given (Options.AfterFunc, the
// local stack's virtual clock): the standard one is collected 4 h after the
// subscription, in transit at 20 h, out for delivery at 44 h and signed at
// 48 h. A journey can be set per number before it is subscribed (manual:
// nothing happens until Move; never_collected; stuck: collected, then
// silence; returned: collected, then sent back), and Move pushes any state
// at once. The fake never sleeps.
package fakekuaidi100

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aftersales/aftersales/shared/kuaidi100"
)

// Options configure the stand-in.
type Options struct {
	Key, Secret, Customer string
	Now                   func() time.Time
	// AfterFunc schedules the journeys' steps (vclock.Clock.AfterFunc).
	AfterFunc func(time.Duration, func()) func() bool
	// Client posts the pushes and callbacks.
	Client *http.Client
	// AfterPush, when set, runs after every push or callback was answered:
	// the local stack waits there until the push is applied, so that on a
	// virtual clock a scan takes effect before the next timer fires, as it
	// would in real time.
	AfterPush func()
}

// Journeys.
const (
	JourneyStandard       = "standard"
	JourneyManual         = "manual"
	JourneyNeverCollected = "never_collected"
	JourneyStuck          = "stuck"
	JourneyReturned       = "returned"
)

// Journeys lists the journeys a parcel can be given.
var Journeys = []string{JourneyStandard, JourneyManual, JourneyNeverCollected, JourneyStuck, JourneyReturned}

// step is one scripted scan: after delay from the subscription, state with
// its text.
type step struct {
	after time.Duration
	state string
	text  string
}

var journeys = map[string][]step{
	JourneyStandard: {
		{4 * time.Hour, "103", "快递员已揽收"},
		{20 * time.Hour, "1002", "快件已到达转运中心"},
		{44 * time.Hour, "501", "快件派送中"},
		{48 * time.Hour, "301", "已签收，签收人：商家仓库"},
	},
	JourneyManual:         nil,
	JourneyNeverCollected: nil,
	JourneyStuck:          {{4 * time.Hour, "103", "快递员已揽收"}},
	JourneyReturned: {
		{4 * time.Hour, "103", "快递员已揽收"},
		{20 * time.Hour, "1002", "快件已到达转运中心"},
		{30 * time.Hour, "401", "收件方拒收，快件退回"},
	},
}

// States maps the names Move takes to the provider's detailed states.
var States = map[string]struct{ State, Text string }{
	"ordered":    {"101", "已下单"},
	"collected":  {"103", "快递员已揽收"},
	"in_transit": {"1002", "快件已到达转运中心"},
	"delivering": {"501", "快件派送中"},
	"signed":     {"301", "已签收，签收人：商家仓库"},
	"problem":    {"201", "快件存在疑难，请联系快递员"},
	"returned":   {"401", "快件已退签"},
	"rejected":   {"14", "收件人拒收"},
}

// Trace is a scan of a parcel, as pushed.
type Trace = kuaidi100.Trace

// Parcel is a subscribed parcel.
type Parcel struct {
	Company     string    `json:"company"`
	Number      string    `json:"number"`
	CallbackURL string    `json:"callback_url"`
	Journey     string    `json:"journey"`
	State       string    `json:"state"`
	Traces      []Trace   `json:"traces"` // newest first
	Subscribed  time.Time `json:"subscribed_at"`
	salt        string
	timers      []func() bool
}

// Push is a push or callback the stand-in posted, and how it was answered.
type Push struct {
	Kind   string    `json:"kind"` // poll, order or intercept
	Number string    `json:"number"`
	URL    string    `json:"url"`
	Param  string    `json:"param"`
	Sign   string    `json:"sign"`
	Status int       `json:"status"`
	Answer string    `json:"answer"`
	At     time.Time `json:"at"`
}

// Order is a pickup order.
type Order struct {
	OrderID     string    `json:"order_id"`
	TaskID      string    `json:"task_id"`
	Company     string    `json:"company"`
	Number      string    `json:"number,omitempty"` // once collected
	Sender      string    `json:"sender_address"`
	WindowStart string    `json:"pickup_start,omitempty"`
	WindowEnd   string    `json:"pickup_end,omitempty"`
	DayType     string    `json:"day_type,omitempty"`
	Status      string    `json:"status"`
	CallbackURL string    `json:"callback_url"`
	PollURL     string    `json:"poll_callback_url,omitempty"`
	At          time.Time `json:"at"`
	salt        string
}

// Interception is an interception request.
type Interception struct {
	Company     string    `json:"company"`
	Number      string    `json:"number"`
	OrderID     string    `json:"order_id"`
	Outcome     string    `json:"outcome"` // SUCCESS or FAIL, once decided
	CallbackURL string    `json:"callback_url"`
	At          time.Time `json:"at"`
	salt        string
}

// Server is the stand-in.
type Server struct {
	o Options

	mu        sync.Mutex
	parcels   map[string]*Parcel // by number
	journeyOf map[string]string  // journeys set before subscription
	outcomeOf map[string]string  // interception outcomes set per number
	orders    map[string]*Order
	intercept []*Interception
	pushes    []Push
	seq       int
}

// New returns a stand-in.
func New(o Options) *Server {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	return &Server{o: o, parcels: map[string]*Parcel{}, journeyOf: map[string]string{}, outcomeOf: map[string]string{},
		orders: map[string]*Order{}}
}

// Settings are the client settings that talk to this stand-in at base.
func (s *Server) Settings(base string) kuaidi100.Settings {
	return kuaidi100.Settings{Key: s.o.Key, Secret: s.o.Secret, Customer: s.o.Customer, Base: base}
}

// Handler serves the provider's endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /poll", s.poll)
	mux.HandleFunc("POST /autonumber/auto", s.autonumber)
	mux.HandleFunc("POST /order/corderapi.do", s.corder)
	mux.HandleFunc("POST /label/order", s.label)
	return mux
}

func envelope(w http.ResponseWriter, ok bool, code, msg string, data any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	body := map[string]any{"result": ok, "returnCode": code, "message": msg}
	if data != nil {
		body["data"] = data
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) poll(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Company    string `json:"company"`
		Number     string `json:"number"`
		Key        string `json:"key"`
		Parameters struct {
			CallbackURL string `json:"callbackurl"`
			Salt        string `json:"salt"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal([]byte(r.PostFormValue("param")), &p); err != nil || p.Company == "" || p.Number == "" || p.Parameters.CallbackURL == "" {
		envelope(w, false, "700", "订阅请求参数错误", nil)
		return
	}
	if p.Key != s.o.Key {
		envelope(w, false, "600", "您不是合法的订阅者（即授权Key出错）", nil)
		return
	}
	if c := Recognize(p.Number); !contains(c, p.Company) {
		envelope(w, false, "701", "拒绝订阅的快递公司", nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.parcels[p.Number]; ok && old.CallbackURL == p.Parameters.CallbackURL && old.salt == p.Parameters.Salt {
		envelope(w, false, "501", "重复订阅", nil)
		return
	}
	s.subscribeLocked(p.Company, p.Number, p.Parameters.CallbackURL, p.Parameters.Salt, 0)
	envelope(w, true, "200", "提交成功", nil)
}

// subscribeLocked starts a parcel's journey, skipping the steps before
// from (a pickup order's parcel is collected already).
func (s *Server) subscribeLocked(company, number, callback, salt string, from time.Duration) {
	if old, ok := s.parcels[number]; ok {
		for _, stop := range old.timers {
			stop()
		}
	}
	j := s.journeyOf[number]
	if j == "" {
		j = JourneyStandard
	}
	p := &Parcel{Company: company, Number: number, CallbackURL: callback, salt: salt, Journey: j, Subscribed: s.o.Now().UTC()}
	s.parcels[number] = p
	for _, st := range journeys[j] {
		if st.after <= from {
			continue
		}
		st := st
		p.timers = append(p.timers, s.o.AfterFunc(st.after-from, func() { s.scan(number, st.state, st.text) }))
	}
}

// scan records a scan of a parcel and pushes it.
func (s *Server) scan(number, state, text string) {
	s.mu.Lock()
	p, ok := s.parcels[number]
	if !ok {
		s.mu.Unlock()
		return
	}
	now := s.o.Now()
	p.State = state
	p.Traces = append([]Trace{{Context: text, Time: kuaidi100.FormatTime(now), FTime: kuaidi100.FormatTime(now), Status: text}}, p.Traces...)
	status := "polling"
	if kuaidi100.PhaseOf(state) == kuaidi100.PhaseSigned {
		status = "shutdown"
	}
	ischeck := "0"
	if status == "shutdown" {
		ischeck = "1"
	}
	body := map[string]any{"status": status, "billstatus": "got", "message": "",
		"lastResult": map[string]any{"message": "ok", "state": state, "status": "200", "condition": "F00", "ischeck": ischeck,
			"com": p.Company, "nu": p.Number, "data": p.Traces}}
	param, _ := json.Marshal(body)
	cb, salt := p.CallbackURL, p.salt
	s.mu.Unlock()
	s.post("poll", number, cb, string(param), salt, nil)
}

// post posts a signed push or callback and records the answer.
func (s *Server) post(kind, number, target, param, salt string, extra url.Values) {
	form := url.Values{"param": {param}, "sign": {kuaidi100.Sign(param, salt)}}
	for k, v := range extra {
		form[k] = v
	}
	push := Push{Kind: kind, Number: number, URL: target, Param: param, Sign: form.Get("sign"), At: s.o.Now().UTC()}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, target, strings.NewReader(form.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var resp *http.Response
		if resp, err = s.o.Client.Do(req); err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			push.Status, push.Answer = resp.StatusCode, string(b)
		}
	}
	if err != nil {
		push.Answer = err.Error()
	}
	s.mu.Lock()
	s.pushes = append(s.pushes, push)
	s.mu.Unlock()
	if s.o.AfterPush != nil {
		s.o.AfterPush()
	}
}

// Move pushes state ("collected", "signed", ... see States) for a
// subscribed parcel now; the journey's later steps are cancelled, so the
// parcel stays where it was moved.
func (s *Server) Move(number, to string) error {
	st, ok := States[to]
	if !ok {
		return fmt.Errorf("unknown state %q", to)
	}
	s.mu.Lock()
	p, ok := s.parcels[number]
	if ok {
		for _, stop := range p.timers {
			stop()
		}
		p.timers = nil
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("parcel %s is not subscribed", number)
	}
	s.scan(number, st.State, st.Text)
	return nil
}

// Replay posts the latest push of a parcel again, byte for byte, as an
// attacker (or a retry) would.
func (s *Server) Replay(number string) error {
	s.mu.Lock()
	var last *Push
	for i := len(s.pushes) - 1; i >= 0; i-- {
		if s.pushes[i].Number == number && s.pushes[i].Kind == "poll" {
			last = &s.pushes[i]
			break
		}
	}
	if last == nil {
		s.mu.Unlock()
		return fmt.Errorf("parcel %s was never pushed", number)
	}
	target, param, sign := last.URL, last.Param, last.Sign
	s.mu.Unlock()
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(url.Values{"param": {param}, "sign": {sign}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// SetJourney sets the journey of a number not yet subscribed (or of its
// next subscription).
func (s *Server) SetJourney(number, journey string) error {
	if _, ok := journeys[journey]; !ok {
		return fmt.Errorf("unknown journey %q", journey)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.journeyOf[number] = journey
	return nil
}

// SetInterceptOutcome makes interceptions of number succeed
// (kuaidi100.InterceptSucceeded) or fail (kuaidi100.InterceptFailed).
func (s *Server) SetInterceptOutcome(number, outcome string) error {
	if outcome != kuaidi100.InterceptSucceeded && outcome != kuaidi100.InterceptFailed {
		return fmt.Errorf("outcome must be %s or %s", kuaidi100.InterceptSucceeded, kuaidi100.InterceptFailed)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomeOf[number] = outcome
	return nil
}

// Snapshot is what the stand-in knows, for /dev.
type Snapshot struct {
	Parcels       []Parcel       `json:"parcels"`
	Orders        []Order        `json:"orders"`
	Interceptions []Interception `json:"interceptions"`
	Pushes        []Push         `json:"pushes"`
}

// Snapshot returns the parcels (by number), orders, interceptions and
// pushes so far.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Snapshot{Pushes: append([]Push(nil), s.pushes...)}
	for _, p := range s.parcels {
		out.Parcels = append(out.Parcels, *p)
	}
	sort.Slice(out.Parcels, func(i, j int) bool { return out.Parcels[i].Number < out.Parcels[j].Number })
	for _, o := range s.orders {
		out.Orders = append(out.Orders, *o)
	}
	sort.Slice(out.Orders, func(i, j int) bool { return out.Orders[i].OrderID < out.Orders[j].OrderID })
	for _, i := range s.intercept {
		out.Interceptions = append(out.Interceptions, *i)
	}
	return out
}

// patterns are the number formats of the couriers the stand-in knows.
var patterns = []struct {
	company string
	re      *regexp.Regexp
}{
	{"shunfeng", regexp.MustCompile(`^SF[0-9]{10,13}$`)},
	{"yuantong", regexp.MustCompile(`^YT[0-9]{10,13}$`)},
	{"jtexpress", regexp.MustCompile(`^JT[0-9]{13}$`)},
	{"jd", regexp.MustCompile(`^JD[0-9A-Z]{11,13}$`)},
	{"debangkuaidi", regexp.MustCompile(`^DPK[0-9]{12}$`)},
	{"ems", regexp.MustCompile(`^(E[A-Z][0-9]{9}CN|1[0-9]{12})$`)},
	{"shentong", regexp.MustCompile(`^77[0-9]{11}$`)},
	{"zhongtong", regexp.MustCompile(`^[67][0-9]{11,13}$`)},
	{"yunda", regexp.MustCompile(`^(31|43|46|33)[0-9]{11}$`)},
}

// Recognize returns the couriers whose numbers look like number, the most
// specific first.
func Recognize(number string) []string {
	var out []string
	for _, p := range patterns {
		if p.re.MatchString(number) {
			out = append(out, p.company)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (s *Server) autonumber(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("key") != s.o.Key {
		envelope(w, false, "601", "POLL:KEY已过期", nil)
		return
	}
	out := []map[string]any{}
	num := r.URL.Query().Get("num")
	for _, c := range Recognize(num) {
		pre := num
		if len(pre) > 4 {
			pre = pre[:4]
		}
		out = append(out, map[string]any{"comCode": c, "id": "", "noCount": 1000, "noPre": pre, "startTime": ""})
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(out)
}

// signed checks an order API request's key and signature.
func (s *Server) signed(w http.ResponseWriter, r *http.Request, method string) (string, bool) {
	f := func(k string) string { return r.PostFormValue(k) }
	switch {
	case f("key") != s.o.Key:
		envelope(w, false, "600", "key错误", nil)
	case f("method") != method:
		envelope(w, false, "400", "method错误", nil)
	case kuaidi100.Sign(f("param"), f("t"), s.o.Key, s.o.Secret) != f("sign"):
		envelope(w, false, "401", "签名错误", nil)
	default:
		return f("param"), true
	}
	return "", false
}

func (s *Server) corder(w http.ResponseWriter, r *http.Request) {
	param, ok := s.signed(w, r, "cOrder")
	if !ok {
		return
	}
	var p struct {
		Kuaidicom, SendManPrintAddr, CallBackURL, Salt, DayType, PickupStartTime, PickupEndTime, PollCallBackURL string
		RecManPrintAddr                                                                                          string
	}
	var raw map[string]string
	if err := json.Unmarshal([]byte(param), &raw); err != nil {
		envelope(w, false, "400", "param错误", nil)
		return
	}
	p.Kuaidicom, p.SendManPrintAddr, p.RecManPrintAddr = raw["kuaidicom"], raw["sendManPrintAddr"], raw["recManPrintAddr"]
	p.CallBackURL, p.Salt, p.PollCallBackURL = raw["callBackUrl"], raw["salt"], raw["pollCallBackUrl"]
	p.DayType, p.PickupStartTime, p.PickupEndTime = raw["dayType"], raw["pickupStartTime"], raw["pickupEndTime"]
	if p.Kuaidicom == "" || p.SendManPrintAddr == "" || p.RecManPrintAddr == "" || p.CallBackURL == "" {
		envelope(w, false, "400", "缺少必填参数", nil)
		return
	}
	s.mu.Lock()
	s.seq++
	o := &Order{OrderID: "KD" + strconv.Itoa(100000+s.seq), TaskID: "T" + strconv.Itoa(100000+s.seq), Company: p.Kuaidicom,
		Sender: p.SendManPrintAddr, DayType: p.DayType, WindowStart: p.PickupStartTime, WindowEnd: p.PickupEndTime, Status: kuaidi100.OrderPlaced,
		CallbackURL: p.CallBackURL, PollURL: p.PollCallBackURL, At: s.o.Now().UTC(), salt: p.Salt}
	s.orders[o.OrderID] = o
	s.mu.Unlock()
	// The courier accepts within the hour and collects two hours later.
	id := o.OrderID
	s.o.AfterFunc(time.Hour, func() { s.orderStatus(id, kuaidi100.OrderAccepted) })
	s.o.AfterFunc(3*time.Hour, func() { s.orderStatus(id, kuaidi100.OrderCollected) })
	envelope(w, true, "200", "提交成功", map[string]string{"taskId": o.TaskID, "orderId": o.OrderID})
}

// waybill makes up a plausible number of company.
func (s *Server) waybillLocked(company string) string {
	s.seq++
	n := 10000000000 + s.seq
	switch company {
	case "shunfeng":
		return "SF" + strconv.Itoa(n)
	case "yuantong":
		return "YT" + strconv.Itoa(n)
	case "jd":
		return "JD" + strconv.Itoa(n) + "0"
	case "zhongtong":
		return "7" + strconv.Itoa(n)
	}
	return "DPK" + strconv.Itoa(n) + "0"
}

// Collect has a pickup order collected now (the courier came).
func (s *Server) Collect(orderID string) error {
	s.mu.Lock()
	_, ok := s.orders[orderID]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("no pickup order %s", orderID)
	}
	s.orderStatus(orderID, kuaidi100.OrderCollected)
	return nil
}

// orderStatus moves a pickup order and calls back; collection assigns
// the waybill and, when asked, subscribes its tracking.
func (s *Server) orderStatus(orderID, status string) {
	s.mu.Lock()
	o, ok := s.orders[orderID]
	if !ok || o.Status == kuaidi100.OrderCollected || o.Status == kuaidi100.OrderCancelled {
		s.mu.Unlock()
		return
	}
	o.Status = status
	if status == kuaidi100.OrderCollected && o.Number == "" {
		o.Number = s.waybillLocked(o.Company)
		if o.PollURL != "" {
			s.subscribeLocked(o.Company, o.Number, o.PollURL, o.salt, 4*time.Hour)
		}
	}
	st, _ := strconv.Atoi(status)
	data := map[string]any{"orderId": o.OrderID, "status": st}
	if status != kuaidi100.OrderPlaced {
		data["courierName"], data["courierMobile"] = "张师傅", "13900000000"
	}
	param, _ := json.Marshal(map[string]any{"kuaidicom": o.Company, "kuaidinum": o.Number, "status": "200", "message": "成功", "data": data})
	cb, salt, number, task := o.CallbackURL, o.salt, o.Number, o.TaskID
	s.mu.Unlock()
	s.post("order", number, cb, string(param), salt, url.Values{"taskId": {task}})
}

func (s *Server) label(w http.ResponseWriter, r *http.Request) {
	param, ok := s.signed(w, r, "interceptOrder")
	if !ok {
		return
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(param), &raw); err != nil {
		envelope(w, false, "400", "param错误", nil)
		return
	}
	str := func(k string) string { v, _ := raw[k].(string); return v }
	if str("kuaidicom") == "" || str("kuaidinum") == "" || str("interceptType") == "" {
		labelAnswer(w, false, 400, "缺少必填参数", nil)
		return
	}
	s.mu.Lock()
	s.seq++
	i := &Interception{Company: str("kuaidicom"), Number: str("kuaidinum"), OrderID: str("orderId"), CallbackURL: str("callbackUrl"),
		At: s.o.Now().UTC(), salt: str("salt")}
	s.intercept = append(s.intercept, i)
	task := "IT" + strconv.Itoa(100000+s.seq)
	s.mu.Unlock()
	if i.CallbackURL != "" {
		s.o.AfterFunc(time.Hour, func() { s.decide(i) })
	}
	labelAnswer(w, true, 200, "success", map[string]string{"taskId": task})
}

func labelAnswer(w http.ResponseWriter, ok bool, code int, msg string, data any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"success": ok, "code": code, "message": msg, "data": data, "time": 0})
}

// decide settles an interception and calls back with its outcome.
func (s *Server) decide(i *Interception) {
	s.mu.Lock()
	outcome := s.outcomeOf[i.Number]
	if outcome == "" {
		outcome = kuaidi100.InterceptSucceeded
	}
	i.Outcome = outcome
	msg := "拦截成功，快件将退回寄件地址"
	if outcome == kuaidi100.InterceptFailed {
		msg = "拦截失败，快件已签收"
	} else if p, ok := s.parcels[i.Number]; ok {
		// Intercepted: the parcel turns back and is signed for at the
		// sender's (the merchant's warehouse) two days later.
		for _, stop := range p.timers {
			stop()
		}
		n := i.Number
		p.timers = []func() bool{
			s.o.AfterFunc(20*time.Hour, func() { s.scan(n, "6", "快件已被拦截，退回寄件人中") }),
			s.o.AfterFunc(40*time.Hour, func() { s.scan(n, "301", "已签收（退回寄件人）") }),
		}
	}
	param, _ := json.Marshal(map[string]string{"kuaidicom": i.Company, "kuaidinum": i.Number, "orderId": i.OrderID,
		"interceptStatus": outcome, "message": msg})
	cb, salt := i.CallbackURL, i.salt
	s.mu.Unlock()
	s.post("intercept", i.Number, cb, string(param), salt, nil)
}
