package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// LambdaHandler is the signature of an API Gateway HTTP API Lambda function.
type LambdaHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Lambda adapts h to API Gateway HTTP API events. It never returns an error:
// a Lambda error would make API Gateway answer a bare 500 without our
// problem+json body and request id.
func Lambda(h http.Handler) LambdaHandler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r, err := RequestFromEvent(ctx, ev)
		rec := httptest.NewRecorder()
		if err != nil {
			writeProblem(rec, r, problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: err.Error()})
		} else {
			h.ServeHTTP(rec, r)
		}
		return responseFromRecorder(rec), nil
	}
}

// RequestFromEvent rebuilds the HTTP request API Gateway received.
func RequestFromEvent(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	ctx = withRequestID(ctx, ev.RequestContext.RequestID)
	// refused is the request a refusal is written for: it carries the
	// request id, so even a 400 of an unreadable event can be quoted.
	refused := func(err error) (*http.Request, error) {
		return httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx), err
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return refused(fmt.Errorf("body is not valid base64: %w", err))
		}
		body = b
	}
	u := url.URL{Path: ev.RawPath, RawQuery: ev.RawQueryString}
	if u.Path == "" {
		u.Path = ev.RequestContext.HTTP.Path
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return refused(err)
	}
	for k, v := range ev.Headers {
		// API Gateway joins repeated headers with commas, which is how
		// net/http reads a multi-valued header too.
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	r.ContentLength = int64(len(body))
	return r, nil
}

// EventFromRequest builds the event API Gateway would send for r, as the
// local stack needs it. requestID plays API Gateway's request id.
func EventFromRequest(r *http.Request, requestID string) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, err
	}
	headers := make(map[string]string, len(r.Header))
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.String())
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "$default",
		RawPath:        r.URL.Path,
		RawQueryString: r.URL.RawQuery,
		Cookies:        cookies,
		Headers:        headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: requestID,
			Stage:     "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: hostOf(r.RemoteAddr), UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if textual(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	if len(r.URL.Query()) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range r.URL.Query() {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	return ev, nil
}

// WriteResponse writes a Lambda response to w as API Gateway would.
func WriteResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) error {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return err
		}
		body = b
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

func responseFromRecorder(rec *httptest.ResponseRecorder) events.APIGatewayV2HTTPResponse {
	res := rec.Result()
	resp := events.APIGatewayV2HTTPResponse{StatusCode: res.StatusCode, Headers: map[string]string{}}
	for k, vs := range res.Header {
		if k == "Set-Cookie" {
			resp.Cookies = vs
			continue
		}
		resp.Headers[k] = strings.Join(vs, ",")
	}
	body := rec.Body.Bytes()
	if textual(res.Header.Get("Content-Type")) {
		resp.Body = string(body)
	} else if len(body) > 0 {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return resp
}

// textual reports whether a body of this content type travels as text in
// API Gateway events (anything else is base64-encoded).
func textual(contentType string) bool {
	ct := strings.ToLower(contentType)
	return ct == "" || strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") ||
		strings.Contains(ct, "xml") || strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}
