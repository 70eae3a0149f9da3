package fakealipay

import (
	"cmp"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aftersales/aftersales/shared/alipay"
)

// answer is the object under "<method>_response".
type answer map[string]any

// failure is an answer with an error code.
func failure(code, msg, subCode, subMsg string) answer {
	return answer{"code": code, "msg": msg, "sub_code": subCode, "sub_msg": subMsg}
}

// businessFailure is a 40004 refusal.
func businessFailure(subCode, subMsg string) answer {
	return failure("40004", "Business Failed", subCode, subMsg)
}

// Handler returns the gateway. It answers POSTs at any path (Alipay's is
// /gateway.do), so it can be mounted anywhere. Under the Timeout fault it
// hijacks the connection and closes it; where the ResponseWriter cannot be
// hijacked (HTTP/2) it aborts the handler with http.ErrAbortHandler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// serve is the gateway: check the request, then dispatch on "method".
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "the gateway takes POST", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the body is not a form", http.StatusBadRequest)
		return
	}
	form := r.Form
	method := form.Get("method")
	if method == "" {
		s.write(w, "error_response", failure("40001", "Missing Required Arguments", "isv.missing-method", "缺少方法名参数"))
		return
	}
	name := strings.ReplaceAll(method, ".", "_") + "_response"
	if a := s.checkRequest(form); a != nil {
		s.write(w, name, a)
		return
	}
	switch method {
	case MethodRefund:
		s.refund(w, form, name)
	case MethodRefundQuery:
		s.query(w, form, name)
	default:
		s.write(w, name, failure("40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名"))
	}
}

// checkRequest verifies the public parameters and the app's signature:
// RSA2 over the parameters other than sign, non-empty, sorted by name. It
// returns the refusal, or nil.
func (s *Server) checkRequest(form url.Values) answer {
	const invalid = "Invalid Arguments"
	switch {
	case form.Get("app_id") != s.appID:
		return failure("40002", invalid, "isv.invalid-app-id", "无效的AppID参数")
	case form.Get("sign") == "":
		return failure("40001", "Missing Required Arguments", "isv.missing-signature", "缺少签名参数")
	case form.Get("sign_type") != alipay.SignTypeRSA2:
		return failure("40002", invalid, "isv.invalid-signature-type", "无效的签名类型")
	case form.Get("encrypt_type") != "":
		return failure("40002", invalid, "isv.invalid-encrypt-type", "the fake does not decrypt biz_content")
	}
	sig, err := base64.StdEncoding.DecodeString(form.Get("sign"))
	if err == nil {
		sum := sha256.Sum256(signContent(form, true, "sign"))
		err = rsa.VerifyPKCS1v15(s.appPub, crypto.SHA256, sum[:], sig)
	}
	if err != nil {
		return failure("40002", invalid, "isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配")
	}
	return nil
}

// refundBiz is the biz_content of alipay.trade.refund.
type refundBiz struct {
	TradeNo      string `json:"trade_no"`
	OutTradeNo   string `json:"out_trade_no"`
	RefundAmount string `json:"refund_amount"`
	RefundReason string `json:"refund_reason"`
	OutRequestNo string `json:"out_request_no"`
}

