package kuaidi100

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The answers Kuaidi100 expects to its pushes and callbacks. Anything but
// result true makes it push again later (every 30 minutes, three times for
// callbacks; for tracking, with the next change).
var (
	// Accepted is the answer to a push taken: exactly these bytes.
	Accepted = []byte(`{"result":true,"returnCode":"200","message":"成功"}`)
)

// Refused is the answer to a push not taken; code 500 asks for it again,
// anything else (a bad signature) says it is wrong.
func Refused(returnCode, message string) []byte {
	b, _ := json.Marshal(struct {
		Result     bool   `json:"result"`
		ReturnCode string `json:"returnCode"`
		Message    string `json:"message"`
	}{false, returnCode, message})
	return b
}

// Answer writes an answer with the JSON content type and status 200: the
// provider reads only the body.
func Answer(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// Push is a tracking push (the `param` of a poll callback).
type Push struct {
	// Status is the subscription's: polling, shutdown (signed, no more
	// pushes), abort (given up: "3天查询无记录", "60天无变化") or updateall.
	Status  string `json:"status"`
	Message string `json:"message"`
	// AutoCheck "1" with ComNew: the provider corrected our courier code.
	AutoCheck  string `json:"autoCheck"`
	ComOld     string `json:"comOld"`
	ComNew     string `json:"comNew"`
	LastResult Result `json:"lastResult"`
}

// Result is the tracking of a parcel, newest trace first.
type Result struct {
	State   string  `json:"state"`
	IsCheck string  `json:"ischeck"`
	Company string  `json:"com"`
	Number  string  `json:"nu"`
	Data    []Trace `json:"data"`
}

// Trace is one scan of a parcel.
type Trace struct {
	Context  string `json:"context"`
	Time     string `json:"time"`  // "2026-12-05 10:30:00", Beijing time
	FTime    string `json:"ftime"` // the same, formatted
	Status   string `json:"status,omitempty"`
	AreaName string `json:"areaName,omitempty"`
}

// ParsePush decodes a push's param. The provider writes state and
// ischeck as strings or numbers; both read.
func ParsePush(param string) (Push, error) {
	var raw struct {
		Push
		LastResult struct {
			Result
			State   json.RawMessage `json:"state"`
			IsCheck json.RawMessage `json:"ischeck"`
		} `json:"lastResult"`
	}
	if err := json.Unmarshal([]byte(param), &raw); err != nil {
		return Push{}, fmt.Errorf("param is not a tracking push: %w", err)
	}
	p := raw.Push
	p.LastResult = raw.LastResult.Result
	p.LastResult.State = code(raw.LastResult.State)
	p.LastResult.IsCheck = code(raw.LastResult.IsCheck)
	if p.LastResult.Number == "" {
		return Push{}, errors.New("param names no parcel (lastResult.nu)")
	}
	return p, nil
}

// Phase is what a parcel's state means to a return.
type Phase string

// The phases, from Kuaidi100's states: the main ones (0 在途, 1 揽收, 2 疑难,
// 3 签收, 4 退签, 5 派件, 6 退回, 7 转投, 8 清关, 14 拒签) and the detailed
// ones resultv2 4 adds (101 下单, 102 待揽收, 103 揽收, 1001-1003 在途, 301-304
// 签收, 401 退签, 501 派件, 601 退回, ...), which start with their main one.
const (
	PhaseUnknown    Phase = ""
	PhaseOrdered    Phase = "ordered"    // booked, not yet collected
	PhaseCollected  Phase = "collected"  // the courier has it
	PhaseInTransit  Phase = "in_transit" // moving
	PhaseDelivering Phase = "delivering" // out for delivery
	PhaseSigned     Phase = "signed"     // signed for at the destination
	PhaseProblem    Phase = "problem"    // 疑难: held, address trouble
	PhaseReturned   Phase = "returned"   // on its way back to the sender, or back
	PhaseRejected   Phase = "rejected"   // the recipient refused it
)

// PhaseOf maps a state to its phase.
func PhaseOf(state string) Phase {
	switch state {
	case "101", "102":
		return PhaseOrdered
	case "1", "103":
		return PhaseCollected
	case "14", "1401":
		return PhaseRejected
	}
	if len(state) >= 4 && state[:2] == "10" {
		return PhaseInTransit // 1001..1003: detailed 在途
	}
	if state == "" {
		return PhaseUnknown
	}
	switch state[0] {
	case '0', '7', '8':
		return PhaseInTransit
	case '1':
		return PhaseCollected
	case '2':
		return PhaseProblem
	case '3':
		return PhaseSigned
	case '4', '6':
		return PhaseReturned
	case '5':
		return PhaseDelivering
	}
	return PhaseUnknown
}

// Phase is the push's phase.
func (p Push) Phase() Phase { return PhaseOf(p.LastResult.State) }

// LatestAt is the time of the newest trace, zero when there is none.
func (p Push) LatestAt() time.Time {
	if len(p.LastResult.Data) == 0 {
		return time.Time{}
	}
	return ParseTime(p.LastResult.Data[0].Time)
}

// Latest is the newest trace's text.
func (p Push) Latest() string {
	if len(p.LastResult.Data) == 0 {
		return ""
	}
	return p.LastResult.Data[0].Context
}

// ParseTime reads the provider's "2006-01-02 15:04:05" Beijing time; zero
// when it is not one.
func ParseTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", strings.TrimSpace(s), chinaTime)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// FormatTime writes t as the provider does.
func FormatTime(t time.Time) string { return t.In(chinaTime).Format("2006-01-02 15:04:05") }

// OrderCallback is the progress of a pickup order (the `param` of a cOrder
// callback; the form also carries taskId and sign).
type OrderCallback struct {
	Company string `json:"kuaidicom"`
	Number  string `json:"kuaidinum"` // the waybill, once the courier assigned one
	Status  string `json:"status"`
	Message string `json:"message"`
	Data    struct {
		OrderID       string          `json:"orderId"`
		Status        json.RawMessage `json:"status"`
		CourierName   string          `json:"courierName,omitempty"`
		CourierMobile string          `json:"courierMobile,omitempty"`
		Weight        string          `json:"weight,omitempty"`
		Freight       string          `json:"freight,omitempty"`
	} `json:"data"`
}

// The pickup order statuses of a callback's data.status.
const (
	OrderPlaced    = "0"  // 下单成功
	OrderAccepted  = "1"  // 已接单
	OrderPickingUp = "2"  // 收件中
	OrderCancelled = "9"  // 用户主动取消
	OrderCollected = "10" // 已取件
	OrderFailed    = "11" // 揽货失败
	OrderReturned  = "12" // 已退回
	OrderSigned    = "13" // 已签收
	OrderAbnormal  = "14" // 异常签收
	OrderVoided    = "99" // 订单已取消
)

// ParseOrderCallback decodes a pickup order callback's param.
func ParseOrderCallback(param string) (OrderCallback, error) {
	var cb OrderCallback
	if err := json.Unmarshal([]byte(param), &cb); err != nil {
		return cb, fmt.Errorf("param is not a pickup order callback: %w", err)
	}
	if cb.Data.OrderID == "" {
		return cb, errors.New("param names no order (data.orderId)")
	}
	return cb, nil
}

// OrderStatus is data.status as a string.
func (cb OrderCallback) OrderStatus() string { return code(cb.Data.Status) }

// InterceptCallback is the outcome of an interception (the `param` of its
// callback, signed with the interception's salt).
type InterceptCallback struct {
	Company string `json:"kuaidicom"`
	Number  string `json:"kuaidinum"`
	OrderID string `json:"orderId"`
	// Status is SUCCESS (the courier will bring the parcel back), FAIL
	// (too late: delivered or out for delivery) or PROCESSING.
	Status  string `json:"interceptStatus"`
	Message string `json:"message"`
}

// The interception outcomes.
const (
	InterceptSucceeded  = "SUCCESS"
	InterceptFailed     = "FAIL"
	InterceptProcessing = "PROCESSING"
)

// ParseInterceptCallback decodes an interception callback's param.
func ParseInterceptCallback(param string) (InterceptCallback, error) {
	var cb InterceptCallback
	if err := json.Unmarshal([]byte(param), &cb); err != nil {
		return cb, fmt.Errorf("param is not an interception callback: %w", err)
	}
	if cb.Number == "" || cb.Status == "" {
		return cb, errors.New("param names no parcel or outcome (kuaidinum, interceptStatus)")
	}
	return cb, nil
}
