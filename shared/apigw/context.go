package apigw

import (
	"context"
	"log/slog"

	"github.com/aftersales/aftersales/shared/aftersales"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
	principalKey
)

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the API Gateway request id of the request being served.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Logger returns the request's logger: it carries the request id (and the
// case id once a handler knows it) on every line.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func withLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

func withPrincipal(ctx context.Context, p aftersales.Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

func principal(ctx context.Context) aftersales.Principal {
	p, _ := ctx.Value(principalKey).(aftersales.Principal)
	return p
}