// refund serves alipay.trade.refund.
func (s *Server) refund(w http.ResponseWriter, form url.Values, name string) {
	var biz refundBiz
	if err := json.Unmarshal([]byte(form.Get("biz_content")), &biz); err != nil {
		s.write(w, name, businessFailure("ACQ.INVALID_PARAMETER", "biz_content is not JSON"))
		return
	}
	amount, err := alipay.ParseYuan(biz.RefundAmount)
	switch {
	case biz.TradeNo == "":
		s.write(w, name, businessFailure("ACQ.INVALID_PARAMETER", "trade_no is required (the fake knows trades by trade_no only)"))
		return
	case biz.OutRequestNo == "" || len(biz.OutRequestNo) > 64:
		s.write(w, name, businessFailure("ACQ.INVALID_PARAMETER", "out_request_no must be 1-64 characters"))
		return
	case err != nil || amount <= 0:
		s.write(w, name, businessFailure("ACQ.INVALID_PARAMETER", "refund_amount must be a positive amount in yuan"))
		return
	}

	s.mu.Lock()
	s.refundCalls++
	f := s.faults
	sysErr, timeout, fail, processing := s.drawLocked(f.SystemError), s.drawLocked(f.Timeout),
		s.drawLocked(f.Fail), s.drawLocked(f.Processing)
	if sysErr {
		s.mu.Unlock()
		s.write(w, name, failure("20000", "Service Currently Unavailable", "aop.ACQ.SYSTEM_ERROR", "系统繁忙"))
		return
	}
	t, known := s.trades[biz.TradeNo]
	if !known && s.opts.RequireTrades {
		s.mu.Unlock()
		s.write(w, name, businessFailure("ACQ.TRADE_NOT_EXIST", "交易不存在"))
		return
	}
	t = s.tradeLocked(biz.TradeNo)
	now := s.opts.Now()
	var a answer
	rf, repeat := t.refunds[biz.OutRequestNo]
	switch {
	case repeat && rf.Amount != amount:
		a = businessFailure("ACQ.DISCORDANT_REPEAT_REQUEST", "不一致的请求")
	case repeat:
		a = s.refundAnswerLocked(t, rf, "N", now)
	case fail:
		a = businessFailure(f.FailSubCode, f.FailSubMsg)
	case t.paid > 0 && t.refunded+amount > t.paid:
		a = businessFailure("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
	default:
		rf = &Refund{TradeNo: t.no, OutRequestNo: biz.OutRequestNo, Amount: amount, Reason: biz.RefundReason,
			NotifyURL: form.Get("notify_url"), CreatedAt: now, PaidAt: now}
		fundChange := "Y"
		if processing {
			rf.PaidAt, fundChange = now.Add(f.ProcessingFor), "N"
		}
		t.refunds[rf.OutRequestNo] = rf
		t.refunded += amount
		s.payouts[rf.OutRequestNo]++
		s.totalPaid += amount
		a = s.refundAnswerLocked(t, rf, fundChange, now)
		s.scheduleNotifyLocked(t, rf, now)
	}
	s.mu.Unlock()
	if timeout {
		drop(w)
		return
	}
	s.write(w, name, a)
}

// refundAnswerLocked is the success answer for rf. refund_fee is the
// trade's refunded total, as Alipay reports it; gmt_refund_pay is set once
// the refund is paid.
func (s *Server) refundAnswerLocked(t *trade, rf *Refund, fundChange string, now time.Time) answer {
	a := answer{
		"code": "10000", "msg": "Success",
		"trade_no": t.no, "out_trade_no": t.outTradeNo,
		"buyer_logon_id": "159****5620", "buyer_user_id": "2088102177846880",
		"fund_change":   fundChange,
		"refund_fee":    alipay.FormatYuan(t.refunded),
		"send_back_fee": alipay.FormatYuan(rf.Amount),
	}
	if !now.Before(rf.PaidAt) {
		a["gmt_refund_pay"] = rf.PaidAt.In(chinaTime).Format(timeLayout)
	}
	return a
}

// queryBiz is the biz_content of alipay.trade.fastpay.refund.query.
type queryBiz struct {
	TradeNo      string `json:"trade_no"`
	OutTradeNo   string `json:"out_trade_no"`
	OutRequestNo string `json:"out_request_no"`
}

// query serves alipay.trade.fastpay.refund.query: REFUND_SUCCESS for a paid
// refund, an answer without out_request_no and refund_status otherwise.
func (s *Server) query(w http.ResponseWriter, form url.Values, name string) {
	var biz queryBiz
	if err := json.Unmarshal([]byte(form.Get("biz_content")), &biz); err != nil {
		s.write(w, name, businessFailure("ACQ.INVALID_PARAMETER", "biz_content is not JSON"))
		return
	}
	if biz.TradeNo == "" || biz.OutRequestNo == "" {
		s.write(w, name, businessFailure("ACQ.INVALID_PARAMETER", "trade_no and out_request_no are required"))
		return
	}
	s.mu.Lock()
	s.queryCalls++
	t, known := s.trades[biz.TradeNo]
	if !known && s.opts.RequireTrades {
		s.mu.Unlock()
		s.write(w, name, businessFailure("ACQ.TRADE_NOT_EXIST", "交易不存在"))
		return
	}
	a := answer{"code": "10000", "msg": "Success"}
	if known {
		a["trade_no"], a["out_trade_no"] = t.no, t.outTradeNo
		if rf, ok := t.refunds[biz.OutRequestNo]; ok && !s.opts.Now().Before(rf.PaidAt) {
			a["out_request_no"] = rf.OutRequestNo
			a["refund_amount"] = alipay.FormatYuan(rf.Amount)
			a["total_amount"] = alipay.FormatYuan(cmp.Or(t.paid, t.refunded))
			a["refund_status"] = alipay.RefundSuccess
			a["gmt_refund_pay"] = rf.PaidAt.In(chinaTime).Format(timeLayout)
		}
	}
	s.mu.Unlock()
	s.write(w, name, a)
}

// write sends {"<name>":<a>,"sign":"<signature of the raw object>"}, the
// signature covering the object's bytes exactly as written.
func (s *Server) write(w http.ResponseWriter, name string, a answer) {
	raw, err := json.Marshal(a)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	key, _ := json.Marshal(name)
	sig, _ := json.Marshal(s.sign(raw))
	var b strings.Builder
	b.WriteString("{")
	b.Write(key)
	b.WriteString(":")
	b.Write(raw)
	b.WriteString(`,"sign":`)
	b.Write(sig)
	b.WriteString("}")
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_, _ = io.WriteString(w, b.String())
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// scheduleNotifyLocked arranges the trade status notification of a new
// refund, when notifications are on and there is somewhere to send it:
// when the refund is paid, plus the NotifyDelay fault; twice under the
// Duplicate fault.
func (s *Server) scheduleNotifyLocked(t *trade, rf *Refund, now time.Time) {
	if !s.opts.Notify {
		return
	}
	target := cmp.Or(s.opts.NotifyURL, rf.NotifyURL)
	if target == "" {
		return
	}
	copies := 1
	if s.drawLocked(s.faults.Duplicate) {
		copies = 2
	}
	delay := rf.PaidAt.Sub(now) + s.faults.NotifyDelay
	id := s.notifyIDLocked()
	for range copies {
		s.afterLocked(delay, func() { s.deliver(target, t, rf, id, 1) })
	}
}

// deliver posts a notification and, unless it is answered "success",
// schedules the next attempt. Alipay reads only the body of the answer.
func (s *Server) deliver(target string, t *trade, rf *Refund, id string, attempt int) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	v := s.notificationLocked(t, rf, id)
	s.mu.Unlock()
	v = s.SignNotification(v)

	d := Delivery{NotifyID: id, OutRequestNo: rf.OutRequestNo, URL: target, Attempt: attempt, At: s.opts.Now()}
	resp, err := s.notifyClient.Post(target, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(v.Encode()))
	if err != nil {
		d.Err = err.Error()
	} else {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		_ = resp.Body.Close()
		d.StatusCode = resp.StatusCode
		d.Acked = strings.TrimSpace(string(body)) == "success"
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, d)
	if !d.Acked && attempt <= len(s.opts.NotifyRetries) {
		s.afterLocked(s.opts.NotifyRetries[attempt-1], func() { s.deliver(target, t, rf, id, attempt+1) })
	}
}
